"""ChatZylon against the local emulator: routing, thread mode, overrides, tools,
structured output, thinking, citations, streaming and callbacks."""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.exceptions import ModelNotFoundError
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_zylon import ChatZylon
from tests.conftest import TEST_TOKEN
from zylon_core import BadRequestError, NotFoundError, ServerStreamError, ZylonClient

BACKLOG = (
    "Support backlog dropped 8% week over week after billing fixes.\n\n"
    "Login issues on mobile remain the top complaint."
)


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


class Ticket(BaseModel):
    """A support ticket."""

    title: str = Field(description="short title")
    priority: int = Field(description="1 to 5")


@pytest.fixture
def llm(zylon_env: Any) -> ChatZylon:
    zylon_env.clear_requests()
    return ChatZylon()


@pytest.fixture(scope="module")
def client(emulator: Any) -> Iterator[ZylonClient]:
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as zylon:
        yield zylon


@pytest.fixture(scope="module")
def project(emulator: Any, client: ZylonClient) -> dict[str, Any]:
    project = client.projects.create("LangChain adapter tests")
    response = httpx.post(
        f"{emulator.base_url}/api/v1/app/project/{project['id']}/artifact",
        json={"type": "InlineText", "name": "backlog.txt", "props": {"content": BACKLOG}},
        headers={"Authorization": f"Bearer {TEST_TOKEN}", "x-org": "default"},
    )
    response.raise_for_status()
    return {**project, "artifact_id": response.json()["id"]}


@pytest.fixture
def thread_id(client: ZylonClient, project: dict[str, Any], zylon_env: Any) -> str:
    thread = client.threads.create(project["id"], "adapter test").id
    zylon_env.clear_requests()
    return thread


def paths(emulator: Any) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in emulator.requests]


# -- routing ----------------------------------------------------------------------------


def test_one_shot_chat(llm: ChatZylon, zylon_env: Any) -> None:
    result = llm.invoke([SystemMessage("Be brief."), HumanMessage("what is 2 + 3")], temperature=0.1, max_tokens=20)
    assert result.content == "2 + 3 = 5."
    assert paths(zylon_env) == ["POST /api/v1/app/chat"]
    body = zylon_env.requests[0]["json"]
    assert body == {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "what is 2 + 3"}]}],
        "temperature": 0.1,
        "max_tokens": 20,
        "system": {"text": "Be brief."},
    }
    assert zylon_env.requests[0]["headers"]["x-org"] == "default"
    assert result.response_metadata["model_name"] == "default" and result.response_metadata["stop_reason"] == "end_turn"
    assert result.usage_metadata and result.usage_metadata["total_tokens"] > 0


def test_project_chat_and_per_call_overrides(llm: ChatZylon, zylon_env: Any, project: dict[str, Any], thread_id: str) -> None:
    scoped = ChatZylon(project_id=project["id"], temperature=0.5)
    scoped.invoke("hello")
    scoped.invoke("hello", artifact_ids=[project["artifact_id"]], temperature=0.0)
    scoped.invoke("hello", thread_id=thread_id)  # a per-call thread wins over the project
    assert paths(zylon_env) == [
        f"POST /api/v1/app/project/{project['id']}/chat",
        f"POST /api/v1/app/project/{project['id']}/chat",
        f"POST /api/v1/app/thread/{thread_id}/interaction",
    ]
    first, second, third = (r["json"] for r in zylon_env.requests)
    assert first["pgpt"]["temperature"] == 0.5 and "artifact_ids" not in first
    assert second["artifact_ids"] == [project["artifact_id"]] and second["pgpt"]["temperature"] == 0.0
    assert third["thread_id"] == thread_id


