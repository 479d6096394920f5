"""``ChatZylon(api="gpt")`` and the LangChain conventions (token counts, model profile,
``strict``, ``json_mode``, ``stream_usage``, ``response_metadata["model"]``), against the
emulator; background messages submitted here and resumed here, asynchronously, and from
another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.utils import count_tokens_approximately
from pydantic import BaseModel

from langchain_zylon import ChatZylon
from langchain_zylon._gpt import DEFAULT_PROFILE
from tests.conftest import TEST_TOKEN
from zylon_core import ConfigurationError, NotFoundError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(model_ids=("first", "second")) as running:
        yield running


@pytest.fixture(scope="module")
def workspace_token_server() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(token_kind="workspace") as running:
        yield running


def gpt(server: Any, **fields: Any) -> ChatZylon:
    fields.setdefault("model", "first")
    return ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN, api="gpt", max_retries=0, **fields)


def summed(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def sent(server: Any) -> dict[str, Any]:
    return server.requests[-1]["json"]


# -- the route --------------------------------------------------------------------------------


def test_invoke_and_stream_go_to_messages_with_the_model(server: Any) -> None:
    llm = gpt(server)
    server.clear_requests()
    ai = llm.invoke("Hello there")
    full = summed(list(llm.stream("Hello there")))
    assert ai.content == full.content == 'You said: "Hello there".'
    assert [r["path"] for r in server.requests] == ["/api/gpt/v1/messages"] * 2
    assert [r["json"]["model"] for r in server.requests] == ["first", "first"] and server.requests[1]["json"]["stream"] is True
    for message in (ai, full):
        metadata = message.response_metadata
        assert (metadata["model_name"], metadata["model"], metadata["model_provider"]) == ("first", "private-gpt", "zylon")
    assert llm.invoke("Hi", model="second").response_metadata["model_name"] == "second" and sent(server)["model"] == "second"


async def test_the_async_twins(server: Any) -> None:
    llm = gpt(server)
    ai = await llm.ainvoke("Hello there")
    full = summed([c async for c in llm.astream("Hello there", model="second")])
    assert ai.content == full.content and full.response_metadata["model_name"] == "second"


def test_what_the_gpt_route_sends(server: Any) -> None:
    scope = [{"type": "ingested_artifact", "context_filter": {"collection": "nowhere"}}]
    llm = gpt(server, stop=["said"], effort="low", tool_context=scope, citations=True)
    ai = llm.invoke([SystemMessage("Be terse."), HumanMessage("Hello there")])
    body = sent(server)
    assert body["stop_sequences"] == ["said"] and body["output_config"] == {"effort": "low"}
    assert body["tool_context"] == scope and body["system"]["extensions"] == ["zylon"] and body["system"]["text"] == "Be terse."
    assert "You " in ai.text and "said" not in ai.text  # cut by the client as well
    assert ai.response_metadata["stop_reason"] == "stop_sequence"


def test_files_go_as_documents_and_tool_results_as_strings(server: Any) -> None:
    history: list[BaseMessage] = [
        HumanMessage(content=[{"type": "text", "text": "read"}, {"type": "text-plain", "text": "notes", "filename": "n.txt"}]),
        AIMessage(content="", tool_calls=[{"id": "toolu_1", "name": "lookup", "args": {}}]),
        ToolMessage("42", tool_call_id="toolu_1"),
    ]
    gpt(server).invoke(history)
    user, _, results = sent(server)["messages"]
    assert user["content"][1] == {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}, "title": "n.txt"}
    assert results["content"] == [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "42"}]


@pytest.mark.parametrize("field", ["thread_id", "project_id", "artifact_ids", "all_artifacts", "agent"])
def test_workspace_fields_are_refused_by_the_constructor(server: Any, field: str) -> None:
    value: Any = {"artifact_ids": ["a1"], "all_artifacts": True, "agent": "Default"}.get(field, "x1")
    with pytest.raises(ConfigurationError, match=f"{field} belongs to the Workspace API"):
        gpt(server, **{field: value})
    with pytest.raises(ConfigurationError, match="needs api='gpt'"):
        ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN, effort="high")


def test_validate_request_asks_the_apis_own_endpoint(server: Any) -> None:
    server.clear_requests()
    assert gpt(server).validate_request("Hi").valid
    assert not gpt(server, model="nope").validate_request("Hi").valid
    assert ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN).validate_request("Hi").valid
    assert [r["path"] for r in server.requests] == ["/api/gpt/v1/messages/validate"] * 2 + ["/api/v1/app/chat/validate"]


# -- stream_usage and response_metadata ---------------------------------------------------------


@pytest.mark.parametrize("api", ["gpt", "workspace"])
def test_stream_usage_is_on_the_last_chunk_unless_turned_off(server: Any, api: str) -> None:
    on = ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN, api=api)
    off = ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN, api=api, stream_usage=False)
    chunks = list(on.stream("Hello there"))
    assert chunks[-1].usage_metadata == {"input_tokens": 2, "output_tokens": 4, "total_tokens": 6}
    assert all(c.usage_metadata is None for c in chunks[:-1])
    assert summed(list(off.stream("Hello there"))).usage_metadata is None
    assert summed(list(on.stream("Hello there", stream_usage=False))).usage_metadata is None
    assert summed(list(off.stream("Hello there", stream_usage=True))).usage_metadata is not None
    assert on.invoke("Hello there").response_metadata["model"] == ("private-gpt" if api == "gpt" else "default")


# -- token counts -----------------------------------------------------------------------------


@pytest.fixture
def no_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import transformers`` fails, as where it is not installed."""
    monkeypatch.setitem(sys.modules, "transformers", None)


