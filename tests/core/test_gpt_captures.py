"""ZylonGPT's models, token counts and background messages against the bytes a real
server sent (``captures/models_*``, ``C_models_list``, ``count_tokens_*``,
``C_count_tokens``, ``async_*``, ``C_async_*``), through the core client over real HTTP
on loopback (:class:`tests.replay.ReplayServer`)."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from tests.core.real_captures import load
from tests.replay import Capture, ReplayServer
from zylon_core import BadRequestError, NotFoundError, Route, ZylonClient
from zylon_core._citations import parse_citations
from zylon_core.models import ChatRequest

TOKEN = "replay-token-not-a-secret"


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture
def server(shared_api: Any, replay: ReplayServer) -> ReplayServer:
    return replay.reset()


@pytest.fixture
def zylon(server: ReplayServer) -> Iterator[ZylonClient]:
    with ZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=0) as client:
        yield client


def request_of(name: str) -> ChatRequest:
    return ChatRequest.model_validate(Capture.load(name).request)


def sent(server: ReplayServer) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in server.requests]


# -- models ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "model", "context", "images"), [("models_list", "mock", 4096, False), ("C_models_list", "scripted", 8192, True)]
)
def test_the_captured_models_lists(name: str, model: str, context: int, images: bool, server: ReplayServer, zylon: ZylonClient) -> None:
    server.play(name)
    listed = zylon.models.list()
    (card,) = listed.data
    assert (card.id, card.max_input_tokens, card.max_tokens, card.embed_dim) == (model, context, 1024, None)
    assert (listed.first_id, listed.last_id, listed.has_more) == (model, model, False)
    assert card.supports("image_input") is images and card.supports("pdf_input") is False
    assert card.supports("thinking") is True and card.effort_levels == ("low", "medium", "high", "max", "xhigh")
    # The list has no "default" alias; with one model listed, it is that model.
    assert zylon.models.cached("default") is card and zylon.models.cached(model) is card
    assert sent(server) == ["GET /api/gpt/v1/models"]


def test_one_captured_model_and_an_unknown_one(server: ReplayServer, zylon: ZylonClient) -> None:
    server.play("models_get_mock", "models_get_unknown")
    card = zylon.models.get("mock")
    assert card.id == "mock" and card.max_input_tokens == 4096 and card.capabilities == load("models_get_mock")["capabilities"]
    with pytest.raises(BadRequestError) as caught:
        zylon.models.get("nope")
    assert str(caught.value) == "400: GET /api/gpt/v1/models/nope failed: Model config 'nope' not found. Available: ['mock']"
    assert sent(server) == ["GET /api/gpt/v1/models/mock", "GET /api/gpt/v1/models/nope"]


# -- token counts ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "tokens"), [("count_tokens_simple", 11), ("C_count_tokens", 11), ("count_tokens_tools_system", 14)])
def test_the_captured_token_counts(name: str, tokens: int, server: ReplayServer, zylon: ZylonClient) -> None:
    server.play(name)
    recorded = Capture.load(name).request
    assert zylon.messages.count_tokens(recorded) == tokens
    (body,) = server.bodies()
    assert body == {"model": "default", **recorded}  # the captured body (the settings' model unless it names one)


def test_a_refused_token_count_is_the_servers_explanation(server: ReplayServer, zylon: ZylonClient) -> None:
    server.play("count_tokens_invalid")
    with pytest.raises(BadRequestError, match="messages: Input should be a valid list") as caught:
        zylon.messages.count_tokens({"messages": "x"})
    assert caught.value.status_code == 400


# -- background messages -----------------------------------------------------------------------


def test_the_captured_create_answers(server: ReplayServer, zylon: ZylonClient) -> None:
    server.play("async_create", "async_create_custom_id")
    created = zylon.submit_turn(Route.create(api="gpt"), request_of("async_create"))
    custom = zylon.background.create(request_of("async_create_custom_id"), message_id="capture_msg_1")
    assert (created.message_id, created.status) == ("71bfe94d-00c0-48f6-b59f-664efa15aab8", "pending")
    assert custom.message_id == "capture_msg_1" and custom.message == "Request initiated successfully"
    first, second = server.requests
    assert first["path"] == "/api/gpt/v1/messages/async"
    assert second["path"] == "/api/gpt/v1/messages/async?message_id=capture_msg_1"
    assert json.loads(first["body"]) == Capture.load("async_create").request  # what the real server was sent


@pytest.mark.parametrize(("name", "state", "finished"), [("async_status", "completed", True), ("C_async_status", "processing", False)])
def test_the_captured_statuses(name: str, state: str, finished: bool, server: ReplayServer, zylon: ZylonClient) -> None:
    server.play(name)
    status = zylon.background.status("an-id")
    recorded = load(name)
    assert (status.message_id, status.status, status.finished) == (recorded["message_id"], state, finished)
    assert status.completed_at == recorded["completed_at"] and status.stream_type == "chat_completion"
    assert status.metadata == {"message_count": 1, "thinking_enabled": False}
    assert sent(server) == ["GET /api/gpt/v1/messages/async/an-id/status"]


def test_the_captured_stream_of_a_finished_message_is_the_whole_answer(server: ReplayServer, zylon: ZylonClient) -> None:
    server.play("async_stream")
    stream = zylon.resume_turn("71bfe94d-00c0-48f6-b59f-664efa15aab8")
    text = "".join(d.text for d in stream if d.kind == "text")
    assert stream.result is not None
    message = stream.result.message
    assert text == "system: You are PrivateGPT, an AI assistant.\nCurrent date: 2026-11-30.\nuser: Async hello\nassistant: "
    assert message.id == "msg_8ef384b579e145e38dc54fe0c8451a69" and message.content[0].text == text  # type: ignore[union-attr]
    assert stream.result.route.api == "gpt"
    assert server.requests[0]["path"] == "/api/gpt/v1/messages/async/71bfe94d-00c0-48f6-b59f-664efa15aab8/stream"
    assert server.requests[0]["headers"]["accept"] == "text/event-stream"


def test_the_captured_cited_background_stream(server: ReplayServer, zylon: ZylonClient) -> None:
    async_id = load("C_async_create")["message_id"]
    server.play("C_async_stream")
    stream = zylon.resume_turn(async_id)
    deltas = list(stream)
    assert stream.result is not None
    message = stream.result.message
    assert [b.type for b in message.content] == ["text", "server_tool_use", "server_tool_result", "text"]
    assert {d.kind for d in deltas} >= {"text", "server_tool_use", "block"}
    raw = message.content[3].text  # type: ignore[union-attr]
    clean, marks = parse_citations(raw)
    assert clean == "Revenue grew 20% in Q3." and [m.citation.id for m in marks] == ["IK79", "GA3Q"]
    # The citation markup carries the async message id as its correlation id.
    assert [m.citation.correlation_id for m in marks] == [async_id, async_id]
    assert message.usage is not None and (message.usage.input_tokens, message.usage.output_tokens) == (70, 20)
    assert stream.result.stop_reason == "end_turn"


def test_cancel_and_delete_and_the_ids_they_leave_unknown(server: ReplayServer, zylon: ZylonClient) -> None:
    server.play("async_cancel_finished", "async_delete", "async_status_after_delete", "async_status_unknown", "async_stream_unknown")
    assert zylon.background.cancel("capture_msg_1") == {"message": "Stream cancelled successfully", "message_id": "capture_msg_1"}
    assert zylon.background.delete("71bfe94d-00c0-48f6-b59f-664efa15aab8") is None  # 200 null
    with pytest.raises(NotFoundError, match="Stream with message_id 71bfe94d-00c0-48f6-b59f-664efa15aab8 not found"):
        zylon.background.status("71bfe94d-00c0-48f6-b59f-664efa15aab8")
    with pytest.raises(NotFoundError, match="Stream with message_id does_not_exist not found"):
        zylon.background.status("does_not_exist")
    with pytest.raises(NotFoundError, match="Stream with message_id does_not_exist not found"):
        list(zylon.resume_turn("does_not_exist"))
    assert sent(server)[:2] == [
        "POST /api/gpt/v1/messages/async/capture_msg_1/cancel",
        "DELETE /api/gpt/v1/messages/async/71bfe94d-00c0-48f6-b59f-664efa15aab8/delete",
    ]
