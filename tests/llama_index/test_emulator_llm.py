"""Every ``Zylon`` method against the local emulator (a real HTTP server on loopback)."""

from __future__ import annotations

import json
from typing import Optional

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from llama_index_zylon import Zylon
from tests.llama_index.conftest import HELLO, TOOLS, chat_requests, request_of, tool_calls
from zylon_core import NotFoundError


class Person(BaseModel):
    """A person."""

    name: str
    age: int


class Team(BaseModel):
    lead: Person
    size: int
    motto: Optional[str] = None


# --------------------------------------------------------------------------------------
# chat / complete, sync and async, streaming and not
# --------------------------------------------------------------------------------------


def test_chat(llm, emulator):
    response = llm.chat(HELLO)
    assert response.message.role == "assistant"
    assert response.message.content == 'You said: "Hello there".'
    kwargs = response.additional_kwargs
    assert kwargs["id"].startswith("msg_") and kwargs["stop_reason"] == "end_turn" and kwargs["model"] == "default"
    assert kwargs["usage"]["output_tokens"] == 4 and response.raw["usage"]["output_tokens"] == 4
    (recorded,) = chat_requests(emulator)
    assert recorded["path"] == "/api/v1/app/chat"
    assert recorded["headers"]["x-org"] == "default"
    body = recorded["json"]
    assert body["system"] == {"text": "Be brief."}
    assert [m["role"] for m in body["messages"]] == ["user"]


async def test_streaming_true_reads_chat_as_a_stream_with_the_same_answer(llm, emulator):
    plain = llm.chat(HELLO)
    streamed = Zylon(streaming=True)
    emulator.clear_requests()
    got = streamed.chat(HELLO)
    agot = await streamed.achat(HELLO)
    assert got.message.content == agot.message.content == plain.message.content
    assert got.additional_kwargs["stop_reason"] == plain.additional_kwargs["stop_reason"] == "end_turn"
    assert [r["json"].get("stream") for r in chat_requests(emulator)] == [True, True]


async def test_achat_equals_chat(llm):
    assert (await llm.achat(HELLO)).message.content == llm.chat(HELLO).message.content


def test_complete_and_acomplete(llm):
    assert llm.complete("what is 2 + 3").text == "2 + 3 = 5."


async def test_acomplete(llm):
    response = await llm.acomplete("what is 6 * 7")
    assert response.text == "6 * 7 = 42."
    assert response.additional_kwargs["stop_reason"] == "end_turn"


def test_stream_chat_deltas_add_up_to_the_answer(llm, emulator):
    chunks = list(llm.stream_chat(HELLO))
    assert len([c for c in chunks if c.delta]) > 1, "the answer came in several deltas"
    text = "".join(c.delta or "" for c in chunks)
    assert text == chunks[-1].message.content == llm.chat(HELLO).message.content
    assert chunks[-1].additional_kwargs["usage"]["output_tokens"] == 4
    assert request_of(chat_requests(emulator)[0])["stream"] is True


async def test_astream_chat(llm):
    chunks = [c async for c in await llm.astream_chat(HELLO)]
    assert "".join(c.delta or "" for c in chunks) == 'You said: "Hello there".'
    assert chunks[-1].additional_kwargs["stop_reason"] == "end_turn"


def test_stream_complete(llm):
    chunks = list(llm.stream_complete("what is 2 + 3"))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text == "2 + 3 = 5."


async def test_astream_complete(llm):
    chunks = [c async for c in await llm.astream_complete("what is 2 + 3")]
    assert chunks[-1].text == "2 + 3 = 5."
    assert [c.text for c in chunks if c.delta][-1] == "2 + 3 = 5."


# --------------------------------------------------------------------------------------
# options: thinking, max_tokens, stop, sampling
# --------------------------------------------------------------------------------------


def test_thinking_is_a_thinking_block(zylon_env):
    llm = Zylon(thinking=True)
    response = llm.chat(HELLO)
    thinking, text = response.message.blocks
    assert isinstance(thinking, ThinkingBlock) and thinking.content == "Thinking about: Hello there"
    assert response.message.content == 'You said: "Hello there".'
    chunks = list(llm.stream_chat(HELLO))
    assert "".join(c.additional_kwargs.get("thinking_delta", "") for c in chunks) == "Thinking about: Hello there"
    assert "".join(c.delta or "" for c in chunks) == 'You said: "Hello there".'
    assert isinstance(chunks[-1].message.blocks[0], ThinkingBlock)
    assert llm.complete("Hello there").additional_kwargs["thinking"] == "Thinking about: Hello there"


def test_max_tokens_and_sampling_fields_are_sent(zylon_env):
    zylon_env.clear_requests()
    llm = Zylon(max_tokens=2, temperature=0.1, top_p=0.5, top_k=3, seed=9)
    response = llm.chat(HELLO)
    assert response.message.content == "You said:"
    assert response.additional_kwargs["stop_reason"] == "max_tokens"
    body = request_of(chat_requests(zylon_env)[0])
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["top_k"], body["seed"]) == (2, 0.1, 0.5, 3, 9)


