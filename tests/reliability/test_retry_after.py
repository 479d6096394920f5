"""``Retry-After`` (and ``retry-after-ms``) as servers and proxies really send it: a
number of seconds or an HTTP date is honoured up to 60 s; NaN, negative, huge, infinite
or unreadable values give a sane wait (capped, or the client's own back-off), never an
exception, and the request is retried as any 429 is.
"""

from __future__ import annotations

import math

import httpx
import pytest

from tests.reliability.fault_server import respond
from tests.reliability.support import TOKEN
from zylon_core import ZylonClient
from zylon_core._retries import MAX_RETRY_AFTER, RetryPolicy, parse_retry_after
from zylon_core.models import ChatRequest, MessageInput, TextBlock

ANSWER = {"id": "msg_1", "role": "assistant", "content": [{"type": "text", "text": "fine"}]}
REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])

# header -> the wait it must give (None: the client's own back-off, between 0 and 0.5 s)
HEADERS: dict[str, tuple[dict[str, str], float | None]] = {
    "seconds": ({"Retry-After": "3"}, 3.0),
    "fraction": ({"Retry-After": "1.5"}, 1.5),
    "NaN": ({"Retry-After": "NaN"}, None),
    "nan-ms": ({"retry-after-ms": "nan"}, None),
    "negative": ({"Retry-After": "-5"}, 0.0),
    "huge": ({"Retry-After": "99999999999"}, MAX_RETRY_AFTER),
    "overflowing": ({"Retry-After": "1e400"}, MAX_RETRY_AFTER),
    "infinite": ({"Retry-After": "inf"}, MAX_RETRY_AFTER),
    "-infinite": ({"Retry-After": "-Infinity"}, 0.0),
    "garbage": ({"Retry-After": "soon, maybe"}, None),
    "bad date": ({"Retry-After": "Wed, 99 Foo 2024 99:99:99 GMT"}, None),
    "year 99999": ({"Retry-After": "Fri, 01 Jan 99999 00:00:00 GMT"}, None),
    "date in the past": ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
    "empty": ({"Retry-After": ""}, None),
    "ms": ({"retry-after-ms": "250"}, 0.25),
    "ms garbage, seconds good": ({"retry-after-ms": "x", "Retry-After": "2"}, 2.0),
}


@pytest.mark.parametrize("name", HEADERS)
def test_each_value_is_a_finite_wait_within_bounds(name):
    headers, expected = HEADERS[name]
    response = httpx.Response(429, headers=headers)
    wait = RetryPolicy().delay(0, response)
    assert math.isfinite(wait) and 0 <= wait <= MAX_RETRY_AFTER
    if expected is None:
        assert parse_retry_after(response) is None and 0 < wait <= 0.5  # the back-off's first step
    else:
        assert wait == pytest.approx(expected)


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("name", ["NaN", "negative", "huge", "garbage", "bad date", "year 99999", "infinite"])
def test_a_429_with_an_unusable_retry_after_is_retried_after_a_sane_wait(server, slept, name):
    headers, expected = HEADERS[name]
    server.play(respond(429, {"message": "slow down"}, headers), respond(200, ANSWER))
    client = ZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=2)
    assert client.chat.create(REQUEST).id == "msg_1"
    assert len(server.requests) == 2 and len(slept) == 1
    assert math.isfinite(slept[0]) and 0 <= slept[0] <= MAX_RETRY_AFTER
    if expected is not None:
        assert slept[0] == expected
