"""Interactions: one answered turn, stored, readable and streamable by id.

Thread interactions and (option ``project_chat_shape="interaction"``) project chats both
make one. Without ``pgpt.stream`` (and without the ``always_processing`` option) the
answer is computed at once and the interaction is created ``Completed``. Otherwise it is
created ``Processing`` with its answer pending, and ``GET /interaction/{id}/stream``
delivers it; the interaction becomes ``Completed`` just before the stream's last events
are written. Cancelling a ``Processing`` interaction answers 204 once it is stored
``Completed`` with ``stop_reason: "cancelled"``: a running stream stops at its next event
(closing the open block, then ``message_delta`` with that stop reason and
``message_stop``) and the partial answer it wrote is stored; with no stream running, what
earlier streams wrote (often nothing) is stored. Cancelling a finished interaction is a
409. A stream of a finished interaction replays its answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator

from starlette.responses import Response, StreamingResponse

from .answers import (
    BATCH,
    SSE_HEADERS,
    Scope,
    engine_input,
    envelope,
    message_events,
    runtime_problem,
    sse_response,
    workspace_message,
)
from .context import Context
from .engine import block_words, generate, normalize_messages
from .errors import gpt_runtime, workspace_error
from .gpt_schemas import ChatBody
from .options import EmulatorOptions
from .sse import Stream, closing_events, encode_all
from .state import InteractionRecord, now_iso


def create(
    ctx: Context,
    *,
    project_id: str,
    thread_id: str | None,
    request: ChatBody,
    raw: dict[str, Any],
    scope: Scope,
    artifact_ids: list[str] | None,
    all_artifacts: bool | None,
) -> InteractionRecord:
    """Answer ``request`` (after the thread's history, if any) and store the interaction."""
    problem = runtime_problem(request, ctx.options)
    if problem is not None:
        raise gpt_runtime(problem.explanation, exception=problem.exception)
    state = ctx.state
    record_id = state.new_id("inter")
    message_id = state.new_id("msg")
    history = state.thread_history(thread_id) if thread_id else []
    turn = len(state.threads[thread_id].interactions) + 1 if thread_id else None
    output = generate(
        engine_input(request, raw, history, seed=message_id, options=ctx.options, scope=scope, in_thread=thread_id is not None, turn=turn)
    )
    wire_messages = raw.get("messages") or []
    turn_messages = [m for m in wire_messages if m.get("role") != "system"] or wire_messages
    record = InteractionRecord(
        id=record_id,
        thread_id=thread_id,
        project_id=project_id,
        created_at=now_iso(),
        messages=normalize_messages(wire_messages),
        user_input=normalize_messages([turn_messages[-1]])[0],
        artifact_ids=artifact_ids,
        all_artifacts=all_artifacts,
    )
    message = workspace_message(ctx.options, message_id, output)
    if request.stream or ctx.options.always_processing:
        record.pending_output = message
        record.pending_pieces = output.pieces
    else:
        record.state = "Completed"
        record.assistant_output = message
    state.interactions[record.id] = record
    if thread_id:
        state.threads[thread_id].interactions.append(record.id)
    return record


def pending_stream(options: EmulatorOptions, record: InteractionRecord) -> Stream:
    """The stream of the answer a ``Processing`` interaction has pending (the same every
    time, so several streams and a cancel agree on what event N carries)."""
    return message_events(options, record.pending_output or {}, options.stream_shape, record.pending_pieces)


def finish_cancelled(record: InteractionRecord, stream: Stream, sent: int) -> None:
    """Store what the first ``sent`` events of ``stream`` delivered as the cancelled answer."""
    if record.state != "Processing":
        return
    pending = record.pending_output or {}
    content = stream.content_sent(sent)
    usage = dict(pending.get("usage") or {})
    usage["output_tokens"] = sum(block_words(b) for b in content)
    record.assistant_output = {**envelope(pending), "stop_reason": "cancelled", "content": content, "usage": usage}
    record.pending_output = None
    record.state = "Completed"


def finish_completed(record: InteractionRecord) -> None:
    if record.state == "Processing" and record.pending_output is not None:
        record.assistant_output = record.pending_output
        record.pending_output = None
        record.state = "Completed"


async def cancel(ctx: Context, record: InteractionRecord) -> Any:
    if record.state != "Processing":
        raise workspace_error(409, f"interaction {record.id!r} is already {record.state}: nothing to cancel")
    record.cancel_requested = True
    if record.streams > 0:
        # A running stream stops at its next event and stores the partial answer.
        # Wait for it, so that once this answers the interaction reads Completed; a
        # stream whose client went away may never get there: then finish it here.
        deadline = time.monotonic() + ctx.options.stream_delay + 0.5
        while record.state == "Processing" and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
    if record.state == "Processing":
        finish_cancelled(record, pending_stream(ctx.options, record), record.sent_count)
    return Response(status_code=204)


async def stream(ctx: Context, record: InteractionRecord) -> Any:
    options = ctx.options
    shape = options.stream_shape
    if record.state != "Processing":
        replay = message_events(options, record.assistant_output or {"id": record.id, "content": []}, shape)
        return sse_response(options, replay.events)
    planned = pending_stream(options, record)
    events = planned.events
    delay = options.stream_delay

    async def body() -> AsyncIterator[bytes]:
        record.streams += 1
        sent: list[dict[str, Any]] = []
        try:
            position = 0
            while position < len(events):
                if record.cancel_requested:
                    tail = closing_events(sent, "cancelled", shape)
                    finish_cancelled(record, planned, len(sent))
                    yield encode_all(tail)
                    return
                step = events[position : position + (1 if delay > 0 else BATCH)]
                position += len(step)
                if position >= len(events):
                    finish_completed(record)  # before the client can read message_stop
                sent.extend(step)
                record.sent_count = max(record.sent_count, len(sent))
                yield encode_all(step)
                if delay > 0 and position < len(events):
                    await asyncio.sleep(delay)
        finally:
            record.streams -= 1

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)
