"""From a validated chat request to an answer, for every route that chats.

One-shot chat, project chat, thread interactions and ZylonGPT ``/messages`` all go
through here: :func:`engine_input` turns the request (plus a thread's history and what
it may search) into the engine's input, :func:`runtime_problem` finds what the real
server refuses only once it runs (an unknown model, images or audio for a model without
them), :func:`gpt_message` / :func:`workspace_message` wrap the engine's output the
way each API answers, :func:`message_events` plans its SSE stream and
:func:`sse_response` writes one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Optional

from starlette.responses import StreamingResponse

from .engine import EngineInput, EngineOutput, normalize_messages, text_of
from .errors import not_found, stream_error_event
from .gpt_schemas import ChatBody
from .options import EmulatorOptions
from .server_tools import DOCUMENT_TOOL
from .sse import Stream, build_events, encode_all
from .state import EmulatorState, Hit, now_micro

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
BATCH = 256  # events per write when there is no stream_delay
DEFAULT_COLLECTION = "pgpt_collection"

Search = Callable[[str, int], list[Hit]]
# What a request may search: (search, tool_search, list_files), see EngineInput.
Scope = tuple[Optional[Search], Optional[Search], Optional[Callable[[], list[str]]]]
NO_SCOPE: Scope = (None, None, None)


def workspace_scope(
    state: EmulatorState, project_id: str | None, artifact_ids: list[str] | None, all_artifacts: bool | None
) -> Scope:
    """What a Workspace request may search: the artifacts it names (404 naming one that is
    not in the project), or with ``all_artifacts`` the whole project; built-in search tools
    search the project when nothing narrower is in scope."""
    if project_id is None:
        return NO_SCOPE
    for artifact_id in artifact_ids or ():
        if artifact_id not in state.artifacts or state.artifacts[artifact_id].project_id != project_id:
            raise not_found(f"artifact (in project {project_id!r})", artifact_id)
    ids = list(artifact_ids) if artifact_ids else None

    def project_search(query: str, limit: int) -> list[Hit]:
        return state.search(query, collections=[project_id], limit=limit, positive_only=True)

    def scoped_search(query: str, limit: int) -> list[Hit]:
        return state.search(query, collections=[project_id], artifacts=ids, limit=limit, positive_only=True)

    def list_files() -> list[str]:
        return [str(a.data.get("name")) for a in state.project_artifacts(project_id) if a.data.get("type") not in ("Folder",)]

    search = scoped_search if (ids or all_artifacts) else None
    return search, (search or project_search), list_files


def gpt_scope(state: EmulatorState, request: ChatBody) -> Scope:
    """What ZylonGPT's built-in search tools search: the ``ingested_artifact`` context
    filters of ``tool_context`` and of the tools' ``context`` (none: the tool fails, as it
    needs one)."""
    filters: list[dict[str, Any]] = []
    contexts = [c for t in request.tools or () for c in (t.context or [])]
    for item in list(request.tool_context or []) + contexts:
        if isinstance(item, dict) and item.get("type") == "ingested_artifact" and isinstance(item.get("context_filter"), dict):
            filters.append(item["context_filter"])
    if not filters:
        return NO_SCOPE

    def scoped(query: str, limit: int) -> list[Hit]:
        hits: list[Hit] = []
        for f in filters:
            hits.extend(
                state.search(
                    query,
                    collections=[f.get("collection") or DEFAULT_COLLECTION],
                    artifacts=f.get("artifacts"),
                    metadata_filter=f.get("metadata_filter"),
                    limit=limit,
                    positive_only=True,
                )
            )
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    return None, scoped, None


def engine_input(
    request: ChatBody,
    raw: dict[str, Any],
    history: list[dict[str, Any]],
    *,
    seed: str,
    options: EmulatorOptions,
    scope: Scope = NO_SCOPE,
    in_thread: bool = False,
    turn: int | None = None,
) -> EngineInput:
    """The engine's input for ``request`` (``raw``: its JSON) after ``history`` (a
    thread's earlier turns). System text comes from ``system`` and any system-role
    messages; ``turn`` defaults to the number of user turns (tool results do not count)."""
    new = raw.get("messages") or []
    system_parts = [request.system.text] if request.system and request.system.text else []
    for message in new:
        if message.get("role") == "system":
            system_parts.append(text_of(normalize_messages([message])[0]))
    messages = normalize_messages(history + [m for m in new if m.get("role") != "system"])
    if turn is None:
        turn = max(1, sum(1 for m in messages if m["role"] == "user" and any(b.get("type") != "tool_result" for b in m["content"])))
    search, tool_search, list_files = scope
    tools = [t.model_dump(by_alias=True, exclude_none=True) for t in request.tools or ()]
    return EngineInput(
        messages=messages,
        system=" ".join(p for p in system_parts if p),
        tools=tools,
        tool_choice=request.tool_choice.model_dump() if request.tool_choice else None,
        response_format=request.response_format.model_dump() if request.response_format else None,
        thinking=request.thinking_enabled,
        citations=request.citations_enabled,
        zylon=request.zylon_extension,
        max_tokens=request.max_tokens,
        stop_sequences=list(request.stop_sequences or ()),
        correlation_id=request.correlation_id,
        source_key=options.source_key,
        search=search,
        tool_search=tool_search,
        list_files=list_files,
        turn=turn,
        in_thread=in_thread,
        id_seed=seed,
    )


# -- what the real server refuses once it runs ---------------------------------------------------


@dataclass
class Problem:
    """A request the server accepted but cannot run: a 400 (``explanation`` as a string),
    or in a stream an ``error`` event (after ``message_start`` when ``after_start``)."""

    explanation: str
    exception: str
    stream_code: str
    after_start: bool


def _media(request: ChatBody, kind: str) -> bool:
    return any(
        getattr(block, "type", None) == kind for m in request.messages if not isinstance(m.content, str) for block in m.content
    )


def runtime_problem(request: ChatBody, options: EmulatorOptions) -> Problem | None:
    if request.model is not None and request.model not in ("default", *options.model_ids):
        text = f"Model '{request.model}' not found. Available: {options.models_available}"
        return Problem(text, "ValueError", "INVALID_REQUEST_ERROR", after_start=False)
    for kind, plural, allowed, code in (
        ("image", "images", options.image_input, "INVALID_REQUEST_IMAGE_SUPPORT_ERROR"),
        # No capture shows the audio stream code: assumed to follow the image one.
        ("audio", "audio", options.audio_input, "INVALID_REQUEST_AUDIO_SUPPORT_ERROR"),
    ):
        if not allowed and _media(request, kind):
            text = f"The LLM does not support {plural}, but the message contains {kind} blocks."
            return Problem(text, "InvalidRequest", code, after_start=True)
    return None


def problem_stream(problem: Problem, envelope: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a stream the server opened and then failed: no ``message_stop``."""
    error = stream_error_event(problem.explanation, exception=problem.exception, code=problem.stream_code)
    if not problem.after_start:
        return [error]
    start = {**envelope, "content": [], "usage": {"input_tokens": 0, "output_tokens": 0}}
    return [{"type": "message_start", "message": start}, error]


