"""A total deadline per request (``deadline``, seconds, default 600): a server that
drips its answer a byte at a time, sends only ``: ping`` heartbeats, or stops in the
middle of a body cannot hold a call past it, and retries and their waits stay within
it. What each setting bounds:

* ``connect_timeout``: each attempt to open a connection;
* ``timeout``: each wait for the next bytes of an answer;
* ``deadline``: the whole request, retries, back-off waits and reading the answer or
  the whole stream included (sync: checked between reads, each read's timeout lowered
  to what is left; async: the pending read is cancelled).

The servers below would hold a call for 10 s or more; the deadline is 0.3 s. The tests
assert the error, never how long it took.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import pytest
from langchain_core import exceptions as lc_errors
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import FaultServer, drip, heartbeat, respond, stall
from tests.reliability.support import TOKEN
from zylon_core import APITimeoutError, AsyncZylonClient, ConfigurationError, RateLimitError, Route, ZylonClient, ZylonSettings
from zylon_core.models import ChatRequest, MessageInput, TextBlock

DEADLINE = 0.3
ANSWER = json.dumps({"id": "m", "role": "assistant", "content": [{"type": "text", "text": "x" * 400}]}).encode()
START = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
PROCESSING = {"id": "inter_1", "thread_id": "t1", "state": "Processing"}
REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])


def _lc(server: FaultServer, **kw: Any) -> ChatZylon:
    return ChatZylon(base_url=server.base_url, api_token=TOKEN, timeout=30, deadline=DEADLINE, max_retries=0, **kw)


def _li(server: FaultServer, **kw: Any) -> Zylon:
    return Zylon(base_url=server.base_url, api_token=TOKEN, timeout=30, deadline=DEADLINE, max_retries=0, **kw)


async def _closing(llm: Any, call: Callable[[Any], Any]) -> Any:
    try:
        return await call(llm)
    finally:
        await llm.aclose()


async def _adrain(stream: Any) -> None:
    async for _ in stream:
        pass


def _core(server: FaultServer) -> ZylonClient:
    return ZylonClient(base_url=server.base_url, api_token=TOKEN, timeout=30, deadline=DEADLINE, max_retries=0)


CALLS: dict[str, Callable[..., Any]] = {
    "core run_turn": lambda s, **kw: _core(s).run_turn(Route.create(**kw), REQUEST),
    "core stream_turn": lambda s, **kw: list(_core(s).stream_turn(Route.create(**kw), REQUEST)),
    "ChatZylon.invoke": lambda s, **kw: _lc(s, **kw).invoke([HumanMessage("hi")]),
    "ChatZylon.stream": lambda s, **kw: list(_lc(s, **kw).stream([HumanMessage("hi")])),
    "ChatZylon.ainvoke": lambda s, **kw: asyncio.run(_closing(_lc(s, **kw), lambda llm: llm.ainvoke([HumanMessage("hi")]))),
    "ChatZylon.astream": lambda s, **kw: asyncio.run(_closing(_lc(s, **kw), lambda llm: _adrain(llm.astream([HumanMessage("hi")])))),
    "Zylon.chat": lambda s, **kw: _li(s, **kw).chat([ChatMessage(role="user", content="hi")]),
    "Zylon.stream_chat": lambda s, **kw: list(_li(s, **kw).stream_chat([ChatMessage(role="user", content="hi")])),
    "Zylon.achat": lambda s, **kw: asyncio.run(_closing(_li(s, **kw), lambda llm: llm.achat([ChatMessage(role="user", content="hi")]))),
}
# A sample of the sync and async paths through the core and both adapters (the deadline
# is the transport's, which every one of them uses).
WHOLE = ("core run_turn", "ChatZylon.invoke", "Zylon.achat")
STREAMS = ("core stream_turn", "ChatZylon.astream", "Zylon.stream_chat")


def past_the_deadline(call: Callable[..., Any], server: FaultServer, **kw: Any) -> Exception:
    with pytest.raises((APITimeoutError, lc_errors.ModelTimeoutError)) as caught:
        call(server, **kw)
    assert isinstance(caught.value, APITimeoutError)
    assert f"deadline of {DEADLINE:g} s" in str(caught.value), str(caught.value)
    return caught.value


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", WHOLE)
def test_an_answer_dripped_a_byte_at_a_time_cannot_pass_the_deadline(server, name):
    """400 bytes, one every 50 ms (20 s in all); no read ever waits the 30 s timeout."""
    server.play(drip(ANSWER, interval=0.05))
    past_the_deadline(CALLS[name], server)


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", STREAMS)
def test_heartbeats_alone_cannot_hold_a_stream_past_the_deadline(server, name):
    """``: ping`` every 50 ms, 400 of them, no event: the stream is alive, not answering."""
    server.play(heartbeat(interval=0.05, count=400))
    past_the_deadline(CALLS[name], server)


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ["core run_turn", "Zylon.achat"])
def test_a_pending_interaction_whose_stream_only_pings_is_cancelled_at_the_deadline(server, name):
    server.play(respond(201, PROCESSING), heartbeat(interval=0.05, count=400), respond(204, raw=b""))
    past_the_deadline(CALLS[name], server, thread_id="t1")
    assert server.paths()[-1] == "/api/v1/app/interaction/inter_1/cancel"  # told to stop


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ["core stream_turn", "ChatZylon.astream", "ChatZylon.ainvoke"])
def test_a_body_that_stops_half_way_is_abandoned_at_the_deadline(server, name):
    """Headers and the first event, then nothing for 10 s (the read timeout is 30 s):
    sync lowers the read's timeout to what is left; async cancels the pending read."""
    server.play(stall(START.encode(), seconds=10))
    past_the_deadline(CALLS[name], server)


