"""What is on the wire, read per the specs whatever the server does with it: event
streams (SSE spec), content encodings, JSON depth. Real HTTP on loopback (the fault server)."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.reliability.fault_server import Action, respond
from zylon_core import APIError, AsyncZylonClient, Route, StreamError, ZylonClient
from zylon_core.models import ChatRequest, MessageInput

TOKEN = "wire-format-token"
HELLO = ChatRequest(messages=[MessageInput(role="user", content="hi")])


def _events(*texts: str) -> str:
    # Data lines only (the event name is in each payload's type), so that a lost first
    # line loses the first event.
    parts = ['data: {"type": "message_start", "message": {"id": "m1", "role": "assistant"}}\n\n']
    for text in texts:
        data = json.dumps({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}})
        parts.append(f"data: {data}\n\n")
    parts.append('data: {"type": "message_stop"}\n\n')
    return "".join(parts)


def _stream(body: bytes, content_type: str = "text/event-stream", pieces: int = 1) -> Action:
    size = max(1, -(-len(body) // pieces))
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return Action("respond", 200, {"Content-Type": content_type}, chunks=chunks)


def _text(server, **route) -> str:
    with ZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=0) as client:
        stream = client.stream_turn(Route.create(**route), HELLO)
        return "".join(delta.text for delta in stream)


@pytest.mark.fault("recovered")
def test_a_leading_byte_order_mark_does_not_cost_the_first_event(server):
    server.play(_stream("\ufeff".encode() + _events("Hello").encode()))
    assert _text(server) == "Hello"


@pytest.mark.fault("recovered")
def test_the_body_is_utf8_whatever_charset_the_server_names(server):
    server.play(_stream(_events("café ☕").encode(), content_type="text/event-stream; charset=iso-8859-1", pieces=7))
    assert _text(server) == "café ☕"


@pytest.mark.fault("recovered")
def test_the_content_type_is_matched_without_case(server):
    server.play(_stream(_events("ok").encode(), content_type="Text/Event-Stream"))
    assert _text(server) == "ok"


@pytest.mark.fault("recovered")
def test_one_large_event_in_many_pieces_arrives_whole(server):
    big = "x" * 3_000_000
    server.play(_stream(_events(big).encode(), pieces=400))
    assert _text(server) == big


@pytest.mark.fault("loud")
def test_a_corrupt_gzip_body_is_a_typed_error(server):
    server.play(Action("respond", 200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"not gzip at all"))
    with ZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=0) as client:
        with pytest.raises(APIError, match="could not be decoded"):
            client.chat.create(HELLO)


@pytest.mark.fault("loud")
def test_a_corrupt_gzip_stream_is_a_stream_error(server):
    good = gzip.compress(_events("hi").encode())
    server.play(Action("respond", 200, {"Content-Type": "text/event-stream", "Content-Encoding": "gzip"}, chunks=[good[:20] + b"garbage"]))
    with pytest.raises(StreamError):
        _text(server)


@pytest.mark.fault("loud")
def test_json_nested_too_deep_is_a_typed_error(server):
    deep = b"[" * 100_000 + b"]" * 100_000
    server.play(respond(200, raw=deep))
    with ZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=0) as client:
        with pytest.raises(APIError, match="could not read the response"):
            client.chat.create(HELLO)
    nested = '{"type": "content_block_delta", "delta": ' + "[" * 100_000 + "]" * 100_000 + "}"
    server.play(_stream(f"event: content_block_delta\ndata: {nested}\n\n".encode()))
    with pytest.raises(StreamError, match="nested too deep"):
        _text(server)


@pytest.mark.fault("recovered")
async def test_the_async_stream_reads_the_same_way(server):
    server.play(_stream("\ufeff".encode() + _events("çà", "☕").encode(), content_type="TEXT/EVENT-STREAM; charset=latin-1", pieces=5))
    async with AsyncZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=0) as client:
        assert "".join([d.text async for d in client.stream_turn(Route.create(), HELLO)]) == "çà☕"