def test_thread_mode_sends_only_the_new_turn(llm: ChatZylon, zylon_env: Any, thread_id: str) -> None:
    threaded = ChatZylon(thread_id=thread_id)
    first = threaded.invoke([SystemMessage("Be kind."), HumanMessage("My name is Ada.")])
    # The caller passes the whole history (as LangGraph does) ...
    second = threaded.invoke([HumanMessage("My name is Ada."), first, HumanMessage("What is my name?")])
    # ... or only the new message: the same body either way.
    third = threaded.invoke("What is my name? Reply with only the name.")
    bodies = [r["json"]["pgpt"] for r in zylon_env.requests]
    assert bodies[0] == {"messages": [{"role": "user", "content": [{"type": "text", "text": "My name is Ada."}]}], "system": {"text": "Be kind."}}
    assert bodies[1] == {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is my name?"}]}]}
    assert bodies[2]["messages"] == [{"role": "user", "content": [{"type": "text", "text": "What is my name? Reply with only the name."}]}]
    # The server kept the history.
    assert second.text.startswith("Your name is Ada.") and "turn 2 of this thread" in second.text
    assert third.text.startswith("Ada")
    for message in (first, second, third):
        assert message.response_metadata["thread_id"] == thread_id
        assert message.response_metadata["interaction_id"].startswith("inter_")
    assert len({m.response_metadata["interaction_id"] for m in (first, second, third)}) == 3


def test_thread_tool_loop_sends_only_the_tool_results(llm: ChatZylon, zylon_env: Any, thread_id: str) -> None:
    threaded = ChatZylon(thread_id=thread_id).bind_tools([magic_function])
    question = HumanMessage("What is the value of magic_function(3)? Use the tool.")
    call = threaded.invoke([question])
    assert call.tool_calls and call.tool_calls[0]["args"] == {"input": 3}
    result = magic_function.invoke(call.tool_calls[0])
    answer = threaded.invoke([question, call, result])
    assert "5" in answer.text
    sent = zylon_env.requests[-1]["json"]["pgpt"]["messages"]
    assert sent == [
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.tool_calls[0]["id"], "content": [{"type": "text", "text": "5"}]}],
        }
    ]


def test_thread_stream_follows_the_interaction(llm: ChatZylon, zylon_env: Any, thread_id: str) -> None:
    chunks = list(llm.stream("hello there", thread_id=thread_id))
    assert paths(zylon_env)[0] == f"POST /api/v1/app/thread/{thread_id}/interaction"
    assert paths(zylon_env)[1].startswith("GET /api/v1/app/interaction/") and paths(zylon_env)[1].endswith("/stream")
    assert zylon_env.requests[0]["json"]["pgpt"]["stream"] is True
    full = sum(chunks[1:], chunks[0])
    assert full.text.startswith('You said: "hello there"')
    last = chunks[-1]
    assert last.chunk_position == "last" and last.usage_metadata and last.response_metadata["thread_id"] == thread_id
    assert full.response_metadata["interaction_id"] == paths(zylon_env)[1].split("/")[-2]


def test_processing_interactions_are_awaited() -> None:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(always_processing=True) as server:
        zylon = ZylonClient(base_url=server.base_url, api_token=TEST_TOKEN)
        project_id = zylon.projects.create("p")["id"]
        thread = zylon.threads.create(project_id, "t").id
        llm = ChatZylon(base_url=server.base_url, api_key=TEST_TOKEN, thread_id=thread)
        result = llm.invoke("hello")
        assert result.text.startswith('You said: "hello"')
        assert [r["path"].rsplit("/", 1)[-1] for r in server.requests[-2:]] == ["interaction", "stream"]


async def test_async_thread_mode(llm: ChatZylon, zylon_env: Any, thread_id: str) -> None:
    result = await llm.ainvoke([HumanMessage("My name is Ada."), AIMessage("Hi Ada"), HumanMessage("who am I?")], thread_id=thread_id)
    assert zylon_env.requests[0]["json"]["pgpt"]["messages"] == [{"role": "user", "content": [{"type": "text", "text": "who am I?"}]}]
    assert result.response_metadata["thread_id"] == thread_id


def test_leaving_a_thread_stream_early_cancels_the_interaction(llm: ChatZylon, zylon_env: Any, thread_id: str) -> None:
    stream = llm.stream("/deltas 50", thread_id=thread_id)
    first = next(stream)
    assert first.content == "tok0"
    stream.close()
    assert paths(zylon_env)[-1].endswith("/cancel")


