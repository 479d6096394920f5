"""Faults on the real HTTP path: a misbehaving server on loopback, the real client.

Retries are bounded by ``max_retries`` with back-off; non-retryable statuses fail at
once with the server's message; a stream is never retried once it has yielded; a
broken stream raises instead of returning a shorter answer.
"""

from __future__ import annotations

import json

import pytest

from tests.reliability.fault_server import hang, reset, respond, sse
from zylon_core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncZylonClient,
    InteractionFailedError,
    InternalServerError,
    RateLimitError,
    Route,
    ServerStreamError,
    StreamError,
    ZylonClient,
    ZylonSettings,
)
from zylon_core.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RequestTooLargeError,
    UnprocessableEntityError,
)
from zylon_core.models import ChatRequest, MessageInput, TextBlock

TOKEN = "sk-fault-suite-token"
ANSWER = {"id": "msg_1", "role": "assistant", "content": [{"type": "text", "text": "fine"}]}
GOOD_SSE = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Hello "}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"world"}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)




def client_for(server, cls=ZylonClient, **kw):
    kw.setdefault("max_retries", 2)
    return cls(ZylonSettings.resolve(base_url=server.base_url, api_token=TOKEN, **kw))


def request():
    return ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])


@pytest.mark.fault("recovered")
def test_429_with_retry_after_is_honoured_then_succeeds(server, slept):
    server.play(respond(429, {"message": "slow down"}, {"Retry-After": "3"}), respond(200, ANSWER))
    assert client_for(server).chat.create(request()).content[0].text == "fine"
    assert slept == [3.0] and len(server.requests) == 2


@pytest.mark.fault("loud")
def test_429_without_retry_after_backs_off_and_gives_up(server, slept):
    server.play(*[respond(429, {"message": "rate limited"})] * 3)
    with pytest.raises(RateLimitError, match="rate limited"):
        client_for(server).chat.create(request())
    assert len(server.requests) == 3 and len(slept) == 2 and slept[0] < slept[1]


THREAD = {"id": "thread_1", "name": "t", "project_id": "p", "visibility": "Private"}


@pytest.mark.fault("loud")
@pytest.mark.parametrize(
    "statuses, send",
    [
        ((503, 503, 503), lambda client: client.chat.create(request())),  # refused each time: resent
        ((500, 502, 503), lambda client: client.threads.get("thread_1")),  # safe to repeat: resent
    ],
)
def test_bursts_of_5xx_are_bounded_by_max_retries(server, slept, statuses, send):
    server.play(*[respond(s, {"error": {"type": "overloaded_error", "message": "overloaded"}}) for s in statuses])
    with pytest.raises(InternalServerError, match="overloaded"):
        send(client_for(server))
    assert len(server.requests) == 3


@pytest.mark.fault("recovered")
def test_refusals_then_recovery(server, slept):
    server.play(respond(503, raw=b"unavailable"), respond(429, raw=b""), respond(200, ANSWER))
    assert client_for(server).chat.create(request()).id == "msg_1"
    assert len(server.requests) == 3


@pytest.mark.fault("recovered")
def test_5xx_burst_then_recovery_of_a_request_safe_to_repeat(server, slept):
    server.play(respond(502, raw=b"bad gateway"), respond(500, raw=b""), respond(200, THREAD))
    assert client_for(server).threads.get("thread_1").id == "thread_1"
    assert len(server.requests) == 3


@pytest.mark.fault("loud")
@pytest.mark.parametrize(
    "status, error",
    [(400, BadRequestError), (401, AuthenticationError), (403, PermissionDeniedError), (404, NotFoundError),
     (413, RequestTooLargeError), (422, UnprocessableEntityError)],
)
def test_non_retryable_statuses_fail_at_once(server, slept, status, error):
    server.play(respond(status, {"message": f"the server explains {status}"}), respond(200, ANSWER))
    with pytest.raises(error, match=f"the server explains {status}") as caught:
        client_for(server).chat.create(request())
    assert len(server.requests) == 1 and slept == []
    assert TOKEN not in str(caught.value)


