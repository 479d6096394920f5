"""One turn's request, built once for both adapters.

An adapter translates its framework's messages into ``(system_text, messages)`` and its
tools into wire dicts; :func:`build_turn` does the rest: per-call values over the
configured ones, the route, sampling and system options, tools, ``tool_choice``,
``response_format`` and the pass-through request fields, every check made before any
request is sent.

The API (``configured["api"]``: ``"workspace"`` or ``"gpt"``) decides what else goes:
ZylonGPT (``/api/gpt/v1/messages``) also gets ``model``, ``stop_sequences`` and
``output_config.effort``; the Workspace has none of them (``effort`` there is a
``ConfigurationError``; its stop sequences are only cut by the client).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from ._checks import check_sampling, check_tool_blocks
from ._citations import with_sources_extension
from ._tools import builtin_tool_names, client_tool_names
from ._turns import ROUTE_FIELDS, Route, check_api
from .errors import ConfigurationError
from .models import (
    EFFORT_LEVELS,
    ChatRequest,
    Citations,
    MessageInput,
    OutputConfig,
    ResponseFormat,
    System,
    Thinking,
    Tool,
    ToolChoice,
    check_input_blocks,
)

SAMPLING_FIELDS = ("temperature", "max_tokens", "top_p", "top_k", "seed")
OPTION_FIELDS = ("thinking", "citations", "use_default_prompt", "effort", "tool_context")
# ChatRequest fields with no dedicated option, sent as they are.
PASSTHROUGH_FIELDS = (
    "min_p",
    "repetition_penalty",
    "presence_penalty",
    "frequency_penalty",
    "priority",
    "correlation_id",
    "mcp_servers",
    "tool_context",
)
# Configured on the chat model and overridable per call.
TURN_FIELDS = (*ROUTE_FIELDS, *SAMPLING_FIELDS, *OPTION_FIELDS, "stop")
# tool_context items (gpt.oas ChatBody.tool_context).
TOOL_CONTEXT_TYPES = ("ingested_artifact", "sql_database", "text", "file", "uri")


@dataclass(frozen=True)
class Turn:
    """Everything one call needs, checked: where it goes, what is sent, the stop
    sequences the client applies, and which tools the caller runs itself."""

    route: Route
    request: ChatRequest
    stop: tuple[str, ...]
    client_tools: frozenset[str]
    server_tools: frozenset[str]

    @property
    def rich(self) -> bool:
        """Whether the answer will carry more than text (tools, thinking, citations)."""
        request = self.request
        return (
            bool(request.tools)
            or bool(request.thinking and request.thinking.enabled)
            or bool(request.output_config and request.output_config.effort)
            or bool(request.system and request.system.citations and request.system.citations.enabled)
        )


def check_call_arguments(kwargs: Mapping[str, Any], allowed: Iterable[str], owner: str) -> None:
    """A ``TypeError`` naming every per-call argument ``owner`` does not take."""
    allowed = tuple(allowed)
    unknown = set(kwargs) - set(allowed)
    if unknown:
        raise TypeError(
            f"{owner} got unexpected call argument(s) {', '.join(sorted(unknown))}; "
            f"per-call arguments are: {', '.join(allowed)}"
        )


def stop_sequences(stop: str | Sequence[str] | None) -> tuple[str, ...]:
    """Stop sequences as a tuple: one string is ONE sequence, not its characters."""
    if stop is None:
        return ()
    if isinstance(stop, str):
        return (stop,)
    if not all(isinstance(s, str) for s in stop):
        raise ValueError(f"stop must be a string or a list of strings, got {stop!r}")
    return tuple(stop)


def check_tool_context(value: Any) -> list[dict[str, Any]] | None:
    """``tool_context``: a list of items ``{"type": "ingested_artifact" | "sql_database" |
    "text" | "file" | "uri", ...}`` (None: unset); anything else is a ``ValueError``."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = [value]
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"tool_context must be a list of context items ({{'type': ..., ...}}), got {value!r:.80}")
    items = []
    for position, item in enumerate(value):
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind not in TOOL_CONTEXT_TYPES:
            raise ValueError(
                f"tool_context[{position}] must be an object whose 'type' is one of {', '.join(TOOL_CONTEXT_TYPES)}, "
                f"got {item!r:.80}"
            )
        items.append(dict(item))
    return items


def check_effort(effort: Any, api: str) -> str:
    """An ``effort`` level (``ValueError`` if unknown) on ZylonGPT (``ConfigurationError``
    on the Workspace, which has no ``output_config``)."""
    if effort not in EFFORT_LEVELS:
        raise ValueError(f"effort must be one of {', '.join(EFFORT_LEVELS)}, got {effort!r}")
    if api != "gpt":
        raise ConfigurationError(
            "effort is ZylonGPT's output_config.effort: it needs api='gpt' (the Workspace chat has no such "
            "field); use thinking=True there"
        )
    return effort