def test_unknown_thread_is_a_not_found_error(llm: ChatZylon) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        llm.invoke("hi", thread_id="thread_does_not_exist")
    assert isinstance(info.value, NotFoundError)


# -- tools ------------------------------------------------------------------------------


def test_tool_calling_invoke(llm: ChatZylon, zylon_env: Any) -> None:
    result = llm.bind_tools([magic_function], tool_choice="any").invoke("What is magic_function(3)?")
    assert result.tool_calls == [{"name": "magic_function", "args": {"input": 3}, "id": result.tool_calls[0]["id"], "type": "tool_call"}]
    assert result.response_metadata["stop_reason"] == "tool_use"
    body = zylon_env.requests[0]["json"]
    assert body["tools"][0]["name"] == "magic_function" and body["tools"][0]["inputSchema"]["properties"] == {"input": {"type": "integer"}}
    assert body["tool_choice"] == {"type": "any"}


def test_tool_call_chunks_stream_with_the_block_index(llm: ChatZylon) -> None:
    chunks = list(llm.bind_tools([magic_function]).stream("Think, then call magic_function(3).", thinking=True))
    call_chunks = [tc for c in chunks for tc in c.tool_call_chunks]
    assert call_chunks and call_chunks[0]["name"] == "magic_function" and call_chunks[0]["id"]
    assert {tc["index"] for tc in call_chunks} == {1}  # block 0 is the thinking block
    full = sum(chunks[1:], chunks[0])
    assert full.tool_calls[0]["args"] == {"input": 3}
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1 and chunks[-1].usage_metadata
    assert chunks[-1].chunk_position == "last"


async def test_async_stream_with_tool_call_chunks(llm: ChatZylon) -> None:
    chunks = [c async for c in llm.bind_tools([magic_function], tool_choice="magic_function").astream("magic_function(7)")]
    full: AIMessageChunk = sum(chunks[1:], chunks[0])
    assert full.tool_calls[0]["args"] == {"input": 7}
    assert all(tc["index"] == 0 for c in chunks for tc in c.tool_call_chunks)
    assert chunks[-1].usage_metadata and chunks[-1].usage_metadata["output_tokens"] > 0


def test_builtin_tool_runs_on_the_server(llm: ChatZylon, zylon_env: Any, project: dict[str, Any]) -> None:
    result = llm.bind_tools([{"type": "semantic_search_v1", "name": "search"}]).invoke("search the backlog for billing", project_id=project["id"])
    pgpt = zylon_env.requests[0]["json"]["pgpt"]
    assert pgpt["tools"] == [{"name": "search", "type": "semantic_search_v1"}]
    assert pgpt["system"] == {"extensions": ["zylon"]}  # a search asks for its sources
    assert result.tool_calls == [] and result.response_metadata["stop_reason"] == "end_turn"
    assert [b["type"] for b in result.content] == ["server_tool_use", "server_tool_result", "text"]
    assert result.content[0]["name"] == "search" and result.content[0]["input"]["query"] == "search the backlog for billing"
    assert result.content[1]["tool_use_id"] == result.content[0]["id"] and result.content[1]["is_error"] is False
    assert [b["type"] for b in result.content_blocks] == ["server_tool_call", "server_tool_result", "text"]
    assert result.content_blocks[1]["status"] == "success"
    assert "8%" in result.text
    assert result.response_metadata["sources"][0]["document"]["artifact"] == project["artifact_id"]
    assert result.additional_kwargs["sources"] == result.response_metadata["sources"]
    # Streamed, the same blocks: never a tool call chunk, the tool's name once.
    chunks = list(llm.bind_tools([{"type": "semantic_search_v1", "name": "search"}]).stream("search the backlog for billing", project_id=project["id"]))
    assert not any(c.tool_call_chunks for c in chunks)
    full = sum(chunks[1:], chunks[0])
    assert [(b["type"], b.get("name")) for b in full.content] == [(b["type"], b.get("name")) for b in result.content]
    assert full.content[0]["input"] == result.content[0]["input"] and full.text == result.text
    assert full.response_metadata["sources"] == result.response_metadata["sources"]


