"""The turn of one ``Zylon`` call: LlamaIndex messages, tools and per-call keyword
arguments → the checked :class:`~zylon_core._request.Turn` (route, request, stop
sequences), before any I/O. Pure: used by :mod:`llama_index_zylon.llms`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Sequence, Union

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms.utils import parse_partial_json

from zylon_core import ConfigurationError
from zylon_core._request import PASSTHROUGH_FIELDS, TURN_FIELDS, Turn, build_turn, check_call_arguments

from ._codec import response_format_for, to_zylon_messages, to_zylon_tool_choice, to_zylon_tools

if TYPE_CHECKING:
    from .llms import Zylon

# Per-call keyword arguments: the turn fields, ``model``, plus what LlamaIndex's tool calling passes.
CALL_KEYS = (*TURN_FIELDS, *PASSTHROUGH_FIELDS, "model", "tools", "tool_choice", "response_format", "allow_parallel_tool_calls")


def configured(llm: Zylon) -> Dict[str, Any]:
    """The LLM's configured turn values, its API and model."""
    return {**{name: getattr(llm, name) for name in TURN_FIELDS}, "api": llm.api, "model": llm.model}


def llm_turn(llm: Zylon, messages: Sequence[ChatMessage], kwargs: Dict[str, Any]) -> Turn:
    """The checked turn of one call (``ValueError`` / ``TypeError`` /
    ``ConfigurationError`` before any request)."""
    check_call_arguments(kwargs, CALL_KEYS, "Zylon")
    if "model" in kwargs and llm.api != "gpt":
        raise ConfigurationError(
            "model= per call needs api='gpt': the Workspace routes take no model (the instance's model answers)"
        )
    tools = to_zylon_tools(kwargs.get("tools"))
    choice = kwargs.get("tool_choice")
    tool_choice = None
    if tools and (choice is not None or "allow_parallel_tool_calls" in kwargs):
        tool_choice = to_zylon_tool_choice(
            choice,
            tool_names=[t["name"] for t in tools],
            allow_parallel_tool_calls=kwargs.get("allow_parallel_tool_calls"),
        )
    elif choice is not None and not tools:
        raise ValueError("tool_choice was given without tools")
    response_format = kwargs.get("response_format")
    system_text, zylon_messages = to_zylon_messages(messages, api=llm.api)
    return build_turn(
        system_text,
        zylon_messages,
        configured=configured(llm),
        per_call=kwargs,
        tools=tools or None,
        tool_choice=tool_choice,
        response_format=response_format_for(response_format) if response_format is not None else None,
        extra=llm.additional_kwargs,
    )


def call_arguments(arguments: Union[Dict[str, Any], str]) -> Dict[str, Any]:
    """A ``ToolCallBlock`` 's arguments as a dict (a JSON string parsed, leniently)."""
    if not isinstance(arguments, str):
        return arguments
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        value = parse_partial_json(arguments)
    return value if isinstance(value, dict) else {}
