"""ChatZylon offline: configuration, routing and per-call overrides, tools, structured
output, errors and callbacks, with ``httpx.MockTransport`` standing in for the server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import ModelInvalidRequestError, ModelRateLimitError
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, Field

from langchain_zylon import ChatZylon
from tests.conftest import load_example
from tests.langchain.conftest import SECRET, MockServer, json_response, make, sse_response, wired
from zylon_core import BadRequestError, ConfigurationError, RateLimitError

ANSWER = {"id": "msg_1", "role": "assistant", "content": [{"type": "text", "text": "Hello there"}]}
USER_HI = {"role": "user", "content": [{"type": "text", "text": "hi"}]}


def answering(payload: dict[str, Any] | None = None) -> MockServer:
    return MockServer(lambda request: json_response(payload or ANSWER))


# -- configuration --------------------------------------------------------------------


def test_configuration_from_the_environment(clean_env):
    clean_env.setenv("ZYLON_BASE_URL", "https://env.example.com/")
    clean_env.setenv("ZYLON_API_TOKEN", SECRET)
    clean_env.setenv("ZYLON_ORG", "acme")
    clean_env.setenv("ZYLON_MODEL", "private-gpt")
    llm = ChatZylon()
    assert (llm.base_url, llm.org, llm.model) == ("https://env.example.com", "acme", "private-gpt")
    assert llm.api_token.get_secret_value() == SECRET


def test_defaults(clean_env):
    llm = make()
    assert (llm.org, llm.model, llm.max_retries, llm.timeout, llm.streaming) == ("default", "default", 2, 60.0, False)


def test_missing_settings_name_the_variable(clean_env):
    with pytest.raises(ConfigurationError, match="ZYLON_BASE_URL"):
        ChatZylon(api_token=SECRET)
    with pytest.raises(ConfigurationError, match="ZYLON_API_TOKEN"):
        ChatZylon(base_url="https://zylon.example.com")


def test_model_validate_builds_a_working_model_too(clean_env):
    llm = ChatZylon.model_validate({"base_url": "https://z.example.com", "api_key": SECRET, "temperature": 0.5})
    assert llm._client.settings.base_url == "https://z.example.com" and llm.temperature == 0.5
    with pytest.raises(ValueError, match="ZYLON_API_TOKEN"):
        ChatZylon.model_validate({"base_url": "https://z.example.com"})


def test_aliases(clean_env):
    llm = ChatZylon(base_url="https://z.example.com", api_key=SECRET, model_name="m1", stop_sequences=["END"])
    assert llm.api_token.get_secret_value() == SECRET and llm.model == "m1" and llm.stop == ["END"]


def test_unknown_constructor_argument_is_an_error(clean_env):
    with pytest.raises(ValueError, match="temprature"):
        make(temprature=0.2)
    with pytest.raises(ConfigurationError, match="bogus"):
        make(model_kwargs={"bogus": 1})
    assert make(model_kwargs={"min_p": 0.1}).model_kwargs == {"min_p": 0.1}


def test_the_token_is_never_shown_or_serialised(clean_env):
    llm = make()
    for text in (repr(llm), str(llm), llm.model_dump_json(), dumps(llm), json.dumps(llm._identifying_params)):
        assert SECRET not in text
    assert dumpd(llm)["kwargs"]["api_token"] == {"lc": 1, "type": "secret", "id": ["ZYLON_API_TOKEN"]}


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_serialisation_round_trip(clean_env):
    llm = make(project_id="p1", temperature=0.3, thinking=True)
    clean_env.setenv("ZYLON_API_TOKEN", SECRET)
    loaded = load(dumpd(llm), allowed_objects=[ChatZylon], valid_namespaces=["langchain_zylon"], secrets_from_env=True)
    assert isinstance(loaded, ChatZylon)
    assert (loaded.project_id, loaded.temperature, loaded.thinking, loaded.base_url) == ("p1", 0.3, True, "https://zylon.example.com")
    assert loaded.api_token.get_secret_value() == SECRET


def test_one_client_of_each_kind_per_instance_reused_by_bound_copies(clean_env):
    llm = make()
    bound = llm.bind_tools([{"type": "semantic_search_v1", "name": "search"}])
    assert bound.bound is llm
    first, afirst = llm._client, llm._aclient
    server = answering()
    wired_llm = wired(server)
    wired_llm.invoke("hi")
    wired_llm.invoke("hi again")
    assert len(server.requests) == 2
    assert llm._client is first and llm._aclient is afirst


def test_ls_params(clean_env):
    llm = make(temperature=0.1, max_tokens=32, stop=["x"], model="private-gpt")
    assert llm._get_ls_params() == {
        "ls_provider": "zylon",
        "ls_model_name": "private-gpt",
        "ls_model_type": "chat",
        "ls_temperature": 0.1,
        "ls_max_tokens": 32,
        "ls_stop": ["x"],
    }
    assert llm._get_ls_params(stop=["y"], model="other", temperature=0.9)["ls_model_name"] == "other"
    assert llm._llm_type == "zylon-chat"


# -- routing and per-call overrides -----------------------------------------------------


def test_one_shot_chat_request(clean_env):
    server = answering()
    llm = wired(server, temperature=0.2, max_tokens=64)
    result = llm.invoke([SystemMessage("Be brief."), HumanMessage("hi")])
    assert server.paths == ["POST /api/v1/app/chat"]
    assert server.bodies == [{"messages": [USER_HI], "temperature": 0.2, "max_tokens": 64, "system": {"text": "Be brief."}}]
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert server.requests[0].headers["x-org"] == "default"
    assert result.content == "Hello there"
    assert result.response_metadata["model_name"] == "default"
    assert "interaction_id" not in result.response_metadata


def test_project_route_and_per_call_overrides(clean_env):
    server = answering()
    llm = wired(server, project_id="proj_field", temperature=0.2)
    llm.invoke("hi", project_id="proj_call", artifact_ids=["a1"], temperature=0.9, seed=3, thinking=True, citations=True, use_default_prompt=True)
    assert server.paths == ["POST /api/v1/app/project/proj_call/chat"]
    assert server.bodies[0] == {
        "artifact_ids": ["a1"],
        "pgpt": {
            "messages": [USER_HI],
            "temperature": 0.9,
            "seed": 3,
            # Citations ask for their sources (the zylon extension).
            "system": {"use_default_prompt": True, "citations": {"enabled": True}, "extensions": ["zylon"]},
            "thinking": {"enabled": True},
        },
    }


def test_thread_route_sends_only_the_new_turn(clean_env):
    interaction = {
        "id": "inter_1",
        "thread_id": "thread_1",
        "state": "Completed",
        "assistant_output": {"id": "msg_2", "model": "default", "stop_reason": "end_turn", "content": [{"type": "text", "text": "Fine."}], "usage": {"input_tokens": 5, "output_tokens": 1}},
    }
    server = answering(interaction)
    llm = wired(server, thread_id="thread_1", agent="Default")
    history = [HumanMessage("hello"), AIMessage("hello!"), HumanMessage("how are you")]
    result = llm.invoke(history)
    assert server.paths == ["POST /api/v1/app/thread/thread_1/interaction"]
    assert server.bodies[0] == {
        "thread_id": "thread_1",
        "agent": "Default",
        "pgpt": {"messages": [{"role": "user", "content": [{"type": "text", "text": "how are you"}]}]},
    }
    assert result.content == "Fine."
    assert result.response_metadata["interaction_id"] == "inter_1"
    assert result.response_metadata["thread_id"] == "thread_1"
    assert result.usage_metadata["total_tokens"] == 6


def test_routing_mistakes_fail_before_any_request(clean_env):
    server = answering()
    llm = wired(server)
    with pytest.raises(ConfigurationError, match="artifact_ids"):
        llm.invoke("hi", artifact_ids=["a1"])
    with pytest.raises(ConfigurationError, match="agent"):
        llm.invoke("hi", agent="Nope")
    with pytest.raises(TypeError, match="temprature"):
        llm.invoke("hi", temprature=0.3)
    with pytest.raises(ValueError, match="'video'"):
        llm.invoke([HumanMessage([{"type": "video", "url": "https://x/v.mp4"}])])
    assert server.requests == []


def test_stop_sequences_are_applied_client_side(clean_env):
    server = answering({"id": "m", "content": [{"type": "text", "text": "one two STOP three"}]})
    llm = wired(server, stop=["STOP"])
    result = llm.invoke("count")
    assert result.content == "one two "
    assert result.response_metadata["stop_reason"] == "stop_sequence"
    assert "stop" not in server.bodies[0]
    assert wired(server).invoke("count", stop=["two"]).content == "one "


async def test_async_invoke(clean_env):
    server = answering()
    llm = wired(server, project_id="p")
    result = await llm.ainvoke("hi")
    assert result.content == "Hello there" and server.paths == ["POST /api/v1/app/project/p/chat"]


# -- streaming ------------------------------------------------------------------------

STREAM = [
    {"type": "message_start", "message": {"id": "msg_s", "role": "assistant", "content": [], "model": "default"}},
    {"type": "content_block_start", "index": 0, "block_id": "b0", "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "block_id": "b0", "delta": {"type": "text_delta", "text": "Hel"}},
    {"type": "content_block_delta", "index": 0, "block_id": "b0", "delta": {"type": "text_delta", "text": "lo"}},
    {"type": "content_block_stop", "index": 0, "block_id": "b0"},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"input_tokens": 3, "output_tokens": 2}},
    {"type": "message_stop"},
]


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_stream_sends_stream_true_and_fires_a_callback_per_delta(clean_env):
    server = MockServer(lambda request: sse_response(STREAM))
    llm = wired(server)
    handler = Tokens()
    chunks = list(llm.stream("hi", config={"callbacks": [handler]}))
    assert server.bodies[0]["stream"] is True
    assert [c.content for c in chunks] == ["Hel", "lo", ""]
    assert handler.tokens == ["Hel", "lo", ""]
    assert chunks[-1].usage_metadata == {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}


def test_streaming_field_makes_invoke_stream(clean_env):
    server = MockServer(lambda request: sse_response(STREAM))
    llm = wired(server, streaming=True)
    handler = Tokens()
    result = llm.invoke("hi", config={"callbacks": [handler]})
    assert server.bodies[0]["stream"] is True
    assert result.content == "Hello" and handler.tokens[:2] == ["Hel", "lo"]
    assert result.usage_metadata["total_tokens"] == 5


async def test_astream(clean_env):
    server = MockServer(lambda request: sse_response(STREAM))
    llm = wired(server)
    chunks = [c async for c in llm.astream("hi")]
    assert "".join(c.text for c in chunks) == "Hello" and chunks[-1].chunk_position == "last"


# -- tools and structured output ----------------------------------------------------


class Person(BaseModel):
    """A person."""

    name: str = Field(description="Their name")
    age: int


def test_bind_tools_request_shape(clean_env):
    server = answering()
    llm = wired(server)

    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    llm.bind_tools([add, {"type": "semantic_search_v1", "name": "search"}], tool_choice="add").invoke("hi")
    body = server.bodies[0]
    assert body["tools"] == [
        {
            "name": "add",
            "description": "Add two integers.",
            "inputSchema": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]},
        },
        {"name": "search", "type": "semantic_search_v1"},
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "add"}


def test_structured_output_json_schema_with_the_documented_answer(clean_env, shared_api):
    server = answering(load_example("messages.11.response.json"))
    schema = load_example("messages.10.request.json")["response_format"]["json_schema"]
    result = wired(server).with_structured_output(schema).invoke("We deployed the billing dashboard.")
    assert result == {"status": "success", "next_step": "Monitor adoption and collect feedback."}
    assert server.bodies[0]["response_format"] == {"type": "json_schema", "json_schema": schema}


def test_structured_output_pydantic_and_include_raw(clean_env):
    server = answering({"id": "m", "content": [{"type": "text", "text": '```json\n{"name": "Ada", "age": 36}\n```'}]})
    llm = wired(server)
    assert llm.with_structured_output(Person).invoke("who") == Person(name="Ada", age=36)
    sent = server.bodies[0]["response_format"]["json_schema"]
    assert sent["properties"]["name"] == {"type": "string", "description": "Their name"} and sent["required"] == ["name", "age"]
    raw = llm.with_structured_output(Person, include_raw=True).invoke("who")
    assert raw["parsed"] == Person(name="Ada", age=36) and raw["parsing_error"] is None and isinstance(raw["raw"], AIMessage)


def test_structured_output_include_raw_keeps_a_parsing_error(clean_env):
    llm = wired(answering({"id": "m", "content": [{"type": "text", "text": "not json"}]}))
    raw = llm.with_structured_output(Person, include_raw=True).invoke("who")
    assert raw["parsed"] is None and raw["parsing_error"] is not None and raw["raw"].content == "not json"


def test_structured_output_function_calling(clean_env):
    answer = {"id": "m", "stop_reason": "tool_use", "content": [{"type": "tool_use", "id": "t1", "name": "Person", "input": {"name": "Ada", "age": 36}}]}
    server = answering(answer)
    llm = wired(server)
    assert llm.with_structured_output(Person, method="function_calling").invoke("who") == Person(name="Ada", age=36)
    assert server.bodies[0]["tool_choice"] == {"type": "tool", "name": "Person"}
    as_dict = llm.with_structured_output(Person.model_json_schema(), method="function_calling").invoke("who")
    assert as_dict == {"name": "Ada", "age": 36}


def test_structured_output_needs_a_schema_and_a_known_method(clean_env):
    llm = make()
    with pytest.raises(ValueError, match="schema"):
        llm.with_structured_output(None)
    with pytest.raises(ValueError, match="method"):
        llm.with_structured_output(Person, method="xml")  # type: ignore[arg-type]


def test_validate_request(clean_env, shared_api):
    server = answering(load_example("messages.05.response.json"))
    llm = wired(server)
    result = llm.validate_request([SystemMessage("s"), HumanMessage("hi")], max_tokens=5)
    assert result.valid is True
    assert server.paths == ["POST /api/v1/app/chat/validate"]
    assert server.bodies[0] == {"messages": [USER_HI], "max_tokens": 5, "system": {"text": "s"}}


# -- errors ---------------------------------------------------------------------------


def test_errors_are_zylon_and_langchain_errors(clean_env):
    llm = wired(MockServer(lambda r: json_response({"message": "messages.0.content: bad"}, 400)))
    with pytest.raises(ModelInvalidRequestError) as info:
        llm.invoke("hi")
    assert isinstance(info.value, BadRequestError) and "bad" in str(info.value) and info.value.status_code == 400
    llm = wired(MockServer(lambda r: json_response({"message": "slow down"}, 429)), max_retries=0)
    with pytest.raises(ModelRateLimitError) as rate:
        llm.invoke("hi")
    assert isinstance(rate.value, RateLimitError) and SECRET not in str(rate.value)


def test_tool_round_trip_request(clean_env):
    server = answering()
    llm = wired(server)
    llm.invoke(
        [
            HumanMessage("add 1 2"),
            AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"}]),
            ToolMessage("3", tool_call_id="c1"),
        ]
    )
    assert server.bodies[0]["messages"][1:] == [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "c1", "name": "add", "input": {"a": 1, "b": 2}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": [{"type": "text", "text": "3"}]}]},
    ]


@pytest.mark.parametrize("value", [-0.1, 1.5, 5])
def test_a_temperature_outside_zero_to_one_is_refused_when_built(value):
    with pytest.raises(ValueError, match="temperature"):
        make(temperature=value)
    assert make(temperature=1).temperature == 1
