"""Transport, retries, error mapping and paging over httpx.MockTransport (no network)."""

from __future__ import annotations

import json

import httpx
import pytest

from zylon_core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncZylonClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    Route,
    StreamError,
    UnprocessableEntityError,
    ZylonClient,
    ZylonSettings,
)
from zylon_core._retries import RetryPolicy, parse_retry_after
from zylon_core.models import ChatRequest, MessageInput, TextBlock

TOKEN = "sk-secret-token-123"


@pytest.fixture(autouse=True)
def no_sleep(slept):
    """Record back-off delays instead of sleeping them."""
    return slept


def settings(**kw):
    return ZylonSettings.resolve(base_url="https://zylon.test/", api_token=TOKEN, **kw)


def make_client(handler, **kw):
    s = settings(**kw)
    client = ZylonClient(s)
    client._transport._client = httpx.Client(
        transport=httpx.MockTransport(handler), headers=client._transport.headers, timeout=client._transport.timeout
    )
    return client


def make_async_client(handler, **kw):
    client = AsyncZylonClient(settings(**kw))
    client._transport._client = httpx.AsyncClient(transport=httpx.MockTransport(handler), headers=client._transport.headers)
    client._transport._owns_client = False
    return client


def hello_request():
    return ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])


ANSWER = {"id": "msg_1", "role": "assistant", "content": [{"type": "text", "text": "hello"}]}


def test_headers_and_url_on_every_request():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=ANSWER)

    client = make_client(handler, org="acme")
    result = client.run_turn(Route.create(), hello_request())
    assert result.message.content[0].text == "hello"
    request = seen[0]
    assert str(request.url) == "https://zylon.test/api/v1/app/chat"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["x-org"] == "acme"
    assert request.headers["user-agent"].startswith("zylon-integrations/")
    assert json.loads(request.content)["messages"][0]["content"] == [{"type": "text", "text": "hi"}]


@pytest.mark.parametrize(
    "status, error",
    [(400, BadRequestError), (401, AuthenticationError), (403, PermissionDeniedError), (404, NotFoundError),
     (413, RequestTooLargeError), (422, UnprocessableEntityError)],
)
def test_non_retryable_statuses_fail_at_once_with_the_server_message(status, error, no_sleep):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(status, json={"message": f"server says {status}"})

    with pytest.raises(error, match=f"server says {status}") as caught:
        make_client(handler).chat.create(hello_request())
    assert len(calls) == 1 and no_sleep == []
    assert caught.value.status_code == status
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)


def test_validation_details_are_kept():
    body = {"detail": [{"loc": ["body", "messages", 0, "role"], "msg": "field required", "type": "missing"}]}
    client = make_client(lambda r: httpx.Response(422, json=body))
    with pytest.raises(UnprocessableEntityError, match=r"messages\[0\]\.role: field required") as caught:
        client.chat.create(hello_request())
    assert caught.value.details == body["detail"]


# A chat (which creates an answer) is resent only after a refusal (408, 429, 503); a
# request that is safe to repeat (GET /me) after any 5xx and 409 as well.
@pytest.mark.parametrize(
    "status, error, send",
    [
        (429, RateLimitError, lambda client: client.chat.create(hello_request())),
        (500, InternalServerError, lambda client: client.me()),
        (503, InternalServerError, lambda client: client.chat.create(hello_request())),
        (408, None, lambda client: client.chat.create(hello_request())),
        (409, ConflictError, lambda client: client.me()),
    ],
)
def test_retryable_statuses_are_retried_up_to_max_retries(status, error, send, no_sleep):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(status, json={"error": {"type": "overloaded_error", "message": "busy"}})

    with pytest.raises(error or Exception, match="busy"):
        send(make_client(handler, max_retries=3))
    assert len(calls) == 4
    assert len(no_sleep) == 3
    assert no_sleep[0] < no_sleep[1] < no_sleep[2]  # exponential back-off


def test_retry_then_success(no_sleep):
    answers = iter([httpx.Response(503, text="unavailable"), httpx.Response(200, json=ANSWER)])
    message = make_client(lambda r: next(answers)).chat.create(hello_request())
    assert message.id == "msg_1" and len(no_sleep) == 1