# -- answers --------------------------------------------------------------------------------------


def _searched(content: list[dict[str, Any]]) -> bool:
    """Whether the answer ran a search tool (not only document conversion)."""
    names = {b.get("id"): b.get("name") for b in content if b.get("type") == "server_tool_use"}
    return any(b.get("type") == "server_tool_result" and names.get(b.get("tool_use_id")) != DOCUMENT_TOOL for b in content)


def stamp(content: list[dict[str, Any]], gpt: bool) -> list[dict[str, Any]]:
    """The blocks with ``start_timestamp``/``stop_timestamp``; ZylonGPT also writes
    ``cache_control: null`` (and ``caller: null`` on tool calls). The last text of an
    answer that searched has no ``stop_timestamp``, as on the real server."""
    out = []
    searched = _searched(content)
    for position, block in enumerate(content):
        kind = block.get("type")
        rest = {k: v for k, v in block.items() if k != "type"}
        stamped: dict[str, Any] = {"type": kind, "start_timestamp": now_micro(), "stop_timestamp": now_micro()}
        if searched and kind == "text" and position == len(content) - 1:
            del stamped["stop_timestamp"]
        if gpt:
            stamped["cache_control"] = None
            if kind == "server_tool_result" and isinstance(rest.get("content"), list):
                rest["content"] = [{"type": b.get("type"), "cache_control": None, **b} if b.get("type") == "text" else b for b in rest["content"]]
        stamped.update(rest)
        if gpt and kind in ("tool_use", "server_tool_use"):
            stamped["caller"] = None
        out.append(stamped)
    return out


def gpt_usage(output: EngineOutput, options: EmulatorOptions) -> dict[str, Any]:
    counted = options.stream_profile == "C"
    return {
        "cache_creation": None,
        "cache_creation_input_tokens": None,
        "cache_read_input_tokens": None,
        "inference_geo": None,
        "input_tokens": output.usage["input_tokens"] if counted else None,
        "output_tokens": output.usage["output_tokens"] if counted else None,
        "output_tokens_details": None,
        "server_tool_use": None,
        "service_tier": None,
    }


def gpt_message(options: EmulatorOptions, message_id: str, output: EngineOutput) -> dict[str, Any]:
    """A ZylonGPT ``/messages`` answer, with every key the real one has."""
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "content": stamp(output.content, gpt=True),
        "model": options.gpt_model,
        "container": None,
        "stop_details": None,
        "stop_reason": output.stop_reason,
        "stop_sequence": output.stop_sequence,
        "usage": gpt_usage(output, options),
    }


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
        "content": stamp(output.content, gpt=False),
        "usage": dict(output.usage),
    }


_NOT_IN_START = ("content", "usage", "stop_reason", "stop_sequence", "container", "stop_details")


def envelope(message: dict[str, Any]) -> dict[str, Any]:
    """A message without what its stream delivers (content, usage, stop reason)."""
    return {k: v for k, v in message.items() if k not in _NOT_IN_START}


def message_events(options: EmulatorOptions, message: dict[str, Any], shape: str, pieces: dict[int, list[str]] | None = None) -> Stream:
    """The stream of a finished ``message`` in ``shape`` (``full`` or ``minimal``)."""
    usage = message.get("usage")
    return build_events(
        envelope(message),
        message.get("content") or [],
        message.get("stop_reason"),
        usage if isinstance(usage, dict) else None,
        shape=shape,
        profile=options.stream_profile,
        pieces=pieces,
        ping=options.ping,
        stop_sequence=message.get("stop_sequence"),
    )


def sse_response(options: EmulatorOptions, events: list[dict[str, Any]]) -> StreamingResponse:
    """Write ``events``: in batches at once, or one by one ``stream_delay`` apart."""
    delay = options.stream_delay

    async def body() -> AsyncIterator[bytes]:
        if delay <= 0:
            for start in range(0, len(events), BATCH):
                yield encode_all(events[start : start + BATCH])
            return
        for position, event in enumerate(events):
            yield encode_all([event])
            if position + 1 < len(events):
                await asyncio.sleep(delay)

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)