def test_a_document_is_sent_as_binary_and_converted_by_the_server(llm: ChatZylon, zylon_env: Any) -> None:
    message = HumanMessage(
        [
            {"type": "file", "base64": "VGhlIG1lZXRpbmcgaXMgb24gRnJpZGF5Lg==", "mime_type": "text/plain", "filename": "notes.txt"},
            {"type": "text", "text": "When is the meeting?"},
        ]
    )
    result = llm.invoke([message])
    sent = zylon_env.requests[0]["json"]["messages"][0]["content"][0]
    assert sent == {"type": "binary", "data": "VGhlIG1lZXRpbmcgaXMgb24gRnJpZGF5Lg==", "mime_type": "text/plain", "filename": "notes.txt"}
    assert [b["type"] for b in result.content[:2]] == ["server_tool_use", "server_tool_result"]
    assert result.content[0]["name"] == "document_preprocessing" and result.content[0]["input"]["name"] == "notes.txt"
    assert result.tool_calls == [] and "Friday" in result.text
    streamed = list(llm.stream([message]))
    full = sum(streamed[1:], streamed[0])
    assert full.content[0]["input"] == result.content[0]["input"] and full.text == result.text


def test_images_and_audio_the_model_does_not_take_are_the_servers_error(llm: ChatZylon, zylon_env: Any) -> None:
    image = HumanMessage([{"type": "text", "text": "What is this?"}, {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}])
    with pytest.raises(BadRequestError, match="The LLM does not support images, but the message contains image blocks."):
        llm.invoke([image])
    assert zylon_env.requests[-1]["json"]["messages"][0]["content"][1] == {"type": "image", "data": "iVBORw0KGgo=", "mime_type": "image/png"}
    with pytest.raises(ServerStreamError, match="does not support images") as info:
        list(llm.stream([image]))
    assert info.value.code == "INVALID_REQUEST_IMAGE_SUPPORT_ERROR"
    audio = HumanMessage([{"type": "text", "text": "Transcribe."}, {"type": "audio", "base64": "UklGRjAwMDBXQVZF", "mime_type": "audio/wav"}])
    with pytest.raises(BadRequestError, match="does not support audio"):
        llm.invoke([audio])


def test_mixed_client_and_builtin_tools_stream(llm: ChatZylon, project: dict[str, Any]) -> None:
    tools = [magic_function, {"type": "semantic_search_v1", "name": "search"}]
    chunks = list(llm.bind_tools(tools).stream("What is magic_function(2)? Use the tool.", project_id=project["id"]))
    full = sum(chunks[1:], chunks[0])
    assert [c["name"] for c in full.tool_calls] == ["magic_function"]


# -- structured output --------------------------------------------------------------


