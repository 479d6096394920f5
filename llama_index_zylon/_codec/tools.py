"""LlamaIndex tools, tool choice and output schemas → Zylon's wire forms (pure).

The rules themselves (custom vs. built-in tools, ``tool_choice`` forms, ``$ref``
inlining) live in :mod:`zylon_core._tools`, shared with LangChain; this module takes the
LlamaIndex shapes (``BaseTool``, ``ToolChoice`` / ``ResponseFormat`` models) to them.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from zylon_core._tools import (
    builtin_tool_names,
    check_unique_names,
    custom_tool,
    inline_refs,
    json_schema_of,
    tool_choice,
    tool_from_dict,
)
from zylon_core._tools import response_format_for as core_response_format_for
from zylon_core.models import ResponseFormat, Tool, ToolChoice

__all__ = [
    "builtin_tool_names",
    "inline_refs",
    "json_schema_for",
    "response_format_for",
    "to_zylon_tool",
    "to_zylon_tool_choice",
    "to_zylon_tools",
]


def to_zylon_tool(tool: Any) -> dict[str, Any]:
    """One tool in Zylon's wire form.

    * a LlamaIndex ``BaseTool`` → a custom tool ``{name, description, inputSchema}``;
    * a dict (or ``zylon_core.models.Tool``): a built-in ``type`` (``semantic_search_v1``,
      ...) passes through as a built-in tool the server runs itself; Zylon, Anthropic and
      OpenAI-style custom tool dicts are converted (see :func:`zylon_core._tools.tool_from_dict`).
    """
    if isinstance(tool, Tool):
        tool = tool.to_json_dict()
    metadata = getattr(tool, "metadata", None)
    if metadata is not None and hasattr(metadata, "get_parameters_dict"):
        return custom_tool(metadata.get_name(), metadata.description, metadata.get_parameters_dict())
    if not isinstance(tool, Mapping):
        raise ValueError(f"cannot use {type(tool).__name__} as a Zylon tool: pass a LlamaIndex tool or a dict")
    converted = tool_from_dict(tool)
    if converted is None:  # a dict with a name and maybe an OpenAI-style ``parameters``
        converted = custom_tool(tool.get("name"), tool.get("description"), tool.get("parameters"))
    return converted


def to_zylon_tools(tools: Iterable[Any] | None) -> list[dict[str, Any]]:
    """Every tool in Zylon's wire form (see :func:`to_zylon_tool`); ``ValueError`` when
    two share a name."""
    return check_unique_names([to_zylon_tool(tool) for tool in tools or ()])


def to_zylon_tool_choice(
    choice: Any,
    *,
    tool_names: Iterable[str] = (),
    tool_required: bool = False,
    allow_parallel_tool_calls: bool | None = None,
) -> dict[str, Any] | None:
    """``tool_choice`` in Zylon's wire form (see :func:`zylon_core._tools.tool_choice`);
    None with ``tool_required`` means ``any``, otherwise ``auto``."""
    if isinstance(choice, ToolChoice):
        choice = choice.to_json_dict()
    if choice is None:
        choice = "any" if tool_required else "auto"
    return tool_choice(choice, tool_names, parallel_tool_calls=allow_parallel_tool_calls)


def json_schema_for(output: Any) -> dict[str, Any]:
    """A self-contained JSON schema (``$ref`` s inlined) for a pydantic model or a schema dict."""
    return json_schema_of(output)


def response_format_for(output: Any) -> dict[str, Any]:
    """``response_format`` for a pydantic model, a JSON schema dict, a ``ResponseFormat``,
    or an explicit ``{"type": "json_schema", "json_schema": {...}}`` / ``{"type": "text"}``."""
    if isinstance(output, ResponseFormat):
        output = output.to_json_dict()
    return core_response_format_for(output)