def test_retry_after_is_honoured(no_sleep):
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}, json={}), httpx.Response(200, json=ANSWER)])
    make_client(lambda r: next(answers)).chat.create(hello_request())
    assert no_sleep == [7.0]


def test_connect_errors_are_retried_then_typed(no_sleep):
    def handler(request):
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(APIConnectionError, match="could not reach Zylon"):
        make_client(handler, max_retries=2).chat.create(hello_request())
    assert len(no_sleep) == 2


def test_read_timeout_is_not_retried(no_sleep):
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(APITimeoutError):
        make_client(handler).chat.create(hello_request())
    assert no_sleep == []


def test_cancel_treats_409_as_already_finished(no_sleep):
    client = make_client(lambda r: httpx.Response(409, json={"message": "already completed"}))
    assert client.interactions.cancel("inter_1") is False
    assert no_sleep == []
    client = make_client(lambda r: httpx.Response(204))
    assert client.interactions.cancel("inter_1") is True


def test_malformed_json_response_is_a_typed_error():
    client = make_client(lambda r: httpx.Response(200, text="<html>oops"))
    with pytest.raises(Exception, match="could not read the response"):
        client.chat.create(hello_request())


def test_an_html_page_instead_of_json_points_at_the_base_url():
    html = "<!doctype html><html><body>Sign in to Zylon</body></html>"
    client = make_client(lambda r: httpx.Response(200, text=html, headers={"content-type": "text/html; charset=utf-8"}))
    with pytest.raises(APIStatusError) as caught:
        client.chat.create(hello_request())
    message = str(caught.value)
    assert "POST /api/v1/app/chat: could not read the response: it is an HTML page (text/html; charset=utf-8)" in message
    assert "is base_url the instance root" in message and caught.value.body == html


def test_an_html_page_instead_of_an_event_stream_points_at_the_base_url():
    html = "<!doctype html><html><body>Sign in to Zylon</body></html>"
    client = make_client(lambda r: httpx.Response(200, text=html, headers={"content-type": "text/html"}))
    with pytest.raises(StreamError) as caught:
        list(client.stream_turn(Route.create(), hello_request()))
    message = str(caught.value)
    assert "expected content-type text/event-stream, got 'text/html': it is an HTML page (text/html)" in message
    assert "is base_url the instance root" in message


def page(items, has_next):
    return {"data": items, "has_next_page": has_next, "has_previous_page": False, "total_count": 5}


def test_pager_walks_every_page():
    pages = {1: page([{"id": "i1", "state": "Completed"}, {"id": "i2", "state": "Completed"}], True),
             2: page([{"id": "i3", "state": "Completed"}], False)}
    seen = []

    def handler(request):
        number = int(request.url.params["page"])
        seen.append((request.url.path, number, request.url.params["page_size"]))
        return httpx.Response(200, json=pages[number])

    ids = [i.id for i in make_client(handler).interactions.iter_all("thr_1", page_size=2)]
    assert ids == ["i1", "i2", "i3"]
    assert seen == [("/api/v1/app/thread/thr_1/interaction", 1, "2"), ("/api/v1/app/thread/thr_1/interaction", 2, "2")]


def test_pager_stops_on_an_empty_page_even_if_told_there_is_more():
    client = make_client(lambda r: httpx.Response(200, json=page([], True)))
    assert list(client.threads.iter_all("p1")) == []


async def test_async_pager_and_retry(no_sleep):
    pages = iter([httpx.Response(503), httpx.Response(200, json=page([{"id": "t1"}], True)), httpx.Response(200, json=page([{"id": "t2"}], False))])
    client = make_async_client(lambda r: next(pages))
    assert [t.id async for t in client.threads.iter_all("p1")] == ["t1", "t2"]
    assert len(no_sleep) == 1


SSE_OK = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def sse(body, status=200):
    return httpx.Response(status, headers={"content-type": "text/event-stream"}, content=body.encode())