def test_structured_output_json_schema(llm: ChatZylon, zylon_env: Any) -> None:
    ticket = llm.with_structured_output(Ticket).invoke("The login button on mobile does not work, priority 2")
    assert isinstance(ticket, Ticket) and ticket.priority == 2
    body = zylon_env.requests[0]["json"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["required"] == ["title", "priority"]
    assert "tools" not in body


def test_structured_output_function_calling(llm: ChatZylon, zylon_env: Any) -> None:
    structured = llm.with_structured_output(Ticket.model_json_schema(), method="function_calling", include_raw=True)
    out = structured.invoke("Broken login, priority 4")
    assert out["parsed"]["priority"] == 4 and out["parsing_error"] is None
    assert isinstance(out["raw"], AIMessage) and out["raw"].tool_calls
    assert zylon_env.requests[0]["json"]["tool_choice"] == {"type": "tool", "name": "Ticket"}


# -- thinking and citations ----------------------------------------------------------


def test_thinking(llm: ChatZylon, zylon_env: Any) -> None:
    result = llm.invoke("hello", thinking=True)
    assert zylon_env.requests[0]["json"]["thinking"] == {"enabled": True}
    assert result.additional_kwargs["reasoning_content"] == "Thinking about: hello"
    signature = result.content[0]["signature"]
    assert signature.startswith("sig_")
    assert [b["type"] for b in result.content_blocks] == ["reasoning", "text"]
    assert result.content_blocks[0]["extras"] == {"signature": signature}
    streamed = list(llm.stream("hello", thinking=True))
    full = sum(streamed[1:], streamed[0])
    assert full.additional_kwargs["reasoning_content"] == "Thinking about: hello"
    assert full.text == result.text and full.content[0]["signature"].startswith("sig_")
    # The next turn replays the signed thinking, which the server accepts.
    zylon_env.clear_requests()
    again = llm.invoke([HumanMessage("hello"), full, HumanMessage("and again?")], thinking=True)
    assert zylon_env.requests[0]["json"]["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": "Thinking about: hello",
        "signature": full.content[0]["signature"],
    }
    assert again.text


def test_unsigned_reasoning_from_another_model_is_left_out(llm: ChatZylon, zylon_env: Any, caplog: Any) -> None:
    other = AIMessage([{"type": "thinking", "thinking": "mine"}, {"type": "text", "text": "Hi."}])
    result = llm.invoke([HumanMessage("hello"), other, HumanMessage("and again?")], thinking=True)
    assert zylon_env.requests[0]["json"]["messages"][1]["content"] == [{"type": "text", "text": "Hi."}]
    assert result.text and "messages[1] (AIMessage)" in caplog.text


def test_citations_and_sources_are_readable(llm: ChatZylon, zylon_env: Any, project: dict[str, Any]) -> None:
    cited = ChatZylon(project_id=project["id"], all_artifacts=True, citations=True)
    result = cited.invoke("How did the support backlog change?")
    body = zylon_env.requests[0]["json"]
    assert body["all_artifacts"] is True
    assert body["pgpt"]["system"] == {"citations": {"enabled": True}, "extensions": ["zylon"]}
    sources = result.response_metadata["sources"]
    assert sources == result.additional_kwargs["sources"]
    assert sources[0]["text"].startswith("Support backlog dropped 8%")
    text = result.content[-1]
    assert "<citation" not in result.text and "<citation" in text["raw_text"]
    annotation = text["annotations"][0]
    assert annotation["title"] == "backlog.txt" and annotation["cited_text"] == sources[0]["text"]
    assert annotation["extras"]["source_id"] == sources[0]["id"] and annotation["extras"]["index"] == 0
    assert "8%" in result.text[annotation["start_index"] : annotation["end_index"]]
    assert result.content_blocks[-1]["annotations"] == [annotation]
    streamed = list(cited.stream("How did the support backlog change?"))
    full = sum(streamed[1:], streamed[0])
    assert full.response_metadata["sources"] == sources and full.text == result.text
    assert [{k: v for k, v in a.items() if k != "extras"} for a in full.content[-1]["annotations"]] == [
        {k: v for k, v in annotation.items() if k != "extras"}
    ]


# -- callbacks and validation --------------------------------------------------------


class TokenCounter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


class AsyncTokenCounter(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_a_callback_per_delta(llm: ChatZylon) -> None:
    handler = TokenCounter()
    chunks = list(llm.stream("/deltas 6", config={"callbacks": [handler]}))
    assert [t for t in handler.tokens if t] == [c.content for c in chunks if c.content]
    assert len([t for t in handler.tokens if t]) == 6
    streaming = TokenCounter()
    result = ChatZylon(streaming=True).invoke("/deltas 4", config={"callbacks": [streaming]})
    assert len([t for t in streaming.tokens if t]) == 4 and result.text == "".join(streaming.tokens)


async def test_a_callback_per_delta_async(llm: ChatZylon) -> None:
    handler = AsyncTokenCounter()
    chunks = [c async for c in llm.astream("/deltas 5", config={"callbacks": [handler]})]
    assert len([t for t in handler.tokens if t]) == 5
    assert "".join(handler.tokens) == "".join(c.text for c in chunks)


def test_validate_request(llm: ChatZylon, zylon_env: Any) -> None:
    # validation takes the same input and per-call arguments as invoke
    check = llm.validate_request([SystemMessage("s"), HumanMessage("hi")], max_tokens=5, tools=[magic_function], tool_choice="any")
    assert check.valid is True
    assert paths(zylon_env) == ["POST /api/v1/app/chat/validate"]
    assert zylon_env.requests[0]["json"]["tool_choice"] == {"type": "any"}


async def test_avalidate_request(llm: ChatZylon) -> None:
    assert (await llm.avalidate_request("hi")).valid is True


def test_tool_message_history_in_one_shot_mode(llm: ChatZylon, zylon_env: Any) -> None:
    messages = [
        HumanMessage("What is magic_function(3)?"),
        AIMessage("", tool_calls=[{"name": "magic_function", "args": {"input": 3}, "id": "call_1"}]),
        ToolMessage("5", tool_call_id="call_1", name="magic_function"),
    ]
    answer = llm.bind_tools([magic_function]).invoke(messages)
    assert "5" in answer.text and answer.tool_calls == []
    sent = zylon_env.requests[0]["json"]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]


def test_output_version_v1_gives_standard_blocks(zylon_env: Any, project: dict[str, Any]) -> None:
    llm = ChatZylon(output_version="v1", thinking=True)
    called = llm.bind_tools([magic_function]).invoke("What is magic_function(3)? Use the tool.")
    assert [b["type"] for b in called.content] == ["reasoning", "tool_call"]
    assert called.content[0]["extras"]["signature"].startswith("sig_")
    assert called.content[1]["args"] == {"input": 3} and called.tool_calls[0]["args"] == {"input": 3}
    cited = ChatZylon(output_version="v1", project_id=project["id"], all_artifacts=True, citations=True)
    whole = cited.invoke("How did the support backlog change?")
    assert [b["type"] for b in whole.content] == ["server_tool_call", "server_tool_result", "text"]
    assert whole.content[0]["args"]["query"] == "How did the support backlog change?"
    assert whole.content[2]["annotations"][0]["cited_text"].startswith("Support backlog dropped 8%")
    assert "<citation" in whole.content[2]["extras"]["raw_text"]
    chunks = list(cited.stream("How did the support backlog change?"))
    summed = sum(chunks[1:], chunks[0])
    assert [b["type"] for b in summed.content] == ["server_tool_call", "server_tool_result", "text"]
    assert summed.content[0]["args"] == whole.content[0]["args"] and summed.text == whole.text
    streamed = list(llm.stream("hello"))
    full = sum(streamed[1:], streamed[0])
    assert [b["type"] for b in full.content] == ["reasoning", "text"]
    assert full.content[1]["text"] == 'You said: "hello".'


@pytest.fixture(scope="module")
def workspace_emulator() -> Iterator[Any]:
    """An emulator that streams the Workspace docs' minimal shape with its stop vocabulary."""
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(stream_shape="minimal", stop_reason_style="workspace") as server:
        yield server


def test_minimal_stream_shape_and_workspace_stop_reasons(workspace_emulator: Any) -> None:
    llm = ChatZylon(base_url=workspace_emulator.base_url, api_key=TEST_TOKEN, thinking=True).bind_tools([magic_function])
    chunks = list(llm.stream("Call magic_function(3)."))
    full = sum(chunks[1:], chunks[0])
    assert full.tool_calls[0]["args"] == {"input": 3}
    assert full.additional_kwargs["reasoning_content"] == "Thinking about: Call magic_function(3)."
    assert full.response_metadata["stop_reason"] == "tool_use"
    invoked = llm.invoke("Call magic_function(3).")
    assert invoked.tool_calls[0]["args"] == {"input": 3} and invoked.response_metadata["stop_reason"] == "tool_use"
    plain = list(ChatZylon(base_url=workspace_emulator.base_url, api_key=TEST_TOKEN).stream("hello"))
    assert [c.content for c in plain] == ["You", " said:", ' "hello".', ""]
    assert plain[-1].response_metadata["stop_reason"] == "end_turn"
