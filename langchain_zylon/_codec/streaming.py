"""Zylon ``StreamDelta`` s → LangChain ``AIMessageChunk`` s (pure).

Summing the chunks gives the same message :func:`.outputs.to_ai_message` builds from
the complete answer, except for the content's shape: a *rich* request (tools, thinking
or citations) streams content blocks from the first chunk, carrying the Zylon block
position as ``index`` so LangChain merges the pieces of one block; a plain request
streams strings, and switches to blocks only if the server sends something besides
text (a server-side tool, sources) — exactly what ``ChatAnthropic`` does.

Per delta this does one small dict and one chunk: no validation, no copying of the
answer so far (a later issue benchmarks it).
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessageChunk

from zylon_core._streaming import StreamDelta

from .outputs import PROVIDER, clean_block, response_metadata, tldr_text, usage_metadata

_META = {"model_provider": PROVIDER}


class ChunkBuilder:
    """Turns one stream's deltas into chunks; create one per stream."""

    __slots__ = ("blocks", "client_tools", "_tools", "_calls")

    def __init__(self, *, rich: bool = False, client_tools: frozenset[str] | None = None) -> None:
        self.blocks = rich  # content as blocks (True) or strings (False)
        self.client_tools = client_tools
        self._tools: set[int] = set()  # block positions of tool_use blocks seen
        self._calls: set[int] = set()  # ... of those streamed as tool_call_chunks

    def chunk(self, delta: StreamDelta) -> AIMessageChunk | None:
        kind = delta.kind
        if kind == "text":
            if not self.blocks:
                if delta.citations:
                    return AIMessageChunk(content=delta.text, additional_kwargs={"citations": list(delta.citations)}, response_metadata=dict(_META))
                return AIMessageChunk(content=delta.text, response_metadata=dict(_META))
            block: dict[str, Any] = {"type": "text", "text": delta.text, "index": delta.index}
            if delta.citations:
                block["citations"] = list(delta.citations)
            return AIMessageChunk(content=[block], response_metadata=dict(_META))
        if kind == "input_json":
            if delta.index not in self._tools:  # arguments with no tool_use start before them
                return self._tool_use(delta.block or {}, delta.index, args=delta.text)
            if delta.index in self._calls:
                return AIMessageChunk(
                    content=[{"type": "input_json_delta", "partial_json": delta.text, "index": delta.index}],
                    tool_call_chunks=[{"type": "tool_call_chunk", "name": None, "args": delta.text, "id": None, "index": delta.index}],
                    response_metadata=dict(_META),
                )
            self.blocks = True
            return AIMessageChunk(
                content=[{"type": "input_json_delta", "partial_json": delta.text, "index": delta.index}],
                response_metadata=dict(_META),
            )
        if kind == "thinking":
            self.blocks = True
            return AIMessageChunk(
                content=[{"type": "thinking", "thinking": delta.text, "index": delta.index}],
                additional_kwargs={"reasoning_content": delta.text},
                response_metadata=dict(_META),
            )
        if kind == "tool_use":
            block = delta.block or {}
            # A tool_use that arrives whole (a synthetic block) carries its input.
            return self._tool_use(block, delta.index, args=json.dumps(block["input"]) if block.get("input") else "")
        if kind == "source":
            self.blocks = True
            sources = list((delta.block or {}).get("sources") or ())
            return AIMessageChunk(
                content=[{"type": "source", "sources": sources, "index": delta.index}],
                additional_kwargs={"sources": sources},
                response_metadata=dict(_META),
            )
        return self._whole_block(delta)

    def _tool_use(self, block: dict[str, Any], index: int, args: str) -> AIMessageChunk:
        self.blocks = True
        self._tools.add(index)
        name = block.get("name") or ""
        content = {"type": "tool_use", "id": block.get("id"), "name": name, "input": {}, "index": index}
        if args:
            content["partial_json"] = args
        if self.client_tools is None or name in self.client_tools:
            self._calls.add(index)
            return AIMessageChunk(
                content=[content],
                tool_call_chunks=[{"type": "tool_call_chunk", "name": name, "args": args, "id": block.get("id"), "index": index}],
                response_metadata=dict(_META),
            )
        return AIMessageChunk(content=[content], response_metadata=dict(_META))

    def _whole_block(self, delta: StreamDelta) -> AIMessageChunk | None:
        """A block that arrived whole (tool_result, tldr, a synthetic block...)."""
        block = clean_block(delta.block or {})
        kind = block.get("type")
        if kind == "text":
            return self.chunk(StreamDelta("text", delta.index, text=block.get("text") or "", citations=block.get("citations")))
        if kind == "thinking":
            return self.chunk(StreamDelta("thinking", delta.index, text=block.get("thinking") or ""))
        if kind == "tool_use":
            return self._tool_use(block, delta.index, args=json.dumps(block.get("input") or {}))
        self.blocks = True
        extra: dict[str, Any] = {}
        if kind == "tldr":
            text = tldr_text(block)
            if text:
                extra["tldr"] = text
        elif kind == "source" and block.get("sources"):
            extra["sources"] = list(block["sources"])
        block["index"] = delta.index
        return AIMessageChunk(content=[block], additional_kwargs=extra, response_metadata=dict(_META))

    def last(
        self,
        message: Any,
        *,
        model_name: str,
        interaction_id: str | None = None,
        thread_id: str | None = None,
        sources: list[dict[str, Any]] | None = None,
    ) -> AIMessageChunk:
        """The closing chunk: usage, response metadata, ``chunk_position="last"``."""
        return AIMessageChunk(
            content=[] if self.blocks else "",
            usage_metadata=usage_metadata(message.usage),
            response_metadata=response_metadata(
                message,
                model_name=model_name,
                interaction_id=interaction_id,
                thread_id=thread_id,
                sources=sources,
                tool_calls=bool(self._calls),
            ),
            chunk_position="last",
        )
