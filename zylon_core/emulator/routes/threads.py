"""Workspace threads and their interactions: ``POST``/``GET /project/{project_id}/thread``,
``GET``/``PUT``/``DELETE /thread/{thread_id}``, ``POST``/``GET
/thread/{thread_id}/interaction``, ``GET``/``DELETE /interaction/{interaction_id}``,
``POST /interaction/{interaction_id}/cancel`` and ``GET /interaction/{interaction_id}/stream``.

An interaction is one turn: its ``pgpt`` chat request is answered after the thread's
earlier turns (the history the server keeps). Without ``pgpt.stream`` (and without the
``always_processing`` option) the answer is computed at once and the interaction is
created ``Completed``. Otherwise it is created ``Processing`` with its answer pending,
and the stream route delivers it; the interaction becomes ``Completed`` just before the
stream's last events are written. Cancelling a ``Processing`` interaction answers 204
once it is stored ``Completed`` with ``stop_reason: "cancelled"``: a running stream
stops at its next event (closing the open block, then ``message_delta`` with that stop
reason and ``message_stop``) and the partial answer it wrote is stored; with no stream
running, what earlier streams wrote (often nothing) is stored. Cancelling a finished
interaction is a 409. A stream of a finished interaction replays its answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from ..answers import BATCH, SSE_HEADERS, engine_input, envelope, message_events, sse_response, workspace_message, workspace_scope
from ..context import WORKSPACE, Context, Endpoint
from ..engine import block_words, generate, normalize_messages
from ..errors import ApiError, error, invalid
from ..options import EmulatorOptions
from ..schemas import CreateInteractionDTO, CreateThreadDTO, UpdateThreadDTO
from ..sse import Stream, closing_events, encode_all
from ..state import InteractionRecord, Thread, now_iso
from ..validation import check_chat, parse_body

# -- threads ------------------------------------------------------------------------------------


async def create_thread(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    dto = parse_body(CreateThreadDTO, ctx.body)
    thread = Thread(ctx.state.new_id("thread"), project.id, dto.name, dto.visibility, now_iso())
    ctx.state.threads[thread.id] = thread
    return thread.to_json()


async def list_threads(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    threads = [t for t in ctx.state.threads.values() if t.project_id == project.id]
    if (ctx.query("page_order") or "ASC").upper() == "DESC":
        threads.reverse()
    return ctx.page(threads, lambda t: t.to_json())


async def get_thread(ctx: Context) -> Any:
    return ctx.thread(ctx.param("thread_id")).to_json()


async def update_thread(ctx: Context) -> Any:
    thread = ctx.thread(ctx.param("thread_id"))
    dto = parse_body(UpdateThreadDTO, ctx.body)
    if dto.name is not None:
        thread.name = dto.name
    if dto.visibility is not None:
        thread.visibility = dto.visibility
    return thread.to_json()


async def delete_thread(ctx: Context) -> Any:
    thread = ctx.thread(ctx.param("thread_id"))
    ctx.state.delete_thread(thread.id)
    return thread.to_json(state="Deleted")


# -- interactions ----------------------------------------------------------------------------


async def create_interaction(ctx: Context) -> Any:
    thread = ctx.thread(ctx.param("thread_id"))
    dto = parse_body(CreateInteractionDTO, ctx.body, chat_at="pgpt")
    if dto.pgpt is None:
        raise invalid([error("pgpt", "required: the chat request of this turn")])
    errors = check_chat(dto.pgpt, "pgpt")
    if dto.thread_id is not None and dto.thread_id != thread.id:
        errors.append(error("thread_id", f"{dto.thread_id!r} does not match the thread in the path ({thread.id!r})"))
    if errors:
        raise invalid(errors)
    scope = workspace_scope(ctx.state, thread.project_id, dto.artifact_ids, dto.all_artifacts, "artifact_ids")
    record_id = ctx.state.new_id("inter")
    message_id = ctx.state.new_id("msg")
    history = ctx.state.thread_history(thread.id)
    request = dto.pgpt
    turn = len(thread.interactions) + 1
    output = generate(engine_input(request, history, seed=message_id, scope=scope, in_thread=True, turn=turn))
    wire_messages = request.wire().get("messages") or []
    turn_messages = [m for m in wire_messages if m.get("role") != "system"] or wire_messages
    record = InteractionRecord(
        id=record_id,
        thread_id=thread.id,
        project_id=thread.project_id,
        created_at=now_iso(),
        messages=normalize_messages(wire_messages),
        user_input=normalize_messages([turn_messages[-1]])[0],
        artifact_ids=dto.artifact_ids,
        all_artifacts=dto.all_artifacts,
    )
    message = workspace_message(ctx.options, message_id, output)
    if request.stream or ctx.options.always_processing:
        record.pending_output = message
        record.pending_pieces = output.pieces
    else:
        record.state = "Completed"
        record.assistant_output = message
    ctx.state.interactions[record.id] = record
    thread.interactions.append(record.id)
    return JSONResponse(record.to_json(), status_code=201)


async def list_interactions(ctx: Context) -> Any:
    thread = ctx.thread(ctx.param("thread_id"))
    records = [ctx.state.interactions[i] for i in thread.interactions if i in ctx.state.interactions]
    return ctx.page(records, lambda r: r.to_json())


async def get_interaction(ctx: Context) -> Any:
    return ctx.interaction(ctx.param("interaction_id")).to_json()


async def delete_interaction(ctx: Context) -> Any:
    record = ctx.interaction(ctx.param("interaction_id"))
    record.cancel_requested = True  # a running stream stops
    ctx.state.delete_interaction(record.id)
    return record.to_json()


# -- the pending answer: streaming and cancelling ---------------------------------------------


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
    usage["output_tokens"] = sum(block_words(b) for b in content if b.get("type") != "source")
    record.assistant_output = {**envelope(pending), "stop_reason": "cancelled", "content": content, "usage": usage}
    record.pending_output = None
    record.state = "Completed"


def finish_completed(record: InteractionRecord) -> None:
    if record.state == "Processing" and record.pending_output is not None:
        record.assistant_output = record.pending_output
        record.pending_output = None
        record.state = "Completed"


async def cancel_interaction(ctx: Context) -> Any:
    record = ctx.interaction(ctx.param("interaction_id"))
    if record.state != "Processing":
        raise ApiError(409, f"interaction {record.id!r} is already {record.state}: nothing to cancel")
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


async def stream_interaction(ctx: Context) -> Any:
    record = ctx.interaction(ctx.param("interaction_id"))
    options = ctx.options
    shape = options.stream_shape
    if record.state != "Processing":
        replay = message_events(options, record.assistant_output or {"id": record.id, "content": []}, shape)
        return sse_response(options, replay.events)
    stream = pending_stream(options, record)
    events = stream.events
    delay = options.stream_delay

    async def body() -> Any:
        record.streams += 1
        sent: list[dict[str, Any]] = []
        try:
            position = 0
            while position < len(events):
                if record.cancel_requested:
                    tail = closing_events(sent, "cancelled", shape)
                    finish_cancelled(record, stream, len(sent))
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


ROUTES = [
    Endpoint(f"{WORKSPACE}/project/{{project_id}}/thread", ["POST"], create_thread, "workspace"),
    Endpoint(f"{WORKSPACE}/project/{{project_id}}/thread", ["GET"], list_threads, "workspace"),
    Endpoint(f"{WORKSPACE}/thread/{{thread_id}}", ["GET"], get_thread, "workspace"),
    Endpoint(f"{WORKSPACE}/thread/{{thread_id}}", ["PUT"], update_thread, "workspace"),
    Endpoint(f"{WORKSPACE}/thread/{{thread_id}}", ["DELETE"], delete_thread, "workspace"),
    Endpoint(f"{WORKSPACE}/thread/{{thread_id}}/interaction", ["POST"], create_interaction, "workspace"),
    Endpoint(f"{WORKSPACE}/thread/{{thread_id}}/interaction", ["GET"], list_interactions, "workspace"),
    Endpoint(f"{WORKSPACE}/interaction/{{interaction_id}}", ["GET"], get_interaction, "workspace"),
    Endpoint(f"{WORKSPACE}/interaction/{{interaction_id}}", ["DELETE"], delete_interaction, "workspace"),
    Endpoint(f"{WORKSPACE}/interaction/{{interaction_id}}/cancel", ["POST"], cancel_interaction, "workspace"),
    Endpoint(f"{WORKSPACE}/interaction/{{interaction_id}}/stream", ["GET"], stream_interaction, "workspace"),
]