@pytest.mark.fault("recovered")
def test_409_on_cancel_is_final_and_means_already_finished(server, slept):
    server.play(respond(409, {"message": "interaction already completed"}))
    assert client_for(server).interactions.cancel("inter_1") is False
    assert len(server.requests) == 1


@pytest.mark.fault("loud")
def test_connection_refused_is_retried_then_typed(slept):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens
    client = ZylonClient(ZylonSettings.resolve(base_url=f"http://127.0.0.1:{port}", api_token=TOKEN, max_retries=2))
    with pytest.raises(APIConnectionError, match="could not reach Zylon"):
        client.chat.create(request())
    assert len(slept) == 2


@pytest.mark.fault("recovered")
def test_reset_before_the_response_of_a_request_safe_to_repeat_is_retried(server, slept):
    server.play(reset(), respond(200, THREAD))
    assert client_for(server).threads.get("thread_1").id == "thread_1"
    assert len(server.requests) == 2


@pytest.mark.fault("loud")
def test_read_timeout_raises_a_timeout_and_is_not_retried(server, slept):
    server.play(hang(3))
    client = client_for(server, timeout=0.3)
    with pytest.raises(APITimeoutError):
        client.chat.create(request())
    assert len(server.requests) == 1


@pytest.mark.fault("loud")
def test_malformed_json_body_is_a_typed_error(server):
    server.play(respond(200, raw=b'{"id": "msg_1", "content": [ oops'))
    with pytest.raises(APIStatusError, match="could not read the response"):
        client_for(server).chat.create(request())


@pytest.mark.fault("loud")
def test_malformed_sse_line_raises(server):
    broken = GOOD_SSE.replace('"text":"world"}}', '"text":"world"')
    server.play(sse(broken))
    with pytest.raises(StreamError, match="malformed JSON"):
        list(client_for(server).stream_turn(Route.create(), request()))


@pytest.mark.fault("loud")
def test_error_event_mid_stream_raises_even_with_message_stop(server):
    text = GOOD_SSE.replace(
        "event: message_stop",
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"model overloaded"}}\n\nevent: message_stop',
    )
    server.play(sse(text))
    stream = client_for(server).stream_turn(Route.create(), request())
    got = []
    with pytest.raises(ServerStreamError, match="model overloaded"):
        for delta in stream:
            got.append(delta.text)
    assert got == ["Hello ", "world"]  # what came before the error was delivered, then it failed
    assert len(server.requests) == 1  # never retried after yielding


@pytest.mark.fault("loud")
def test_stream_cut_off_before_message_stop_raises(server):
    server.play(sse(GOOD_SSE, cut_after=GOOD_SSE.index("event: message_stop")))
    with pytest.raises(StreamError):
        list(client_for(server).stream_turn(Route.create(), request()))
    assert len(server.requests) == 1


@pytest.mark.fault("loud")
def test_connection_dropped_mid_event_raises(server):
    server.play(sse(GOOD_SSE, cut_after=GOOD_SSE.index('"text":"world"')))
    with pytest.raises(StreamError):
        list(client_for(server).stream_turn(Route.create(), request()))


@pytest.mark.fault("loud")
def test_non_streamed_turn_cut_off_raises(server):
    """invoke() of a Processing interaction must fail, not return half an answer."""
    server.play(
        respond(201, {"id": "inter_1", "thread_id": "t", "state": "Processing"}),
        sse(GOOD_SSE, cut_after=GOOD_SSE.index("event: message_stop")),
        respond(204, raw=b""),
    )
    with pytest.raises(StreamError):
        client_for(server).run_turn(Route.create(thread_id="t"), request())