@pytest.mark.fault("loud")
async def test_async_cancels_the_read_pending_when_the_deadline_passes(server):
    """Straight on the async transport: one read pending, the deadline passes, the read
    is cancelled (it would otherwise end at 10 s with the connection, as a broken
    stream rather than a deadline)."""
    server.play(stall(START.encode(), seconds=10))
    client = AsyncZylonClient(base_url=server.base_url, api_token=TOKEN, timeout=60, deadline=DEADLINE)
    try:
        with pytest.raises(APITimeoutError, match="deadline of 0.3 s"):
            async for _ in client.stream_turn(Route.create(), REQUEST):
                pass
    finally:
        await client.aclose()


@pytest.mark.fault("loud")
def test_a_retry_wait_that_would_pass_the_deadline_is_not_waited(server, slept):
    server.play(respond(429, {"message": "come back in 30 s"}, {"Retry-After": "30"}), respond(200, {}))
    client = ZylonClient(base_url=server.base_url, api_token=TOKEN, deadline=5, max_retries=3)
    with pytest.raises(RateLimitError, match="come back in 30 s"):
        client.chat.create(REQUEST)
    assert slept == [] and len(server.requests) == 1


@pytest.mark.fault("recovered")
def test_a_retry_wait_within_the_deadline_is_waited(server, slept):
    server.play(respond(429, {"message": "soon"}, {"Retry-After": "2"}), respond(200, json.loads(ANSWER)))
    client = ZylonClient(base_url=server.base_url, api_token=TOKEN, deadline=5, max_retries=3)
    assert client.chat.create(REQUEST).id == "m"
    assert slept == [2.0]


def test_the_deadline_is_a_setting_of_every_configured_class_and_the_client():
    from langchain_zylon import ZylonEmbeddings
    from llama_index_zylon import ZylonEmbedding

    base = {"base_url": "http://zylon.invalid", "api_token": TOKEN}
    assert ZylonSettings.resolve(**base).deadline == 600.0
    assert ZylonClient(**base, deadline=12)._transport.settings.deadline == 12
    for cls in (ChatZylon, Zylon, ZylonEmbeddings, ZylonEmbedding):
        obj = cls(**base, deadline=7)
        assert obj.deadline == 7 and obj._settings.deadline == 7
        assert cls(**base).deadline == 600.0


@pytest.mark.bad_input
@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), "soon", True])
@pytest.mark.parametrize("owner", ["ZylonSettings", "ChatZylon", "Zylon"])
def test_a_deadline_that_cannot_work_is_refused_when_the_object_is_built(server, owner, value):
    build = {
        "ZylonSettings": lambda: ZylonSettings.resolve(base_url=server.base_url, api_token=TOKEN, deadline=value),
        "ChatZylon": lambda: ChatZylon(base_url=server.base_url, api_token=TOKEN, deadline=value),
        "Zylon": lambda: Zylon(base_url=server.base_url, api_token=TOKEN, deadline=value),
    }[owner]
    with pytest.raises(ValueError, match="deadline") as caught:
        build()
    assert isinstance(caught.value, (ConfigurationError, ValueError))
    assert server.requests == []