MESSAGES: list[BaseMessage] = [SystemMessage("Be terse."), HumanMessage("Hello there, how are you?")]


def test_tokens_are_counted_by_zylongpt_without_transformers(server: Any, no_transformers: None) -> None:
    server.clear_requests()
    llm = gpt(server)
    counted = llm.get_num_tokens_from_messages(MESSAGES)
    with_tools = llm.get_num_tokens_from_messages(MESSAGES, tools=[{"name": "lookup", "description": "find a word", "parameters": {"type": "object", "properties": {}}}])
    assert 0 < counted < with_tools
    assert llm.get_num_tokens("Hello there") > 0
    first = server.requests[0]
    assert first["path"] == "/api/gpt/v1/messages/count_tokens"
    assert first["json"] == {"model": "first", "system": {"text": "Be terse."}, "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello there, how are you?"}]}]}
    assert server.requests[1]["json"]["tools"][0]["name"] == "lookup"


def test_the_workspace_route_counts_through_zylongpt_when_its_token_reaches_it(server: Any, no_transformers: None) -> None:
    server.clear_requests()
    counted = ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN).get_num_tokens_from_messages(MESSAGES)
    assert counted == gpt(server).get_num_tokens_from_messages(MESSAGES)
    assert server.requests[0]["path"] == "/api/gpt/v1/messages/count_tokens" and server.requests[0]["json"]["model"] == "default"


def test_a_workspace_token_gets_the_approximate_count(workspace_token_server: Any, no_transformers: None) -> None:
    server = workspace_token_server
    server.clear_requests()
    llm = ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN)
    assert llm.get_num_tokens_from_messages(MESSAGES) == count_tokens_approximately(MESSAGES)
    assert llm.get_num_tokens_from_messages(MESSAGES) == count_tokens_approximately(MESSAGES)
    assert len(server.requests) == 1  # the refusal is remembered: asked once
    from zylon_core import AuthenticationError

    with pytest.raises(AuthenticationError, match="Gateway token"):
        ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN, api="gpt").get_num_tokens_from_messages(MESSAGES)


# -- model profile ------------------------------------------------------------------------------


def test_the_profile_is_a_documented_default_until_loaded(server: Any) -> None:
    server.clear_requests()
    llm = gpt(server)
    assert llm.profile == DEFAULT_PROFILE and "max_input_tokens" not in DEFAULT_PROFILE
    assert server.requests == []  # constructing makes no request
    profile = llm.load_profile()
    assert llm.profile == profile and profile["max_input_tokens"] == 8192 and profile["max_output_tokens"] == 1024
    assert profile["name"] == "first" and profile["image_inputs"] is False and profile["reasoning_output"] is True
    assert profile["reasoning_effort_levels"] == ["low", "medium", "high", "max", "xhigh"]
    llm.load_profile()
    assert [r["path"] for r in server.requests] == ["/api/gpt/v1/models"]  # read once per client


async def test_the_profile_of_an_unknown_model_and_of_an_unreachable_list(server: Any, workspace_token_server: Any) -> None:
    assert await gpt(server, model="default").aload_profile() == DEFAULT_PROFILE  # two models: "default" is unknown
    workspace = ChatZylon(base_url=workspace_token_server.base_url, api_key=TEST_TOKEN)
    assert workspace.load_profile() == DEFAULT_PROFILE and workspace.fetch_model_info() is None


# -- strict and json_mode --------------------------------------------------------------------------


class Answer(BaseModel):
    text: str


TOOL = {"name": "lookup", "description": "find a word", "parameters": {"type": "object", "properties": {"word": {"type": "string"}}}}


def caught(call: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in seen if issubclass(w.category, UserWarning)]


