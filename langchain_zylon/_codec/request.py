"""Assemble a Zylon ``ChatRequest`` from LangChain messages and call options (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from langchain_core.messages import BaseMessage

from zylon_core.checks import check_sampling
from zylon_core.models import ChatRequest, Citations, ResponseFormat, System, Thinking, Tool, ToolChoice

from .inputs import to_zylon_messages

SAMPLING = ("temperature", "max_tokens", "top_p", "top_k", "seed")


@dataclass(frozen=True)
class RequestOptions:
    """Everything besides the messages that shapes one request."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    thinking: bool | None = None
    citations: bool | None = None
    use_default_prompt: bool | None = None
    tools: Sequence[Mapping[str, Any]] | None = None
    tool_choice: Mapping[str, Any] | None = None
    response_format: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rich(self) -> bool:
        """Whether the answer will carry more than text (tools, thinking, citations):
        then streamed chunks hold content blocks from the first one, as ChatAnthropic's do."""
        return bool(self.tools) or bool(self.thinking) or bool(self.citations)

    @property
    def client_tool_names(self) -> frozenset[str]:
        """Names of the custom tools the caller runs (built-in tools run on the server)."""
        return frozenset(t["name"] for t in self.tools or () if not t.get("type") and t.get("name"))


def build_request(messages: Sequence[BaseMessage], options: RequestOptions) -> ChatRequest:
    system_text, zylon_messages = to_zylon_messages(messages)
    if not zylon_messages:
        raise ValueError("no user message to send: pass at least one human message (system messages alone are not a turn)")
    fields: dict[str, Any] = {"messages": zylon_messages}
    for name in SAMPLING:
        value = getattr(options, name)
        if value is not None:
            fields[name] = value
    system: dict[str, Any] = {}
    if system_text:
        system["text"] = system_text
    if options.use_default_prompt is not None:
        system["use_default_prompt"] = options.use_default_prompt
    if options.citations is not None:
        system["citations"] = Citations(enabled=options.citations)
    if system:
        fields["system"] = System(**system)
    if options.thinking is not None:
        fields["thinking"] = Thinking(enabled=options.thinking)
    if options.tools:
        fields["tools"] = [Tool.model_validate(dict(t)) for t in options.tools]
    if options.tool_choice:
        fields["tool_choice"] = ToolChoice.model_validate(dict(options.tool_choice))
    if options.response_format:
        fields["response_format"] = ResponseFormat.model_validate(dict(options.response_format))
    fields.update(options.extra)
    check_sampling(fields)  # out of range: a ValueError naming the parameter, before any request
    return ChatRequest(**fields)
