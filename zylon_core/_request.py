"""One turn's request, built once for both adapters.

An adapter translates its framework's messages into ``(system_text, messages)`` and its
tools into wire dicts; :func:`build_turn` does the rest: per-call values over the
configured ones, the route, sampling and system options, tools, ``tool_choice``,
``response_format`` and the pass-through request fields, every check made before any
request is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from ._checks import check_sampling, check_tool_blocks
from ._tools import builtin_tool_names, client_tool_names
from ._turns import ROUTE_FIELDS, Route
from .models import ChatRequest, Citations, MessageInput, ResponseFormat, System, Thinking, Tool, ToolChoice, check_input_blocks

SAMPLING_FIELDS = ("temperature", "max_tokens", "top_p", "top_k", "seed")
OPTION_FIELDS = ("thinking", "citations", "use_default_prompt")
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
        return bool(request.tools) or bool(request.thinking and request.thinking.enabled) or bool(
            request.system and request.system.citations and request.system.citations.enabled
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
    :data:`PASSTHROUGH_FIELDS`); ``per_call``: the call's, which win. ``tools``,
    ``tool_choice`` and ``response_format`` are already in wire form; ``extra`` holds
    configured pass-through request fields. Raises ``ValueError`` (no message to send,
    out-of-range sampling (``temperature`` and ``top_p`` within 0..1), a bad stop, a
    tool id outside ``^[a-zA-Z0-9_-]+$``, a ``tool_result`` answering no earlier
    ``tool_use``) or ``ConfigurationError`` (routing) before any request.
    """
    if not messages:
        raise ValueError("no user message to send: pass at least one user message (system messages alone are not a turn)")

    def pick(name: str) -> Any:
        return per_call[name] if name in per_call else configured.get(name)

    fields: dict[str, Any] = {"messages": messages}
    for name in SAMPLING_FIELDS:
        if pick(name) is not None:
            fields[name] = pick(name)
    for name in PASSTHROUGH_FIELDS:
        value = per_call[name] if name in per_call else (extra or {}).get(name)
        if value is not None:
            fields[name] = value
    for name, value in (extra or {}).items():
        fields.setdefault(name, value)
    check_sampling(fields)

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
    check_input_blocks(messages, "workspace")
    return Turn(
        route=route,
        request=ChatRequest(**fields),
        stop=stop_sequences(pick("stop")),
        client_tools=client_tool_names(tools),
        server_tools=builtin_tool_names(tools),
    )
