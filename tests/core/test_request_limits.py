"""Request limits the server enforces, checked before sending (fidelity §17):
``temperature`` and ``top_p`` within 0..1 (captures ``err_temperature_1_5``,
``err_top_p_2``), tool ids, ``tool_result`` answering an earlier ``tool_use``
(``msg_tool_result_unknown_id``), and the ``tool_choice`` types each API takes; a stream request the server refuses
(``err_temperature_1_5_stream``) is its 400."""

from __future__ import annotations

import json

import pytest

from tests.replay import ReplayServer
from zylon_core import BadRequestError, Route, ZylonClient
from zylon_core._request import build_turn
from zylon_core._tools import PUBLISHED_GPT_TOOL_CHOICE_TYPES, TOOL_CHOICE_TYPES, TOOL_CHOICE_TYPES_BY_API, tool_choice
from zylon_core.models import MessageInput, TextBlock, ToolResultBlock, ToolUseBlock

USER = MessageInput(role="user", content=[TextBlock(text="What is the weather in Lyon?")])


def turn(messages, per_call=None, configured=None):
    return build_turn(None, messages, configured=configured or {}, per_call=per_call or {})


def call(tool_id: str) -> MessageInput:
    return MessageInput(role="assistant", content=[ToolUseBlock(id=tool_id, name="get_weather", input={"city": "Lyon"})])


def result(tool_id: str) -> MessageInput:
    return MessageInput(role="user", content=[ToolResultBlock(tool_use_id=tool_id, content=[TextBlock(text="18 C")])])


@pytest.mark.parametrize(("capture", "name"), [("err_temperature_1_5", "temperature"), ("err_top_p_2", "top_p")])
def test_the_captured_out_of_range_values_are_refused_before_sending(shared_api, capture, name):
    value = json.loads((shared_api / "captures" / f"{capture}.request.json").read_text())[name]
    with pytest.raises(ValueError, match=f"{name} must be between 0 and 1, got {value}"):
        turn([USER], per_call={name: value})
    with pytest.raises(ValueError, match=f"{name} must be between 0 and 1"):
        turn([USER], configured={name: value})


@pytest.mark.parametrize(("name", "value"), [("temperature", 0), ("temperature", 1), ("top_p", 0.0), ("top_p", 1.0), ("temperature", 0.7)])
def test_the_bounds_themselves_are_accepted(name, value):
    assert getattr(turn([USER], per_call={name: value}).request, name) == value


def test_tool_ids_are_checked():
    assert turn([USER, call("tool_a4c5ce7dba0f48d3947c7e23c0008136"), result("tool_a4c5ce7dba0f48d3947c7e23c0008136")])
    assert turn([USER, call("call-1_X"), result("call-1_X")])
    for bad in ("call:1", "call 1", "toolu.01", "ü"):
        with pytest.raises(ValueError, match=f"tool_use id {bad!r} is not a valid Zylon tool id"):
            turn([USER, call(bad), result(bad)])


def test_a_tool_result_must_answer_an_earlier_tool_use(shared_api):
    captured = json.loads((shared_api / "captures" / "msg_tool_result_unknown_id.request.json").read_text())
    unknown = captured["messages"][1]["content"][0]["tool_use_id"]
    with pytest.raises(ValueError, match=f"tool_result for {unknown!r} answers no earlier tool_use"):
        turn([USER, result(unknown)])
    with pytest.raises(ValueError, match="answers no earlier tool_use"):
        turn([USER, result("t1"), call("t1")])  # the answer before the call
    with pytest.raises(ValueError, match="answers no earlier tool_use"):
        turn([USER, call("t1"), result("t2")])


def test_in_a_thread_the_call_may_be_in_the_servers_history():
    assert turn([result("t1")], per_call={"thread_id": "thread_1"}).route.thread_id == "thread_1"
    # ...but a conversation given whole is checked whole.
    with pytest.raises(ValueError, match="answers no earlier tool_use"):
        turn([USER, call("t1"), result("t2")], per_call={"thread_id": "thread_1"})
    with pytest.raises(ValueError, match="not a valid Zylon tool id"):
        turn([result("t 1")], per_call={"thread_id": "thread_1"})


def test_tool_choice_types_by_api():
    assert TOOL_CHOICE_TYPES == ("auto", "any", "none", "tool")
    assert TOOL_CHOICE_TYPES_BY_API == {"workspace": TOOL_CHOICE_TYPES, "gpt": TOOL_CHOICE_TYPES}
    assert set(PUBLISHED_GPT_TOOL_CHOICE_TYPES) == {"auto", "tool", "none"}  # gpt.openapi.json ToolChoice
    assert tool_choice("any", ["get_weather"]) == {"type": "any"}  # kept allowed by default
    with pytest.raises(ValueError, match="tool_choice type must be one of"):
        tool_choice({"type": "required_tool"}, ["get_weather"])


def test_the_published_gpt_schema_lists_the_documented_set(shared_api):
    schema = json.loads((shared_api / "gpt.openapi.json").read_text())["components"]["schemas"]
    assert schema["ToolChoice"]["properties"]["type"]["enum"] == list(PUBLISHED_GPT_TOOL_CHOICE_TYPES)


def test_a_streamed_request_the_server_refuses_is_its_400_with_its_explanation(shared_api):
    # err_temperature_1_5_stream: the real server answers a stream request with a JSON 400,
    # not an event stream. Replayed whatever the request (the client refuses 1.5 itself).
    request = turn([USER], configured={"api": "gpt", "model": "default"}).request
    with ReplayServer() as server, ZylonClient(base_url=server.base_url, api_token="replay-token", max_retries=0) as client:
        server.play("err_temperature_1_5_stream")
        with pytest.raises(BadRequestError, match="temperature: Input should be less than or equal to 1") as caught:
            list(client.stream_turn(Route.create(api="gpt"), request))
    assert caught.value.status_code == 400 and len(server.requests) == 1
    assert server.requests[0]["path"] == "/api/gpt/v1/messages"


@pytest.mark.parametrize("api", ["gpt", "workspace"])
def test_a_thinking_block_without_its_signature_is_refused_before_sending(shared_api, api):
    # client_C_thinking_history_no_signature: the real server answers 400 to this request.
    captured = json.loads((shared_api / "captures" / "client_C_thinking_history_no_signature.request.json").read_text())
    messages = [MessageInput.model_validate(m) for m in captured["messages"]]
    with pytest.raises(ValueError, match=r"messages\[1\]\.content\[0\]: a thinking block goes back to Zylon only with its 'signature'"):
        turn(messages, configured={"api": api, "model": "default"})
    signed = captured["messages"][1]["content"][0] | {"signature": "sig_" + "0" * 32}
    messages[1] = MessageInput.model_validate({**captured["messages"][1], "content": [signed, captured["messages"][1]["content"][1]]})
    assert turn(messages, configured={"api": api, "model": "default"}).request.messages[1].content[0].signature == signed["signature"]
