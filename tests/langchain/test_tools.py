"""Tools and tool_choice conversion (pure)."""

from __future__ import annotations

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_zylon._tools import convert_tool, convert_tool_choice, convert_tools
from zylon_core.models import BUILTIN_TOOL_TYPES, Tool

ADD_SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Add(BaseModel):
    """Add two integers."""

    a: int = Field(description="first")
    b: int


def add_fn(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_langchain_tool():
    assert convert_tool(add) == {"name": "add", "description": "Add two integers.", "inputSchema": ADD_SCHEMA}


def test_function():
    assert convert_tool(add_fn) == {"name": "add_fn", "description": "Add two integers.", "inputSchema": ADD_SCHEMA}


def test_pydantic_model():
    converted = convert_tool(Add)
    assert converted["name"] == "Add" and converted["description"] == "Add two integers."
    assert converted["inputSchema"]["properties"]["a"] == {"type": "integer", "description": "first"}


def test_openai_and_anthropic_dicts():
    openai = {"type": "function", "function": {"name": "add", "description": "Add two integers.", "parameters": ADD_SCHEMA}}
    anthropic = {"name": "add", "description": "Add two integers.", "input_schema": ADD_SCHEMA}
    expected = {"name": "add", "description": "Add two integers.", "inputSchema": ADD_SCHEMA}
    assert convert_tool(openai) == expected
    assert convert_tool(anthropic) == expected


def test_zylon_custom_dict_kept_and_validated_by_the_core_model():
    custom = {"name": "calc", "description": "Add.", "inputSchema": {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "number"}}, "required": ["a"]}}
    assert convert_tool(custom) == custom
    assert Tool.model_validate(custom).to_json_dict() == custom


@pytest.mark.parametrize("kind", BUILTIN_TOOL_TYPES)
def test_builtin_tools_pass_through(kind):
    assert convert_tool({"type": kind, "name": "mine"}) == {"type": kind, "name": "mine"}
    assert convert_tool({"type": kind}) == {"type": kind, "name": kind}


def test_no_argument_tool_gets_an_empty_object_schema():
    @tool
    def ping() -> str:
        """Ping."""
        return "pong"

    assert convert_tool(ping)["inputSchema"] == {"type": "object", "properties": {}}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"name": "", "inputSchema": {"type": "object"}}, "name"),
        ({"inputSchema": {"type": "object"}}, "name"),
        ({"name": "x", "inputSchema": {"type": "array"}}, "object"),
        ({"name": "x", "inputSchema": "nope"}, "object"),
        ({"type": "function", "function": {"name": "x", "parameters": {"type": "string"}}}, "object"),
        ({"type": "semantic_search_v2", "name": "s"}, "semantic_search_v2"),
        (42, "42"),
    ],
)
def test_invalid_tools(bad, message):
    with pytest.raises(ValueError, match=message):
        convert_tool(bad)


TOOLS = convert_tools([add, {"type": "semantic_search_v1", "name": "search"}])


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        (False, None),
        ("auto", {"type": "auto"}),
        ("any", {"type": "any"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ("add", {"type": "tool", "name": "add"}),
        (True, {"type": "any"}),
        ({"type": "tool", "name": "search"}, {"type": "tool", "name": "search"}),
        ({"type": "function", "function": {"name": "add"}}, {"type": "tool", "name": "add"}),
        ({"type": "any"}, {"type": "any"}),
    ],
)
def test_tool_choice(choice, expected):
    assert convert_tool_choice(choice, TOOLS) == expected


def test_true_with_one_tool_forces_it():
    assert convert_tool_choice(True, convert_tools([add])) == {"type": "tool", "name": "add"}


def test_parallel_tool_calls():
    assert convert_tool_choice(None, TOOLS, parallel_tool_calls=False) == {"type": "auto", "disable_parallel_tool_use": True}
    assert convert_tool_choice("any", TOOLS, parallel_tool_calls=True) == {"type": "any", "disable_parallel_tool_use": False}


@pytest.mark.parametrize(
    ("choice", "message"),
    [("multiply", "multiply"), ({"type": "sometimes"}, "sometimes"), (3.5, "3.5"), ({"type": "tool"}, "name")],
)
def test_invalid_tool_choice(choice, message):
    with pytest.raises(ValueError, match=message):
        convert_tool_choice(choice, TOOLS)


def test_forcing_needs_tools():
    with pytest.raises(ValueError, match="at least one"):
        convert_tool_choice("any", [])
