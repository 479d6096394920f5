"""Workspace one-shot chat: ``POST /chat``, ``POST /chat/validate`` and
``POST /project/{project_id}/chat``.

``/chat`` answers the engine's answer as a Workspace message (``id``, ``role``,
``created``, ``model``, ``stop_reason``, ``content``, ``usage``), or with ``stream: true``
its SSE stream in the ``stream_shape`` the options ask for. Its body is a ZylonGPT chat
request, which the Workspace forwards: its problems get ZylonGPT's 400 envelope.

``/chat/validate`` answers ``204 No Content`` for a valid request (chat.mdx) and the 400
envelope otherwise.

Built-in search tools on ``/chat`` search what their ``context`` (or the request's
``tool_context``) names, as ZylonGPT does with the forwarded body.

Project chat takes ``{all_artifacts, artifact_ids, pgpt}`` and answers, by default, the
documented interaction (``{"id": "inter_...", "state": "Completed", "assistant_output":
...}``; ``Processing`` with ``pgpt.stream`` or ``always_processing``, its answer then read
through ``/interaction/{id}/stream`` or ``/interaction/{id}``). The option
``project_chat_shape`` gives a bare message (``"message"``) or, with ``pgpt.stream``, the
SSE stream (``"sse"``) instead. Nothing but the interaction is stored.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from .. import interactions
from ..answers import (
    Scope,
    engine_input,
    gpt_scope,
    message_events,
    problem_stream,
    runtime_problem,
    sse_response,
    workspace_message,
    workspace_scope,
)
from ..context import WORKSPACE, Context, Endpoint
from ..engine import generate
from ..errors import gpt_runtime
from ..gpt_schemas import ChatBody
from ..schemas import ProjectChatDTO
from ..validation import parse_body, parse_chat


def answer(ctx: Context, request: ChatBody, raw: dict[str, Any], scope: Scope, stream: bool) -> Any:
    message_id = ctx.state.new_id("msg")
    problem = runtime_problem(request, ctx.options)
    if problem is not None:
        if stream and ctx.options.stream_shape == "full":
            head = {"id": message_id, "role": "assistant", "model": ctx.options.model_name or "default"}
            return sse_response(ctx.options, problem_stream(problem, head))
        raise gpt_runtime(problem.explanation, exception=problem.exception)
    output = generate(engine_input(request, raw, [], seed=message_id, options=ctx.options, scope=scope))
    message = workspace_message(ctx.options, message_id, output)
    if stream:
        return sse_response(ctx.options, message_events(ctx.options, message, ctx.options.stream_shape, output.pieces).events)
    return message


async def chat(ctx: Context) -> Any:
    request = parse_chat(ctx.body)
    # The Workspace forwards the body to ZylonGPT: built-in tools search what their
    # ``context`` (or the request's ``tool_context``) names, as on /api/gpt/v1/messages.
    return answer(ctx, request, ctx.body, gpt_scope(ctx.state, request), request.stream)


async def chat_validate(ctx: Context) -> Any:
    request = parse_chat(ctx.body)
    problem = runtime_problem(request, ctx.options)
    if problem is not None:
        raise gpt_runtime(problem.explanation, exception=problem.exception)
    return Response(status_code=204)


async def project_chat(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    dto = parse_body(ProjectChatDTO, ctx.body)
    request = parse_chat(dto.pgpt)
    scope = workspace_scope(ctx.state, project.id, dto.artifact_ids, dto.all_artifacts)
    shape = ctx.options.project_chat_shape
    if shape == "message":
        return answer(ctx, request, dto.pgpt, scope, stream=False)
    if shape == "sse":
        return answer(ctx, request, dto.pgpt, scope, stream=request.stream)
    record = interactions.create(
        ctx,
        project_id=project.id,
        thread_id=None,
        request=request,
        raw=dto.pgpt,
        scope=scope,
        artifact_ids=dto.artifact_ids,
        all_artifacts=dto.all_artifacts,
    )
    return JSONResponse(record.to_json(numeric_dates=ctx.numeric_dates))


ROUTES = [
    Endpoint(f"{WORKSPACE}/chat", ["POST"], chat, "workspace"),
    Endpoint(f"{WORKSPACE}/chat/validate", ["POST"], chat_validate, "workspace"),
    Endpoint(f"{WORKSPACE}/project/{{project_id}}/chat", ["POST"], project_chat, "workspace"),
]
