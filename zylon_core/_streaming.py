"""Turning a Zylon SSE stream into deltas and one final message.

One :class:`StreamAccumulator` serves every stream shape the server sends: events with
or without ``index``/``block_id``, with or without ``content_block_start``/``stop``,
``content_block_synthetic``, ``ping``/``done``, usage in ``message_start`` (zeros there
are placeholders), ``message_delta.delta.usage`` or ``message_delta.usage``. It works on
the decoded JSON dicts (no model validation per delta) and validates the final message
once. Blocks of any type are kept; server tools (``server_tool_use``) are reported with
their own delta kinds so that no adapter takes them for calls the caller must run.

An ``error`` event raises :class:`ServerStreamError` at once (even if ``message_stop``
follows); a stream that ends without ``message_stop``, a second ``message_start`` and an
event whose fields have the wrong JSON types are a :class:`StreamError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable

from pydantic import ValidationError

from ._stream_parts import (
    SURROGATE,
    OpenBlock,
    block_of,
    checked_block,
    extend,
    field_list,
    field_object,
    field_text,
    malformed,
    no_lone_surrogates,
    open_block,
    own,
    tool_input,
    usage_of,
)
from .errors import ServerStreamError, StreamError
from .models import MessageOutput, TextBlock

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

    ``kind`` is one of:

    * ``text``: ``text`` is the new text (raw: citation markup included), ``citations``
      the citations this piece carries;
    * ``thinking``: ``text`` is the new reasoning; ``block`` is ``{"signature": ...}``
      when the block's signature arrives (on its start, or a ``signature_delta``);
    * ``tool_use``: a client tool call began; ``block`` has ``id``, ``name``, ``input``;
    * ``input_json``: a piece of a client tool call's arguments; ``text`` is the JSON
      piece (``""`` when only an object came), ``block`` the call, whose ``input`` is
      the latest complete object the server sent (``partial_json_obj``);
    * ``server_tool_use`` / ``server_input_json``: the same for a tool the server runs
      itself (built-in search, ``document_preprocessing``): never a call to run;
    * ``source``: ``block`` is a ``source`` block holding the new sources;
    * ``block``: a whole block that arrived at once (``server_tool_result``,
      ``document``, ``tool_result``, tldr pieces, synthetic blocks, unknown types).

    ``index`` is the block's position in the final message.
    """

    kind: str
    index: int
    text: str = ""
    block: dict[str, Any] | None = None
    citations: list[Any] | None = None


_DELTA_BLOCK_TYPE = {
    "text_delta": "text",
    "citations_delta": "text",
    "thinking_delta": "thinking",
    "signature_delta": "thinking",
    "input_json_delta": "tool_use",
    "source_delta": "source",
    "tldr_delta": "tldr",
}
_TOOL_BLOCKS = ("tool_use", "server_tool_use")