def test_stop_sequences_cut_the_answer_client_side(zylon_env):
    zylon_env.clear_requests()
    llm = Zylon(stop=["there"])
    response = llm.chat(HELLO)
    assert response.message.content == 'You said: "Hello '
    assert response.additional_kwargs["stop_reason"] == "stop_sequence"
    chunks = list(llm.stream_chat(HELLO, stop=["said"]))
    assert "".join(c.delta or "" for c in chunks) == "You "
    assert "stop" not in request_of(chat_requests(zylon_env)[0])


def test_server_errors_surface_as_zylon_errors(llm):
    with pytest.raises(NotFoundError):
        llm.chat(HELLO, thread_id="thread_does_not_exist")


# --------------------------------------------------------------------------------------
# tools
# --------------------------------------------------------------------------------------


def test_chat_with_tools_then_answer_with_the_result(llm, emulator):
    response = llm.chat_with_tools(TOOLS, user_msg="Add 5 and 7")
    assert tool_calls(response) == [("add", {"a": 5, "b": 7})]
    assert response.additional_kwargs["stop_reason"] == "tool_use"
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("add", {"a": 5, "b": 7})
    result = TOOLS[0].call(**selection.tool_kwargs)

    history = [
        ChatMessage(role="user", content="Add 5 and 7"),
        response.message,
        ChatMessage(role="tool", content=str(result), additional_kwargs={"tool_call_id": selection.tool_id}),
    ]
    final = llm.chat_with_tools(TOOLS, chat_history=history)
    assert final.message.content == "The result of add is 12."
    assert llm.get_tool_calls_from_response(final, error_on_no_tool_call=False) == []

    first, second = (request_of(r) for r in chat_requests(emulator))
    assert first["tools"][0] == {
        "name": "add",
        "description": TOOLS[0].metadata.description,
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"title": "A", "type": "integer"}, "b": {"title": "B", "type": "integer"}},
            "required": ["a", "b"],
        },
    }
    assert first["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert second["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": selection.tool_id, "content": [{"type": "text", "text": "12"}]}
    ]


async def test_achat_with_tools_required_forces_a_call(llm, emulator):
    response = await llm.achat_with_tools(TOOLS, user_msg="Compute with the numbers 3 and 4", tool_required=True)
    assert tool_calls(response) == [("multiply", {"a": 3, "b": 4})]
    assert request_of(chat_requests(emulator)[0])["tool_choice"]["type"] == "any"


def test_tool_choice_by_name(llm, emulator):
    response = llm.chat_with_tools(TOOLS, user_msg="9 and 10", tool_choice="multiply")
    assert tool_calls(response) == [("multiply", {"a": 9, "b": 10})]
    assert request_of(chat_requests(emulator)[0])["tool_choice"]["name"] == "multiply"


def test_parallel_tool_calls_only_when_allowed(llm):
    prompt = "Use add on 5 and 7, and multiply 3 and 4"
    parallel = llm.chat_with_tools(TOOLS, user_msg=prompt, allow_parallel_tool_calls=True)
    assert tool_calls(parallel) == [("add", {"a": 5, "b": 7}), ("multiply", {"a": 3, "b": 4})]
    assert len(llm.get_tool_calls_from_response(parallel)) == 2
    single = llm.chat_with_tools(TOOLS, user_msg=prompt)
    assert tool_calls(single) == [("add", {"a": 5, "b": 7})]


def test_stream_chat_with_tools_shows_calls_as_their_arguments_arrive(llm):
    """The real server sends a call's arguments whole (``partial_json_obj``, then the
    JSON in one piece): a call shows up first without them, then with them, before the
    stream ends. Piecewise JSON is parsed as it grows (see test_codec_stream)."""
    prompt = "Use add on 5 and 7, and multiply 3 and 4"
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg=prompt, allow_parallel_tool_calls=True))
    seen = [tool_calls(c) for c in chunks]
    first = next(i for i, s in enumerate(seen) if s)
    assert seen[first] == [("add", {})], "a call shows up before its arguments"
    assert [("add", {"a": 5, "b": 7})] in seen[first + 1 : -1], "its arguments arrive while the stream goes on"
    assert seen[-1] == [("add", {"a": 5, "b": 7}), ("multiply", {"a": 3, "b": 4})]
    assert [t.tool_kwargs for t in llm.get_tool_calls_from_response(chunks[-1])] == [{"a": 5, "b": 7}, {"a": 3, "b": 4}]


async def test_astream_chat_with_tools(llm):
    chunks = [c async for c in await llm.astream_chat_with_tools(TOOLS, user_msg="Add 2 and 40")]
    assert tool_calls(chunks[-1]) == [("add", {"a": 2, "b": 40})]
    assert chunks[-1].additional_kwargs["stop_reason"] == "tool_use"


