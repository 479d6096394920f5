"""Structured output reaches Zylon with its properties intact, in every form and both
methods, through both adapters (one converter in the core:
``zylon_core._tools.structured_output``), or fails with a ``ValueError`` before any
request (see ``test_bad_input.py``). And a stop sequence given as one string is one
sequence in both adapters.

The fault server records each request body and answers with the structured answer
in the form the method asks for (JSON text, or a call of the forced tool).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel
from typing_extensions import TypedDict

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import FaultServer, respond, sse
from tests.reliability.support import TOKEN

PROPERTIES = {"name": {"type": "string", "description": "their name"}, "age": {"type": "integer"}}
SCHEMA = {"type": "object", "properties": PROPERTIES, "required": ["name", "age"]}
VALUE = {"name": "Ann", "age": 3}


class Person(BaseModel):
    """A person."""

    name: str
    age: int


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


DICT_FORMS: dict[str, Any] = {
    "untitled schema": SCHEMA,
    "titled schema": {**SCHEMA, "title": "Person"},
    "{name, schema, strict}": {"name": "Person", "schema": SCHEMA, "strict": True},
    "response_format": {"type": "json_schema", "json_schema": {"name": "Person", "schema": SCHEMA, "strict": True}},
    "OpenAI function": {"name": "Person", "description": "A person", "parameters": SCHEMA},
    "OpenAI tool": {"type": "function", "function": {"name": "Person", "parameters": SCHEMA}},
}
TOOL_NAMES = {"untitled schema": "output"}  # the others are named Person


def sent(server: FaultServer) -> dict[str, Any]:
    body = json.loads(server.requests[-1][3])
    return body.get("pgpt", body)


def text_answer(value: Any) -> Any:
    return respond(200, {"id": "m", "role": "assistant", "content": [{"type": "text", "text": json.dumps(value)}], "stop_reason": "end_turn"})


def tool_answer(name: str, value: Any) -> Any:
    block = {"type": "tool_use", "id": "tool_1", "name": name, "input": value}
    return respond(200, {"id": "m", "role": "assistant", "content": [block], "stop_reason": "tool_use"})


def _lc(server: FaultServer) -> ChatZylon:
    return ChatZylon(base_url=server.base_url, api_token=TOKEN)


def _li(server: FaultServer, **kw: Any) -> Zylon:
    return Zylon(base_url=server.base_url, api_token=TOKEN, **kw)


# -- LangChain: with_structured_output ------------------------------------------------------


@pytest.mark.parametrize("form", DICT_FORMS)
def test_langchain_json_schema_sends_the_properties_of_every_dict_form(server, form):
    server.play(text_answer(VALUE))
    assert _lc(server).with_structured_output(DICT_FORMS[form]).invoke("who?") == VALUE
    schema = sent(server)["response_format"]["json_schema"]
    assert schema["properties"] == PROPERTIES and schema["required"] == ["name", "age"]


@pytest.mark.parametrize("form", DICT_FORMS)
def test_langchain_function_calling_sends_the_properties_of_every_dict_form(server, form):
    name = TOOL_NAMES.get(form, "Person")
    server.play(tool_answer(name, VALUE))
    assert _lc(server).with_structured_output(DICT_FORMS[form], method="function_calling").invoke("who?") == VALUE
    body = sent(server)
    (tool,) = body["tools"]
    assert tool["name"] == name and tool["inputSchema"]["properties"] == PROPERTIES
    assert body["tool_choice"]["type"] == "tool" and body["tool_choice"]["name"] == name


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
@pytest.mark.parametrize("schema, expected", [(Person, Person(**VALUE)), (PersonDict, VALUE)], ids=["pydantic", "TypedDict"])
def test_langchain_classes_keep_working_in_both_methods(server, method, schema, expected):
    server.play(text_answer(VALUE) if method == "json_schema" else tool_answer(schema.__name__, VALUE))
    structured = _lc(server).with_structured_output(schema, method=method)
    assert structured.invoke("who?") == expected
    body = sent(server)
    got = body["response_format"]["json_schema"] if method == "json_schema" else body["tools"][0]["inputSchema"]
    assert set(got["properties"]) == {"name", "age"}


def test_langchain_include_raw_with_a_wrapper(server):
    server.play(text_answer(VALUE))
    out = _lc(server).with_structured_output(DICT_FORMS["{name, schema, strict}"], include_raw=True).invoke("who?")
    assert out["parsed"] == VALUE and out["parsing_error"] is None


# -- LlamaIndex: structured_predict, as_structured_llm, response_format ---------------------


@pytest.mark.parametrize("form", DICT_FORMS)
def test_llama_index_response_format_sends_the_properties_of_every_dict_form(server, form):
    server.play(text_answer(VALUE))
    response = _li(server).chat([ChatMessage(role="user", content="who?")], response_format=DICT_FORMS[form])
    assert json.loads(response.message.content) == VALUE
    assert sent(server)["response_format"]["json_schema"]["properties"] == PROPERTIES


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_llama_index_structured_predict_in_both_methods(server, method):
    server.play(text_answer(VALUE) if method == "json_schema" else tool_answer("Person", VALUE))
    llm = _li(server, structured_output_method=method)
    assert llm.structured_predict(Person, PromptTemplate("who?")) == Person(**VALUE)
    body = sent(server)
    got = body["response_format"]["json_schema"] if method == "json_schema" else body["tools"][0]["inputSchema"]
    assert set(got["properties"]) == {"name", "age"}


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_llama_index_as_structured_llm_in_both_methods(server, method):
    server.play(text_answer(VALUE) if method == "json_schema" else tool_answer("Person", VALUE))
    structured = _li(server, structured_output_method=method).as_structured_llm(Person)
    assert structured.chat([ChatMessage(role="user", content="who?")]).raw == Person(**VALUE)
    body = sent(server)
    assert ("response_format" in body) is (method == "json_schema") and ("tools" in body) is (method == "function_calling")


async def test_llama_index_astructured_predict(server):
    server.play(text_answer(VALUE))
    try:
        llm = _li(server)
        assert await llm.astructured_predict(Person, PromptTemplate("who?")) == Person(**VALUE)
    finally:
        await llm.aclose()


# -- a stop sequence given as one string ---------------------------------------------------

ANSWER_TEXT = "BEGIN middle END trailing"
STREAM = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"BEGIN mid"}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"dle END trailing"}}\n\n'
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
STOPPED = "BEGIN middle "  # not "B": "END" is one sequence, not the characters E, N, D

STOP_CALLS = {
    "ChatZylon.invoke": lambda s: _lc(s).invoke([HumanMessage("hi")], stop="END").content,
    "ChatZylon.stream": lambda s: "".join(c.text for c in _lc(s).stream([HumanMessage("hi")], stop="END")),
    "ChatZylon.ainvoke": lambda s: asyncio.run(_lc(s).ainvoke([HumanMessage("hi")], stop="END")).content,
    "Zylon.chat": lambda s: _li(s).chat([ChatMessage(role="user", content="hi")], stop="END").message.content,
    "Zylon.stream_chat": lambda s: list(_li(s).stream_chat([ChatMessage(role="user", content="hi")], stop="END"))[-1].message.content,
    "Zylon.complete": lambda s: _li(s).complete("hi", stop="END").text,
}


@pytest.mark.parametrize("name", STOP_CALLS)
def test_a_stop_string_is_one_sequence(server, name):
    whole = respond(200, {"id": "m", "role": "assistant", "content": [{"type": "text", "text": ANSWER_TEXT}]})
    server.play(sse(STREAM) if "stream" in name else whole)
    assert STOP_CALLS[name](server) == STOPPED
