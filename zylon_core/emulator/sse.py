"""Turning a finished answer into SSE events, in the two documented shapes.

``full`` (ZylonGPT's ``messages.13`` example): ``message_start`` (the message without
content), then per block ``content_block_start`` / ``content_block_delta`` ... /
``content_block_stop``, each with ``index`` and ``block_id``; text is split into word
pieces (``text_delta``), thinking likewise (``thinking_delta``), tool inputs into JSON
pieces (``input_json_delta`` with ``partial_json``), sources one per ``source_delta``;
other blocks (``tool_result``, ``tldr``...) arrive whole in their
``content_block_start``. Then ``message_delta`` (``stop_reason`` and ``usage``) and
``message_stop``.

``minimal`` (the Workspace docs' ``threads.16`` example): ``message_start`` with only
``id``/``role``/empty content, text and thinking as deltas with neither ``index`` nor
``block_id``, every other block as one ``content_block_synthetic`` (with a
``block_id``), then ``message_stop``; no ``message_delta``, so no stop reason or usage.

A stream cut short (a cancelled interaction) ends with :func:`closing_events`, and what
it delivered of the answer is :meth:`Stream.content_sent`: the emulator keeps its own
record of which piece of which block each event carried, so it never has to read its
events back.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

_PIECE = re.compile(r"\s*\S+")
_MAX_PIECE = 24


def split_text(text: str) -> list[str]:
    """Word pieces (leading whitespace attached) whose concatenation is ``text``."""
    pieces = _PIECE.findall(text)
    rest = text[sum(len(p) for p in pieces) :]
    if rest:
        pieces.append(rest)
    out: list[str] = []
    for piece in pieces:
        while len(piece) > _MAX_PIECE:
            out.append(piece[:_MAX_PIECE])
            piece = piece[_MAX_PIECE:]
        out.append(piece)
    return out


def split_json(value: Any) -> list[str]:
    text = json.dumps(value, ensure_ascii=False)
    if len(text) <= 8:
        return [text]
    size = -(-len(text) // 3)
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass
class Stream:
    """The events of one answer, and how much of the answer the first N of them carry.

    ``marks[n]`` is ``(block index, pieces of that block out)`` once event ``n`` is
    written, or None for an event carrying no content (``message_start``, ``ping``...);
    ``pieces[i]`` are what block ``i`` is streamed in (text or thinking pieces, JSON
    pieces of a tool input, single sources; none for a block sent whole).
    """

    events: list[dict[str, Any]]
    content: list[dict[str, Any]]
    marks: list[tuple[int, int] | None] = field(default_factory=list)
    pieces: list[list[Any]] = field(default_factory=list)

    def content_sent(self, count: int) -> list[dict[str, Any]]:
        """The answer as the first ``count`` events delivered it: every block they
        finished, then the open block cut to the pieces that went out."""
        last = next((mark for mark in reversed(self.marks[:count]) if mark is not None), None)
        if last is None:
            return []
        index, sent = last
        finished = [copy.deepcopy(block) for block in self.content[:index]]
        block, pieces = self.content[index], self.pieces[index]
        if sent >= len(pieces):
            return finished + [copy.deepcopy(block)]
        kind = block.get("type")
        if kind in ("text", "thinking"):
            cut = {**block, kind: "".join(pieces[:sent])}
        elif kind == "source":
            cut = {**block, "sources": pieces[:sent]}
        else:  # tool_use: arguments cut short are no JSON object yet
            cut = {**block, "input": {}}
        return finished + [copy.deepcopy(cut)]


def build_events(
    envelope: dict[str, Any],
    content: list[dict[str, Any]],
    stop_reason: str | None,
    usage: dict[str, Any] | None,
    *,
    shape: str = "full",
    pieces: dict[int, list[str]] | None = None,
    ping: bool = False,
) -> Stream:
    """Every event of the stream of one complete message."""
    pieces = pieces or {}
    block_base = "block_" + str(envelope.get("id", "msg")).split("_", 1)[-1]
    stream = Stream([], content)

    def emit(event: dict[str, Any], mark: tuple[int, int] | None = None) -> None:
        stream.events.append(event)
        stream.marks.append(mark)

    if shape == "minimal":
        start = {"id": envelope.get("id"), "role": envelope.get("role", "assistant"), "content": []}
        emit({"type": "message_start", "message": start})
        for index, block in enumerate(content):
            kind = block.get("type")
            if kind == "text":
                texts = pieces.get(index) or split_text(block.get("text") or "") or [""]
                stream.pieces.append(texts)
                for n, text in enumerate(texts):
                    delta: dict[str, Any] = {"type": "text_delta", "text": text}
                    if n == 0 and block.get("citations"):
                        delta["citations"] = block["citations"]
                    emit({"type": "content_block_delta", "delta": delta}, (index, n + 1))
            elif kind == "thinking":
                texts = split_text(block.get("thinking") or "") or [""]
                stream.pieces.append(texts)
                for n, text in enumerate(texts):
                    emit({"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": text}}, (index, n + 1))
            else:
                stream.pieces.append([])
                emit({"type": "content_block_synthetic", "block_id": f"{block_base}_{index}", "block": block}, (index, 0))
        emit({"type": "message_stop"})
    else:
        start = {**envelope, "content": []}
        if usage is not None:
            start["usage"] = {"input_tokens": usage.get("input_tokens", 0), "output_tokens": 0}
        emit({"type": "message_start", "message": start})
        for index, block in enumerate(content):
            block_pieces, events = _block_events(index, f"{block_base}_{index}", block, pieces.get(index))
            stream.pieces.append(block_pieces)
            sent = 0
            for event in events:
                if event["type"] == "content_block_delta":
                    sent += 1
                emit(event, (index, sent))
        delta_body: dict[str, Any] = {"stop_reason": stop_reason}
        if "stop_sequence" in envelope:
            delta_body["stop_sequence"] = None
        message_delta: dict[str, Any] = {"type": "message_delta", "delta": delta_body}
        if usage is not None:
            message_delta["usage"] = usage
        emit(message_delta)
        emit({"type": "message_stop"})
    if ping:
        stream.events, stream.marks = _with_pings(stream.events, stream.marks)
    return stream


def _block_events(
    index: int, block_id: str, block: dict[str, Any], pieces: list[str] | None
) -> tuple[list[Any], list[dict[str, Any]]]:
    """The pieces a block is streamed in, and its events (start, deltas, stop)."""
    kind = block.get("type")
    keys = {"index": index, "block_id": block_id}
    parts: list[Any] = []
    events: list[dict[str, Any]] = []
    if kind == "text":
        parts = pieces or split_text(block.get("text") or "")
        first = {k: v for k, v in block.items() if k != "text"}
        events.append({"type": "content_block_start", **keys, "content_block": {**first, "text": ""}})
        events.extend({"type": "content_block_delta", **keys, "delta": {"type": "text_delta", "text": t}} for t in parts)
    elif kind == "thinking":
        parts = split_text(block.get("thinking") or "")
        first = {k: v for k, v in block.items() if k != "thinking"}
        events.append({"type": "content_block_start", **keys, "content_block": {**first, "thinking": ""}})
        events.extend({"type": "content_block_delta", **keys, "delta": {"type": "thinking_delta", "thinking": t}} for t in parts)
    elif kind == "tool_use":
        parts = split_json(block.get("input") or {})
        events.append({"type": "content_block_start", **keys, "content_block": {**block, "input": {}}})
        events.extend({"type": "content_block_delta", **keys, "delta": {"type": "input_json_delta", "partial_json": p}} for p in parts)
    elif kind == "source":
        parts = list(block.get("sources") or ())
        events.append({"type": "content_block_start", **keys, "content_block": {**block, "sources": []}})
        events.extend({"type": "content_block_delta", **keys, "delta": {"type": "source_delta", "sources": [s]}} for s in parts)
    else:
        events.append({"type": "content_block_start", **keys, "content_block": block})
    events.append({"type": "content_block_stop", **keys})
    return parts, events


def _with_pings(
    events: list[dict[str, Any]], marks: list[tuple[int, int] | None]
) -> tuple[list[dict[str, Any]], list[tuple[int, int] | None]]:
    out: list[dict[str, Any]] = []
    out_marks: list[tuple[int, int] | None] = []
    for position, (event, mark) in enumerate(zip(events, marks)):
        out.append(event)
        out_marks.append(mark)
        if event["type"] != "message_stop" and (position == 0 or position % 10 == 0):
            out.append({"type": "ping"})
            out_marks.append(None)
    return out, out_marks


def encode(event: dict[str, Any]) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False, separators=(',', ':'))}\n\n"


def encode_all(events: Iterable[dict[str, Any]]) -> bytes:
    return "".join(encode(e) for e in events).encode()


def closing_events(sent: list[dict[str, Any]], stop_reason: str, shape: str) -> list[dict[str, Any]]:
    """What ends a stream cut short (cancel): close the open block, then stop."""
    tail: list[dict[str, Any]] = []
    if shape == "full":
        opened: dict[str, Any] | None = None
        for event in sent:
            if event["type"] == "content_block_start":
                opened = {"index": event.get("index"), "block_id": event.get("block_id")}
            elif event["type"] == "content_block_stop":
                opened = None
        if opened is not None:
            tail.append({"type": "content_block_stop", **opened})
    # Even the minimal shape says why it stopped early.
    tail.append({"type": "message_delta", "delta": {"stop_reason": stop_reason}})
    tail.append({"type": "message_stop"})
    return tail
