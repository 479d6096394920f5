"""Workspace threads and their interactions (how an interaction lives, streams and is
cancelled: :mod:`..interactions`).

Current paths (Zylon 1.50 and later): ``POST``/``GET /project/{project_id}/thread``,
``GET``/``PUT``/``DELETE /thread/{thread_id}``, ``POST``/``GET
/thread/{thread_id}/interaction``, ``GET``/``DELETE /interaction/{interaction_id}``,
``POST .../cancel`` and ``GET .../stream``.

Legacy paths (option ``paths="legacy"``, the ``history/`` documents of 2025): everything
under ``/project/{project_id}/``: ``thread/{thread_id}``, ``interaction`` (create with
``thread_id`` in the body, list with ``?threadId=``), ``interaction/{interaction_id}``
(+ ``/cancel``, ``/stream``); the current paths are then 404 and ``created_at`` is a
number. ``paths="both"`` serves both sets.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from .. import interactions
from ..answers import workspace_scope
from ..context import WORKSPACE, Context, Endpoint
from ..errors import error, invalid, not_found
from ..schemas import CreateInteractionDTO, CreateThreadDTO, UpdateThreadDTO
from ..state import InteractionRecord, Thread, now_iso
from ..validation import parse_body, parse_chat

# -- threads ------------------------------------------------------------------------------------


def _thread(ctx: Context) -> Thread:
    thread = ctx.thread(ctx.param("thread_id"))
    if "project_id" in ctx.request.path_params and thread.project_id != ctx.param("project_id"):
        raise not_found("thread", thread.id)
    return thread


def _interaction(ctx: Context) -> InteractionRecord:
    record = ctx.interaction(ctx.param("interaction_id"))
    if "project_id" in ctx.request.path_params and record.project_id != ctx.param("project_id"):
        raise not_found("interaction", record.id)
    return record


async def create_thread(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    dto = parse_body(CreateThreadDTO, ctx.body)
    thread = Thread(ctx.state.new_id("thread"), project.id, dto.name, dto.visibility, now_iso())
    ctx.state.threads[thread.id] = thread
    return thread.to_json(numeric_dates=ctx.numeric_dates)


async def list_threads(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    threads = [t for t in ctx.state.threads.values() if t.project_id == project.id]
    return ctx.page(threads, lambda t: t.to_json(numeric_dates=ctx.numeric_dates))


async def get_thread(ctx: Context) -> Any:
    return _thread(ctx).to_json(numeric_dates=ctx.numeric_dates)


async def update_thread(ctx: Context) -> Any:
    thread = _thread(ctx)
    dto = parse_body(UpdateThreadDTO, ctx.body)
    if dto.name is not None:
        thread.name = dto.name
    if dto.visibility is not None:
        thread.visibility = dto.visibility
    return thread.to_json(numeric_dates=ctx.numeric_dates)


async def delete_thread(ctx: Context) -> Any:
    thread = _thread(ctx)
    ctx.state.delete_thread(thread.id)
    return thread.to_json(state="Deleted", numeric_dates=ctx.numeric_dates)


# -- interactions ----------------------------------------------------------------------------


async def _create(ctx: Context, thread: Thread) -> Any:
    dto = parse_body(CreateInteractionDTO, ctx.body)
    if dto.pgpt is None:
        raise invalid([error("pgpt", "required: the chat request of this turn")])
    if dto.thread_id is not None and dto.thread_id != thread.id:
        raise invalid([error("thread_id", f"{dto.thread_id!r} does not match the thread in the path ({thread.id!r})")])
    request = parse_chat(dto.pgpt, ctx.state.thread_history(thread.id))
    scope = workspace_scope(ctx.state, thread.project_id, dto.artifact_ids, dto.all_artifacts)
    record = interactions.create(
        ctx,
        project_id=thread.project_id,
        thread_id=thread.id,
        request=request,
        raw=dto.pgpt,
        scope=scope,
        artifact_ids=dto.artifact_ids,
        all_artifacts=dto.all_artifacts,
    )
    return JSONResponse(record.to_json(numeric_dates=ctx.numeric_dates), status_code=201)


async def create_interaction(ctx: Context) -> Any:
    return await _create(ctx, _thread(ctx))


async def create_legacy_interaction(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    thread_id = ctx.body.get("thread_id") if isinstance(ctx.body, dict) else None
    if not thread_id:
        raise invalid([error("thread_id", "required: the thread this turn belongs to")])
    thread = ctx.thread(str(thread_id))
    if thread.project_id != project.id:
        raise not_found("thread", thread.id)
    return await _create(ctx, thread)


def _records(ctx: Context, thread: Thread) -> Any:
    records = [ctx.state.interactions[i] for i in thread.interactions if i in ctx.state.interactions]
    return ctx.page(records, lambda r: r.to_json(numeric_dates=ctx.numeric_dates))


async def list_interactions(ctx: Context) -> Any:
    return _records(ctx, _thread(ctx))


async def list_legacy_interactions(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    thread_id = ctx.query("threadId") or ctx.query("thread_id")
    if not thread_id:
        raise invalid([error("threadId", "required: the thread whose interactions to list")])
    thread = ctx.thread(thread_id)
    if thread.project_id != project.id:
        raise not_found("thread", thread.id)
    return _records(ctx, thread)


async def get_interaction(ctx: Context) -> Any:
    return _interaction(ctx).to_json(numeric_dates=ctx.numeric_dates)


async def delete_interaction(ctx: Context) -> Any:
    record = _interaction(ctx)
    record.cancel_requested = True  # a running stream stops
    ctx.state.delete_interaction(record.id)
    return record.to_json(numeric_dates=ctx.numeric_dates)


async def cancel_interaction(ctx: Context) -> Any:
    return await interactions.cancel(ctx, _interaction(ctx))


async def stream_interaction(ctx: Context) -> Any:
    return await interactions.stream(ctx, _interaction(ctx))


def routes(paths: str) -> list[Endpoint]:
    project = f"{WORKSPACE}/project/{{project_id}}"
    out = [
        Endpoint(f"{project}/thread", ["POST"], create_thread, "workspace"),
        Endpoint(f"{project}/thread", ["GET"], list_threads, "workspace"),
    ]
    if paths in ("current", "both"):
        out += [
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
    if paths in ("legacy", "both"):
        out += [
            Endpoint(f"{project}/thread/{{thread_id}}", ["GET"], get_thread, "workspace"),
            Endpoint(f"{project}/thread/{{thread_id}}", ["PUT"], update_thread, "workspace"),
            Endpoint(f"{project}/thread/{{thread_id}}", ["DELETE"], delete_thread, "workspace"),
            Endpoint(f"{project}/interaction", ["POST"], create_legacy_interaction, "workspace"),
            Endpoint(f"{project}/interaction", ["GET"], list_legacy_interactions, "workspace"),
            Endpoint(f"{project}/interaction/{{interaction_id}}", ["GET"], get_interaction, "workspace"),
            Endpoint(f"{project}/interaction/{{interaction_id}}", ["DELETE"], delete_interaction, "workspace"),
            Endpoint(f"{project}/interaction/{{interaction_id}}/cancel", ["POST"], cancel_interaction, "workspace"),
            Endpoint(f"{project}/interaction/{{interaction_id}}/stream", ["GET"], stream_interaction, "workspace"),
        ]
    return out
