"""Streaming project chat (``POST /project/{id}/chat`` with ``stream: true``): the answer
is read as it arrives when the server streams it, and when the server answers with JSON
instead (a ``Processing`` interaction, followed through ``/interaction/{id}/stream``;
a whole message, handed out as its deltas) the same single request is read as that.
The chat is never sent twice.

"As it arrives" is shown without timing: the server sends the first event, then holds
the rest until the test, having received the first delta, opens a gate (after 10 s it
sends the rest anyway and notes that nobody opened it: a client that read the whole
body first).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Callable

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import FaultServer, gated_sse, respond, sse
from tests.reliability.support import TOKEN
from zylon_core import APIStatusError, AsyncZylonClient, InteractionFailedError, Route, StreamError, ZylonClient
from zylon_core.models import ChatRequest, MessageInput, TextBlock

REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])
HEAD = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"first "}}\n\n'
)
TAIL = (
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"second"}}\n\n'
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
CHAT = "/api/v1/app/project/p1/chat"
MESSAGE = {"id": "m", "role": "assistant", "content": [{"type": "text", "text": "first second"}], "stop_reason": "end_turn"}


def posts(server: FaultServer) -> list[str]:
    return [path for method, path, _, _ in server.requests if method == "POST"]


# Each reader: (server, gate) -> the whole text; it opens the gate once it holds a delta.
def core_sync(server: FaultServer, gate: threading.Event) -> str:
    client = ZylonClient(base_url=server.base_url, api_token=TOKEN)
    pieces = []
    for delta in client.stream_turn(Route.create(project_id="p1"), REQUEST):
        pieces.append(delta.text or "")
        gate.set()
    return "".join(pieces)


def core_async(server: FaultServer, gate: threading.Event) -> str:
    async def run() -> str:
        client = AsyncZylonClient(base_url=server.base_url, api_token=TOKEN)
        pieces = []
        async for delta in client.stream_turn(Route.create(project_id="p1"), REQUEST):
            pieces.append(delta.text or "")
            gate.set()
        await client.aclose()
        return "".join(pieces)

    return asyncio.run(run())


def lc_stream(server: FaultServer, gate: threading.Event) -> str:
    pieces = []
    for chunk in ChatZylon(base_url=server.base_url, api_token=TOKEN, project_id="p1").stream([HumanMessage("hi")]):
        pieces.append(chunk.text)
        gate.set()
    return "".join(pieces)


def lc_astream(server: FaultServer, gate: threading.Event) -> str:
    async def run() -> str:
        pieces = []
        async for chunk in ChatZylon(base_url=server.base_url, api_token=TOKEN, project_id="p1").astream([HumanMessage("hi")]):
            pieces.append(chunk.text)
            gate.set()
        return "".join(pieces)

    return asyncio.run(run())


def li_stream(server: FaultServer, gate: threading.Event) -> str:
    last = ""
    for chunk in Zylon(base_url=server.base_url, api_token=TOKEN, project_id="p1").stream_chat([ChatMessage(role="user", content="hi")]):
        last = chunk.message.content or ""
        gate.set()
    return last


READERS: dict[str, Callable[[FaultServer, threading.Event], str]] = {
    "core": core_sync,
    "core async": core_async,
    "ChatZylon.stream": lc_stream,
    "ChatZylon.astream": lc_astream,
    "Zylon.stream_chat": li_stream,
}


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("name", READERS)
def test_a_streamed_project_answer_is_read_as_it_arrives(server, name):
    gate = threading.Event()
    action = gated_sse(HEAD, TAIL, gate)
    server.play(action)
    assert READERS[name](server, gate) == "first second"
    assert not action.gate_timed_out, "the client waited for the whole body before handing out the first delta"
    assert posts(server) == [CHAT]
    assert server.requests[0][2]["accept"] == "text/event-stream, application/json"


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("name", READERS)
def test_a_processing_interaction_is_followed_through_its_stream(server, name):
    server.play(respond(200, {"id": "inter_1", "state": "Processing"}), sse(HEAD + TAIL))
    assert READERS[name](server, threading.Event()) == "first second"
    assert server.paths() == [CHAT, "/api/v1/app/interaction/inter_1/stream"]


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("name", READERS)
def test_a_whole_message_is_handed_out_as_its_deltas(server, name):
    server.play(respond(200, MESSAGE))
    assert READERS[name](server, threading.Event()) == "first second"
    assert server.paths() == [CHAT]


@pytest.mark.fault("loud")
@pytest.mark.parametrize(
    "answer, error, words",
    [
        (respond(200, {"id": "inter_1", "state": "Error", "assistant_output": {"content": [], "stop_reason": "error",
                       "errors": [{"type": "api_error", "message": "no documents"}]}}), InteractionFailedError, "no documents"),
        (respond(200, {"neither": "shape"}), APIStatusError, "neither a message"),
        (respond(200, raw=b"<html>a login page</html>", headers={"Content-Type": "text/html"}), APIStatusError, "could not read"),
        (sse(HEAD + TAIL, cut_after=len(HEAD) + 10), StreamError, None),
    ],
    ids=["Error interaction", "unknown JSON shape", "HTML", "stream cut off"],
)
def test_an_answer_that_cannot_be_read_is_an_error_and_the_chat_is_not_resent(server, slept, answer, error, words):
    server.play(answer, respond(200, MESSAGE))
    with pytest.raises(error, match=words):
        core_sync(server, threading.Event())
    assert posts(server) == [CHAT] and slept == []
