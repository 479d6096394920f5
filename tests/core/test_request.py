"""build_turn: one turn's request, built once for both adapters (pure)."""

from __future__ import annotations

import pytest

from zylon_core import ConfigurationError
from zylon_core._request import TURN_FIELDS, build_turn, check_call_arguments, stop_sequences
from zylon_core.models import MessageInput, TextBlock

HI = [MessageInput(role="user", content=[TextBlock(text="hi")])]


def turn(configured=None, per_call=None, **options):
    return build_turn(None, HI, configured=configured or {}, per_call=per_call or {}, **options)


def test_only_what_was_asked_is_sent():
    built = turn()
    assert built.request.to_json_dict() == {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    assert built.route.kind == "chat" and built.stop == () and not built.rich


def test_everything_lands_where_the_api_wants_it():
    tools = [{"name": "add", "description": "Add", "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}}}}]
    configured = dict(temperature=0.2, max_tokens=64, top_p=0.9, top_k=5, seed=7, thinking=True, citations=False, use_default_prompt=False)
    built = build_turn(
        "Be brief.",
        HI,
        configured=configured,
        per_call={},
        tools=tools,
        tool_choice={"type": "tool", "name": "add"},
        response_format={"type": "json_schema", "json_schema": {"type": "object"}},
        extra={"min_p": 0.1},
    )
    assert built.request.to_json_dict() == {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "temperature": 0.2,
        "max_tokens": 64,
        "top_p": 0.9,
        "top_k": 5,
        "seed": 7,
        "system": {"text": "Be brief.", "use_default_prompt": False, "citations": {"enabled": False}},
        "thinking": {"enabled": True},
        "tools": tools,
        "tool_choice": {"type": "tool", "name": "add"},
        "response_format": {"type": "json_schema", "json_schema": {"type": "object"}},
        "min_p": 0.1,
    }


def test_per_call_values_win_and_none_clears():
    built = turn({"temperature": 0.5, "project_id": "p1", "stop": ["X"]}, {"temperature": 0.1, "project_id": None, "stop": "END"})
    assert built.request.temperature == 0.1
    assert built.route.kind == "chat"
    assert built.stop == ("END",)  # one string is one stop sequence, not its characters


def test_pass_through_fields_per_call_over_configured():
    built = turn(per_call={"min_p": 0.3}, extra={"min_p": 0.1, "presence_penalty": 0.5})
    assert (built.request.min_p, built.request.presence_penalty) == (0.3, 0.5)


def test_client_and_server_tools_and_richness():
    tools = [{"name": "add", "inputSchema": {"type": "object", "properties": {}}}, {"name": "search", "type": "semantic_search_v1"}]
    built = turn(tools=tools)
    assert built.client_tools == frozenset({"add"}) and built.server_tools == frozenset({"search"})
    assert built.rich
    assert turn({"thinking": True}).rich and turn({"citations": True}).rich
    assert not turn({"thinking": False, "citations": False}).rich


def test_bad_input_fails_before_any_request():
    with pytest.raises(ValueError, match="no user message to send"):
        build_turn("sys", [], configured={}, per_call={})
    with pytest.raises(ValueError, match="top_p must be between 0 and 1"):
        turn({"top_p": 1.5})
    with pytest.raises(ConfigurationError, match="thread"):
        turn({"thread_id": "t1"}, {"project_id": "p2"})
    with pytest.raises(ValueError, match="stop must be"):
        stop_sequences(["a", 1])  # type: ignore[list-item]


def test_unknown_call_arguments_are_named():
    check_call_arguments({"temperature": 1}, TURN_FIELDS, "ChatZylon")
    with pytest.raises(TypeError, match="ChatZylon got unexpected call argument\\(s\\) bogus, temprature"):
        check_call_arguments({"bogus": 1, "temprature": 1}, TURN_FIELDS, "ChatZylon")
