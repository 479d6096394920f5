"""No error carries the token, whatever the server echoes back and wherever it lands.

The fault server puts the token each request carried (``{TOKEN}``) into bodies and
headers, as a proxy or a confused server might. Each kind of error the client can
raise is provoked with it, through the core client and both adapters, and the token
must be in none of: ``str``, ``repr``, ``args``, every attribute (the response and
request kept on an error included: their headers and body), the whole exception chain
as ``traceback.format_exception`` renders it, and the pickled error. Errors built from
200 answers (``stop_reason: "error"``, an ``Error`` interaction, a stream's error event)
are held to the same rule.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import traceback
from typing import Any, Callable

import httpx
import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage
from pydantic import BaseModel

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import Action, FaultServer, raw, respond
from tests.reliability.support import TOKEN
from zylon_core import ZylonClient, ZylonError
from zylon_core.models import ChatRequest, MessageInput, TextBlock

REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])
START = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
DELTA = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"so far"}}\n\n'
STOP = 'event: message_stop\ndata: {"type":"message_stop"}\n\n'
ERROR_EVENT = 'event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"token {TOKEN} expired"}}\n\n'
FAILED = {"content": [], "stop_reason": "error", "errors": [{"type": "api_error", "message": "key {TOKEN} revoked"}]}


def sse_echo(text: str) -> Action:
    return Action("respond", 200, {"Content-Type": "text/event-stream"}, chunks=[text.encode()])


# kind -> (what the server does, the route, whether the call streams)
KINDS: dict[str, tuple[list[Action], dict[str, Any], bool]] = {
    "401 body": ([respond(401, {"message": "bad token {TOKEN}"})], {}, False),
    "500 text body": ([respond(500, raw=b"upstream refused Authorization: Bearer {TOKEN}", headers={"Content-Type": "text/plain"})], {}, False),
    "403 headers": ([respond(403, {"message": "no"}, {"WWW-Authenticate": 'Bearer error="{TOKEN}"', "X-Echo": "{TOKEN}"})], {}, False),
    "redirect": ([respond(302, {}, {"Location": "https://login.example/?token={TOKEN}"})], {}, False),
    "unreadable 200": ([respond(200, raw=b"<html><body>proxy saw {TOKEN}</body></html>", headers={"Content-Type": "text/html"})], {}, False),
    "wrong shape 200": ([respond(200, {"id": "m", "role": "assistant", "content": {"echo": "{TOKEN}"}})], {}, False),
    "stop_reason error": ([respond(200, {"id": "m", "role": "assistant", **FAILED})], {}, False),
    "Error interaction": ([respond(201, {"id": "inter_1", "thread_id": "t1", "state": "Error", "assistant_output": FAILED})], {"thread_id": "t1"}, False),
    "Processing, stream error event": (
        [respond(201, {"id": "inter_1", "thread_id": "t1", "state": "Processing"}), sse_echo(START + DELTA + ERROR_EVENT + STOP), respond(409, {"message": "done"})],
        {"thread_id": "t1"},
        False,
    ),
    "Completed without answer, read back 404": (
        [respond(201, {"id": "inter_1", "thread_id": "t1", "state": "Completed"}), respond(404, {"message": "no such interaction for {TOKEN}"})],
        {"thread_id": "t1"},
        False,
    ),
    "stream error event": ([sse_echo(START + DELTA + ERROR_EVENT + STOP)], {}, True),
    "stream malformed JSON": ([sse_echo(START + 'event: content_block_delta\ndata: {"text": "{TOKEN}"\n\n')], {}, True),
    "stream malformed event": ([sse_echo(START + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":"{TOKEN}"}\n\n')], {}, True),
    "not an event stream": ([Action("respond", 200, {"Content-Type": "text/{TOKEN}"}, b"hello")], {}, True),
    "malformed status line": ([raw(b"HTTP/1.1 2OO {TOKEN}\r\n\r\n")], {}, False),
    "project chat unreadable answer": ([respond(200, {"unexpected": "{TOKEN}"})], {"project_id": "p1"}, True),
}


def renderings(error: BaseException) -> str:
    """Everything an error shows or carries, as text."""
    parts = [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(type(error), error, error.__traceback__))]
    for name, value in vars(error).items():
        parts.append(f"{name}={value!r}")
        if isinstance(value, httpx.Response):
            parts += [value.text, repr(value.headers.multi_items()), repr(value.request.headers.multi_items())]
        elif isinstance(value, httpx.Request):
            parts += [repr(value.headers.multi_items()), repr(value.content)]
        elif isinstance(value, BaseModel):
            parts.append(value.model_dump_json())
    try:
        parts.append(pickle.dumps(error).decode("latin-1"))
    except (TypeError, AttributeError, pickle.PicklingError) as exc:  # noted, not hidden
        parts.append(f"unpicklable: {exc}")
    return "\n".join(parts)


def carries_no_token(error: BaseException) -> None:
    text = renderings(error)
    assert TOKEN not in text and TOKEN[:8] + TOKEN[8:16] not in text, text[:3000]
    assert "unpicklable" not in text


def core_call(server: FaultServer, route: dict[str, Any], stream: bool) -> Any:
    from zylon_core import Route

    client = ZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=0)
    if stream:
        return list(client.stream_turn(Route.create(**route), REQUEST))
    return client.run_turn(Route.create(**route), REQUEST)


def lc_call(server: FaultServer, route: dict[str, Any], stream: bool) -> Any:
    llm = ChatZylon(base_url=server.base_url, api_token=TOKEN, max_retries=0, **route)
    return list(llm.stream([HumanMessage("hi")])) if stream else llm.invoke([HumanMessage("hi")])


def lc_async_call(server: FaultServer, route: dict[str, Any], stream: bool) -> Any:
    llm = ChatZylon(base_url=server.base_url, api_token=TOKEN, max_retries=0, **route)

    async def run() -> Any:
        if stream:
            return [chunk async for chunk in llm.astream([HumanMessage("hi")])]
        return await llm.ainvoke([HumanMessage("hi")])

    return asyncio.run(run())


def li_call(server: FaultServer, route: dict[str, Any], stream: bool) -> Any:
    llm = Zylon(base_url=server.base_url, api_token=TOKEN, max_retries=0, **route)
    messages = [ChatMessage(role="user", content="hi")]
    return list(llm.stream_chat(messages)) if stream else llm.chat(messages)


CALLERS: dict[str, Callable[[FaultServer, dict[str, Any], bool], Any]] = {
    "core": core_call,
    "ChatZylon": lc_call,
    "ChatZylon async": lc_async_call,
    "Zylon": li_call,
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("kind", KINDS)
def test_no_error_carries_the_token_the_server_echoed(server, caller, kind):
    actions, route, stream = KINDS[kind]
    server.play(*actions)
    with pytest.raises(ZylonError) as caught:
        CALLERS[caller](server, route, stream)
    assert any(TOKEN in r[2].get("authorization", "") for r in server.requests)  # it was sent, and echoed
    carries_no_token(caught.value)


def test_the_check_can_fail(server):
    """An error that does carry the token is caught by the same check."""
    server.play(respond(401, {"message": "bad token {TOKEN}"}))
    with pytest.raises(ZylonError) as caught:
        core_call(server, {}, False)
    caught.value.args = (f"leaked {TOKEN}",)
    with pytest.raises(AssertionError):
        carries_no_token(caught.value)
    unscrubbed = httpx.Response(401, request=httpx.Request("GET", "http://x", headers={"Authorization": f"Bearer {TOKEN}"}))
    caught.value.args = ("clean",)
    caught.value.response = unscrubbed  # type: ignore[attr-defined]
    with pytest.raises(AssertionError):
        carries_no_token(caught.value)


def test_a_connection_error_chain_carries_no_token():
    """Nothing listens: the chain holds httpx's own exceptions, which quote no header."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ZylonError) as caught:
        ZylonClient(base_url=f"http://127.0.0.1:{port}", api_token=TOKEN, max_retries=0).chat.create(REQUEST)
    carries_no_token(caught.value)


@pytest.mark.fault("loud")
@pytest.mark.parametrize("caller", CALLERS)
def test_a_token_the_server_spelled_with_json_escapes_is_not_kept(server, caller):
    """A JSON body may spell the token with ``\\u`` escapes, which any reader of the
    error's ``response.text`` turns back into it with ``json.loads``."""
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in TOKEN)
    server.play(respond(401, raw=f'{{"message": "token {escaped} revoked", "detail": ["{escaped}"]}}'.encode()))
    with pytest.raises(ZylonError) as caught:
        CALLERS[caller](server, {}, False)
    carries_no_token(caught.value)
    kept = caught.value.response  # type: ignore[attr-defined]
    assert escaped not in renderings(caught.value)
    assert json.loads(kept.text) == {"message": "token [redacted] revoked", "detail": ["[redacted]"]}
