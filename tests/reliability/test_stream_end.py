"""After ``message_stop`` a stream returns at once, and its connection is kept when the
rest of its body has already arrived (``zylon_core._stream_end``).

A server that ends its body right after ``message_stop`` (in the same write) leaves the
connection reusable: N streams use one connection, sync and async. One that holds the
rest of the body back, or keeps talking, never holds the caller: the call returns with
the whole answer and that connection is closed instead.
"""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from tests.reliability.fault_server import chunk, gated_sse, head, raw, respond, sse
from zylon_core import AsyncZylonClient, Route, ZylonClient, ZylonSettings
from zylon_core.models import ChatRequest, MessageInput, TextBlock

TOKEN = "sk-stream-end-token"
STREAM = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello "}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"world"}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
PING = 'event: ping\ndata: {"type":"ping"}\n\n'


def settings(server) -> ZylonSettings:
    return ZylonSettings.resolve(base_url=server.base_url, api_token=TOKEN, max_retries=0)


def request() -> ChatRequest:
    return ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])


def text_of(deltas) -> str:
    return "".join(d.text or "" for d in deltas if d.kind == "text")


@pytest.mark.fault("recovered")
def test_streams_whose_body_ends_with_message_stop_keep_their_connection(server):
    server.play(*[sse(STREAM, end_with_last=True)] * 5)
    with ZylonClient(settings(server)) as client:
        for _ in range(5):
            assert text_of(client.stream_turn(Route.create(), request())) == "Hello world"
    assert len(server.requests) == 5 and server.connections == 1


@pytest.mark.fault("recovered")
def test_async_streams_whose_body_ends_with_message_stop_keep_their_connection(server):
    server.play(*[sse(STREAM, end_with_last=True)] * 5)

    async def main() -> None:
        async with AsyncZylonClient(settings(server)) as client:
            for _ in range(5):
                assert text_of([d async for d in client.stream_turn(Route.create(), request())]) == "Hello world"

    asyncio.run(main())
    assert len(server.requests) == 5 and server.connections == 1


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_body_held_back_after_message_stop_does_not_hold_the_call(server, mode):
    gate = threading.Event()
    # The body's end (after a ping) waits for the gate, opened only once the call has
    # returned: a client waiting for it would only return when the gate times out.
    action = gated_sse(STREAM, PING, gate, wait=10.0)
    server.play(action, sse(STREAM))
    with ZylonClient(settings(server)) as client:
        if mode == "sync":
            got = text_of(client.stream_turn(Route.create(), request()))
        else:

            async def main() -> str:
                async with AsyncZylonClient(settings(server)) as aclient:
                    return text_of([d async for d in aclient.stream_turn(Route.create(), request())])

            got = asyncio.run(main())
        gate.set()
        assert got == "Hello world" and not action.gate_timed_out
        # That connection could not be kept: the next call opens another.
        if mode == "sync":
            assert text_of(client.stream_turn(Route.create(), request())) == "Hello world"
            assert server.connections == 2


@pytest.mark.fault("recovered")
def test_a_server_that_keeps_talking_after_message_stop_is_left_after_a_few_reads(server):
    server.play(sse(STREAM + PING * 200_000, end_with_last=True), sse(STREAM))
    with ZylonClient(settings(server)) as client:
        assert text_of(client.stream_turn(Route.create(), request())) == "Hello world"
        assert text_of(client.stream_turn(Route.create(), request())) == "Hello world"
    assert server.connections == 2


# A server that sends more than its answer in one write (a second, unasked-for answer
# after the first's end): those bytes must never be read as the next request's answer.
STALE_STREAM = STREAM.replace('"Hello "', '"STALE "')


def answer_then(extra: bytes) -> bytes:
    body = chunk(STREAM.encode()) + b"0\r\n\r\n"
    return head(200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"}) + body + extra


def stale_answer() -> bytes:
    return head(200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"}) + chunk(STALE_STREAM.encode()) + b"0\r\n\r\n"


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_bytes_past_a_streams_end_are_never_the_next_answer(server, mode):
    server.play(raw(answer_then(stale_answer()), keep_open=True), sse(STREAM.replace("Hello ", "Second ")))
    if mode == "sync":
        with ZylonClient(settings(server)) as client:
            got = [text_of(client.stream_turn(Route.create(), request())) for _ in range(2)]
    else:

        async def main() -> list[str]:
            async with AsyncZylonClient(settings(server)) as client:
                texts = []
                for _ in range(2):
                    texts.append(text_of([d async for d in client.stream_turn(Route.create(), request())]))
                return texts

        got = asyncio.run(main())
    assert got == ["Hello world", "Second world"]
    assert len(server.requests) == 2 and server.connections == 2  # that connection was not reused


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_bytes_past_a_json_answers_end_are_never_the_next_answer(server, mode):
    def health(status: str) -> bytes:
        body = json.dumps({"status": status}).encode()
        return head(200, {"Content-Type": "application/json", "Content-Length": str(len(body))}) + body

    server.play(raw(health("first") + health("STALE"), keep_open=True), respond(200, {"status": "second"}))
    if mode == "sync":
        with ZylonClient(settings(server)) as client:
            got = [client.health().status for _ in range(2)]
    else:

        async def main() -> list[str]:
            async with AsyncZylonClient(settings(server)) as client:
                return [(await client.health()).status for _ in range(2)]

        got = asyncio.run(main())
    assert got == ["first", "second"]
    assert server.connections == 2
