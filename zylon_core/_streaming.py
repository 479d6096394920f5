"""Turning a Zylon SSE stream into deltas and one final message.

One :class:`StreamAccumulator` serves every stream shape the server sends: events with
or without ``index``/``block_id``, with or without ``content_block_start``/``stop``,
``content_block_synthetic``, ``ping``/``done``, usage in ``message_start``,
``message_delta.delta.usage`` or ``message_delta.usage``. It works on the decoded JSON
dicts (no model validation per delta) and validates the final message once.

An ``error`` event raises at once (even if ``message_stop`` follows); a stream that ends
without ``message_stop`` raises in :meth:`StreamAccumulator.finish`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from .errors import ServerStreamError, StreamError
from .models import MessageOutput

logger = logging.getLogger("zylon_core")

# Both stop-reason vocabularies, mapped onto the Anthropic-style one frameworks know.
_STOP_REASONS = {
    "stop": "end_turn",
    "end_turn": "end_turn",
    "max_tokens": "max_tokens",
    "length": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "pause_turn": "pause_turn",
    "refusal": "refusal",
    "cancelled": "cancelled",
    "error": "error",
}


def normalize_stop_reason(raw: str | None) -> str | None:
    """``stop`` → ``end_turn``; known values unchanged; error-ish values → ``error``."""
    if raw is None:
        return None
    if raw in _STOP_REASONS:
        return _STOP_REASONS[raw]
    return "error" if raw.endswith("_error") else raw


@dataclass(slots=True)
class StreamDelta:
    """One incremental piece of the answer, ready for a framework chunk.

    ``kind`` is ``text``, ``thinking``, ``input_json`` (``text`` holds the JSON piece),
    ``tool_use`` (a tool call began: ``block`` has ``id``/``name``/``input``),
    ``source`` (``block`` is a ``source`` block holding the new sources) or ``block``
    (a whole block that arrived at once: tldr, tool_result, synthetic blocks...).
    ``index`` is the block's position in the final message.
    """

    kind: str
    index: int
    text: str = ""
    block: dict[str, Any] | None = None
    citations: list[Any] | None = None


_DELTA_BLOCK_TYPE = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "input_json_delta": "tool_use",
    "source_delta": "source",
    "tldr_delta": "tldr",
}


# Pieces kept as separate strings before they are appended to the block's one string.
_JOIN_EVERY = 256


@dataclass(slots=True)
class _OpenBlock:
    block: dict[str, Any]
    parts: list[str] = field(default_factory=list)  # the latest text / thinking / partial JSON pieces
    held: str = ""  # text held back while it may be the start of a stop sequence
    joined: str = ""  # every earlier piece, as one string

    def add(self, piece: str) -> None:
        parts = self.parts
        parts.append(piece)
        if len(parts) >= _JOIN_EVERY:
            self._join()

    def _join(self) -> None:
        # Thousands of small strings cost ~50 bytes each on top of their text, so they
        # are folded into one string every _JOIN_EVERY pieces. The attribute lets go of
        # the string first so that ``+=`` can grow it in place (CPython resizes a string
        # nothing else refers to) instead of copying it every time.
        joined, self.joined = self.joined, ""
        joined += "".join(self.parts)
        self.joined = joined
        self.parts.clear()

    def text(self) -> str:
        """Everything added so far (held-back text excluded), as one string."""
        if self.parts:
            self._join()
        return self.joined


class StreamAccumulator:
    """Feed decoded events with :meth:`feed`; read the final message from :meth:`finish`."""

    def __init__(self, stop: Iterable[str] | None = None) -> None:
        self.message: dict[str, Any] = {}
        self.blocks: list[_OpenBlock] = []
        self._keys: dict[Any, int] = {}
        self.usage: dict[str, Any] = {}
        self.started = False
        self.stopped = False  # message_stop seen
        self.stop_sequence_hit: str | None = None
        self._stops = [s for s in (stop or ()) if s]
        self._hold = max((len(s) for s in self._stops), default=1) - 1

    # -- feeding ---------------------------------------------------------------------

    def feed(self, event: dict[str, Any]) -> StreamDelta | None:
        kind = event.get("type")
        if kind == "content_block_delta":
            # Most events of a stream: plain text for a block already open, with no stop
            # sequences to watch. The same result as _on_delta gives, with fewer calls.
            delta = event.get("delta")
            if delta and delta.get("type") == "text_delta" and not self._stops and not delta.get("citations"):
                key = event.get("block_id")
                if key is None and event.get("index") is not None:
                    key = ("index", event["index"])
                position = self._keys.get(key) if key is not None else None
                if position is not None and self.stop_sequence_hit is None:
                    text = delta.get("text")
                    if not text:
                        return None
                    self.blocks[position].add(text)
                    return StreamDelta("text", position, text)
            return self._on_delta(event)
        if kind == "content_block_start":
            return self._on_start(event, event.get("content_block") or {})
        if kind == "content_block_synthetic":
            return self._on_start(event, event.get("block") or {}, whole=True)
        if kind == "content_block_stop":
            return self._on_block_stop(event)
        if kind == "message_start":
            self._on_message_start(event.get("message") or {})
        elif kind == "message_delta":
            self._on_message_delta(event)
        elif kind == "message_stop":
            self.stopped = True
        elif kind == "error":
            error = event.get("error") or {}
            raise ServerStreamError(
                f"Zylon stream error ({error.get('type') or 'error'}): "
                f"{error.get('message') or 'no message'}",
                error_type=error.get("type"),
                body=event,
            )
        elif kind not in ("ping", "done"):
            logger.warning("ignoring unknown Zylon stream event type %r", kind)
        return None

    def _on_message_start(self, message: dict[str, Any]) -> None:
        self.started = True
        for key, value in message.items():
            if key == "usage":
                self._merge_usage(value)
            elif key != "content":
                self.message[key] = value
        for block in message.get("content") or ():
            self._open(_own(block), key=None)

    def _on_message_delta(self, event: dict[str, Any]) -> None:
        delta = event.get("delta") or {}
        for key, value in delta.items():
            if key == "usage":
                self._merge_usage(value)
            elif key == "content":
                for block in value or ():
                    self._open(_own(block), key=None)
            elif value is not None or key not in self.message:
                self.message[key] = value
        if "usage" in event:
            self._merge_usage(event["usage"])

    def _merge_usage(self, usage: Any) -> None:
        if isinstance(usage, dict):
            self.usage.update({k: v for k, v in usage.items() if v is not None})

    @staticmethod
    def _key(event: dict[str, Any]) -> Any:
        block_id = event.get("block_id")
        if block_id is not None:
            return block_id
        index = event.get("index")
        return ("index", index) if index is not None else None

    def _open(self, block: dict[str, Any], key: Any) -> int:
        position = len(self.blocks)
        self.blocks.append(_whole(block))
        if key is not None:
            self._keys[key] = position
        return position

    def _on_start(self, event: dict[str, Any], block: dict[str, Any], whole: bool = False) -> StreamDelta | None:
        block = _own(block)
        block_type = block.get("type")
        key = self._key(event)
        if whole and key in self._keys:
            # A synthetic block replaces the one streamed under the same id.
            position = self._keys[key]
            self.blocks[position] = _whole(block)
            return StreamDelta("block", position, block=block)
        position = self._open(block, key)
        if block_type in ("text", "thinking"):
            opened = self.blocks[position]
            initial = opened.text()
            opened.joined = ""
            if block_type == "text":
                return self._add_text(position, initial, None) if initial else None
            opened.joined = initial
            return StreamDelta("thinking", position, text=initial) if initial else None
        if block_type == "tool_use":
            block.setdefault("input", {})
            return StreamDelta("tool_use", position, block=block)
        return StreamDelta("block", position, block=block)

    def _target(self, event: dict[str, Any], block_type: str) -> int:
        key = self._key(event)
        if key is not None and key in self._keys:
            return self._keys[key]
        if key is None and self.blocks and self.blocks[-1].block.get("type") == block_type:
            return len(self.blocks) - 1
        # A delta with no preceding start (the Workspace's documented shape).
        block: dict[str, Any] = {"type": block_type}
        if block_type == "tool_use":
            block.update(id=event.get("block_id") or f"toolu_{len(self.blocks)}", name="", input={})
        elif block_type in ("source", "tldr"):
            block["sources" if block_type == "source" else "content"] = []
        return self._open(block, key)

    def _on_delta(self, event: dict[str, Any]) -> StreamDelta | None:
        delta = event.get("delta") or {}
        delta_type = delta.get("type")
        block_type = _DELTA_BLOCK_TYPE.get(delta_type)
        if block_type is None:
            raise StreamError(f"unknown content_block_delta type {delta_type!r} in Zylon stream")
        position = self._target(event, block_type)
        if delta_type == "text_delta":
            return self._add_text(position, delta.get("text") or "", delta.get("citations"))
        opened = self.blocks[position]
        if delta_type == "thinking_delta":
            text = delta.get("thinking") or ""
            opened.add(text)
            return StreamDelta("thinking", position, text=text) if text else None
        if delta_type == "input_json_delta":
            if delta.get("partial_json_obj"):
                opened.block.setdefault("input", {}).update(delta["partial_json_obj"])
            text = delta.get("partial_json") or ""
            opened.add(text)
            return StreamDelta("input_json", position, text=text, block=opened.block)
        if delta_type == "source_delta":
            sources = list(delta.get("sources") or ())
            opened.block.setdefault("sources", []).extend(sources)
            return StreamDelta("source", position, block={"type": "source", "sources": sources})
        tldr = delta.get("tldr")
        if tldr is not None:
            opened.block.setdefault("content", []).append(tldr)
        return StreamDelta("block", position, block={"type": "tldr", "content": [tldr]})

    def _add_text(self, position: int, text: str, citations: Any) -> StreamDelta | None:
        opened = self.blocks[position]
        if citations:
            opened.block.setdefault("citations", []).extend(citations)
        if self.stop_sequence_hit is not None:
            return None  # everything after a stop sequence is discarded
        if self._stops:
            text = self._apply_stop(opened, text)
        if not text and not citations:
            return None
        opened.add(text)
        return StreamDelta("text", position, text, None, citations)

    def _apply_stop(self, opened: _OpenBlock, text: str) -> str:
        """Client-side stop sequences (the API has none): emit what cannot start one."""
        combined = opened.held + text
        hits = [(combined.find(s), s) for s in self._stops if s in combined]
        if hits:
            cut, sequence = min(hits)
            self.stop_sequence_hit = sequence
            opened.held = ""
            return combined[:cut]
        keep = len(combined) - self._hold
        if keep <= 0:
            opened.held = combined
            return ""
        opened.held = combined[keep:]
        return combined[:keep]

    def _flush_held(self, opened: _OpenBlock, position: int) -> StreamDelta | None:
        if not opened.held:
            return None
        text, opened.held = opened.held, ""
        opened.add(text)
        return StreamDelta("text", position, text=text)

    def _on_block_stop(self, event: dict[str, Any]) -> StreamDelta | None:
        key = self._key(event)
        position = self._keys.get(key) if key is not None else len(self.blocks) - 1
        if position is None or position < 0:
            return None
        opened = self.blocks[position]
        if event.get("stop_timestamp"):
            opened.block["stop_timestamp"] = event["stop_timestamp"]
        return self._flush_held(opened, position)

    # -- finishing -------------------------------------------------------------------

    def flush(self) -> StreamDelta | None:
        """Text still held back for stop-sequence matching, once the stream is over."""
        for position, opened in enumerate(self.blocks):
            if opened.held:
                return self._flush_held(opened, position)
        return None

    @property
    def done(self) -> bool:
        """True once nothing more should be read (message_stop, or a stop sequence hit)."""
        return self.stopped or self.stop_sequence_hit is not None

    def finish(self) -> MessageOutput:
        """The final message. Raises :class:`StreamError` if the stream broke off."""
        if not self.stopped and self.stop_sequence_hit is None:
            raise StreamError(
                "Zylon stream ended before message_stop: the answer is incomplete"
                + ("" if self.started else " (no message_start either)")
            )
        content: list[dict[str, Any]] = []
        for opened in self.blocks:
            block = opened.block
            block_type = block.get("type")
            if block_type in ("text", "thinking"):
                text = opened.text()
                block = {**block, block_type: text + opened.held if opened.held else text}
            elif block_type == "tool_use":
                block = {**block, "input": _tool_input(block, opened.text())}
            content.append(block)
        message = {**self.message, "content": content}
        message.setdefault("role", "assistant")
        if self.usage:
            message["usage"] = self.usage
        if self.stop_sequence_hit is not None:
            message["stop_reason"] = "stop_sequence"
            message["stop_sequence"] = self.stop_sequence_hit
        return MessageOutput.model_validate(message)


def _own(block: dict[str, Any]) -> dict[str, Any]:
    """A copy the accumulator may grow (its lists too), leaving the caller's event intact."""
    return {k: list(v) if isinstance(v, list) else v for k, v in block.items()}