def check_configuration(configured: Mapping[str, Any]) -> None:
    """What a chat model's configuration alone gets wrong, raised by its constructor
    (``ConfigurationError``): with ``api="gpt"`` a Workspace-only routing field, on the
    Workspace an ``effort``. (Other routing mistakes surface at the first call, as
    per-call values may still change the route.)"""
    api = check_api(configured.get("api") or "workspace")
    if api == "gpt":
        Route.for_call(configured, {})
    if configured.get("effort") is not None:
        check_effort(configured["effort"], api)


def build_turn(
    system_text: str | None,
    messages: list[MessageInput],
    *,
    configured: Mapping[str, Any],
    per_call: Mapping[str, Any],
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: Mapping[str, Any] | None = None,
    response_format: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Turn:
    """The :class:`Turn` for one call.

    ``configured``: the chat model's values of :data:`TURN_FIELDS` (and
    :data:`PASSTHROUGH_FIELDS`), its ``api`` and ``model``; ``per_call``: the call's,
    which win (``model`` too; the API is not chosen per call). ``tools``,
    ``tool_choice`` and ``response_format`` are already in wire form; ``extra`` holds
    configured pass-through request fields. Citations or a bound built-in tool ask for
    the sources (``system.extensions: ["zylon"]``). Raises ``ValueError`` (no message to
    send, out-of-range sampling (``temperature`` and ``top_p`` within 0..1), a bad stop,
    an unknown ``effort``, a malformed ``tool_context``, a tool id outside
    ``^[a-zA-Z0-9_-]+$``, a ``tool_result`` answering no earlier ``tool_use``, an input
    block the API does not take) or ``ConfigurationError`` (routing; ``effort`` on the
    Workspace) before any request.
    """
    if not messages:
        raise ValueError("no user message to send: pass at least one user message (system messages alone are not a turn)")

    def pick(name: str) -> Any:
        return per_call[name] if name in per_call else configured.get(name)

    api = check_api(configured.get("api") or "workspace")
    fields: dict[str, Any] = {"messages": messages}
    for name in SAMPLING_FIELDS:
        if pick(name) is not None:
            fields[name] = pick(name)
    for name in PASSTHROUGH_FIELDS:
        value = per_call[name] if name in per_call else configured.get(name) if name in OPTION_FIELDS else None
        if value is None:
            value = (extra or {}).get(name)
        if value is not None:
            fields[name] = value
    for name, value in (extra or {}).items():
        fields.setdefault(name, value)
    check_sampling(fields)
    if "tool_context" in fields:
        fields["tool_context"] = check_tool_context(fields["tool_context"])
    stops = stop_sequences(pick("stop"))
    effort = pick("effort")
    if effort is not None:
        fields["output_config"] = OutputConfig(effort=check_effort(effort, api))
    if api == "gpt":
        fields["model"] = pick("model")
        if stops:  # the server's own cut; the client cuts too (no capture shows the server's)
            fields["stop_sequences"] = list(stops)

    system: dict[str, Any] = {}
    if system_text:
        system["text"] = system_text
    if pick("use_default_prompt") is not None:
        system["use_default_prompt"] = pick("use_default_prompt")
    if pick("citations") is not None:
        system["citations"] = Citations(enabled=bool(pick("citations")))
    if system:
        fields["system"] = System(**system)
    if pick("thinking") is not None:
        fields["thinking"] = Thinking(enabled=bool(pick("thinking")))
    if tools:
        fields["tools"] = [Tool.model_validate(dict(t)) for t in tools]
    if tool_choice:
        fields["tool_choice"] = ToolChoice.model_validate(dict(tool_choice))
    if response_format:
        fields["response_format"] = ResponseFormat.model_validate(dict(response_format))

    route = Route.for_call(configured, per_call)
    check_tool_blocks(messages, history_on_server=route.thread_id is not None)
    # What this API takes as input (no ``file`` block: binary on the Workspace, document on ZylonGPT).
    check_input_blocks(messages, api)
    server_tools = builtin_tool_names(tools)
    # Citations and built-in searches point into sources, which come only with the zylon extension.
    request = with_sources_extension(ChatRequest(**fields), searches=bool(server_tools))
    return Turn(
        route=route,
        request=request,
        stop=stops,
        client_tools=client_tool_names(tools),
        server_tools=server_tools,
    )
