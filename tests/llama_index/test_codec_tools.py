"""The pure codec, offline: LlamaIndex tools, tool choice and output schemas → their
Zylon wire forms."""

from __future__ import annotations

import json

import pytest
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_zylon._codec.tools import (
    inline_refs,
    response_format_for,
    to_zylon_tool,
    to_zylon_tool_choice,
    to_zylon_tools,
)


class Address(BaseModel):
    street: str
    city: str


class Person(BaseModel):
    """A person."""

    name: str
    address: Address


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class RegisterArgs(BaseModel):
    person: Person


def register(person: Person) -> str:
    """Register a person."""
    return person.name


def test_function_tool_becomes_a_custom_tool_with_camelcase_input_schema():
    tool = to_zylon_tool(FunctionTool.from_defaults(add))
    assert tool["name"] == "add"
    assert "Add two integers" in tool["description"]
    schema = tool["inputSchema"]
    assert schema["type"] == "object" and set(schema["properties"]) == {"a", "b"}
    assert schema["required"] == ["a", "b"]
    assert "input_schema" not in tool


def test_nested_model_references_are_inlined():
    schema = to_zylon_tool(FunctionTool.from_defaults(register, fn_schema=RegisterArgs))["inputSchema"]
    assert "$defs" not in json.dumps(schema) and "$ref" not in json.dumps(schema)
    assert schema["properties"]["person"]["properties"]["address"]["properties"]["city"]["type"] == "string"


def test_recursive_schemas_keep_their_definitions():
    schema = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
    }
    out = inline_refs(schema)
    assert out["properties"]["root"]["properties"]["child"] == {"$ref": "#/$defs/Node"}
    assert "Node" in out["$defs"]


def test_builtin_tool_dicts_pass_through_and_other_dict_shapes_convert():
    tools = to_zylon_tools(
        [
            {"type": "semantic_search_v1", "name": "search"},
            {"type": "function", "function": {"name": "f", "description": "F.", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}},
            {"name": "g", "description": "G.", "input_schema": {"type": "object", "properties": {}}},
            {"name": "h", "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}},
        ]
    )
    assert tools[0] == {"type": "semantic_search_v1", "name": "search"}
    assert tools[1] == {"name": "f", "description": "F.", "inputSchema": {"type": "object", "properties": {"x": {"type": "integer"}}}}
    assert tools[2]["inputSchema"] == {"type": "object", "properties": {}}
    assert tools[3]["inputSchema"]["required"] == ["q"]


def test_unknown_tool_type_and_duplicate_names_are_rejected():
    with pytest.raises(ValueError, match="unknown tool type 'web_magic'"):
        to_zylon_tool({"type": "web_magic", "name": "x"})
    with pytest.raises(ValueError, match="repeated: add"):
        to_zylon_tools([FunctionTool.from_defaults(add), FunctionTool.from_defaults(add)])


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, {"type": "auto"}),
        ("auto", {"type": "auto"}),
        ("any", {"type": "any"}),
        ("required", {"type": "any"}),
        (True, {"type": "any"}),
        ("none", {"type": "none"}),
        ("add", {"type": "tool", "name": "add"}),
        ({"type": "tool", "name": "add"}, {"type": "tool", "name": "add"}),
        ({"type": "function", "function": {"name": "add"}}, {"type": "tool", "name": "add"}),
    ],
)
def test_tool_choice_forms(choice, expected):
    assert to_zylon_tool_choice(choice, tool_names=["add", "mul"]) == expected


def test_tool_choice_required_and_parallel_flags():
    assert to_zylon_tool_choice(None, tool_names=["add"], tool_required=True, allow_parallel_tool_calls=False) == {
        "type": "any",
        "disable_parallel_tool_use": True,
    }
    assert to_zylon_tool_choice("add", tool_names=["add"], allow_parallel_tool_calls=True)["disable_parallel_tool_use"] is False
    with pytest.raises(ValueError, match="tool_choice type must be one of"):
        to_zylon_tool_choice({"type": "sometimes"}, tool_names=["add"])
    with pytest.raises(ValueError, match="not among the tools"):
        to_zylon_tool_choice("mul", tool_names=["add"])


def test_response_format_for_a_model_is_a_self_contained_json_schema():
    fmt = response_format_for(Person)
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["properties"]["address"]["properties"]["street"] == {"title": "Street", "type": "string"}
    assert "$defs" not in fmt["json_schema"]
    assert response_format_for({"type": "text"}) == {"type": "text"}