def test_streamed_one_shot_chat():
    seen = []

    def handler(request):
        seen.append(request)
        return sse(SSE_OK)

    stream = make_client(handler).stream_turn(Route.create(), hello_request())
    assert [d.text for d in stream] == ["Hi"]
    assert stream.result.message.content[0].text == "Hi"
    assert json.loads(seen[0].content)["stream"] is True
    assert seen[0].headers["accept"] == "text/event-stream"


@pytest.mark.parametrize("text", ["a\u2028b", "a\u2029b", "a\x85b", "line\r\nbreak"])
def test_stream_lines_end_only_at_cr_and_lf(text):
    """JSON may carry U+2028, U+0085 ... unescaped; only \\r, \\n and \\r\\n end an SSE line
    (str.splitlines, which httpx's iter_lines uses, breaks on those too)."""
    delta = json.dumps({"type": "content_block_delta", "delta": {"type": "text_delta", "text": text}}, ensure_ascii=False)
    body = SSE_OK.replace('data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}', f"data: {delta}")
    assert text in body or "\\r\\n" in body
    stream = make_client(lambda r: sse(body.replace("\n\n", "\r\n\r\n"))).stream_turn(Route.create(), hello_request())
    assert [d.text for d in stream] == [text]


async def test_async_stream_splits_events_across_reads():
    async def handler(request):
        async def body():
            encoded = SSE_OK.replace('"Hi"', '"H\u00e9\u2028!"').encode()
            for start in range(0, len(encoded), 7):  # pieces that cut lines and UTF-8 characters apart
                yield encoded[start : start + 7]

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    client = make_async_client(handler)
    stream = client.stream_turn(Route.create(), hello_request())
    assert [d.text async for d in stream] == ["H\u00e9\u2028!"]
    assert stream.result.message.content[0].text == "H\u00e9\u2028!"


def test_a_stream_is_not_read_past_message_stop():
    # The call returns at message_stop: a server that keeps the body open (or sends
    # pings after it) cannot make the caller wait.
    read = {"chunks": 0, "ended": False}

    def body():
        for part in (SSE_OK, 'event: done\ndata: {"type": "done"}\n\n'):
            read["chunks"] += 1
            yield part.encode()
        read["ended"] = True

    stream = make_client(lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())).stream_turn(
        Route.create(), hello_request()
    )
    assert [d.text for d in stream] == ["Hi"]
    assert read == {"chunks": 1, "ended": False}


async def test_async_stream_is_not_read_past_message_stop():
    read = {"ended": False, "pings": 0}

    async def body():
        yield SSE_OK.encode()
        while True:  # never ends
            read["pings"] += 1
            yield b"event: ping\ndata: {}\n\n"

    client = make_async_client(lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body()))
    stream = client.stream_turn(Route.create(), hello_request())
    assert [d.text async for d in stream] == ["Hi"]
    assert stream.result.message.content[0].text == "Hi"
    assert read["pings"] <= 1


def test_a_server_that_keeps_talking_after_message_stop_is_cut_off():
    sent = {"pings": 0}

    def body():
        yield SSE_OK.encode()
        while True:  # never ends
            sent["pings"] += 1
            yield b"event: ping\ndata: {}\n\n"

    stream = make_client(lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())).stream_turn(
        Route.create(), hello_request()
    )
    assert [d.text for d in stream] == ["Hi"]
    assert stream.result.message.content[0].text == "Hi"
    assert sent["pings"] <= 1


def test_cut_stream_raises_instead_of_returning_a_short_answer():
    cut = SSE_OK.rsplit("event: message_stop", 1)[0]
    stream = make_client(lambda r: sse(cut)).stream_turn(Route.create(), hello_request())
    with pytest.raises(StreamError, match="before message_stop"):
        list(stream)


def test_non_sse_answer_to_a_stream_is_a_stream_error():
    stream = make_client(lambda r: httpx.Response(200, json=ANSWER)).stream_turn(Route.create(), hello_request())
    with pytest.raises(StreamError, match="event stream"):
        list(stream)


def interaction(state, **extra):
    return {"id": "inter_1", "thread_id": "thr_1", "state": state, **extra}