@pytest.mark.fault("loud")
def test_processing_interaction_that_ends_in_error(server, slept):
    error_stream = (
        'event: message_start\ndata: {"type":"message_start","message":{"id":"m","content":[]}}\n\n'
        'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"generation failed"}}\n\n'
        'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    server.play(respond(201, {"id": "inter_1", "thread_id": "t", "state": "Processing"}), sse(error_stream), respond(409, {"message": "finished"}))
    with pytest.raises(ServerStreamError, match="generation failed"):
        client_for(server).run_turn(Route.create(thread_id="t"), request())


@pytest.mark.fault("loud")
def test_interaction_created_in_error_state(server):
    server.play(respond(201, {"id": "inter_1", "state": "Error", "assistant_output": {"content": [], "stop_reason": "error", "errors": [{"type": "api_error", "message": "quota exceeded"}]}}))
    with pytest.raises(InteractionFailedError, match="quota exceeded"):
        client_for(server).run_turn(Route.create(thread_id="t"), request())


@pytest.mark.fault("loud")
def test_completed_message_with_error_stop_reason_is_an_error(server):
    server.play(respond(200, {**ANSWER, "stop_reason": "error", "errors": [{"type": "api_error", "message": "truncated by failure"}]}))
    with pytest.raises(Exception, match="truncated by failure"):
        client_for(server).run_turn(Route.create(), request())


@pytest.mark.fault("recovered")
async def test_async_5xx_then_recovery(server, slept):
    server.play(respond(503, {"message": "busy"}), respond(200, ANSWER))
    client = client_for(server, AsyncZylonClient)
    assert (await client.chat.create(request())).id == "msg_1"
    assert len(slept) == 1 and len(server.requests) == 2
    await client.aclose()


@pytest.mark.fault("loud")
async def test_async_stream_cut_off_raises(server, slept):
    server.play(sse(GOOD_SSE, cut_after=40))
    client = client_for(server, AsyncZylonClient)
    with pytest.raises(StreamError):
        async for _ in client.stream_turn(Route.create(), request()):
            pass
    assert slept == [] and len(server.requests) == 1
    await client.aclose()


def test_requests_carry_auth_and_org(server):
    server.play(respond(200, ANSWER))
    client_for(server, org="acme").chat.create(request())
    _, path, headers, body = server.requests[0]
    assert path == "/api/v1/app/chat"
    assert headers["authorization"] == f"Bearer {TOKEN}" and headers["x-org"] == "acme"
    assert json.loads(body)["messages"][0]["role"] == "user"


@pytest.mark.parametrize("name", ["interactions.08.stream.sse", "messages.13.stream.sse", "threads.16.stream.sse"])
def test_documented_streams_served_verbatim_complete(server, name, shared_api):
    """The docs' streams end without a blank line after message_stop; that last event
    must still count, or every such stream would look cut off."""
    text = (shared_api / "examples" / name).read_text()
    assert not text.endswith("\n\n")
    server.play(sse(text))
    stream = client_for(server).stream_turn(Route.create(), request())
    pieces = [d.text for d in stream]
    assert "".join(pieces) == stream.result.message.content[0].text != ""


def test_own_http_client_still_carries_auth_and_org(server):
    import httpx

    server.play(respond(200, ANSWER))
    settings = ZylonSettings.resolve(base_url=server.base_url, api_token=TOKEN, org="acme")
    client = ZylonClient(settings, http_client=httpx.Client())
    client.chat.create(request())
    headers = server.requests[0][2]
    assert headers["authorization"] == f"Bearer {TOKEN}" and headers["x-org"] == "acme"


def test_token_echoed_in_a_stream_error_event_is_redacted(server):
    text = GOOD_SSE.replace(
        "event: message_stop",
        'event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"bad token '
        + TOKEN
        + '"}}\n\nevent: message_stop',
    )
    server.play(sse(text))
    with pytest.raises(ServerStreamError, match="bad token") as caught:
        list(client_for(server).stream_turn(Route.create(), request()))
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.args)
    assert TOKEN not in str(caught.value.body) and "[redacted]" in str(caught.value)


def test_token_echoed_in_an_unreadable_body_is_redacted(server):
    server.play(respond(200, raw=f"<html>proxy says: token {TOKEN}".encode()))
    with pytest.raises(APIStatusError, match="could not read") as caught:
        client_for(server).chat.create(request())
    assert TOKEN not in str(caught.value) and TOKEN not in str(caught.value.body)
