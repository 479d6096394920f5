"""``ChatZylon(api="gpt")`` against the bytes a real ZylonGPT server sent: every captured
message answer and stream through ``/api/gpt/v1/messages`` (``invoke`` and ``stream``,
real HTTP on loopback), what the route sends, and the captured background stream
(``C_async_stream``) through ``resume`` with its citations. The Workspace route's replay
of the same captures is ``test_replay_captures.py``; its helpers are reused here."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from langchain_core.messages import AIMessageChunk

from langchain_zylon import ChatZylon
from langchain_zylon._codec import to_ai_message
from tests.core.real_captures import accumulate, events, load, stream_bytes
from tests.langchain.test_replay_captures import (
    ANSWER_STREAMS,
    MESSAGES,
    TOKEN,
    answer_of,
    check_nothing_lost,
    client_tools,
    comparable,
    request_of,
    summed,
    tools_of,
)
from tests.replay import ReplayServer
from zylon_core import ServerStreamError


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture
def server(shared_api: Any, replay: ReplayServer) -> ReplayServer:
    return replay.reset()


def gpt_model(server: ReplayServer, name: str, **fields: Any) -> Any:
    """ChatZylon(api="gpt") configured as the captured request was."""
    request = request_of(name)
    system = request.get("system") if isinstance(request.get("system"), dict) else {}
    if request.get("thinking"):
        fields.setdefault("thinking", True)
    if (system.get("citations") or {}).get("enabled"):
        fields.setdefault("citations", True)
    fields.setdefault("model", "mock")
    llm = ChatZylon(base_url=server.base_url, api_key=TOKEN, max_retries=0, api="gpt", **fields)
    return llm.bind_tools(tools_of(name)) if tools_of(name) else llm


@pytest.mark.parametrize("name", MESSAGES)
def test_every_captured_answer_through_the_gpt_route(name: str, server: ReplayServer) -> None:
    server.play(name)
    ai = gpt_model(server, name).invoke("question")
    answer = answer_of(name)
    check_nothing_lost(ai, answer, client_tools(name))
    metadata = ai.response_metadata
    assert (metadata["id"], metadata["model_name"], metadata["model"]) == (answer.id, "mock", answer.model)
    (request,) = server.requests
    assert request["path"] == "/api/gpt/v1/messages"
    assert server.bodies()[0]["model"] == "mock" and "stream" not in server.bodies()[0]


@pytest.mark.parametrize("name", ANSWER_STREAMS)
def test_every_captured_stream_through_the_gpt_route(name: str, server: ReplayServer) -> None:
    server.play(name)
    chunks: list[AIMessageChunk] = list(gpt_model(server, name).stream("question"))
    full = summed(chunks)
    answer, _ = accumulate(events(stream_bytes(name)))
    expected = to_ai_message(answer, model_name="mock", client_tools=client_tools(name), model_sent=True)
    if isinstance(expected.content, str) and isinstance(full.content, list):
        assert comparable(full.content) == [{"type": "text", "text": expected.content}]
    else:
        assert comparable(full.content) == expected.content
    check_nothing_lost(full, answer, client_tools(name))
    assert full.tool_calls == expected.tool_calls and full.usage_metadata == expected.usage_metadata
    for key in ("id", "stop_reason", "sources", "model_name", "model"):
        assert full.response_metadata.get(key) == expected.response_metadata.get(key), key
    body = server.bodies()[0]
    assert server.requests[0]["path"] == "/api/gpt/v1/messages" and body["stream"] is True and body["model"] == "mock"


def test_the_captured_unknown_model_stream_is_the_servers_explanation(server: ReplayServer) -> None:
    server.play("err_unknown_model_stream")
    with pytest.raises(ServerStreamError, match="Model 'no-such-model' not found"):
        list(gpt_model(server, "err_unknown_model_stream", model="no-such-model").stream("question"))


def test_a_cited_search_sends_the_tools_context_and_the_extension(server: ReplayServer) -> None:
    server.play("C_msg_rag_zylon")
    ai = gpt_model(server, "C_msg_rag_zylon").invoke("How did revenue do?")
    body = server.bodies()[0]
    recorded = request_of("C_msg_rag_zylon")
    assert body["tools"] == recorded["tools"] and body["system"]["extensions"] == ["zylon"]
    assert [s["metadata"]["shorter_id"] for s in ai.response_metadata["sources"]] == ["IK79", "GA3Q"]


def test_the_captured_background_stream_resumes_with_its_citations(server: ReplayServer) -> None:
    message_id = load("C_async_create")["message_id"]
    server.play("C_async_stream")
    llm = ChatZylon(base_url=server.base_url, api_key=TOKEN, max_retries=0, api="gpt")
    chunks = list(llm.resume(message_id))
    full = summed(chunks)
    assert server.requests[0]["path"] == f"/api/gpt/v1/messages/async/{message_id}/stream"
    answer, _ = accumulate(events(stream_bytes("C_async_stream")))
    check_nothing_lost(full, answer, frozenset())
    assert full.tool_calls == [] and full.usage_metadata == {"input_tokens": 70, "output_tokens": 20, "total_tokens": 90}
    text = next(b for b in full.content if b["type"] == "text" and b.get("annotations"))
    assert text["text"] == "Revenue grew 20% in Q3."
    annotations = text["annotations"]
    assert [a["id"] for a in annotations] == ["IK79", "GA3Q"]
    assert {a["extras"]["correlation_id"] for a in annotations} == {message_id}  # the async id
    assert [a["extras"]["source_id"] for a in annotations] == [s["id"] for s in full.response_metadata["sources"]]
    assert chunks[-1].chunk_position == "last" and full.response_metadata["model_name"] == "private-gpt"
