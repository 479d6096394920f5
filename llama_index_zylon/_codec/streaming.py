"""Zylon ``StreamDelta`` s → the partial LlamaIndex ``ChatMessage`` so far (pure).

LlamaIndex streams a whole message per chunk (``ChatResponse.message`` is the answer so
far, ``delta`` the new text), so :class:`StreamState` keeps the answer in Zylon wire
form and decodes it as :func:`.outputs.decode_output` decodes a complete one (unknown
block types are skipped while streaming).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms.utils import parse_partial_json

from zylon_core._streaming import StreamDelta

from .outputs import decode_blocks


@dataclass
class StreamState:
    """The answer so far, in Zylon wire form, rebuilt into a ``ChatMessage`` per delta.

    Tool-call arguments arrive as partial JSON; they are parsed leniently so each
    streamed message carries the arguments known so far.
    """

    server_tool_names: frozenset[str] = frozenset()
    blocks: dict[int, dict[str, Any]] = field(default_factory=dict)
    _json: dict[int, str] = field(default_factory=dict)

    def feed(self, delta: StreamDelta) -> None:
        """Add one delta to the answer so far."""
        index = delta.index
        if delta.kind == "text":
            block = self.blocks.get(index)
            if block is None:
                block = self.blocks[index] = {"type": "text", "text": ""}
            block["text"] = block.get("text", "") + delta.text
            if delta.citations:
                block.setdefault("citations", []).extend(copy.deepcopy(delta.citations))
        elif delta.kind == "thinking":
            block = self.blocks.setdefault(index, {"type": "thinking", "thinking": ""})
            block["thinking"] = block.get("thinking", "") + delta.text
        elif delta.kind == "tool_use":
            # Copies: the accumulator keeps (and keeps changing) the dicts it hands out.
            self.blocks[index] = {**copy.deepcopy(delta.block or {}), "type": "tool_use"}
            self._json[index] = ""
        elif delta.kind == "input_json":
            block = self.blocks.setdefault(index, {"type": "tool_use", "id": f"toolu_{index}", "name": "", "input": {}})
            if delta.block:
                for key in ("id", "name"):
                    if delta.block.get(key):
                        block[key] = delta.block[key]
            self._json[index] = self._json.get(index, "") + delta.text
            block["input"] = self._parse_partial(index, block)
        elif delta.kind == "source":
            block = self.blocks.setdefault(index, {"type": "source", "sources": []})
            block.setdefault("sources", []).extend(copy.deepcopy((delta.block or {}).get("sources") or []))
        elif delta.kind == "block" and delta.block is not None:
            incoming = copy.deepcopy(delta.block)
            current = self.blocks.get(index)
            if incoming.get("type") == "tldr" and current is not None and current.get("type") == "tldr":
                current.setdefault("content", []).extend(incoming.get("content") or [])
            else:
                self.blocks[index] = incoming

    def _parse_partial(self, index: int, block: Mapping[str, Any]) -> dict[str, Any]:
        text = self._json.get(index, "")
        if not text.strip():
            return dict(block.get("input") or {})
        try:
            value = parse_partial_json(text)
        except ValueError:
            return dict(block.get("input") or {})
        return value if isinstance(value, dict) else dict(block.get("input") or {})

    def message(self) -> ChatMessage:
        """The answer so far as an assistant ``ChatMessage`` (tool calls with the
        arguments parsed so far)."""
        blocks = self.blocks
        if len(blocks) == 1:
            (block,) = blocks.values()
            if block.get("type") == "text" and len(block) == 2:  # plain text: the common case
                # What decode_blocks gives for it, without its per-call set-up.
                return ChatMessage(role=MessageRole.ASSISTANT, content=block["text"] or "")
        content = [blocks[i] for i in sorted(blocks)]
        return decode_blocks(content, self.server_tool_names, partial=True)
