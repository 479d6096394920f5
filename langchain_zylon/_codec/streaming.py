"""Zylon ``StreamDelta`` s → LangChain ``AIMessageChunk`` s (pure).

Summing the chunks gives what :func:`.outputs.to_ai_message` builds from the complete
answer: the same clean text, citations (``annotations``) and ``raw_text``, tool calls,
thinking with its signature, server tool blocks with their input, whole blocks and
sources. Two differences of form only: streamed content blocks carry their Zylon block
position as ``index`` (so LangChain merges the pieces of one block), and a streamed
server tool block also keeps the JSON text of its input (``partial_json``).

A *rich* request (tools, thinking or citations) streams content blocks from the first
chunk; a plain request streams strings, and switches to blocks only if the server sends
something besides text (a server tool, a citation), as ``ChatAnthropic`` does.

Where a piece is only known at the end, the last chunk carries it: text held back
while it could still turn out to be citation markup, citations listed without markup,
a server tool's input when its start had none, a client call's arguments when the
server sent them only as an object, and the sources.

Per delta this does one small dict and one chunk: no validation, no copying of the
answer so far.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Callable, cast

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import ToolCallChunk, tool_call_chunk

from zylon_core._answers import collect_sources
from zylon_core._citations import CitationResolver, CitationStripper
from zylon_core._stream_parts import BlockText, OpenBlock
from zylon_core._streaming import StreamDelta

from .cited import annotation, mark_annotations, unmatched
from .outputs import PROVIDER, clean_block, response_metadata, tldr_text, usage_metadata

_META = {"model_provider": PROVIDER}
# Whole blocks a citation may point into.
_CITABLE = frozenset({"source", "server_tool_result", "tool_result"})


@dataclass(slots=True)
class _Text:
    """One streamed text block: its markup stripper and what it has sent so far."""

    # The server's text so far, markup included (needed whole once markup turns up).
    raw: BlockText
    stripper: CitationStripper = field(default_factory=CitationStripper)
    listed: list[Any] = field(default_factory=list)  # the citations the deltas listed
    marked: list[Any] = field(default_factory=list)  # the citations found as markup
    diverged: bool = False  # raw_text sent (the raw text differs from the clean one)


class ChunkBuilder:
    """Turns one stream's deltas into chunks; create one per stream."""

    __slots__ = ("blocks", "client_tools", "_tools", "_calls", "_args", "_texts", "_empty", "_citable", "_resolver", "_source")

    def __init__(
        self,
        *,
        rich: bool = False,
        client_tools: frozenset[str] | None = None,
        source: Callable[[int], OpenBlock | None] | None = None,
    ) -> None:
        """``source``: the stream's ``source_block`` (``TurnStream.source_block``), so that
        a text block's raw text is read from the stream's accumulator instead of kept twice."""
        self.blocks = rich  # content as blocks (True) or strings (False)
        self._source = source
        self.client_tools = client_tools
        self._tools: set[int] = set()  # block positions of client tool_use blocks seen
        self._calls: set[int] = set()  # ... of those streamed as tool_call_chunks
        self._args: set[int] = set()  # ... of those whose arguments came as JSON text
        self._texts: dict[int, _Text] = {}
        self._empty: set[int] = set()  # tool blocks streamed with an empty input: it comes at the end
        self._citable: list[dict[str, Any]] = []  # whole blocks citations point into
        self._resolver: CitationResolver | None = None

    def chunk(self, delta: StreamDelta) -> AIMessageChunk | None:
        kind = delta.kind
        if kind == "text":
            state = self._texts.get(delta.index)
            text = delta.text
            if state is not None and not state.diverged and not delta.citations and state.stripper.plain(text):
                # Most deltas: more text of the current block, shown as it came (what
                # _text gives for it, without splitting it for markup).
                state.raw.add(text)
                if self.blocks:
                    return AIMessageChunk(content=[{"type": "text", "text": text, "index": delta.index}], response_metadata=dict(_META))
                return AIMessageChunk(content=text, response_metadata=dict(_META))
            return self._text(delta.index, text, delta.citations)
        if kind == "thinking":
            return self._thinking(delta.index, delta.text, (delta.block or {}).get("signature"))
        if kind == "input_json":
            return self._input(delta)
        if kind == "tool_use":
            block = delta.block or {}
            # A tool_use that arrives whole (a synthetic block) carries its input.
            return self._tool_use(block, delta.index, args=json.dumps(block["input"]) if block.get("input") else "")
        if kind == "server_tool_use":
            return self._server_tool_use(delta.block or {}, delta.index)
        if kind == "server_input_json":
            if not delta.text:
                return None  # an object alone: the input comes whole with the last chunk
            self.blocks = True
            return self._content({"type": "server_tool_use", "partial_json": delta.text, "index": delta.index})
        return self._whole_block(delta)

    # -- text and thinking ------------------------------------------------------------

    def _text(self, index: int, text: str, citations: list[Any] | None) -> AIMessageChunk | None:
        state = self._texts.get(index)
        if state is not None and not citations and not state.diverged:
            # Most deltas: more text of the current block, no citation in it.
            clean, marks = state.stripper.feed(text)
            if not marks:
                state.raw.add(text)
                if not clean:
                    return None
                if not self.blocks:
                    return AIMessageChunk(content=clean, response_metadata=dict(_META))
                return AIMessageChunk(content=[{"type": "text", "text": clean, "index": index}], response_metadata=dict(_META))
            return self._content(self._piece(index, state, clean, marks, text))
        pieces: list[dict[str, Any]] = []
        if state is None:
            # A new text block: what earlier ones held back (blanks that could have
            # preceded markup) is theirs for good, and comes first.
            for earlier, held in self._texts.items():
                if held.stripper.pending:
                    pieces.append(self._piece(earlier, held, *held.stripper.flush(), ""))
            state = self._texts[index] = _Text(BlockText(self._source(index) if self._source is not None else None))
        if citations:
            state.listed.extend(citations)
        pieces.append(self._piece(index, state, *state.stripper.feed(text), text))
        pieces = [p for p in pieces if len(p) > 3 or p["text"]]
        if not pieces:
            return None
        if not self.blocks and all(len(p) == 3 for p in pieces):
            return AIMessageChunk(content="".join(p["text"] for p in pieces), response_metadata=dict(_META))
        self.blocks = True
        return AIMessageChunk(content=cast("list[str | dict[Any, Any]]", pieces), response_metadata=dict(_META))

    def _piece(self, index: int, state: _Text, clean: str, marks: list[Any], raw: str) -> dict[str, Any]:
        """The content piece of one text block: its clean text, the annotations of the
        citations found, and the raw text once it differs from the clean one."""
        block: dict[str, Any] = {"type": "text", "text": clean, "index": index}
        if marks:
            state.marked.extend(m.citation for m in marks)
            block["annotations"] = mark_annotations(marks, self._resolve())
        if state.diverged:
            block["raw_text"] = raw
        else:
            state.raw.add(raw)
            if marks:
                state.diverged = True
                block["raw_text"] = state.raw.text()  # everything so far, at once
                state.raw = BlockText()  # not needed any more
        return block

    def _thinking(self, index: int, text: str, signature: str | None) -> AIMessageChunk:
        self.blocks = True
        block: dict[str, Any] = {"type": "thinking", "thinking": text, "index": index}
        if signature:
            block["signature"] = signature
        extra = {"reasoning_content": text} if text else {}
        return AIMessageChunk(content=[block], additional_kwargs=extra, response_metadata=dict(_META))

    def _resolve(self) -> CitationResolver | None:
        if self._resolver is None and self._citable:
            self._resolver = CitationResolver(self._citable)
        return self._resolver

    # -- tools ------------------------------------------------------------------------

    def _input(self, delta: StreamDelta) -> AIMessageChunk | None:
        index = delta.index
        if index not in self._tools:  # arguments with no tool_use start before them
            return self._tool_use(delta.block or {}, index, args=delta.text)
        if not delta.text:
            return None  # an object alone: the arguments come as text later, or with the last chunk
        self._args.add(index)
        piece = {"type": "input_json_delta", "partial_json": delta.text, "index": index}
        if index in self._calls:
            call_chunk = tool_call_chunk(name=None, args=delta.text, id=None, index=index)
            return AIMessageChunk(content=[piece], tool_call_chunks=[call_chunk], response_metadata=dict(_META))
        self.blocks = True
        return self._content(piece)

    def _tool_use(self, block: dict[str, Any], index: int, args: str) -> AIMessageChunk:
        self.blocks = True
        self._tools.add(index)
        self._empty.add(index)
        if args:
            self._args.add(index)
        name = block.get("name") or ""
        content: dict[str, Any] = {"type": "tool_use", "id": block.get("id"), "name": name, "input": {}, "index": index}
        if args:
            content["partial_json"] = args
        if self.client_tools is None or name in self.client_tools:
            self._calls.add(index)
            call_chunk = tool_call_chunk(name=name, args=args, id=block.get("id"), index=index)
            return AIMessageChunk(content=[content], tool_call_chunks=[call_chunk], response_metadata=dict(_META))
        return self._content(content)

    def _server_tool_use(self, block: dict[str, Any], index: int) -> AIMessageChunk:
        """A tool the server runs: a content block, never a tool call chunk. Its input
        is whole in the start (document conversion) or comes as JSON pieces."""
        self.blocks = True
        start_input = dict(block.get("input") or {})
        if not start_input:
            self._empty.add(index)
        content = {"type": "server_tool_use", "id": block.get("id"), "name": block.get("name") or "", "input": start_input, "index": index}
        return self._content(content)

    # -- whole blocks -----------------------------------------------------------------

    def _whole_block(self, delta: StreamDelta) -> AIMessageChunk | None:
        """A block that arrived whole (a server tool result, a document, tldr, a
        synthetic block, a type this client does not know...)."""
        # A copy: the accumulator goes on growing its own block (source deltas extend it).
        block = clean_block(copy.deepcopy(delta.block or {}))
        kind = block.get("type")
        if kind == "text":
            return self._text(delta.index, block.get("text") or "", block.get("citations"))
        if kind == "thinking":
            return self._thinking(delta.index, block.get("thinking") or "", block.get("signature"))
        if kind == "tool_use":
            return self._tool_use(block, delta.index, args=json.dumps(block.get("input") or {}))
        if kind == "server_tool_use":
            self._empty.discard(delta.index)
            block.setdefault("input", {})
        if kind in _CITABLE:
            self._citable.append(block)
            self._resolver = None
        self.blocks = True
        extra: dict[str, Any] = {}
        if kind == "tldr":
            text = tldr_text(block)
            if text:
                extra["tldr"] = text
        block["index"] = delta.index
        return AIMessageChunk(content=[block], additional_kwargs=extra, response_metadata=dict(_META))

    def _content(self, block: dict[str, Any]) -> AIMessageChunk:
        return AIMessageChunk(content=[block], response_metadata=dict(_META))

    # -- the end ----------------------------------------------------------------------

    def last(
        self,
        message: Any,
        *,
        model_name: str,
        interaction_id: str | None = None,
        thread_id: str | None = None,
        sources: list[dict[str, Any]] | None = None,
        model_sent: bool = False,
        usage: bool = True,
    ) -> AIMessageChunk:
        """The closing chunk: what only the end tells (see the module docstring), usage
        (unless ``usage=False``), response metadata and ``chunk_position="last"``.
        ``message`` is the complete answer the stream gave; ``sources`` default to all
        of its sources; ``model_sent`` as in :func:`.outputs.to_ai_message`."""
        if sources is None:
            sources = collect_sources(message.content)
        content: list[Any] = []
        text = ""
        for index, state in self._texts.items():
            held, marks = state.stripper.flush()
            if marks:  # cannot happen for markup held whole, kept for safety
                state.marked.extend(m.citation for m in marks)
            annotations = mark_annotations(marks, self._resolve())
            annotations += [annotation(c, self._resolve()) for c in unmatched(state.listed, state.marked)]
            if not held and not annotations:
                continue
            if not self.blocks and not annotations:
                text += held
                continue
            block: dict[str, Any] = {"type": "text", "text": held, "index": index}
            if annotations:
                block["annotations"] = annotations
            content.append(block)
        blocks = message.content
        calls: list[ToolCallChunk] = []
        for index in sorted(self._empty):
            final = getattr(blocks[index], "input", None) if index < len(blocks) else None
            if not final:
                continue
            # No "type": LangChain merges it into the block by index, and a typed piece
            # would read as a second block in the standard translation.
            content.append({"index": index, "input": dict(final)})
            if index in self._calls and index not in self._args:
                calls.append(tool_call_chunk(name=None, args=json.dumps(final), id=None, index=index))
        additional = {"sources": sources} if sources else {}
        if content and not self.blocks:
            self.blocks = True
            if text:
                content.insert(0, text)
        return AIMessageChunk(
            content=content if self.blocks else text,
            additional_kwargs=additional,
            tool_call_chunks=calls,
            usage_metadata=usage_metadata(message.usage) if usage else None,
            response_metadata=response_metadata(
                message,
                model_name=model_name,
                interaction_id=interaction_id,
                thread_id=thread_id,
                sources=sources,
                tool_calls=bool(self._calls),
                model_sent=model_sent,
            ),
            chunk_position="last",
        )
