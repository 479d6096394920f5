"""The replay server hands a client the exact bytes a real server produced."""

from __future__ import annotations

from tests.replay import Capture, ReplayServer
from zylon_core import Route, ZylonClient
from zylon_core.models import ChatRequest, MessageInput


def test_a_captured_stream_and_its_twin_give_the_same_answer(shared_api):
    request = ChatRequest(messages=[MessageInput(role="user", content="hi")])
    with ReplayServer() as server, ZylonClient(base_url=server.base_url, api_token="replay-token") as client:
        server.play("C_msg_text_stream", "C_msg_text")
        stream = client.stream_turn(Route.create(), request)
        streamed = "".join(delta.text for delta in stream)
        whole = client.run_turn(Route.create(), request)
    assert streamed and streamed == whole.message.content[0].text  # type: ignore[union-attr]
    assert [r["path"] for r in server.requests] == ["/api/v1/app/chat", "/api/v1/app/chat"]
    assert server.bodies()[0]["stream"] is True and "stream" not in server.bodies()[1]
    assert Capture.load("C_msg_text_stream").is_stream and not Capture.load("C_msg_text").is_stream