class StreamAccumulator:
    """Feed decoded events with :meth:`feed`; read the final message from :meth:`finish`."""

    def __init__(self, stop: Iterable[str] | None = None) -> None:
        self.message: dict[str, Any] = {}
        self.blocks: list[OpenBlock] = []
        self._keys: dict[Any, int] = {}
        self._start_usage: dict[str, Any] = {}  # message_start's, zeros dropped (placeholders)
        self._delta_usage: dict[str, Any] = {}  # message_delta's, which win
        self.started = False
        self.stopped = False  # message_stop seen
        # True once nothing more should be read (message_stop, or a stop sequence hit):
        # an attribute, read after every event.
        self.done = False
        self.stop_sequence_hit: str | None = None
        self._stops = [s for s in (stop or ()) if s]
        self._hold = max((len(s) for s in self._stops), default=1) - 1
        self._halves = 0  # blocks holding the first half of a surrogate pair
        self._fast = not self._stops  # no stop sequence, no half held, no stop hit
        self._unknown_deltas: set[Any] = set()

    @property
    def usage(self) -> dict[str, Any]:
        """The usage known so far: real ``message_start`` values, ``message_delta``'s over them."""
        return {**self._start_usage, **self._delta_usage}

    # -- feeding ---------------------------------------------------------------------

    def feed(self, event: dict[str, Any]) -> StreamDelta | None:
        """The delta ``event`` adds, if any. Raises :class:`ServerStreamError` for an
        ``error`` event and :class:`StreamError` for a malformed one."""
        try:
            kind = event.get("type")
            if kind == "content_block_delta":
                # Most events of a stream: plain text for a block already open, with no stop
                # sequences to watch and no surrogate half held. The same result as _on_delta
                # gives, with fewer calls. A field of the wrong type fails here as an
                # AttributeError / TypeError, which the except below names.
                delta = event.get("delta")
                if delta and delta.get("type") == "text_delta" and self._fast and not delta.get("citations"):
                    key = event.get("block_id")
                    if key is None and type(event.get("index")) is int:  # not a bool: True == 1
                        key = ("index", event["index"])
                    position = self._keys.get(key) if key is not None else None
                    if position is not None:
                        text = delta.get("text")
                        # A string whose last character cannot be the first half of a
                        # surrogate pair (isascii is a flag lookup); any other JSON value
                        # raises AttributeError here.
                        if text and (text.isascii() or text[-1] < "\ud800"):
                            self.blocks[position].add(text)
                            return StreamDelta("text", position, text)
                return self._on_delta(event)
            if kind == "content_block_start":
                return self._on_start(event, block_of(event, "content_block"))
            if kind == "content_block_synthetic":
                return self._on_start(event, block_of(event, "block"), whole=True)
            if kind == "content_block_stop":
                return self._on_block_stop(event)
            if kind == "message_start":
                self._on_message_start(event)
            elif kind == "message_delta":
                self._on_message_delta(event)
            elif kind == "message_stop":
                self.stopped = self.done = True
            elif kind == "error":
                raise ServerStreamError.from_event(event)
            elif kind not in ("ping", "done"):
                logger.warning("ignoring unknown Zylon stream event type %r", kind)
            return None
        except (AttributeError, TypeError, KeyError, IndexError) as exc:
            # A field with the wrong JSON type ({"delta": "x"}, "index": [0], ...).
            raise malformed(event, f"{type(exc).__name__}: {exc}") from exc

    def _on_message_start(self, event: dict[str, Any]) -> None:
        if self.started:
            raise malformed(event, "a second message_start in one stream (two answers cannot be one)")
        message = field_object(event, "message")
        self.started = True
        for key, value in message.items():
            if key == "usage":
                # message_start's counts are placeholders (zeros) until message_delta.
                self._start_usage = {k: v for k, v in usage_of(event, value).items() if v != 0}
            elif key != "content":
                self.message[key] = value
        for block in field_list(event, message, "content"):
            self._open(own(checked_block(event, block)), key=None)

    def _on_message_delta(self, event: dict[str, Any]) -> None:
        delta = field_object(event, "delta")
        for key, value in delta.items():
            if key == "usage":
                self._delta_usage.update(usage_of(event, value))
            elif key == "content":
                for block in field_list(event, delta, "content"):
                    self._open(own(checked_block(event, block)), key=None)
            elif value is not None or key not in self.message:
                self.message[key] = value
        for key in ("stop_reason", "stop_sequence"):
            if delta.get(key) is None and event.get(key) is not None:
                self.message[key] = event[key]
        if "usage" in event:
            self._delta_usage.update(usage_of(event, event["usage"]))

    @staticmethod
    def _key(event: dict[str, Any]) -> Any:
        block_id = event.get("block_id")
        if block_id is not None:
            return block_id
        index = event.get("index")
        if index is None:
            return None
        if type(index) is not int:  # True or 1.0 would be taken for block 1, "1" for a new block
            raise malformed(event, f"index must be an integer, got {index!r}")
        return ("index", index)

    def _open(self, block: dict[str, Any], key: Any) -> int:
        position = len(self.blocks)
        self.blocks.append(open_block(block))
        if key is not None:
            self._keys[key] = position
        return position

    def _on_start(self, event: dict[str, Any], block: dict[str, Any], whole: bool = False) -> StreamDelta | None:
        block = own(block)
        block_type = block["type"]
        key = self._key(event)
        if whole and key in self._keys:
            # A synthetic block replaces the one streamed under the same id.
            position = self._keys[key]
            self.blocks[position] = open_block(block)
            return StreamDelta("block", position, block=block)
        position = self._open(block, key)
        if block_type in ("text", "thinking"):
            opened = self.blocks[position]
            initial = opened.take()
            if block_type == "text":
                return self._add_text(position, initial, None) if initial else None
            opened.add(initial)
            signature = block.get("signature")
            if initial or signature:
                return StreamDelta("thinking", position, text=initial, block={"signature": signature} if signature else None)
            return None
        if block_type in _TOOL_BLOCKS:
            if not isinstance(block.get("input"), dict):
                block["input"] = {}
            return StreamDelta(block_type, position, block=block)
        return StreamDelta("block", position, block=block)

    def _target(self, event: dict[str, Any], block_type: str) -> int:
        key = self._key(event)
        if key is not None and key in self._keys:
            return self._keys[key]
        if key is None and self.blocks:
            last = self.blocks[-1].block.get("type")
            if last == block_type or (block_type == "tool_use" and last in _TOOL_BLOCKS):
                return len(self.blocks) - 1
        # A delta with no preceding start (the Workspace's documented shape).
        block: dict[str, Any] = {"type": block_type}
        if block_type == "tool_use":
            block.update(id=event.get("block_id") or f"toolu_{len(self.blocks)}", name="", input={})
        elif block_type in ("source", "tldr"):
            block["sources" if block_type == "source" else "content"] = []
        return self._open(block, key)

    def _on_delta(self, event: dict[str, Any]) -> StreamDelta | None:
        delta = field_object(event, "delta")
        delta_type = delta.get("type")
        block_type = _DELTA_BLOCK_TYPE.get(delta_type) if isinstance(delta_type, str) else None
        if block_type is None:
            self._on_unknown_delta(event, delta)
            return None
        position = self._target(event, block_type)
        opened = self.blocks[position]
        if delta_type == "text_delta":
            return self._add_text(position, field_text(event, delta, "text"), field_list(event, delta, "citations"))
        if delta_type == "citations_delta":
            citation = field_object(event, "citation", delta)
            return self._add_text(position, "", [citation]) if citation else None
        if delta_type == "thinking_delta":
            text = self._paired(opened, field_text(event, delta, "thinking"))
            opened.add(text)
            return StreamDelta("thinking", position, text=text) if text else None
        if delta_type == "signature_delta":
            signature = field_text(event, delta, "signature")
            opened.block["signature"] = signature
            return StreamDelta("thinking", position, block={"signature": signature})
        if delta_type == "input_json_delta":
            return self._add_input(event, delta, position)
        if delta_type == "source_delta":
            sources = field_list(event, delta, "sources")
            extend(opened.block, "sources", sources)
            return StreamDelta("source", position, block={"type": "source", "sources": sources})
        tldr = delta.get("tldr")
        if tldr is not None:
            extend(opened.block, "content", [tldr])
        return StreamDelta("block", position, block={"type": "tldr", "content": [tldr]})

    def _add_input(self, event: dict[str, Any], delta: dict[str, Any], position: int) -> StreamDelta | None:
        opened = self.blocks[position]
        obj = delta.get("partial_json_obj")
        if obj is not None and not isinstance(obj, dict):
            raise malformed(event, "partial_json_obj is not an object")
        text = field_text(event, delta, "partial_json")
        if obj:
            # Each object is the whole input so far: it replaces the one before.
            opened.obj = obj
            opened.block["input"] = dict(obj)
        if text:
            opened.add(text)
        elif not obj:
            return None  # an empty piece says nothing
        kind = "server_input_json" if opened.block.get("type") == "server_tool_use" else "input_json"
        return StreamDelta(kind, position, text=text, block=opened.block)

    def _on_unknown_delta(self, event: dict[str, Any], delta: dict[str, Any]) -> None:
        """A delta type this client does not know: kept, raw, on its block."""
        delta_type = delta.get("type")
        key = self._key(event)
        if key is not None:
            position = self._keys.get(key)
        else:
            position = len(self.blocks) - 1 if self.blocks else None
        if position is None:
            position = self._open({"type": str(delta_type or "unknown_delta")}, key)
        extend(self.blocks[position].block, "unknown_deltas", [dict(delta)])
        if delta_type not in self._unknown_deltas:
            self._unknown_deltas.add(delta_type)
            logger.warning("keeping Zylon stream deltas of unknown type %r raw, in the block's 'unknown_deltas'", delta_type)

    def _add_text(self, position: int, text: str, citations: list[Any] | None) -> StreamDelta | None:
        opened = self.blocks[position]
        if citations:
            extend(opened.block, "citations", citations)
        if self.stop_sequence_hit is not None:
            return None  # everything after a stop sequence is discarded
        if opened.surrogate or SURROGATE.search(text):
            text = self._paired(opened, text)
        if self._stops:
            text = self._apply_stop(opened, text)
        if not text and not citations:
            return None
        opened.add(text)
        return StreamDelta("text", position, text, None, citations)

    def _paired(self, opened: OpenBlock, text: str) -> str:
        held = bool(opened.surrogate)
        text = opened.paired(text)
        if held != bool(opened.surrogate):
            # The fast path in feed() cannot complete a pair: it stays off while a half waits.
            self._halves += -1 if held else 1
            self._fast = not self._stops and not self._halves
        return text

    def _apply_stop(self, opened: OpenBlock, text: str) -> str:
        """Client-side stop sequences (the API has none): emit what cannot start one."""
        combined = opened.held + text
        hits = [(combined.find(s), s) for s in self._stops if s in combined]
        if hits:
            cut, sequence = min(hits)
            self.stop_sequence_hit = sequence
            self.done = True
            opened.held = ""
            return combined[:cut]
        keep = len(combined) - self._hold
        if keep <= 0:
            opened.held = combined
            return ""
        opened.held = combined[keep:]
        return combined[:keep]

    def _flush_held(self, opened: OpenBlock, position: int) -> StreamDelta | None:
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

    def finish(self) -> MessageOutput:
        """The final message. Raises :class:`StreamError` if the stream broke off (or
        its blocks do not make a valid message). ``usage`` is ``None`` when no real
        count arrived (``message_start``'s zeros are placeholders)."""
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
                # A first half of a surrogate pair that never got its second half.
                text = opened.text() + opened.held + ("\ufffd" if opened.surrogate else "")
                block = {**block, block_type: no_lone_surrogates(text)}
            elif block_type in _TOOL_BLOCKS:
                block = {**block, "input": tool_input(block, opened.obj, opened.text())}
            content.append(block)
        message = {**self.message, "content": content}
        message.setdefault("role", "assistant")
        usage = self.usage
        if usage:
            message["usage"] = usage
        if self.stop_sequence_hit is not None:
            message["stop_reason"] = "stop_sequence"
            message["stop_sequence"] = self.stop_sequence_hit
        try:
            return MessageOutput.model_validate(message)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)[:5]
            )
            raise StreamError(f"the streamed Zylon answer is not a valid message: {problems}") from exc


def apply_stop_sequences(message: MessageOutput, stop: Iterable[str] | None) -> MessageOutput:
    """Cut a complete (non-streamed) message at the first stop sequence."""
    stops = [s for s in (stop or ()) if s]
    if not stops:
        return message
    content: list[Any] = []
    hit: str | None = None
    for block in message.content:
        if hit is not None:
            if block.type != "text":
                content.append(block)
            continue
        if isinstance(block, TextBlock):
            found = [(block.text.find(s), s) for s in stops if s in block.text]
            if found:
                cut, hit = min(found)
                block = block.model_copy(update={"text": block.text[:cut]})
        content.append(block)
    if hit is None:
        return message
    return message.model_copy(update={"content": content, "stop_reason": "stop_sequence", "stop_sequence": hit})