def _whole(block: dict[str, Any]) -> _OpenBlock:
    """An open block; text and thinking move into ``parts``, where deltas append."""
    kind = block.get("type")
    if kind in ("text", "thinking"):
        block = dict(block)
        return _OpenBlock(block, [block.pop(kind, "") or ""])
    return _OpenBlock(block)


def _tool_input(block: dict[str, Any], partial_json: str) -> dict[str, Any]:
    if not partial_json.strip():
        return dict(block.get("input") or {})
    try:
        value = json.loads(partial_json)
    except ValueError as exc:
        raise StreamError(
            f"tool_use {block.get('name')!r} arguments are not valid JSON: {partial_json[:200]!r}"
        ) from exc
    if not isinstance(value, dict):
        raise StreamError(f"tool_use {block.get('name')!r} arguments are not a JSON object")
    return {**(block.get("input") or {}), **value}


def apply_stop_sequences(message: MessageOutput, stop: Iterable[str] | None) -> MessageOutput:
    """Cut a complete (non-streamed) message at the first stop sequence."""
    stops = [s for s in (stop or ()) if s]
    if not stops:
        return message
    content = []
    hit: str | None = None
    for block in message.content:
        if hit is not None:
            if block.type != "text":
                content.append(block)
            continue
        if block.type == "text":
            found = [(block.text.find(s), s) for s in stops if s in block.text]
            if found:
                cut, hit = min(found)
                block = block.model_copy(update={"text": block.text[:cut]})
        content.append(block)
    if hit is None:
        return message
    return message.model_copy(update={"content": content, "stop_reason": "stop_sequence", "stop_sequence": hit})
