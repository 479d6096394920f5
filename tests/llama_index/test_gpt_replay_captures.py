"""``Zylon(api="gpt")`` against the bytes a real ZylonGPT server sent: every captured
message answer and stream through ``/api/gpt/v1/messages`` (``chat`` and
``stream_chat``, real HTTP on loopback) with no block lost, and the captured background
stream (``C_async_stream``) through ``resume_chat`` with its citations. The Workspace
route's replay of the same captures is ``test_replay_captures.py`` (helpers reused)."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import CitationBlock

from llama_index_zylon import Zylon
from tests.core.real_captures import load
from tests.llama_index.test_replay_captures import (
    ANSWER_STREAMS,
    HI,
    MESSAGES,
    answer_types,
    essence,
    replayed_types,
    wire_content,
)
from tests.replay import ReplayServer
from zylon_core._citations import parse_citations


@pytest.fixture(scope="module")
def replay_server(shared_api: Any) -> Any:
    with ReplayServer() as server:
        yield server


@pytest.fixture
def replay(replay_server: ReplayServer) -> ReplayServer:
    return replay_server.reset()


def gpt(server: ReplayServer) -> Zylon:
    # context_window and max_tokens given: metadata needs no models list (the replay
    # answers every request with the next capture).
    return Zylon(
        base_url=server.base_url, api_token="replay-token", max_retries=0, api="gpt", model="mock", context_window=4096, max_tokens=64
    )


@pytest.mark.parametrize("name", MESSAGES)
def test_every_captured_answer_through_the_gpt_route(name: str, replay: ReplayServer) -> None:
    response = gpt(replay.play(name)).chat(HI)
    wire = wire_content(name)
    assert replayed_types(response) == answer_types(wire)
    raw = "\n".join(b["text"] for b in wire if b["type"] == "text" and b["text"])
    assert response.message.content == parse_citations(raw)[0]
    (request,) = replay.requests
    assert request["path"] == "/api/gpt/v1/messages" and replay.bodies()[0]["model"] == "mock"


@pytest.mark.parametrize("name", ANSWER_STREAMS)
def test_every_captured_stream_through_the_gpt_route(name: str, replay: ReplayServer) -> None:
    chunks = list(gpt(replay.play(name)).stream_chat(HI))
    final = chunks[-1]
    assert replayed_types(final) == answer_types(wire_content(name))
    assert "".join(c.delta or "" for c in chunks) == (final.message.content or "")
    assert essence(chunks[-2], strip=True) == essence(final, strip=True)
    assert replay.requests[0]["path"] == "/api/gpt/v1/messages" and replay.bodies()[0]["stream"] is True


def test_the_captured_background_stream_resumes_with_its_citations(replay: ReplayServer) -> None:
    message_id = load("C_async_create")["message_id"]
    chunks = list(gpt(replay.play("C_async_stream")).resume_chat(message_id))
    final = chunks[-1]
    assert replay.requests[0]["path"] == f"/api/gpt/v1/messages/async/{message_id}/stream"
    assert replayed_types(final) == answer_types(wire_content("C_async_stream"))
    assert final.message.content.endswith("Revenue grew 20% in Q3.")  # type: ignore[union-attr]
    citations = [b for b in final.message.blocks if isinstance(b, CitationBlock)]
    assert [(c.source, c.title, c.additional_location_info["index"]) for c in citations] == [("doc_alpha", "alpha.md", 0), ("doc_alpha", "alpha.md", 1)]
    kwargs = final.message.additional_kwargs
    assert [c["id"] for c in kwargs["citations"]] == ["IK79", "GA3Q"]
    assert [c["source_id"] for c in kwargs["citations"]] == [s["id"] for s in kwargs["sources"]]
    assert {c["correlation_id"] for c in kwargs["citations"]} == {message_id}  # the async id
    assert [call["name"] for call in kwargs["server_tool_calls"]] == ["search"]
    assert final.additional_kwargs["usage"]["output_tokens"] == 20 and final.additional_kwargs["stop_reason"] == "end_turn"
