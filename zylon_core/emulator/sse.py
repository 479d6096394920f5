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
"""

from __future__ import annotations

import json
import re
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


def build_events(
    envelope: dict[str, Any],
    content: list[dict[str, Any]],
    stop_reason: str | None,
    usage: dict[str, Any] | None,
    *,
    shape: str = "full",
    pieces: dict[int, list[str]] | None = None,
    ping: bool = False,
) -> list[dict[str, Any]]:
    """Every event of the stream of one complete message."""
    pieces = pieces or {}
    block_base = "block_" + str(envelope.get("id", "msg")).split("_", 1)[-1]
    events: list[dict[str, Any]] = []
    if shape == "minimal":
        start = {"id": envelope.get("id"), "role": envelope.get("role", "assistant"), "content": []}
        events.append({"type": "message_start", "message": start})
        for index, block in enumerate(content):
            kind = block.get("type")
            if kind == "text":
                texts = pieces.get(index) or split_text(block.get("text") or "")
                for n, text in enumerate(texts or [""]):
                    delta: dict[str, Any] = {"type": "text_delta", "text": text}
                    if n == 0 and block.get("citations"):
                        delta["citations"] = block["citations"]
                    events.append({"type": "content_block_delta", "delta": delta})
            elif kind == "thinking":
                for text in split_text(block.get("thinking") or "") or [""]:
                    events.append({"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": text}})
            else:
                events.append({"type": "content_block_synthetic", "block_id": f"{block_base}_{index}", "block": block})
        events.append({"type": "message_stop"})
    else:
        start = {**envelope, "content": []}
        if usage is not None:
            start["usage"] = {"input_tokens": usage.get("input_tokens", 0), "output_tokens": 0}
        events.append({"type": "message_start", "message": start})
        for index, block in enumerate(content):
            events.extend(_block_events(index, f"{block_base}_{index}", block, pieces.get(index)))
        delta_body: dict[str, Any] = {"stop_reason": stop_reason}
        if "stop_sequence" in envelope:
            delta_body["stop_sequence"] = None
        message_delta: dict[str, Any] = {"type": "message_delta", "delta": delta_body}
        if usage is not None:
            message_delta["usage"] = usage
        events.append(message_delta)
        events.append({"type": "message_stop"})
    if ping:
        events = _with_pings(events)
    return events


def _block_events(index: int, block_id: str, block: dict[str, Any], pieces: list[str] | None) -> list[dict[str, Any]]:
    kind = block.get("type")
    keys = {"index": index, "block_id": block_id}

    def delta(body: dict[str, Any]) -> dict[str, Any]:
        return {"type": "content_block_delta", **keys, "delta": body}

    events: list[dict[str, Any]] = []
    if kind == "text":
        first = {k: v for k, v in block.items() if k != "text"}
        events.append({"type": "content_block_start", **keys, "content_block": {**first, "text": ""}})
        events.extend(delta({"type": "text_delta", "text": t}) for t in (pieces or split_text(block.get("text") or "")))
    elif kind == "thinking":
        first = {k: v for k, v in block.items() if k != "thinking"}
        events.append({"type": "content_block_start", **keys, "content_block": {**first, "thinking": ""}})
        events.extend(delta({"type": "thinking_delta", "thinking": t}) for t in split_text(block.get("thinking") or ""))
    elif kind == "tool_use":
        events.append({"type": "content_block_start", **keys, "content_block": {**block, "input": {}}})
        events.extend(delta({"type": "input_json_delta", "partial_json": p}) for p in split_json(block.get("input") or {}))
    elif kind == "source":
        events.append({"type": "content_block_start", **keys, "content_block": {**block, "sources": []}})
        events.extend(delta({"type": "source_delta", "sources": [s]}) for s in block.get("sources") or ())
    else:
        events.append({"type": "content_block_start", **keys, "content_block": block})
    events.append({"type": "content_block_stop", **keys})
    return events


def _with_pings(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for position, event in enumerate(events):
        out.append(event)
        if event["type"] != "message_stop" and (position == 0 or position % 10 == 0):
            out.append({"type": "ping"})
    return out


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
