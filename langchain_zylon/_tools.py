"""LangChain tools → Zylon tool definitions and ``tool_choice`` (pure).

The rules for the wire form (built-in pass-through, hand-written Zylon/Anthropic/OpenAI
dicts, schema checks, ``tool_choice``) live in :mod:`zylon_core._tools`; this module only
adds what is LangChain's: anything else (a ``BaseTool``, a pydantic model, a function, a
bare JSON schema) goes through ``convert_to_openai_tool``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from langchain_core.utils.function_calling import convert_to_openai_tool

from zylon_core._tools import custom_tool, tool_choice, tool_from_dict


def convert_tool(tool: Any) -> dict[str, Any]:
    if isinstance(tool, Mapping):
        converted = tool_from_dict(tool)
        if converted is not None:
            return converted
    try:
        function = convert_to_openai_tool(tool)["function"]
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"cannot use {tool!r:.200} as a Zylon tool: {exc}") from exc
    return custom_tool(function.get("name"), function.get("description"), function.get("parameters"))


def convert_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    # Duplicate names are the server's to reject: LangChain's standard suite binds them.
    return [convert_tool(tool) for tool in tools]


def convert_tool_choice(
    choice: Any, tools: Sequence[Mapping[str, Any]], parallel_tool_calls: bool | None = None
) -> dict[str, Any] | None:
    """LangChain's ``tool_choice`` values (see :func:`zylon_core._tools.tool_choice`)."""
    return tool_choice(choice, [t["name"] for t in tools], parallel_tool_calls=parallel_tool_calls)
