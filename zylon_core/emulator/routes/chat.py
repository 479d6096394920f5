"""Workspace one-shot chat: ``POST /chat``, ``POST /chat/validate`` and
``POST /project/{project_id}/chat`` (the same answer, with the project's artifacts in
scope through ``artifact_ids`` / ``all_artifacts``).

The answer is the engine's, as a Workspace message (``id``, ``role``, ``created``,
``model``, ``stop_reason``, ``content``, ``usage``), or with ``stream: true`` its SSE
stream in the ``stream_shape`` the options ask for. Nothing is stored.
"""

from __future__ import annotations

from typing import Any

from ..answers import NO_SCOPE, Scope, engine_input, message_events, sse_response, workspace_message, workspace_scope
from ..context import WORKSPACE, Context, Endpoint
from ..engine import generate
from ..errors import invalid
from ..schemas import ChatRequest, ProjectChatDTO
from ..validation import check_chat, parse_body, parse_chat, validation_report


def answer(ctx: Context, request: ChatRequest, scope: Scope) -> Any:
    message_id = ctx.state.new_id("msg")
    output = generate(engine_input(request, [], seed=message_id, scope=scope))
    message = workspace_message(ctx.options, message_id, output)
    if request.stream:
        return sse_response(ctx.options, message_events(ctx.options, message, ctx.options.stream_shape, output.pieces).events)
    return message


async def chat(ctx: Context) -> Any:
    return answer(ctx, parse_chat(ctx.body), NO_SCOPE)


async def chat_validate(ctx: Context) -> Any:
    # Always 200: the verdict is in the body ({"valid", "errors"}).
    return validation_report(ctx.body, parse_chat)


async def project_chat(ctx: Context) -> Any:
    project = ctx.project(ctx.param("project_id"))
    dto = parse_body(ProjectChatDTO, ctx.body, chat_at="pgpt")
    errors = check_chat(dto.pgpt, "pgpt")
    if errors:
        raise invalid(errors)
    scope = workspace_scope(ctx.state, project.id, dto.artifact_ids, dto.all_artifacts, "artifact_ids")
    return answer(ctx, dto.pgpt, scope)


ROUTES = [
    Endpoint(f"{WORKSPACE}/chat", ["POST"], chat, "workspace"),
    Endpoint(f"{WORKSPACE}/chat/validate", ["POST"], chat_validate, "workspace"),
    Endpoint(f"{WORKSPACE}/project/{{project_id}}/chat", ["POST"], project_chat, "workspace"),
]