def test_thread_turn_waits_for_a_processing_interaction_through_its_stream():
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path))
        if request.method == "POST":
            return httpx.Response(201, json=interaction("Processing"))
        return sse(SSE_OK)

    result = make_client(handler).run_turn(Route.create(thread_id="thr_1"), hello_request())
    assert result.message.content[0].text == "Hi"
    assert (result.interaction_id, result.thread_id) == ("inter_1", "thr_1")
    assert seen == [("POST", "/api/v1/app/thread/thr_1/interaction"), ("GET", "/api/v1/app/interaction/inter_1/stream")]


def test_thread_turn_in_error_state_raises():
    from zylon_core import InteractionFailedError

    body = interaction("Error", assistant_output={"content": [], "errors": [{"type": "api_error", "message": "model down"}]})
    client = make_client(lambda r: httpx.Response(201, json=body))
    with pytest.raises(InteractionFailedError, match="model down"):
        client.run_turn(Route.create(thread_id="thr_1"), hello_request())


def test_abandoned_thread_stream_cancels_the_interaction():
    seen = []
    long_stream = SSE_OK.replace("event: message_stop", "event: ping\ndata: {}\n\nevent: message_stop")

    def handler(request):
        seen.append((request.method, request.url.path))
        if request.url.path.endswith("/interaction"):
            return httpx.Response(201, json=interaction("Processing"))
        if request.url.path.endswith("/cancel"):
            return httpx.Response(204)
        return sse(long_stream)

    stream = iter(make_client(handler).stream_turn(Route.create(thread_id="thr_1"), hello_request()))
    assert next(stream).text == "Hi"
    stream.close()
    assert ("POST", "/api/v1/app/interaction/inter_1/cancel") in seen


def test_thread_mode_sends_only_the_new_turn():
    seen = []

    def handler(request):
        seen.append(json.loads(request.content))
        return httpx.Response(201, json=interaction("Completed", assistant_output=ANSWER))

    history = ChatRequest(
        messages=[
            MessageInput(role="user", content=[TextBlock(text="first")]),
            MessageInput(role="assistant", content=[TextBlock(text="reply")]),
            MessageInput(role="user", content=[TextBlock(text="second")]),
        ]
    )
    make_client(handler).run_turn(Route.create(thread_id="thr_1", artifact_ids=["a1"], agent="Default"), history)
    body = seen[0]
    assert body["thread_id"] == "thr_1" and body["artifact_ids"] == ["a1"] and body["agent"] == "Default"
    assert [m["content"][0]["text"] for m in body["pgpt"]["messages"]] == ["second"]


def test_retry_policy_delays_are_bounded_and_jittered():
    policy = RetryPolicy(max_retries=5, initial_delay=0.5, max_delay=4.0, jitter=0.25)
    delays = [policy.delay(n) for n in range(6)]
    assert all(0.375 <= d <= 4.0 for d in delays)
    assert delays[-1] <= 4.0 and delays[-1] >= 3.0


def test_retry_after_http_date_and_ms():
    response = httpx.Response(429, headers={"retry-after-ms": "1500"})
    assert parse_retry_after(response) == 1.5
    assert parse_retry_after(httpx.Response(429, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert parse_retry_after(httpx.Response(429)) is None


@pytest.mark.parametrize("stream", [False, True])
def test_requests_carry_the_same_headers_on_our_client_and_a_callers_client(stream):
    from zylon_core._transport import Call

    transport = ZylonClient(settings())._transport
    call = Call("POST", "https://zylon.test/api/v1/app/chat", json={}, headers={"x-extra": "1"})
    ours = transport.build(transport.client, call, stream=stream)  # the client carries the auth headers
    theirs = transport.build(httpx.Client(), call, stream=stream)  # each request carries them
    for request in (ours, theirs):
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["x-org"] == "default" and request.headers["x-extra"] == "1"
        assert request.headers["user-agent"].startswith("zylon-integrations/")
        assert request.headers["accept"] == ("text/event-stream" if stream else "application/json")
        assert request.headers.get("cache-control") == ("no-store" if stream else None)
    assert sorted(ours.headers.items()) == sorted(theirs.headers.items())
    assert call.headers == {"x-extra": "1"}
