"""LangChain tools → Zylon tool definitions and ``tool_choice`` (pure).

* A dict whose ``type`` is a Zylon built-in (``semantic_search_v1``, ...) passes through
  as ``{name, type}`` (plus any extra fields it carries); the server runs it. Its
  ``name`` defaults to the type.
* A dict already in Zylon's custom form (``inputSchema``) is checked and kept.
* Anything else (a ``BaseTool``, a pydantic model, a function, an OpenAI-style or
  Anthropic-style dict) goes through ``convert_to_openai_tool`` and becomes
  ``{name, description, inputSchema}``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from langchain_core.utils.function_calling import convert_to_openai_tool

from zylon_core.models import BUILTIN_TOOL_TYPES


def convert_tool(tool: Any) -> dict[str, Any]:
    if isinstance(tool, Mapping):
        kind = tool.get("type")
        if kind in BUILTIN_TOOL_TYPES:
            name = tool.get("name") or kind
            if not isinstance(name, str):
                raise ValueError(f"built-in tool {kind!r}: 'name' must be a string")
            return {**tool, "name": name, "type": kind}
        if kind not in (None, "function", "custom", "object"):  # object: a bare JSON schema
            raise ValueError(
                f"unknown tool type {kind!r}: Zylon's built-in tools are {', '.join(BUILTIN_TOOL_TYPES)}; "
                "custom tools are LangChain tools, functions, pydantic models, JSON schemas or OpenAI/Anthropic-style dicts"
            )
        if "inputSchema" in tool:
            return _custom(tool.get("name"), tool.get("description"), tool.get("inputSchema"))
    try:
        function = convert_to_openai_tool(tool)["function"]
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"cannot use {tool!r:.200} as a Zylon tool: {exc}") from exc
    return _custom(function.get("name"), function.get("description"), function.get("parameters"))


def _custom(name: Any, description: Any, schema: Any) -> dict[str, Any]:
    if not isinstance(name, str) or not name:
        raise ValueError("every tool needs a non-empty string 'name'")
    if schema is None:
        schema = {"type": "object", "properties": {}}
    if not isinstance(schema, Mapping):
        raise ValueError(f"tool {name!r}: the input schema must be a JSON-schema object, got {type(schema).__name__}")
    schema = dict(schema)
    schema.setdefault("type", "object")
    if schema.get("type") != "object":
        raise ValueError(f"tool {name!r}: the input schema must describe an object (type 'object'), got {schema.get('type')!r}")
    schema.setdefault("properties", {})
    out: dict[str, Any] = {"name": name, "inputSchema": schema}
    if description:
        out["description"] = description
    return out


def convert_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    return [convert_tool(tool) for tool in tools]


def convert_tool_choice(
    tool_choice: Any, tools: Sequence[Mapping[str, Any]], parallel_tool_calls: bool | None = None
) -> dict[str, Any] | None:
    """``"auto"``/``"any"``/``"none"``, a tool name, ``True`` (the one tool, or any),
    ``"required"`` (= any), or a dict (Zylon ``{type, name}`` or OpenAI ``{type:
    "function", function: {name}}``) → Zylon ``ToolChoice`` wire form."""
    names = {t["name"] for t in tools}
    choice: dict[str, Any] | None
    if tool_choice is None or tool_choice is False:
        choice = None
    elif tool_choice is True:
        choice = {"type": "tool", "name": next(iter(names))} if len(names) == 1 else {"type": "any"}
    elif isinstance(tool_choice, str):
        if tool_choice in ("auto", "any", "none"):
            choice = {"type": tool_choice}
        elif tool_choice == "required":
            choice = {"type": "any"}
        else:
            choice = {"type": "tool", "name": tool_choice}
    elif isinstance(tool_choice, Mapping):
        if tool_choice.get("type") == "function":
            name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
            choice = {"type": "tool", "name": name}
        else:
            choice = dict(tool_choice)
            if choice.get("type") not in ("auto", "any", "none", "tool"):
                raise ValueError(f"tool_choice type must be auto, any, none or tool; got {choice.get('type')!r}")
    else:
        raise ValueError(f"unrecognised tool_choice {tool_choice!r}: expected a string, True, a dict or None")
    if choice is not None and choice.get("type") == "tool":
        if not choice.get("name"):
            raise ValueError("tool_choice of type 'tool' needs the tool's name")
        if choice["name"] not in names:
            raise ValueError(f"tool_choice names {choice['name']!r}, which is not among the bound tools: {', '.join(sorted(names)) or 'none'}")
    if choice is not None and choice.get("type") in ("any", "tool") and not names:
        raise ValueError(f"tool_choice={tool_choice!r} needs at least one bound tool")
    if parallel_tool_calls is not None:
        choice = choice or {"type": "auto"}
        choice["disable_parallel_tool_use"] = not parallel_tool_calls
    return choice