def test_strict_is_never_dropped_silently(server: Any) -> None:
    llm = gpt(server)
    assert caught(lambda: llm.bind_tools([TOOL], strict=True)) == [
        "bind_tools: strict=True is not sent: Zylon has no strict mode (its tools and response_format take no 'strict' "
        "flag), so the arguments or JSON it returns are not guaranteed to match the schema; they are parsed against it"
    ]
    for method in ("json_schema", "function_calling"):
        (said,) = caught(lambda: llm.with_structured_output(Answer, method=method, strict=True))  # noqa: B023
        assert said.startswith(f"with_structured_output(method={method!r}): strict=True is not sent")
    assert caught(lambda: llm.bind_tools([TOOL], strict=False)) == caught(lambda: llm.with_structured_output(Answer, strict=None)) == []
    with pytest.warns(UserWarning, match="strict=True is not sent"):
        bound = llm.bind_tools([TOOL], strict=True)
    bound.invoke("Hello")
    assert "strict" not in json.dumps(sent(server))


def test_json_mode_is_sent_as_json_schema_with_a_warning(server: Any) -> None:
    llm = gpt(server)
    (said,) = caught(lambda: llm.with_structured_output(Answer, method="json_mode"))
    assert said == "Zylon has no JSON mode: method='json_mode' is sent as a json_schema response_format with the given schema"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = llm.with_structured_output(Answer, method="json_mode").invoke("Give me an answer")
        anything = llm.with_structured_output(None, method="json_mode").invoke("Give me JSON")
    assert isinstance(parsed, Answer)
    assert isinstance(anything, dict) and sent(server)["response_format"] == {"type": "json_schema", "json_schema": {"type": "object"}}


# -- background messages ------------------------------------------------------------------------


def test_submit_then_resume(server: Any) -> None:
    llm = gpt(server, citations=True)
    expected = llm.invoke("Hello there")
    message_id = llm.submit("Hello there")
    status = llm.background_status(message_id)
    chunks = list(llm.resume(message_id))
    full = summed(chunks)
    assert status.status == "completed" and status.message_id == message_id
    assert full.text == expected.text and full.usage_metadata == expected.usage_metadata
    assert chunks[-1].chunk_position == "last" and full.response_metadata["model_provider"] == "zylon"
    assert summed(list(llm.resume(message_id))).text == expected.text  # as often as wanted, from the start
    llm.cancel_background(message_id)
    llm.delete_background(message_id)
    with pytest.raises(NotFoundError, match=f"Stream with message_id {message_id} not found"):
        list(llm.resume(message_id))


def test_submit_takes_the_per_call_arguments_and_a_chosen_id(server: Any) -> None:
    llm = gpt(server)
    assert llm.submit([HumanMessage("Hello there")], message_id="lc-report-1", model="second", stop=["said"]) == "lc-report-1"
    request = server.requests[-1]
    assert request["path"] == "/api/gpt/v1/messages/async" and request["query"] == {"message_id": "lc-report-1"}
    assert request["json"]["model"] == "second" and request["json"]["stop_sequences"] == ["said"]
    assert summed(list(llm.resume("lc-report-1", stop=["said"]))).text == "You "
    assert summed(list(ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN, stream_usage=False).resume("lc-report-1"))).usage_metadata is None


def test_submit_needs_the_gpt_route(server: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"submit needs ChatZylon\(api='gpt'\)"):
        ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN).submit("Hello")


async def test_asubmit_and_aresume(server: Any) -> None:
    llm = gpt(server)
    message_id = await llm.asubmit("Hello there")
    full = summed([c async for c in llm.aresume(message_id)])
    assert full.text == 'You said: "Hello there".' and (await llm.abackground_status(message_id)).finished
    await llm.acancel_background(message_id)
    await llm.adelete_background(message_id)
    with pytest.raises(NotFoundError):
        await llm.abackground_status(message_id)


RESUME = """
import json, sys
from langchain_zylon import ChatZylon
llm = ChatZylon(api="gpt")
chunks = list(llm.resume(sys.argv[1]))
full = chunks[0]
for chunk in chunks[1:]:
    full = full + chunk
print(json.dumps({"text": full.text, "usage": full.usage_metadata, "last": chunks[-1].chunk_position}))
"""


def test_a_background_message_resumed_from_another_process(server: Any) -> None:
    message_id = gpt(server).submit("Hello from the first process")
    env = {**os.environ, "ZYLON_BASE_URL": server.base_url, "ZYLON_API_TOKEN": TEST_TOKEN, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", RESUME, message_id], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    assert resumed == {
        "text": 'You said: "Hello from the first process".',
        "usage": {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12},
        "last": "last",
    }
