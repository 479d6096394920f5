"""From a validated chat request to an answer, for every route that chats.

One-shot chat, project chat, thread interactions and ZylonGPT ``/messages`` all go
through here: :func:`engine_input` turns the request (plus a thread's history and the
artifacts in scope) into the engine's input, :func:`workspace_message` wraps the
engine's output the Workspace way, :func:`message_events` plans its SSE stream and
:func:`sse_response` writes one.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Optional

from starlette.responses import StreamingResponse

from .engine import EngineInput, EngineOutput, normalize_messages, text_of
from .errors import ApiError, error
from .options import EmulatorOptions
from .schemas import ChatRequest
from .sse import Stream, build_events, encode_all
from .state import EmulatorState, Hit

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
BATCH = 256  # events per write when there is no stream_delay

Search = Callable[[str, int], list[Hit]]
# What a request may search: (search, tool_search, list_files), see EngineInput.
Scope = tuple[Optional[Search], Optional[Search], Optional[Callable[[], list[str]]]]
NO_SCOPE: Scope = (None, None, None)


def workspace_scope(
    state: EmulatorState, project_id: str | None, artifact_ids: list[str] | None, all_artifacts: bool | None, field: str
) -> Scope:
    """What a Workspace request may search: the artifacts named in ``field`` (404 naming
    one that is not in the project), or with ``all_artifacts`` the whole project; built-in
    search tools search the project when nothing narrower is in scope."""
    if project_id is None:
        return NO_SCOPE
    if artifact_ids:
        for position, artifact_id in enumerate(artifact_ids):
            if artifact_id not in state.artifacts or state.artifacts[artifact_id].project_id != project_id:
                raise ApiError(
                    404,
                    f"artifact {artifact_id!r} not found in project {project_id!r}",
                    [error(f"{field}[{position}]", "no such artifact in this project")],
                )
    ids = list(artifact_ids) if artifact_ids else None

    def project_search(query: str, limit: int) -> list[Hit]:
        return state.search(query, collections=[project_id], limit=limit, positive_only=True)

    def scoped_search(query: str, limit: int) -> list[Hit]:
        return state.search(query, collections=[project_id], artifacts=ids, limit=limit, positive_only=True)

    def list_files() -> list[str]:
        return [str(a.data.get("name")) for a in state.project_artifacts(project_id) if a.data.get("type") not in ("Folder",)]

    search = scoped_search if (ids or all_artifacts) else None
    return search, (search or project_search), list_files


def engine_input(
    request: ChatRequest,
    history: list[dict[str, Any]],
    *,
    seed: str,
    scope: Scope = NO_SCOPE,
    in_thread: bool = False,
    turn: int | None = None,
) -> EngineInput:
    """The engine's input for ``request`` after ``history`` (a thread's earlier turns).

    System text comes from ``system.text`` and any system-role messages; ``turn``
    defaults to the number of user turns (tool results do not count).
    """
    wire = request.wire()
    new = wire.get("messages") or []
    system_parts = [request.system.text] if request.system and request.system.text else []
    for message in new:
        if message.get("role") == "system":
            system_parts.append(text_of(normalize_messages([message])[0]))
    messages = normalize_messages(history + [m for m in new if m.get("role") != "system"])
    if turn is None:
        turn = max(1, sum(1 for m in messages if m["role"] == "user" and any(b.get("type") != "tool_result" for b in m["content"])))
    citations = request.system.citations if request.system else None
    search, tool_search, list_files = scope
    return EngineInput(
        messages=messages,
        system=" ".join(p for p in system_parts if p),
        tools=wire.get("tools") or [],
        tool_choice=wire.get("tool_choice"),
        response_format=wire.get("response_format"),
        thinking=bool(request.thinking and request.thinking.enabled),
        citations=bool(citations and citations.enabled),
        max_tokens=request.max_tokens,
        search=search,
        tool_search=tool_search,
        list_files=list_files,
        turn=turn,
        in_thread=in_thread,
        id_seed=seed,
    )


def styled(options: EmulatorOptions, stop_reason: str) -> str:
    """The stop reason in the Workspace vocabulary the options ask for."""
    if options.stop_reason_style == "workspace" and stop_reason not in ("error", "cancelled"):
        return "stop"
    return stop_reason


def workspace_message(options: EmulatorOptions, message_id: str, output: EngineOutput) -> dict[str, Any]:
    return {
        "id": message_id,
        "role": "assistant",
        "created": int(time.time()),
        "model": options.model_name or "default",
        "stop_reason": styled(options, output.stop_reason),
        "content": output.content,
        "usage": output.usage,
    }


def envelope(message: dict[str, Any]) -> dict[str, Any]:
    """A message without what its stream delivers (content, usage, stop reason)."""
    return {k: v for k, v in message.items() if k not in ("content", "usage", "stop_reason")}


def message_events(
    options: EmulatorOptions, message: dict[str, Any], shape: str, pieces: dict[int, list[str]] | None = None
) -> Stream:
    """The stream of a finished ``message`` in ``shape`` (``full`` or ``minimal``)."""
    start = envelope(message)
    if "stop_sequence" in message:  # ZylonGPT: the stop reason comes in message_delta
        start["stop_reason"] = None
    return build_events(
        start,
        message.get("content") or [],
        message.get("stop_reason"),
        message.get("usage"),
        shape=shape,
        pieces=pieces,
        ping=options.ping,
    )


def sse_response(options: EmulatorOptions, events: list[dict[str, Any]]) -> StreamingResponse:
    """Write ``events``: in batches at once, or one by one ``stream_delay`` apart."""
    delay = options.stream_delay

    async def body() -> Any:
        if delay <= 0:
            for start in range(0, len(events), BATCH):
                yield encode_all(events[start : start + BATCH])
            return
        for position, event in enumerate(events):
            yield encode_all([event])
            if position + 1 < len(events):
                await asyncio.sleep(delay)

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)