def test_predict_and_call_runs_the_tool(llm):
    output = llm.predict_and_call(TOOLS, user_msg="Multiply 6 and 7")
    assert output.response == "42" and output.sources[0].tool_name == "multiply"


async def test_apredict_and_call(llm):
    output = await llm.apredict_and_call(TOOLS, user_msg="Add 1 and 2")
    assert output.response == "3"


# --------------------------------------------------------------------------------------
# structured output
# --------------------------------------------------------------------------------------

PROMPT = PromptTemplate("Extract the person: {text}")


def test_structured_predict_uses_response_format(llm, emulator):
    person = llm.structured_predict(Person, PROMPT, text="'Ada Lovelace' is 36 years old.")
    assert person == Person(name="Ada Lovelace", age=36)
    body = request_of(chat_requests(emulator)[0])
    assert body["response_format"]["type"] == "json_schema"
    assert set(body["response_format"]["json_schema"]["properties"]) == {"name", "age"}
    assert "tools" not in body


def test_structured_predict_nested_model(llm, emulator):
    team = llm.structured_predict(Team, PromptTemplate("Describe the team: {text}"), text="'Grace' is 85, team of 4")
    assert team.lead.name == "Grace" and (team.lead.age, team.size) == (85, 4)
    assert "$ref" not in str(request_of(chat_requests(emulator)[0])["response_format"])


async def test_astructured_predict(llm):
    person = await llm.astructured_predict(Person, PROMPT, text="'Alan' is 41")
    assert person == Person(name="Alan", age=41)


def test_stream_structured_predict_yields_partials_then_the_object(llm):
    outputs = list(llm.stream_structured_predict(Person, PROMPT, text="'Ada' is 36"))
    assert outputs[-1] == Person(name="Ada", age=36)
    assert len(outputs) >= 2 and all(getattr(o, "name", None) in (None, "Ada") or o.name.startswith("A") for o in outputs)


async def test_astream_structured_predict(llm):
    outputs = [o async for o in await llm.astream_structured_predict(Person, PROMPT, text="'Ada' is 36")]
    assert outputs[-1] == Person(name="Ada", age=36)


def test_as_structured_llm(llm):
    structured = llm.as_structured_llm(Person)
    response = structured.chat([ChatMessage(role="user", content="'Ada' is 36")])
    assert response.raw == Person(name="Ada", age=36)
    assert json.loads(response.message.content) == {"name": "Ada", "age": 36}


async def test_as_structured_llm_async_stream(llm):
    structured = llm.as_structured_llm(Person)
    chunks = [c async for c in await structured.astream_chat([ChatMessage(role="user", content="'Ada' is 36")])]
    assert chunks[-1].raw == Person(name="Ada", age=36)


def test_function_calling_structured_output(zylon_env):
    zylon_env.clear_requests()
    llm = Zylon(structured_output_method="function_calling")
    person = llm.structured_predict(Person, PROMPT, text="'Ada' is 36")
    assert person == Person(name="Ada", age=36)
    body = request_of(chat_requests(zylon_env)[0])
    assert body["tools"][0]["name"] == "Person" and "response_format" not in body
    assert body["tool_choice"]["type"] in ("any", "tool")


# --------------------------------------------------------------------------------------
# property: a streamed answer ends as the same message as the non-streamed one
# --------------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_words = st.lists(st.sampled_from(["add", "5", "and", "7", "hello", "my", "name", "is", "Ada", "what", "+", "2"]), min_size=1, max_size=8)


def _same(blocks):
    """Blocks, minus what the server makes anew for each answer: tool call ids and
    thinking signatures (which must be there)."""
    out = []
    for block in blocks:
        if isinstance(block, ToolCallBlock):
            block = block.model_copy(update={"tool_call_id": None})
        elif isinstance(block, ThinkingBlock):
            assert block.additional_information["signature"].startswith("sig_")
            block = block.model_copy(update={"additional_information": {}})
        out.append(block)
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=_words, thinking=st.booleans(), with_tools=st.booleans())
def test_stream_and_answer_agree(zylon_env, words, thinking, with_tools):
    llm = Zylon(thinking=thinking)
    messages = [ChatMessage(role="user", content=" ".join(words))]
    kwargs = {"tools": TOOLS} if with_tools else {}
    if with_tools:
        kwargs = llm._prepare_chat_with_tools(TOOLS, chat_history=messages, allow_parallel_tool_calls=True)
        messages = kwargs.pop("messages")
    answer = llm.chat(messages, **kwargs)
    chunks = list(llm.stream_chat(messages, **kwargs))
    final = chunks[-1]
    assert "".join(c.delta or "" for c in chunks) == (answer.message.content or "")
    assert _same(final.message.blocks) == _same(answer.message.blocks)
    assert _same(chunks[-2].message.blocks) == _same(answer.message.blocks), "the last partial already equals it"
    assert final.additional_kwargs["stop_reason"] == answer.additional_kwargs["stop_reason"]
