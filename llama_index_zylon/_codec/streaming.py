"""Zylon ``StreamDelta`` s → the partial LlamaIndex ``ChatMessage`` so far (pure).

LlamaIndex streams a whole message per chunk (``ChatResponse.message`` is the answer so
far, ``delta`` the new text), so :class:`StreamState` keeps the answer in Zylon wire
form and decodes it as :func:`.outputs.decode_blocks` decodes a complete one. Text is
stripped of its citation markup as it arrives (an unfinished ``<citation`` is held back
until it closes), so ``delta`` is always clean text and the deltas add up to
``message.content``. What a text block's stripper holds back (blanks at its end, which
markup could follow) is released when another block begins, or by the final chunk.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms.utils import parse_partial_json

from zylon_core._citations import CitationMark, CitationResolver, CitationStripper
from zylon_core._stream_parts import BlockText, OpenBlock
from zylon_core._streaming import StreamDelta

from .outputs import decode_blocks

_TOOL_KINDS = {"tool_use": "tool_use", "server_tool_use": "server_tool_use"}
_JSON_KINDS = {"input_json": "tool_use", "server_input_json": "server_tool_use"}


@dataclass
class _Text:
    """A text block as it streams: its raw text, and its clean text and citation marks
    so far (what the stripper let through)."""

    raw_text: BlockText  # the raw text (markup included)
    stripper: CitationStripper = field(default_factory=CitationStripper)
    clean: str = ""
    marks: list[CitationMark] = field(default_factory=list)

    def feed(self, piece: str) -> str:
        self.raw_text.add(piece)
        if self.stripper.plain(piece):  # shown as it came (what feed would give for it)
            self.clean += piece
            return piece
        return self._show(*self.stripper.feed(piece))

    def _show(self, shown: str, marks: list[CitationMark]) -> str:
        if shown:
            self.clean += shown
        if marks:
            self.marks.extend(marks)
        return shown

    def release(self) -> str:
        """What the stripper held back (blanks that markup could have followed)."""
        return self._show(*self.stripper.flush())

    @property
    def raw(self) -> str:
        return self.raw_text.text()


@dataclass
class StreamState:
    """The answer so far, in Zylon wire form, rebuilt into a ``ChatMessage`` per delta.

    Tool-call arguments arrive as partial JSON (or as whole objects); they are parsed
    leniently so each streamed message carries the arguments known so far. A server
    tool (``server_tool_use``) never becomes a ``ToolCallBlock``.
    """

    server_tool_names: frozenset[str] = frozenset()
    # The stream's ``source_block`` (``TurnStream.source_block``): raw text is read from
    # the stream's accumulator instead of kept twice.
    source: Callable[[int], OpenBlock | None] | None = None
    blocks: dict[int, dict[str, Any]] = field(default_factory=dict)
    emitted: str = ""  # the text the chunks' deltas gave so far
    _texts: dict[int, _Text] = field(default_factory=dict)
    _json: dict[int, str] = field(default_factory=dict)
    _open_text: int | None = None  # the text block the last text delta went to
    _resolver: CitationResolver | None = None
    _message: ChatMessage | None = None
    _plain: bool = False  # the message so far is one plain text block

    def feed(self, delta: StreamDelta) -> str:
        """Add one delta to the answer so far; returns the new text to show (clean)."""
        if self._plain and delta.kind == "text" and delta.index == self._open_text and not delta.citations:
            # Most deltas: more text for the one plain text block. What _feed does for
            # it, without its checks for other blocks: the message is that text.
            text = self._texts[delta.index]
            shown = text.feed(delta.text)
            if not text.marks:
                self._message = ChatMessage(role=MessageRole.ASSISTANT, content=text.clean)
                self.emitted = text.clean
                return shown
            # Markup: the message is decoded again (and no longer plain).
            self._message = None
            return self.new_text(self.message().content or "")
        return self._feed(delta)

    def _feed(self, delta: StreamDelta) -> str:
        self._message = None
        was_plain = self._plain
        index = delta.index
        shown = ""
        if self._open_text is not None and self._open_text != index:
            # Another block began: the text before it is complete, release what its
            # stripper held back.
            self._texts[self._open_text].release()
            self._open_text = None
        if delta.kind == "text":
            shown = self._add_text(index, delta)
        elif delta.kind == "thinking":
            block = self.blocks.setdefault(index, {"type": "thinking", "thinking": ""})
            block["thinking"] = block.get("thinking", "") + delta.text
            if delta.block and delta.block.get("signature"):
                block["signature"] = delta.block["signature"]
        elif delta.kind in _TOOL_KINDS:
            # Copies: the accumulator keeps (and keeps changing) the dicts it hands out.
            self._replace(index, {**copy.deepcopy(delta.block or {}), "type": _TOOL_KINDS[delta.kind]})
            self._json[index] = ""
        elif delta.kind in _JSON_KINDS:
            self._add_json(index, delta, _JSON_KINDS[delta.kind])
        elif delta.kind == "source":
            block = dict(self.blocks.get(index) or {"type": "source", "sources": []})
            block["sources"] = [*(block.get("sources") or []), *copy.deepcopy((delta.block or {}).get("sources") or [])]
            self._replace(index, block)
        elif delta.kind == "block" and delta.block is not None:
            incoming = copy.deepcopy(delta.block)
            current = self.blocks.get(index)
            if incoming.get("type") == "tldr" and current is not None and current.get("type") == "tldr":
                incoming = {**current, "content": [*(current.get("content") or []), *(incoming.get("content") or [])]}
            self._texts.pop(index, None)
            self._replace(index, incoming)
        content = self.message().content or ""
        if was_plain and self._plain:
            # Plain text before and now: what this delta showed is what was added (no
            # comparison of the whole text per delta).
            self.emitted = content
            return shown
        return self.new_text(content)

    def new_text(self, content: str) -> str:
        """What ``content`` (the message text now) adds to the text given so far."""
        if content.startswith(self.emitted):
            new = content[len(self.emitted) :]
        else:  # an earlier part changed (it should not): give what is there now
            new = ""
        self.emitted = content
        return new

    def _replace(self, index: int, block: dict[str, Any]) -> None:
        # A new dict, never an update in place: the messages already given out hold the
        # old one. Citations are resolved against non-text blocks: look again.
        self.blocks[index] = block
        self._resolver = None

    def _add_text(self, index: int, delta: StreamDelta) -> str:
        self._open_text = index
        block = self.blocks.get(index)
        text = self._texts.get(index)
        if text is None:
            text = self._texts[index] = _Text(BlockText(self.source(index) if self.source is not None else None))
            if block is not None and block.get("text"):  # a whole text block came first
                text.feed(block["text"])
        if block is None or block.get("type") != "text":
            block = self.blocks[index] = {"type": "text"}
        elif "text" in block:  # the text lives in self._texts from now on
            block = self.blocks[index] = {k: v for k, v in block.items() if k != "text"}
        if delta.citations:
            block["citations"] = [*(block.get("citations") or []), *copy.deepcopy(delta.citations)]
        return text.feed(delta.text)

    def _add_json(self, index: int, delta: StreamDelta, kind: str) -> None:
        block = dict(self.blocks.get(index) or {"type": kind, "id": f"toolu_{index}", "name": "", "input": {}})
        given = delta.block or {}
        for key in ("id", "name"):
            if given.get(key):
                block[key] = given[key]
        text = self._json[index] = self._json.get(index, "") + delta.text
        block["input"] = _arguments(text, given.get("input"), block.get("input"))
        self._replace(index, block)

    def message(self) -> ChatMessage:
        """The answer so far as an assistant ``ChatMessage`` (tool calls with the
        arguments parsed so far, text without citation markup)."""
        if self._message is not None:
            return self._message
        blocks = self.blocks
        self._plain = False
        if len(blocks) == 1:
            ((index, block),) = blocks.items()
            text = self._texts.get(index)
            if text is not None and len(block) == 1 and not text.marks and text.raw_text.length:
                # Plain text, the common case: what decode_blocks gives for it, cheaper.
                self._plain = True
                self._message = ChatMessage(role=MessageRole.ASSISTANT, content=text.clean)
                return self._message
        content = [{**blocks[i], "text": self._texts[i].raw} if i in self._texts else blocks[i] for i in sorted(blocks)]
        texts = {i: (t.clean, t.marks) for i, t in self._texts.items()}
        if self._resolver is None:
            self._resolver = CitationResolver(content)
        self._message = decode_blocks(content, self.server_tool_names, texts=texts, resolver=self._resolver)
        return self._message


def _arguments(text: str, given: Any, current: Any) -> dict[str, Any]:
    """A tool call's arguments so far: the JSON pieces parsed leniently, else the
    whole object the server sent last (``partial_json_obj``), else what was known."""
    if text.strip():
        try:
            value = parse_partial_json(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
    if isinstance(given, dict) and given:
        return dict(given)
    return dict(current or {})
