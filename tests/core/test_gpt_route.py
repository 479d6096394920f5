"""The ZylonGPT chat route in the core: ``Route(api="gpt")``, what ``build_turn`` sends
there (and not to the Workspace), and the turn against the emulator's
``/api/gpt/v1/messages`` (sync, SSE, async)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.conftest import TEST_TOKEN
from zylon_core import AsyncZylonClient, BadRequestError, ConfigurationError, Route, ServerStreamError, ZylonClient
from zylon_core._api import Endpoints
from zylon_core._request import build_turn, check_configuration
from zylon_core._settings import ZylonSettings
from zylon_core._transport import Call
from zylon_core._turns import turn_plan
from zylon_core.models import ChatRequest, MessageInput, ModelInfo, ModelList, TextBlock

HELLO = [MessageInput(role="user", content=[TextBlock(text="Hello there")])]
GPT = {"api": "gpt", "model": "default"}
WORKSPACE_ONLY = {
    "thread_id": "thread_1",
    "project_id": "proj_1",
    "artifact_ids": ["a1"],
    "all_artifacts": True,
    "agent": "Default",
}


# -- the route --------------------------------------------------------------------------


@pytest.mark.parametrize("field", WORKSPACE_ONLY)
def test_a_workspace_field_on_the_gpt_route_is_refused_by_name(field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Route.create(api="gpt", **{field: WORKSPACE_ONLY[field]})
    message = str(caught.value)
    assert message.startswith(f"{field} belongs to the Workspace API")
    assert "/api/gpt/v1/messages" in message and "tool_context" in message


def test_several_workspace_fields_on_the_gpt_route_are_named_together() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Route.create(api="gpt", thread_id="t1", project_id="p1")
    assert str(caught.value).startswith("thread_id, project_id belong to the Workspace API")


@pytest.mark.parametrize("field", WORKSPACE_ONLY)
def test_a_per_call_workspace_field_on_the_gpt_route_is_refused(field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        build_turn(None, HELLO, configured=GPT, per_call={field: WORKSPACE_ONLY[field]})


def test_the_gpt_route_and_an_unknown_api() -> None:
    route = Route.create(api="gpt")
    assert (route.api, route.kind, route.thread_id) == ("gpt", "gpt", None)
    assert Route.create().api == "workspace" and Route.create().kind == "chat"
    with pytest.raises(ConfigurationError, match="api must be 'workspace'.*or 'gpt'.*got 'anthropic'"):
        Route.create(api="anthropic")  # type: ignore[arg-type]


def test_check_configuration_names_what_a_constructor_gets_wrong() -> None:
    check_configuration(GPT)
    check_configuration({"api": "workspace", "thread_id": "t1", "effort": None})
    with pytest.raises(ConfigurationError, match="project_id belongs to the Workspace API"):
        check_configuration({**GPT, "project_id": "p"})
    with pytest.raises(ConfigurationError, match="effort is ZylonGPT's output_config.effort: it needs api='gpt'"):
        check_configuration({"api": "workspace", "effort": "low"})


# -- what build_turn sends ----------------------------------------------------------------


def test_the_gpt_request_carries_model_stop_sequences_and_effort() -> None:
    turn = build_turn("Be terse.", HELLO, configured={**GPT, "stop": ["END"]}, per_call={"effort": "high"})
    body = turn.request.to_json_dict()
    assert body["model"] == "default" and body["stop_sequences"] == ["END"] and body["output_config"] == {"effort": "high"}
    assert turn.stop == ("END",)  # the client-side cut stays
    assert turn.route.api == "gpt" and turn.rich  # effort means thinking: the stream gives blocks


def test_a_per_call_model_wins_on_the_gpt_route_and_is_not_sent_to_the_workspace() -> None:
    assert build_turn(None, HELLO, configured=GPT, per_call={"model": "other"}).request.model == "other"
    workspace = build_turn(None, HELLO, configured={"model": "default", "stop": ["END"]}, per_call={"model": "other"})
    body = workspace.request.to_json_dict()
    assert "model" not in body and "stop_sequences" not in body and "output_config" not in body
    assert workspace.stop == ("END",)


def test_thinking_is_sent_in_the_form_the_server_honours() -> None:
    body = build_turn(None, HELLO, configured={**GPT, "thinking": True}, per_call={}).request.to_json_dict()
    assert body["thinking"] == {"enabled": True}  # never Anthropic's {"type": "enabled"}, which it ignores


@pytest.mark.parametrize(
    ("configured", "tools"),
    [({"citations": True}, None), ({}, [{"name": "search", "type": "semantic_search_v1"}])],
)
def test_citations_or_a_builtin_tool_ask_for_the_sources(configured: dict[str, Any], tools: Any) -> None:
    for api in ("gpt", "workspace"):
        request = build_turn(None, HELLO, configured={**GPT, **configured, "api": api}, per_call={}, tools=tools).request
        assert request.system is not None and request.system.extensions == ["zylon"], api
    plain = build_turn(None, HELLO, configured=GPT, per_call={}).request
    assert plain.system is None


def test_tool_context_is_a_turn_field_configured_or_per_call() -> None:
    scope = [{"type": "ingested_artifact", "context_filter": {"collection": "c1"}}]
    other = [{"type": "text", "value": "notes"}]
    assert build_turn(None, HELLO, configured={**GPT, "tool_context": scope}, per_call={}).request.tool_context == scope
    per_call = build_turn(None, HELLO, configured={**GPT, "tool_context": scope}, per_call={"tool_context": other})
    assert per_call.request.tool_context == other
    extra = build_turn(None, HELLO, configured=GPT, per_call={}, extra={"tool_context": other})
    assert extra.request.tool_context == other  # model_kwargs / additional_kwargs still work


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("collection", "tool_context must be a list of context items"),
        ([{"collection": "c1"}], r"tool_context\[0\] must be an object whose 'type' is one of ingested_artifact"),
        ([{"type": "vector_db"}], r"tool_context\[0\]"),
    ],
)
def test_a_malformed_tool_context_is_refused_before_any_request(value: Any, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        build_turn(None, HELLO, configured=GPT, per_call={"tool_context": value})


def test_effort_checks() -> None:
    with pytest.raises(ValueError, match="effort must be one of low, medium, high, max, xhigh, got 'extreme'"):
        build_turn(None, HELLO, configured=GPT, per_call={"effort": "extreme"})
    with pytest.raises(ConfigurationError, match="use thinking=True there"):
        build_turn(None, HELLO, configured={"api": "workspace"}, per_call={"effort": "low"})


def test_input_blocks_are_checked_for_the_api_the_turn_goes_to() -> None:
    found = MessageInput.model_validate({"role": "user", "content": [{"type": "web_search_result", "url": "https://x", "title": "t"}]})
    assert build_turn(None, [found], configured=GPT, per_call={}).request.messages == [found]  # ZylonGPT takes it
    with pytest.raises(ValueError, match="the Workspace chat API does not accept a 'web_search_result' content block"):
        build_turn(None, [found], configured={"api": "workspace"}, per_call={})
    file = MessageInput.model_validate({"role": "user", "content": [{"type": "file", "content": "eA=="}]})
    with pytest.raises(ValueError, match="send the file as a 'document' block"):
        build_turn(None, [file], configured=GPT, per_call={})


# -- effort against the model's card (the plan, driven by hand: no I/O) --------------------


def card(levels: tuple[str, ...]) -> ModelInfo:
    effort: dict[str, Any] = {"supported": bool(levels), **{level: {"supported": True} for level in levels}}
    return ModelInfo(id="only", capabilities={"effort": effort})


def first_call(plan: Iterator[Any], answer: Any = None) -> Call[Any]:
    step = next(plan) if answer is None else plan.send(answer)  # type: ignore[attr-defined]
    assert isinstance(step, Call)
    return step


@pytest.mark.parametrize(("levels", "ok"), [(("low", "high"), True), (("low",), False), ((), False)])
def test_an_effort_the_models_card_does_not_list_is_refused_before_the_turn(levels: tuple[str, ...], ok: bool) -> None:
    api = Endpoints(ZylonSettings.resolve(base_url="http://zylon.invalid", api_token=TEST_TOKEN))
    turn = build_turn(None, HELLO, configured=GPT, per_call={"effort": "high"})
    plan = turn_plan(api, turn.route, turn.request, stream=False)
    assert first_call(plan).path == "/api/gpt/v1/models"
    listed = ModelList(data=[card(levels)])
    if ok:
        assert first_call(plan, listed).path == "/api/gpt/v1/messages"
    else:
        with pytest.raises(ValueError, match="model 'only' does not take effort='high'"):
            plan.send(listed)
    # Read once per client: the next turn goes straight to /messages (or fails the same way).
    again = turn_plan(api, turn.route, turn.request, stream=False)
    if ok:
        assert first_call(again).path == "/api/gpt/v1/messages"
    else:
        with pytest.raises(ValueError):
            next(again)


# -- against the emulator -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(model_ids=("first", "second")) as running:
        yield running


def client(server: Any, **settings: Any) -> ZylonClient:
    return ZylonClient(base_url=server.base_url, api_token=TEST_TOKEN, **settings)


def test_a_gpt_turn_goes_to_messages_with_its_model(server: Any) -> None:
    server.clear_requests()
    turn = build_turn(None, HELLO, configured={**GPT, "model": "second"}, per_call={})
    with client(server) as zylon:
        result = zylon.run_turn(turn.route, turn.request)
    assert result.message.content[0].text == 'You said: "Hello there".'  # type: ignore[union-attr]
    assert result.message.model == "private-gpt" and result.stop_reason == "end_turn"
    (request,) = server.requests
    assert (request["method"], request["path"]) == ("POST", "/api/gpt/v1/messages")
    assert request["json"]["model"] == "second" and "stream" not in request["json"]


def test_the_streamed_gpt_turn_gives_what_the_whole_one_gives(server: Any) -> None:
    turn = build_turn(None, HELLO, configured={**GPT, "thinking": True}, per_call={})
    with client(server) as zylon:
        whole = zylon.run_turn(turn.route, turn.request).message
        server.clear_requests()
        stream = zylon.stream_turn(turn.route, turn.request)
        deltas = list(stream)
    assert server.requests[0]["json"]["stream"] is True
    assert stream.result is not None
    streamed = stream.result.message
    assert [b.type for b in streamed.content] == [b.type for b in whole.content] == ["thinking", "text"]
    assert "".join(d.text for d in deltas if d.kind == "text") == whole.content[1].text  # type: ignore[union-attr]


def test_stop_sequences_are_sent_and_cut(server: Any) -> None:
    turn = build_turn(None, HELLO, configured=GPT, per_call={"stop": ["said"]})
    with client(server) as zylon:
        server.clear_requests()
        result = zylon.run_turn(turn.route, turn.request, stop=turn.stop)
    assert server.requests[0]["json"]["stop_sequences"] == ["said"]
    assert result.message.content[0].text == "You "  # type: ignore[union-attr]
    assert result.stop_reason == "stop_sequence"


def test_an_unknown_model_is_the_servers_explanation(server: Any) -> None:
    turn = build_turn(None, HELLO, configured={**GPT, "model": "nope"}, per_call={})
    with client(server, max_retries=0) as zylon:
        with pytest.raises(BadRequestError, match="nope"):
            zylon.run_turn(turn.route, turn.request)
        with pytest.raises(ServerStreamError, match="nope"):
            list(zylon.stream_turn(turn.route, turn.request))


async def test_the_async_client_takes_the_same_route(server: Any) -> None:
    turn = build_turn(None, HELLO, configured=GPT, per_call={})
    async with AsyncZylonClient(base_url=server.base_url, api_token=TEST_TOKEN) as zylon:
        result = await zylon.run_turn(turn.route, turn.request)
        stream = zylon.stream_turn(turn.route, turn.request)
        texts = [d.text async for d in stream if d.kind == "text"]
        direct = await zylon.messages.create(ChatRequest(messages=HELLO))
    assert "".join(texts) == result.message.content[0].text == direct.content[0].text  # type: ignore[union-attr]


def test_the_messages_resource(server: Any) -> None:
    with client(server) as zylon:
        server.clear_requests()
        answer = zylon.messages.create(ChatRequest(messages=HELLO, stream=True))  # create never streams
        events = list(zylon.messages.stream(ChatRequest(messages=HELLO)))
    assert answer.content[0].text == 'You said: "Hello there".'  # type: ignore[union-attr]
    assert events[0]["type"] == "message_start" and events[-1]["type"] == "message_stop"
    assert [r["json"].get("stream") for r in server.requests] == [False, True]
    assert all(r["json"]["model"] == "default" for r in server.requests)  # the settings' model
