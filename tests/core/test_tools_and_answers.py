"""The framework-free tool and answer rules both adapters rely on."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from zylon_core._answers import (
    answer_metadata,
    clean_block,
    flat_sources,
    pending_tool_uses,
    server_tool_ids,
    tldr_text,
    usage_counts,
)
from zylon_core._tools import (
    builtin_tool_names,
    check_unique_names,
    client_tool_names,
    custom_tool,
    inline_refs,
    json_schema_of,
    response_format_for,
    tool_choice,
    tool_from_dict,
)
from zylon_core.models import MessageOutput, Usage

SCHEMA = {"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]}


def test_custom_tool_shape_and_checks():
    assert custom_tool("add", "Add.", SCHEMA) == {"name": "add", "inputSchema": SCHEMA, "description": "Add."}
    assert custom_tool("noargs", None, None)["inputSchema"] == {"type": "object", "properties": {}}
    with pytest.raises(ValueError, match="non-empty string 'name'"):
        custom_tool("", "x", SCHEMA)
    with pytest.raises(ValueError, match="must describe an object"):
        custom_tool("t", "x", {"type": "array"})
    with pytest.raises(ValueError, match="JSON-schema object"):
        custom_tool("t", "x", ["not", "a", "schema"])


@pytest.mark.parametrize(
    "given",
    [
        {"name": "add", "description": "Add.", "inputSchema": SCHEMA},
        {"name": "add", "description": "Add.", "input_schema": SCHEMA},
        {"type": "function", "function": {"name": "add", "description": "Add.", "parameters": SCHEMA}},
    ],
)
def test_hand_written_tool_dicts(given):
    assert tool_from_dict(given) == {"name": "add", "description": "Add.", "inputSchema": SCHEMA}


def test_builtin_tools_pass_through_and_unknown_types_fail():
    assert tool_from_dict({"type": "semantic_search_v1"}) == {"type": "semantic_search_v1", "name": "semantic_search_v1"}
    assert tool_from_dict({"type": "web_search_v1", "name": "web"}) == {"type": "web_search_v1", "name": "web"}
    assert tool_from_dict({"title": "bare schema", "properties": {}}) is None
    with pytest.raises(ValueError, match="unknown tool type 'magic_v9'"):
        tool_from_dict({"type": "magic_v9", "name": "x"})


def test_tool_name_sets():
    tools = [{"name": "s", "type": "semantic_search_v1"}, {"name": "add", "inputSchema": SCHEMA}]
    assert builtin_tool_names(tools) == {"s"} and client_tool_names(tools) == {"add"}
    with pytest.raises(ValueError, match="repeated: add"):
        check_unique_names([tools[1], tools[1]])


@pytest.mark.parametrize(
    "given, expected",
    [
        (None, None),
        ("auto", {"type": "auto"}),
        ("any", {"type": "any"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ("add", {"type": "tool", "name": "add"}),
        (True, {"type": "any"}),
        (False, None),
        ({"type": "tool", "name": "mul"}, {"type": "tool", "name": "mul"}),
        ({"type": "function", "function": {"name": "add"}}, {"type": "tool", "name": "add"}),
    ],
)
def test_tool_choice_forms(given, expected):
    assert tool_choice(given, ["add", "mul"]) == expected


def test_tool_choice_true_with_one_tool_forces_it_and_parallel_flag():
    assert tool_choice(True, ["add"]) == {"type": "tool", "name": "add"}
    assert tool_choice(None, ["add"], parallel_tool_calls=False) == {"type": "auto", "disable_parallel_tool_use": True}


@pytest.mark.parametrize(
    "given, names, message",
    [("nope", ["add"], "not among the tools"), ("any", [], "at least one tool"), ({"type": "maybe"}, ["a"], "must be one of"),
     (3.5, ["a"], "unsupported tool_choice"), ({"type": "tool"}, ["a"], "needs the tool's name")],
)
def test_tool_choice_errors(given, names, message):
    with pytest.raises(ValueError, match=message):
        tool_choice(given, names)


class Inner(BaseModel):
    x: int


class Outer(BaseModel):
    inner: Inner
    items: list[Inner]


def test_json_schema_inlines_refs():
    schema = json_schema_of(Outer)
    assert "$defs" not in schema
    assert schema["properties"]["inner"]["properties"]["x"]["type"] == "integer"
    assert schema["properties"]["items"]["items"]["properties"]["x"]["type"] == "integer"


def test_recursive_refs_stay_references():
    schema = {"$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}}, "$ref": "#/$defs/Node"}
    out = inline_refs(schema)
    assert out["properties"]["next"] == {"$ref": "#/$defs/Node"} and "Node" in out["$defs"]


def test_response_format_forms():
    assert response_format_for(Inner)["json_schema"]["properties"]["x"]["type"] == "integer"
    assert response_format_for({"type": "text"}) == {"type": "text"}
    wrapped = response_format_for({"type": "json_schema", "json_schema": {"name": "n", "schema": SCHEMA}})
    assert wrapped == {"type": "json_schema", "json_schema": SCHEMA}


ANSWER = [
    {"type": "tool_use", "id": "srv", "name": "semantic_search", "input": {"query": "q"}},
    {"type": "tool_result", "tool_use_id": "srv", "content": [{"type": "text", "text": "found", "_meta": {}}]},
    {"type": "text", "text": "Answer", "start_timestamp": "t"},
    {"type": "source", "sources": [{"type": "context.chunk", "id": "c1"}]},
    {"type": "source", "sources": [{"type": "context.website", "url": "u"}]},
    {"type": "tool_use", "id": "cli", "name": "add", "input": {"a": 1}},
    {"type": "tldr", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
]


def test_server_run_tools_are_not_pending_calls():
    assert server_tool_ids(ANSWER) == {"srv"}
    assert [b["id"] for b in pending_tool_uses(ANSWER)] == ["cli"]
    assert pending_tool_uses(ANSWER, client_tools=frozenset({"mul"})) == []


def test_sources_tldr_and_cleaning():
    assert [s.get("id") or s.get("url") for s in flat_sources(ANSWER)] == ["c1", "u"]
    assert tldr_text(ANSWER[-1]) == "one\ntwo"
    assert clean_block(ANSWER[2]) == {"type": "text", "text": "Answer"}
    assert clean_block(ANSWER[1])["content"] == [{"type": "text", "text": "found"}]


def test_usage_counts():
    assert usage_counts(Usage(input_tokens=3, output_tokens=4)) == (3, 4, 7)
    assert usage_counts({"output_tokens": 2}) == (0, 2, 2)
    assert usage_counts({}) is None and usage_counts(None) is None


def test_answer_metadata_normalises_and_adds_thread_ids():
    assert answer_metadata(MessageOutput(id="m"), model_name="d", pending_tool_calls=True)["stop_reason"] == "tool_use"
    assert answer_metadata(MessageOutput(id="m"), model_name="d")["stop_reason"] == "end_turn"
    message = MessageOutput(id="m", stop_reason="stop")
    assert answer_metadata(message, model_name="default") == {"id": "m", "model_name": "default", "model": "default", "stop_reason": "end_turn"}
    meta = answer_metadata(MessageOutput(id="m", model="big", stop_reason="stop_sequence", stop_sequence="##"),
                           model_name="default", interaction_id="i", thread_id="t")
    assert meta == {"id": "m", "model_name": "big", "model": "big", "stop_reason": "stop_sequence", "stop_sequence": "##", "interaction_id": "i", "thread_id": "t"}


def test_a_tool_description_is_the_same_on_every_python_version():
    # 3.13 strips a docstring's indentation at compile time, older versions keep it.
    indented = "Add two numbers.\n\n        Returns their sum.\n        "
    dedented = "Add two numbers.\n\nReturns their sum."
    assert custom_tool("add", indented, None)["description"] == custom_tool("add", dedented, None)["description"] == dedented
