"""Turning a finished answer into SSE events, the way the real server streams it.

``full`` (ZylonGPT ``/messages``, and the Workspace, which forwards ZylonGPT's events):

* ``message_start`` whose ``message`` has ``content: []`` and usage
  ``{"input_tokens": 0, "output_tokens": 0}`` (always zeros: the real numbers come last);
* per block ``content_block_start`` (with ``start_timestamp``), deltas, and
  ``content_block_stop`` (with ``stop_timestamp``), each with ``index`` and ``block_id``:

  * text in word pieces (``text_delta``); each ``<citation ...></citation>`` markup whole
    in one delta that carries only its own citation (``citations: [...]``);
  * thinking in ``thinking_delta`` pieces, its ``signature`` and ``citations: []`` in the
    start (there is no ``signature_delta``);
  * a (server) tool's input: profile ``C``, two ``input_json_delta`` with an empty
    ``partial_json`` and the object in ``partial_json_obj``, then one with the whole JSON;
    profile ``A``, one empty delta, then, after the text block that follows it (whose
    start comes first), the whole JSON; both blocks stop at the end;
  * a ``server_tool_result`` and a ``document_preprocessing`` call (its ``input`` already
    whole) arrive whole in their start, without deltas; so does any other block;
  * a block stamped without ``stop_timestamp`` (the last text of a search answer) gets no
    ``content_block_stop`` in profile ``C``;
* ``message_delta``: profile ``C`` ``{"delta": {"stop_reason": ...}, "usage": {...}}``
  (usage at the top level of the event), profile ``A`` ``{"delta": {}, "usage": {}}``;
* ``message_stop``.

``minimal`` (the Workspace docs' ``threads.16`` example): ``message_start`` with only
``id``/``role``/empty content, text and thinking as deltas with neither ``index`` nor
``block_id``, every other block as one ``content_block_synthetic``, then ``message_stop``.

A stream cut short (a cancelled interaction) ends with :func:`closing_events`, and what
it delivered is :meth:`Stream.content_sent`: the emulator keeps its own record of which
piece of which block each event carried, so it never has to read its events back.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .state import now_micro

_PIECE = re.compile(r"\s*\S+")
_MAX_PIECE = 24
_CITATION = re.compile(r"<citation\b[^>]*></citation>")
_INDEX = re.compile(r"\bindex='(\d+)'")
STREAMED_INPUT = ("tool_use", "server_tool_use")
DOCUMENT_TOOL = "document_preprocessing"


def split_text(text: str) -> list[str]:
    """Word pieces (leading whitespace attached) whose concatenation is ``text``; a
    citation markup is one piece of its own."""
    out: list[str] = []
    position = 0
    for match in _CITATION.finditer(text):
        out.extend(_words(text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.extend(_words(text[position:]))
    return out


def _words(text: str) -> list[str]:
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


def wire_block(block: dict[str, Any]) -> dict[str, Any]:
    """A block as a stream carries it: no timestamps, no null ``cache_control``/``caller``."""
    out = {k: v for k, v in block.items() if k not in ("start_timestamp", "stop_timestamp")}
    for key in ("cache_control", "caller"):
        if key in out and out[key] is None:
            del out[key]
    if isinstance(out.get("content"), list) and out.get("type") in ("server_tool_result", "tool_result"):
        out["content"] = [wire_block(b) if isinstance(b, dict) else b for b in out["content"]]
    return out


def streams_input(block: dict[str, Any]) -> bool:
    return block.get("type") in STREAMED_INPUT and block.get("name") != DOCUMENT_TOOL


@dataclass
class Stream:
    """The events of one answer, and how much of the answer the first N of them carry.

    ``marks[n]`` is ``(block index, pieces of that block out)`` once event ``n`` is
    written, or None for an event about no block (``message_start``, ``ping``...);
    ``pieces[i]`` are what block ``i`` is streamed in (text or thinking pieces, the input
    deltas of a tool; none for a block sent whole).
    """

    events: list[dict[str, Any]]
    content: list[dict[str, Any]]
    marks: list[tuple[int, int] | None] = field(default_factory=list)
    pieces: list[list[Any]] = field(default_factory=list)

    def content_sent(self, count: int) -> list[dict[str, Any]]:
        """The answer as the first ``count`` events delivered it: every block they started,
        each cut to the pieces that went out."""
        sent: dict[int, int] = {}
        for mark in self.marks[:count]:
            if mark is not None:
                sent[mark[0]] = max(sent.get(mark[0], 0), mark[1])
        out = []
        for index in sorted(sent):
            block, pieces = self.content[index], self.pieces[index]
            if sent[index] >= len(pieces):
                out.append(copy.deepcopy(block))
                continue
            kind = block.get("type")
            if kind in ("text", "thinking"):
                cut = {**block, kind: "".join(pieces[: sent[index]])}
                cut.pop("stop_timestamp", None)
                if kind == "text" and block.get("citations"):
                    shown = {int(i) for piece in pieces[: sent[index]] for i in _INDEX.findall(piece)}
                    cut["citations"] = [c for c in block["citations"] if c.get("index") in shown]
                    if not cut["citations"]:
                        del cut["citations"]
            else:  # a tool's input: any delta carries the whole object
                cut = {**block, "input": block.get("input") if sent[index] else {}}
            out.append(copy.deepcopy(cut))
        return out


def build_events(
    envelope: dict[str, Any],
    content: list[dict[str, Any]],
    stop_reason: str | None,
    usage: dict[str, Any] | None,
    *,
    shape: str = "full",
    profile: str = "C",
    pieces: dict[int, list[str]] | None = None,
    ping: bool = False,
    stop_sequence: str | None = None,
) -> Stream:
    """Every event of the stream of one complete message."""
    pieces = pieces or {}
    block_base = "block_" + str(envelope.get("id", "msg")).split("_", 1)[-1]
    stream = Stream([], content)
    if shape == "minimal":
        _minimal(stream, envelope, content, pieces, block_base)
    else:
        start = {**envelope, "content": [], "usage": {"input_tokens": 0, "output_tokens": 0}}
        stream.events.append({"type": "message_start", "message": start})
        stream.marks.append(None)
        plans = [_plan(i, f"{block_base}_{i}", block, pieces.get(i), profile, i == len(content) - 1) for i, block in enumerate(content)]
        stream.pieces = [plan.pieces for plan in plans]
        _schedule(stream, plans, content, profile)
        stream.events.append(message_delta(stop_reason, usage, profile, stop_sequence))
        stream.marks.append(None)
        stream.events.append({"type": "message_stop"})
        stream.marks.append(None)
    if ping:
        stream.events, stream.marks = _with_pings(stream.events, stream.marks)
    return stream


def message_delta(stop_reason: str | None, usage: dict[str, Any] | None, profile: str, stop_sequence: str | None = None) -> dict[str, Any]:
    if profile == "A":
        return {"type": "message_delta", "delta": {}, "usage": {}}
    delta: dict[str, Any] = {"stop_reason": stop_reason}
    if stop_sequence is not None:
        delta["stop_sequence"] = stop_sequence
    event: dict[str, Any] = {"type": "message_delta", "delta": delta}
    if usage is not None:
        event["usage"] = {"input_tokens": usage.get("input_tokens"), "output_tokens": usage.get("output_tokens")}
    return event


@dataclass
class _Plan:
    index: int
    start: dict[str, Any]
    deltas: list[dict[str, Any]]
    stop: dict[str, Any] | None
    pieces: list[Any]
    streamed_input: bool = False


def _plan(index: int, block_id: str, block: dict[str, Any], given: list[str] | None, profile: str, last: bool) -> _Plan:
    keys = {"index": index, "block_id": block_id}
    kind = block.get("type")
    wire = wire_block(block)
    stamp = {"start_timestamp": block.get("start_timestamp") or now_micro()}
    deltas: list[dict[str, Any]] = []
    parts: list[Any] = []
    if kind == "text":
        parts = given or split_text(block.get("text") or "")
        first = {"type": "text", **stamp, "text": ""}
        by_index = {c.get("index"): c for c in block.get("citations") or ()}
        for piece in parts:
            delta: dict[str, Any] = {"type": "text_delta", "text": piece}
            cited = [by_index[int(i)] for i in _INDEX.findall(piece) if int(i) in by_index] if _CITATION.search(piece) else []
            if cited:
                delta["citations"] = cited
            deltas.append({"type": "content_block_delta", **keys, "delta": delta})
    elif kind == "thinking":
        parts = split_text(block.get("thinking") or "")
        rest = {k: v for k, v in wire.items() if k not in ("type", "thinking")}
        first = {"type": "thinking", **stamp, "thinking": "", **rest}
        first.setdefault("citations", [])
        deltas = [{"type": "content_block_delta", **keys, "delta": {"type": "thinking_delta", "thinking": t}} for t in parts]
    elif streams_input(block):
        value = block.get("input") or {}
        first = {"type": kind, **stamp, "id": block.get("id"), "name": block.get("name"), "input": {}}
        empty = {"type": "input_json_delta", "partial_json": "", "partial_json_obj": value}
        whole = {"type": "input_json_delta", "partial_json": json.dumps(value, ensure_ascii=False), "partial_json_obj": value}
        steps = [empty, whole] if profile == "A" else [empty, dict(empty), whole]
        deltas = [{"type": "content_block_delta", **keys, "delta": d} for d in steps]
        parts = list(steps)
    else:
        first = {"type": kind, **stamp, **{k: v for k, v in wire.items() if k != "type"}}
    start = {"type": "content_block_start", **keys, "content_block": first}
    unstopped = profile == "C" and last and "start_timestamp" in block and "stop_timestamp" not in block
    stop = None if unstopped else {"type": "content_block_stop", "stop_timestamp": block.get("stop_timestamp") or now_micro(), **keys}
    return _Plan(index, start, deltas, stop, parts, streams_input(block))


def _schedule(stream: Stream, plans: list[_Plan], content: list[dict[str, Any]], profile: str) -> None:
    def emit(event: dict[str, Any] | None, index: int, sent: int) -> None:
        if event is not None:
            stream.events.append(event)
            stream.marks.append((index, sent))

    position = 0
    while position < len(plans):
        plan = plans[position]
        following = plans[position + 1] if position + 1 < len(plans) else None
        if profile == "A" and plan.streamed_input and following is not None and content[following.index].get("type") == "text":
            # The mock server's order: the call opens, the text streams, then the call's JSON.
            emit(plan.start, plan.index, 0)
            emit(plan.deltas[0], plan.index, 1)
            emit(following.start, following.index, 0)
            for n, delta in enumerate(following.deltas, start=1):
                emit(delta, following.index, n)
            for n, delta in enumerate(plan.deltas[1:], start=2):
                emit(delta, plan.index, n)
            emit(plan.stop, plan.index, len(plan.deltas))
            emit(following.stop, following.index, len(following.deltas))
            position += 2
            continue
        emit(plan.start, plan.index, 0)
        for n, delta in enumerate(plan.deltas, start=1):
            emit(delta, plan.index, n)
        emit(plan.stop, plan.index, len(plan.deltas))
        position += 1


def _minimal(stream: Stream, envelope: dict[str, Any], content: list[dict[str, Any]], pieces: dict[int, list[str]], block_base: str) -> None:
    def emit(event: dict[str, Any], mark: tuple[int, int] | None = None) -> None:
        stream.events.append(event)
        stream.marks.append(mark)

    emit({"type": "message_start", "message": {"id": envelope.get("id"), "role": envelope.get("role", "assistant"), "content": []}})
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
            emit({"type": "content_block_synthetic", "block_id": f"{block_base}_{index}", "block": wire_block(block)}, (index, 0))
    emit({"type": "message_stop"})


def _with_pings(
    events: list[dict[str, Any]], marks: list[tuple[int, int] | None]
) -> tuple[list[dict[str, Any]], list[tuple[int, int] | None]]:
    out: list[dict[str, Any]] = []
    out_marks: list[tuple[int, int] | None] = []
    for position, (event, mark) in enumerate(zip(events, marks, strict=True)):
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
    """What ends a stream cut short (cancel): close the open blocks, then stop."""
    tail: list[dict[str, Any]] = []
    if shape == "full":
        opened: dict[Any, dict[str, Any]] = {}
        for event in sent:
            if event["type"] == "content_block_start":
                opened[event.get("index")] = {"index": event.get("index"), "block_id": event.get("block_id")}
            elif event["type"] == "content_block_stop":
                opened.pop(event.get("index"), None)
        for keys in opened.values():
            tail.append({"type": "content_block_stop", "stop_timestamp": now_micro(), **keys})
    # Even the minimal shape and profile A say why it stopped early.
    tail.append({"type": "message_delta", "delta": {"stop_reason": stop_reason}})
    tail.append({"type": "message_stop"})
    return tail
