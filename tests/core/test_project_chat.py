"""Project chat read by the shape of its answer (fidelity §8), with the documented bodies
(``examples/projects.20``, ``interactions.02``, ``interactions.08``, ``chat.02``), and a
thread interaction ``Completed`` without an answer."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import load_example
from tests.core.mock_server import MockServer, json_response, sse_response
from zylon_core import APIError, APIStatusError, InteractionFailedError, Route
from zylon_core.models import ChatRequest, MessageInput, TextBlock

PROJECT = "proj_7a5c3e1b9d2f4a6c"
CHAT = ("POST", f"/api/v1/app/project/{PROJECT}/chat")
INTERACTION = "inter_5a7b9c1d3e5f7a9b"
GET = ("GET", f"/api/v1/app/interaction/{INTERACTION}")
STREAM = ("GET", f"/api/v1/app/interaction/{INTERACTION}/stream")
CANCEL = ("POST", f"/api/v1/app/interaction/{INTERACTION}/cancel")
ROUTE = Route.create(project_id=PROJECT, all_artifacts=True)
REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="Summarize the latest support trends.")])])
ANSWER = "• Ticket volume rose 12% week-over-week\n• Billing issues drove 38% of cases\n• Priority bugs were resolved within 48 hours"


def example_sse(shared_api, name: str) -> httpx.Response:
    return sse_response((shared_api / "examples" / name).read_text())


def text(result) -> str:
    return "".join(b.text for b in result.message.content if b.type == "text")


def test_a_bare_message_is_the_answer():
    server = MockServer({CHAT: json_response(200, load_example("chat.02.response.json"))})
    with server.client() as client:
        result = client.run_turn(ROUTE, REQUEST)
    assert text(result).startswith("Backlog volume dipped 8%") and result.interaction_id is None
    assert server.bodies() == [{"all_artifacts": True, "pgpt": REQUEST.to_json_dict()}]


def test_completed_without_an_answer_is_read_back_once():
    server = MockServer(
        {CHAT: json_response(200, load_example("projects.20.response.json")), GET: json_response(200, load_example("interactions.02.response.json"))}
    )
    with server.client() as client:
        result = client.run_turn(ROUTE, REQUEST)
    assert text(result) == ANSWER
    assert result.interaction_id == INTERACTION
    assert result.thread_id is None  # project chat: no thread, whatever the interaction says
    assert result.stop_reason == "end_turn"
    assert server.paths() == [f"POST {CHAT[1]}", f"GET {GET[1]}"]


def test_completed_with_an_answer_needs_no_second_request():
    interaction = load_example("interactions.02.response.json")
    server = MockServer({CHAT: json_response(200, interaction)})
    with server.client() as client:
        stream = client.stream_turn(ROUTE, REQUEST)
        deltas = list(stream)
    assert "".join(d.text or "" for d in deltas) == ANSWER
    assert stream.result is not None and stream.result.interaction_id == INTERACTION
    assert len(server.requests) == 1 and server.bodies()[0]["pgpt"]["stream"] is True


@pytest.mark.parametrize(
    "read_back",
    [json_response(200, {"id": INTERACTION, "state": "Completed"}), httpx.Response(404, content=b"")],
)
def test_completed_without_an_answer_twice_is_an_error_naming_the_interaction(read_back):
    server = MockServer({CHAT: json_response(200, {"id": INTERACTION, "state": "Completed"}), GET: read_back})
    with server.client() as client, pytest.raises(APIError, match=INTERACTION) as caught:
        client.run_turn(ROUTE, REQUEST)
    assert "without an answer" in str(caught.value)


def test_the_documented_get_without_an_answer_is_an_error():
    server = MockServer(
        {CHAT: json_response(200, load_example("projects.20.response.json")), GET: json_response(200, load_example("interactions.04.response.json"))}
    )
    with server.client() as client, pytest.raises(APIError, match=f"interaction {INTERACTION} as Completed without an answer"):
        client.run_turn(ROUTE, REQUEST)


def test_processing_is_followed_through_the_interaction_stream(shared_api):
    server = MockServer(
        {CHAT: json_response(200, {"id": INTERACTION, "state": "Processing"}), STREAM: example_sse(shared_api, "interactions.08.stream.sse")}
    )
    with server.client() as client:
        stream = client.stream_turn(ROUTE, REQUEST)
        deltas = [d.text for d in stream if d.text]
    assert deltas == ["• Ticket volume rose 12%"]
    assert stream.result is not None and stream.result.interaction_id == INTERACTION
    assert server.paths() == [f"POST {CHAT[1]}", f"GET {STREAM[1]}"]
    assert server.requests[1].headers["accept"] == "text/event-stream"


def test_an_abandoned_processing_interaction_is_cancelled(shared_api):
    long_stream = sse_response(
        'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
        + "".join(
            f'event: content_block_delta\ndata: {{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"part {n} "}}}}\n\n'
            for n in range(5)
        )
    )
    server = MockServer(
        {CHAT: json_response(200, {"id": INTERACTION, "state": "Processing"}), STREAM: long_stream, CANCEL: httpx.Response(204)}
    )
    with server.client() as client:
        stream = client.stream_turn(ROUTE, REQUEST)
        deltas = iter(stream)
        assert next(d for d in deltas if d.text) is not None
        stream.close()
    assert server.paths()[-1] == f"POST {CANCEL[1]}"


def test_error_is_an_interaction_failed_error():
    failed = {"id": INTERACTION, "state": "Error", "assistant_output": {"content": [], "errors": [{"type": "api_error", "message": "model crashed"}]}}
    with MockServer({CHAT: json_response(200, failed)}).client() as client, pytest.raises(InteractionFailedError, match="model crashed"):
        client.run_turn(ROUTE, REQUEST)


@pytest.mark.parametrize("body", [{}, {"id": INTERACTION}, [], {"state": "Thinking", "id": INTERACTION}])
def test_a_shape_that_cannot_be_read_is_an_error_never_an_empty_answer(body):
    with MockServer({CHAT: json_response(200, body)}).client() as client, pytest.raises(APIStatusError, match="could not read"):
        client.run_turn(ROUTE, REQUEST)


def test_a_streamed_answer_to_a_non_streaming_request_is_read_whole(shared_api):
    with MockServer({CHAT: example_sse(shared_api, "threads.16.stream.sse")}).client() as client:
        result = client.run_turn(ROUTE, REQUEST)
    assert text(result) == "• Ticket volume rose 12%"


def test_a_streaming_project_chat_accepts_either_answer(shared_api):
    server = MockServer({CHAT: example_sse(shared_api, "threads.16.stream.sse")})
    with server.client() as client:
        deltas = [d.text for d in client.stream_turn(ROUTE, REQUEST) if d.text]
    assert deltas == ["• Ticket volume rose 12%"]
    assert server.requests[0].headers["accept"] == "text/event-stream, application/json"


async def test_async_project_chat_follows_the_interaction(shared_api):
    server = MockServer(
        {CHAT: json_response(200, {"id": INTERACTION, "state": "Processing"}), STREAM: example_sse(shared_api, "interactions.08.stream.sse")}
    )
    async with server.aclient() as client:
        result = await client.run_turn(ROUTE, REQUEST)
    assert text(result) == "• Ticket volume rose 12%" and result.interaction_id == INTERACTION


# -- thread mode ---------------------------------------------------------------------------


THREAD = "thread_3f2a1c4d5b6e7f8a"
CREATE = ("POST", f"/api/v1/app/thread/{THREAD}/interaction")


def test_a_thread_interaction_completed_without_an_answer_is_an_error():
    server = MockServer({CREATE: json_response(201, {"id": INTERACTION, "state": "Completed"}), GET: json_response(200, load_example("interactions.04.response.json"))})
    with server.client() as client, pytest.raises(APIError, match="without an answer"):
        client.run_turn(Route.create(thread_id=THREAD), REQUEST)


def test_a_thread_interaction_completed_without_an_answer_is_read_back():
    server = MockServer(
        {CREATE: json_response(201, {"id": INTERACTION, "state": "Completed"}), GET: json_response(200, load_example("interactions.02.response.json"))}
    )
    with server.client() as client:
        result = client.run_turn(Route.create(thread_id=THREAD), REQUEST)
    assert text(result) == ANSWER and result.thread_id == THREAD and result.interaction_id == INTERACTION
