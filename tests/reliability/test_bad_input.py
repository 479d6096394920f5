"""Bad input is a ``ValueError`` naming the problem, raised before any request is sent.

Every case runs against a loopback server that records whatever reaches it; after each
case it must have seen nothing. Both adapters, where the input exists in both.

What "contradicts" means for routing (``zylon_core._turns.Route``):

* a per-call ``project_id`` while the call goes to a thread (from the field or the
  call): the thread answers within its own project, so the project would be silently
  ignored; pass ``thread_id=None`` to chat in the project instead. (A *field*
  ``project_id`` with a per-call ``thread_id`` is fine: "this model's project, this
  thread".)
* ``agent="ProjectDeepResearch"`` without a thread (only interactions take an agent);
* ``artifact_ids`` / ``all_artifacts`` without a project or thread, or
  ``all_artifacts=True`` together with ``artifact_ids``;
* ids that are empty or would leave their URL path segment (``"../chat"``).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages import ChatMessage as LCChatMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.prompts import PromptTemplate

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import FaultServer
from tests.reliability.support import TOKEN


@pytest.fixture(scope="module")
def server():
    with FaultServer() as srv:
        yield srv


def lc(server: FaultServer, **fields: Any) -> ChatZylon:
    return ChatZylon(base_url=server.base_url, api_token=TOKEN, max_retries=0, **fields)


def li(server: FaultServer, **fields: Any) -> Zylon:
    return Zylon(base_url=server.base_url, api_token=TOKEN, max_retries=0, **fields)


def user(text: str = "hi") -> ChatMessage:
    return ChatMessage(role="user", content=text)


def lc_tool_turn(args: Any) -> list[Any]:
    return [
        HumanMessage("use the tool"),
        AIMessage(content="", tool_calls=[{"name": "t", "args": args, "id": "call_1"}]),
        ToolMessage("done", tool_call_id="call_1"),
    ]


def li_tool_turn(arguments: Any) -> list[ChatMessage]:
    return [
        user("use the tool"),
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="call_1", tool_name="t", tool_kwargs=arguments)]),
        ChatMessage(role="tool", content="done", additional_kwargs={"tool_call_id": "call_1"}),
    ]


OBJECT_SCHEMA = {"type": "object", "properties": {"q": {"type": "string"}}}


def nested(levels: int) -> dict[str, Any]:
    """An object schema with ``levels`` objects inside one another (built without recursion)."""
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"inner": schema}}
    return schema

Case = Callable[[FaultServer], Any]

# (id, call, the words the ValueError must contain)
CASES: list[tuple[str, Case, str]] = [
    # -- unknown or malformed content blocks
    ("lc-unknown-block-type", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "video", "url": "https://x/v.mp4"}])]), "'video' is not supported"),
    ("lc-block-without-type", lambda s: lc(s).invoke([HumanMessage(content=[{"text": "no type"}])]), "type None is not supported"),
    ("lc-unknown-role", lambda s: lc(s).invoke([LCChatMessage(role="wizard", content="hi")]), "'wizard' is not supported"),
    ("lc-system-image", lambda s: lc(s).invoke([SystemMessage(content=[{"type": "image", "url": "https://x/a.png"}]), HumanMessage("hi")]), "system.text) is text only"),
    ("li-unknown-block-type", lambda s: li(s).chat([ChatMessage(role="user", blocks=[VideoBlock(url="https://x/v.mp4")])]), "VideoBlock is not supported"),
    ("li-tool-call-in-user-message", lambda s: li(s).chat([ChatMessage(role="user", blocks=[ToolCallBlock(tool_call_id="c", tool_name="t", tool_kwargs={})])]), "can only appear in an assistant message"),
    ("li-tool-result-without-id", lambda s: li(s).chat([user(), ChatMessage(role="tool", content="x")]), "needs additional_kwargs['tool_call_id']"),
    # -- tools without a name, schemas that are not objects
    ("lc-tool-without-name", lambda s: lc(s).bind_tools([{"description": "nameless", "inputSchema": OBJECT_SCHEMA}]), "non-empty string 'name'"),
    ("lc-tool-with-empty-name-per-call", lambda s: lc(s).invoke("hi", tools=[{"name": "", "inputSchema": OBJECT_SCHEMA}]), "non-empty string 'name'"),
    ("lc-tool-schema-array", lambda s: lc(s).bind_tools([{"name": "t", "inputSchema": {"type": "array", "items": {}}}]), "must describe an object"),
    ("lc-tool-schema-string", lambda s: lc(s).bind_tools([{"name": "t", "input_schema": "a string"}]), "must be a JSON-schema object"),
    ("lc-openai-tool-schema-array", lambda s: lc(s).bind_tools([{"type": "function", "function": {"name": "t", "parameters": {"type": "array"}}}]), "must describe an object"),
    ("lc-unknown-tool-type", lambda s: lc(s).bind_tools([{"type": "code_interpreter_v9", "name": "x"}]), "unknown tool type"),
    ("lc-tool-choice-not-bound", lambda s: lc(s).bind_tools([{"name": "t", "inputSchema": OBJECT_SCHEMA}], tool_choice="other"), "not among the tools"),
    ("li-tool-without-name", lambda s: li(s).chat([user()], tools=[{"inputSchema": OBJECT_SCHEMA}]), "non-empty string 'name'"),
    ("li-tool-schema-array", lambda s: li(s).chat([user()], tools=[{"name": "t", "inputSchema": {"type": "array"}}]), "must describe an object"),
    ("li-tool-schema-string", lambda s: li(s).chat([user()], tools=[{"name": "t", "inputSchema": "a string"}]), "must be a JSON-schema object"),
    ("li-duplicate-tool-names", lambda s: li(s).chat([user()], tools=[{"name": "t", "inputSchema": OBJECT_SCHEMA}] * 2), "tool names must be unique"),
    ("li-tool-choice-without-tools", lambda s: li(s).chat([user()], tool_choice="any"), "tool_choice was given without tools"),
    # -- tool arguments that are not JSON
    ("lc-tool-args-object", lambda s: lc(s).invoke(lc_tool_turn({"when": object()})), "not JSON-serialisable"),
    ("lc-tool-args-nan", lambda s: lc(s).invoke(lc_tool_turn({"x": math.nan})), "not JSON-serialisable"),
    ("lc-tool-use-block-args-set", lambda s: lc(s).invoke([HumanMessage("x"), AIMessage(content=[{"type": "tool_use", "id": "c", "name": "t", "input": {"s": {1, 2}}}]), ToolMessage("ok", tool_call_id="c")]), "not JSON-serialisable"),
    ("li-tool-args-object", lambda s: li(s).chat(li_tool_turn({"when": object()})), "not JSON-serialisable"),
    ("li-tool-args-infinity", lambda s: li(s).chat(li_tool_turn({"x": math.inf})), "not JSON-serialisable"),
    ("li-tool-args-bad-json-text", lambda s: li(s).chat(li_tool_turn("{oops")), "not valid JSON"),
    ("li-tool-args-json-array", lambda s: li(s).chat(li_tool_turn("[1, 2]")), "must be a JSON object"),
    # -- broken data URIs
    ("lc-data-uri-bad-base64", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@not-base64@@"}}])]), "not valid base64"),
    ("lc-data-uri-not-base64", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "image", "url": "data:image/png,rawbytes"}])]), "malformed data URI"),
    ("lc-data-uri-empty", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "image", "url": "data:image/png;base64,"}])]), "no data"),
    ("lc-file-data-bad", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "file", "file": {"file_data": "data:application/pdf;base64,%%%", "filename": "a.pdf"}}])]), "not valid base64"),
    ("lc-file-data-not-a-uri", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "file", "file": {"file_data": "JVBERi0=", "filename": "a.pdf"}}])]), "must be a base64 data URI"),
    ("li-image-data-uri-bad-base64", lambda s: li(s).chat([ChatMessage(role="user", blocks=[ImageBlock(url="data:image/png;base64,@@not-base64@@")])]), "not valid base64"),
    ("li-image-data-uri-not-base64", lambda s: li(s).chat([ChatMessage(role="user", blocks=[ImageBlock(url="data:image/png,rawbytes")])]), "malformed data URI"),
    ("li-document-data-uri-bad", lambda s: li(s).chat([ChatMessage(role="user", blocks=[TextBlock(text="read"), DocumentBlock(url="data:application/pdf;base64,%%%")])]), "not valid base64"),
    ("lc-text-file-not-utf8", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "file", "base64": "/////w==", "mime_type": "text/plain"}])]), "not UTF-8"),
    # (a LlamaIndex text document that is not UTF-8 goes to the Workspace as binary, its
    # bytes intact; only api="gpt", which sends the text, refuses it: test_codec_inputs)
    # -- nothing to send
    ("lc-empty-message-list", lambda s: lc(s).invoke([]), "no user message to send"),
    ("lc-only-system", lambda s: lc(s).invoke([SystemMessage("be brief")]), "no user message to send"),
    ("lc-thread-last-message-assistant", lambda s: lc(s, thread_id="t1").invoke([HumanMessage("hi"), AIMessage("hello")]), "nothing new to send"),
    ("li-empty-message-list", lambda s: li(s).chat([]), "no user message to send"),
    ("li-only-system", lambda s: li(s).chat([ChatMessage(role="system", content="be brief")]), "no user message to send"),
    ("li-thread-last-message-assistant", lambda s: li(s, thread_id="t1").chat([user(), ChatMessage(role="assistant", content="hello")]), "nothing new to send"),
    # -- routing that contradicts itself
    ("lc-thread-field-with-per-call-project", lambda s: lc(s, thread_id="t1").invoke("hi", project_id="p2"), "project_id='p2' was passed for this call, but the call goes to thread 't1'"),
    ("lc-per-call-thread-and-project", lambda s: lc(s).invoke("hi", thread_id="t1", project_id="p2"), "goes to thread 't1'"),
    ("lc-agent-without-thread", lambda s: lc(s).invoke("hi", agent="ProjectDeepResearch"), "needs a thread_id"),
    ("lc-artifacts-without-project", lambda s: lc(s).invoke("hi", artifact_ids=["a1"]), "need a project_id or thread_id"),
    ("lc-all-artifacts-and-ids", lambda s: lc(s, project_id="p1").invoke("hi", artifact_ids=["a1"], all_artifacts=True), "contradict each other"),
    ("lc-artifact-ids-as-string", lambda s: lc(s, project_id="p1").invoke("hi", artifact_ids="a1"), "must be a list of ids"),
    ("lc-thread-id-escapes-path", lambda s: lc(s).invoke("hi", thread_id="../../chat"), "not a valid Zylon id"),
    ("lc-empty-thread-id", lambda s: lc(s).invoke("hi", thread_id=""), "non-empty string"),
    ("lc-unknown-agent", lambda s: lc(s).invoke("hi", thread_id="t1", agent="Sneaky"), "agent must be one of"),
    ("li-thread-field-with-per-call-project", lambda s: li(s, thread_id="t1").chat([user()], project_id="p2"), "project_id='p2' was passed for this call, but the call goes to thread 't1'"),
    ("li-agent-without-thread", lambda s: li(s).chat([user()], agent="ProjectDeepResearch"), "needs a thread_id"),
    ("li-all-artifacts-and-ids", lambda s: li(s, project_id="p1").chat([user()], artifact_ids=["a1"], all_artifacts=True), "contradict each other"),
    ("li-project-id-with-query", lambda s: li(s).chat([user()], project_id="p1?admin=1"), "not a valid Zylon id"),
    # -- sampling out of range, per call
    ("lc-temperature-negative", lambda s: lc(s).invoke("hi", temperature=-0.1), "temperature must be between 0 and 1"),
    ("lc-temperature-nan", lambda s: lc(s).invoke("hi", temperature=math.nan), "temperature must be between 0 and 1"),
    ("lc-top-p-above-1", lambda s: lc(s).invoke("hi", top_p=1.5), "top_p must be between 0 and 1"),
    ("lc-top-p-negative", lambda s: lc(s).invoke("hi", top_p=-0.5), "top_p must be between 0 and 1"),
    ("lc-top-k-zero", lambda s: lc(s).invoke("hi", top_k=0), "top_k must be >= 1"),
    ("lc-max-tokens-zero", lambda s: lc(s).invoke("hi", max_tokens=0), "max_tokens must be >= 1"),
    ("lc-stream-max-tokens-negative", lambda s: list(lc(s).stream("hi", max_tokens=-5)), "max_tokens must be >= 1"),
    ("li-temperature-negative", lambda s: li(s).chat([user()], temperature=-1), "temperature must be between 0 and 1"),
    ("li-top-p-above-1", lambda s: li(s).chat([user()], top_p=1.01), "top_p must be between 0 and 1"),
    ("li-top-k-zero", lambda s: li(s).chat([user()], top_k=0), "top_k must be >= 1"),
    ("li-max-tokens-zero", lambda s: li(s).chat([user()], max_tokens=0), "max_tokens must be >= 1"),
    ("li-stream-top-p-negative", lambda s: li(s).stream_chat([user()], top_p=-0.1), "top_p must be between 0 and 1"),
    ("li-min-p-above-1", lambda s: li(s).chat([user()], min_p=2.0), "min_p must be between 0 and 1"),
    # -- text that is not text, and turns that say nothing
    ("lc-text-block-text-none", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "text", "text": None}])]), "messages[0].content[0]: a text block's 'text' must be a string, got None"),
    ("lc-text-block-text-number", lambda s: lc(s).invoke([HumanMessage(content=[{"type": "text", "text": "ok"}, {"type": "text", "text": 42}])]), "messages[0].content[1]"),
    ("lc-stream-text-block-text-none", lambda s: list(lc(s).stream([HumanMessage(content=[{"type": "text", "text": None}])])), "'text' must be a string"),
    ("lc-empty-human-message", lambda s: lc(s).invoke([HumanMessage("")]), "messages[0] (user) is empty"),
    ("li-content-none", lambda s: li(s).chat([ChatMessage(role="user", content=None)]), "messages[0] (user) is empty"),
    ("li-content-empty-string", lambda s: li(s).chat([user("")]), "messages[0] (user) is empty"),
    ("li-empty-turn-after-history", lambda s: li(s).chat([user(), ChatMessage(role="assistant", content="hello"), ChatMessage(role="user", content=None)]), "messages[2] (user) is empty"),
    ("li-thread-empty-turn", lambda s: li(s, thread_id="t1").chat([ChatMessage(role="user", content=None)]), "(user) is empty"),
    ("li-stream-content-none", lambda s: list(li(s).stream_chat([ChatMessage(role="user", content=None)])), "(user) is empty"),
    # -- tool and output schemas nested too deep (JSON a recursion would choke on)
    ("lc-tool-schema-too-deep", lambda s: lc(s).bind_tools([{"name": "t", "inputSchema": nested(40)}]), "nests deeper than 64 levels"),
    ("lc-tool-schema-10000-deep", lambda s: lc(s).invoke("hi", tools=[{"name": "t", "inputSchema": nested(10000)}]), "nests deeper than 64 levels"),
    ("li-tool-schema-too-deep", lambda s: li(s).chat([user()], tools=[{"name": "t", "inputSchema": nested(40)}]), "tool 't': the JSON schema nests deeper than 64"),
    ("lc-structured-output-too-deep", lambda s: lc(s).with_structured_output(nested(40)), "nests deeper than 64"),
    ("li-response-format-too-deep", lambda s: li(s).chat([user()], response_format=nested(40)), "nests deeper than 64"),
    # -- structured output schemas that cannot work
    ("lc-structured-output-title-only", lambda s: lc(s).with_structured_output({"title": "Person"}), "describes nothing"),
    ("lc-structured-output-wrapper-without-schema", lambda s: lc(s).with_structured_output({"name": "Person", "strict": True}), "describes nothing"),
    ("lc-structured-output-schema-not-a-dict", lambda s: lc(s).with_structured_output({"name": "Person", "schema": "a person"}), "'schema' must be a JSON-schema object"),
    ("lc-structured-output-function-calling-array", lambda s: lc(s).with_structured_output({"type": "array", "items": {}}, method="function_calling"), "must describe an object"),
    ("lc-structured-output-not-a-schema", lambda s: lc(s).with_structured_output(42), "cannot use 42 as a structured output schema"),
    ("li-response-format-title-only", lambda s: li(s).chat([user()], response_format={"title": "Person"}), "describes nothing"),
    ("li-structured-predict-dict", lambda s: li(s).structured_predict(OBJECT_SCHEMA, PromptTemplate("who?")), "returns instances of a pydantic model class"),
    ("li-structured-predict-dict-function-calling", lambda s: li(s, structured_output_method="function_calling").structured_predict(OBJECT_SCHEMA, PromptTemplate("who?")), "pydantic model class"),
    ("li-structured-predict-title-only", lambda s: li(s).structured_predict({"title": "Person"}, PromptTemplate("who?")), "describes nothing"),
    ("li-as-structured-llm-dict", lambda s: li(s).as_structured_llm(OBJECT_SCHEMA), "subclass of BaseModel"),
    # -- sampling out of range, as fields (rejected by the constructor)
    ("lc-field-temperature-negative", lambda s: lc(s, temperature=-1), "temperature"),
    ("lc-field-top-p-above-1", lambda s: lc(s, top_p=2), "top_p"),
    ("lc-field-top-k-zero", lambda s: lc(s, top_k=0), "top_k"),
    ("lc-field-max-tokens-zero", lambda s: lc(s, max_tokens=0), "max_tokens"),
    ("li-field-temperature-negative", lambda s: li(s, temperature=-1), "temperature"),
    ("li-field-top-p-above-1", lambda s: li(s, top_p=2), "top_p"),
    ("li-field-top-k-zero", lambda s: li(s, top_k=0), "top_k"),
    ("li-field-max-tokens-zero", lambda s: li(s, max_tokens=0), "max_tokens"),
]

ASYNC_CASES: list[tuple[str, Callable[[FaultServer], Any], str]] = [
    ("lc-ainvoke-unknown-block", lambda s: lc(s).ainvoke([HumanMessage(content=[{"type": "hologram"}])]), "'hologram' is not supported"),
    ("lc-astream-top-k-zero", lambda s: _drain(lc(s).astream("hi", top_k=0)), "top_k must be >= 1"),
    ("lc-ainvoke-thread-and-project", lambda s: lc(s, thread_id="t1").ainvoke("hi", project_id="p2"), "goes to thread 't1'"),
    ("li-achat-bad-data-uri", lambda s: li(s).achat([ChatMessage(role="user", blocks=[ImageBlock(url="data:image/png;base64,!!")])]), "not valid base64"),
    ("li-astream-chat-temperature", lambda s: li(s).astream_chat([user()], temperature=-3), "temperature must be between 0 and 1"),
    ("li-acomplete-agent-without-thread", lambda s: li(s).acomplete("hi", agent="ProjectDeepResearch"), "needs a thread_id"),
    ("lc-ainvoke-text-block-text-none", lambda s: lc(s).ainvoke([HumanMessage(content=[{"type": "text", "text": None}])]), "'text' must be a string"),
    ("li-achat-content-none", lambda s: li(s).achat([ChatMessage(role="user", content=None)]), "(user) is empty"),
    ("li-astructured-predict-dict", lambda s: li(s).astructured_predict(OBJECT_SCHEMA, PromptTemplate("who?")), "pydantic model class"),
]


async def _drain(stream: Any) -> None:
    async for _ in stream:
        pass


@pytest.mark.bad_input
@pytest.mark.parametrize("call, words", [pytest.param(c, w, id=i) for i, c, w in CASES])
def test_rejected_before_any_request(server, call, words):
    seen = len(server.requests)
    with pytest.raises(ValueError) as caught:
        call(server)
    assert words in str(caught.value)
    assert len(server.requests) == seen, f"a request was sent: {server.requests[seen:]}"


@pytest.mark.bad_input
@pytest.mark.parametrize("call, words", [pytest.param(c, w, id=i) for i, c, w in ASYNC_CASES])
async def test_rejected_before_any_request_async(server, call, words):
    seen = len(server.requests)
    with pytest.raises(ValueError) as caught:
        await call(server)
    assert words in str(caught.value)
    assert len(server.requests) == seen, f"a request was sent: {server.requests[seen:]}"


def test_the_recorder_does_see_a_request(server):
    """The check above can fail: a valid call does reach the recording server."""
    from tests.reliability.fault_server import respond

    server.play(respond(200, {"id": "m", "role": "assistant", "content": [{"type": "text", "text": "ok"}]}))
    seen = len(server.requests)
    assert lc(server).invoke("hi", temperature=0, top_p=1, top_k=1, max_tokens=1).content == "ok"
    assert len(server.requests) == seen + 1
