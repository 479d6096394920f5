"""Faults driven end to end through the adapters: ``ChatZylon`` (invoke/ainvoke,
stream/astream) and ``Zylon`` (chat/achat, stream_chat/astream_chat) against the
raw-socket fault server.

Each fault either recovers (the caller gets the full, right answer) or fails loudly:
LangChain callers get an error that is both the ``zylon_core`` error and LangChain's
standard one (``ModelRateLimitError``, ...), LlamaIndex callers the ``zylon_core``
error; never a shorter answer, never the token in the message.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import pytest
from langchain_core import exceptions as lc_errors
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import Action, FaultServer, hang, reset, respond, sse
from tests.reliability.support import TOKEN
from zylon_core import errors as z

ANSWER = {"id": "msg_1", "role": "assistant", "content": [{"type": "text", "text": "the full answer"}], "stop_reason": "end_turn"}
STREAM = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"the full "}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"answer"}}\n\n'
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
CUT = STREAM.index("event: content_block_stop")  # after "the full answer", before the end
ERROR_EVENT = 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"model overloaded"}}\n\n'
PROCESSING = {"id": "inter_1", "thread_id": "t1", "state": "Processing"}




# -- the adapters' calls, each returning the answer text ---------------------------------


def _lc(server: FaultServer, **fields: Any) -> ChatZylon:
    return ChatZylon(base_url=server.base_url, api_token=TOKEN, max_retries=2, **fields)


def _li(server: FaultServer, **fields: Any) -> Zylon:
    return Zylon(base_url=server.base_url, api_token=TOKEN, max_retries=2, **fields)


def lc_invoke(server, **kw):
    return _lc(server, **kw).invoke([HumanMessage("hi")]).text


async def _closing(llm: Any, call: Callable[[Any], Any]) -> Any:
    """One async call, then the async HTTP client is closed (its pool belongs to the
    event loop asyncio.run is about to close)."""
    try:
        return await call(llm)
    finally:
        await llm.aclose()


def lc_ainvoke(server, **kw):
    return asyncio.run(_closing(_lc(server, **kw), lambda llm: llm.ainvoke([HumanMessage("hi")]))).text


def li_chat(server, **kw):
    return _li(server, **kw).chat([ChatMessage(role="user", content="hi")]).message.content


def li_achat(server, **kw):
    return asyncio.run(_closing(_li(server, **kw), lambda llm: llm.achat([ChatMessage(role="user", content="hi")]))).message.content


def lc_stream(server, **kw):
    return "".join(chunk.text for chunk in _lc(server, **kw).stream([HumanMessage("hi")]))


def lc_astream(server, **kw):
    async def run(llm):
        return "".join([chunk.text async for chunk in llm.astream([HumanMessage("hi")])])

    return asyncio.run(_closing(_lc(server, **kw), run))


def li_stream(server, **kw):
    *_, last = _li(server, **kw).stream_chat([ChatMessage(role="user", content="hi")])
    return last.message.content


def li_astream(server, **kw):
    async def run(llm):
        chunks = [chunk async for chunk in await llm.astream_chat([ChatMessage(role="user", content="hi")])]
        return chunks[-1].message.content

    return asyncio.run(_closing(_li(server, **kw), run))


WHOLE = {"ChatZylon.invoke": lc_invoke, "ChatZylon.ainvoke": lc_ainvoke, "Zylon.chat": li_chat, "Zylon.achat": li_achat}
STREAMS = {"ChatZylon.stream": lc_stream, "ChatZylon.astream": lc_astream, "Zylon.stream_chat": li_stream, "Zylon.astream_chat": li_astream}
ALL = {**WHOLE, **STREAMS}


def ok_answer(name: str) -> Action:
    """The right answer in the form the call asks for (JSON, or an event stream)."""
    return sse(STREAM) if name in STREAMS else respond(200, ANSWER)


def expect(name: str, zylon_error: type[Exception], lc_error: type[Exception]) -> tuple[type[Exception], ...]:
    """LangChain callers get both classes; LlamaIndex callers the zylon_core one."""
    return (zylon_error, lc_error) if name.startswith("ChatZylon") else (zylon_error,)


def fails_loudly(call: Callable[..., Any], server: FaultServer, classes: tuple[type[Exception], ...], words: str, **kw: Any) -> Exception:
    with pytest.raises(classes[0]) as caught:
        call(server, **kw)
    error = caught.value
    for cls in classes:
        assert isinstance(error, cls), f"{type(error).__mro__} is not a {cls}"
    assert words in str(error)
    assert TOKEN not in str(error) and TOKEN not in repr(error)
    return error


# -- recovered: the caller gets the full answer ------------------------------------------


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("name", ALL)
def test_429_with_retry_after_then_the_answer(server, slept, name):
    server.play(respond(429, {"message": "slow down"}, {"Retry-After": "2"}), ok_answer(name))
    assert ALL[name](server) == "the full answer"
    assert slept == [2.0] and len(server.requests) == 2


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("name", ALL)
def test_refusals_then_the_answer(server, slept, name):
    """503 and 429 say the server did not act on the request: a chat is sent again."""
    server.play(respond(503, {"error": {"type": "overloaded_error", "message": "busy"}}), respond(429, raw=b""), ok_answer(name))
    assert ALL[name](server) == "the full answer"
    assert len(slept) == 2 and len(server.requests) == 3


# Requests that are safe to repeat (they only read or check), through the adapters.
VECTORS = {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.25]}]}
SAFE = {
    "ChatZylon.validate_request": (lambda s: _lc(s).validate_request("hi").valid, respond(204, raw=b""), True),
    "ZylonEmbeddings.embed_query": (
        lambda s: __import__("langchain_zylon").ZylonEmbeddings(base_url=s.base_url, api_token=TOKEN).embed_query("hi"),
        respond(200, VECTORS),
        [0.5, 0.25],
    ),
    "ZylonEmbedding.get_text_embedding": (
        lambda s: __import__("llama_index_zylon").ZylonEmbedding(base_url=s.base_url, api_token=TOKEN).get_text_embedding("hi"),
        respond(200, VECTORS),
        [0.5, 0.25],
    ),
}


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("name", SAFE)
def test_a_request_safe_to_repeat_is_resent_after_a_reset_or_a_502(server, slept, name):
    call, answer, expected = SAFE[name]
    server.play(reset(), respond(502, raw=b"<html>bad gateway</html>"), answer)
    assert call(server) == expected
    assert len(server.requests) == 3


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ALL)
def test_a_reset_after_the_request_arrived_is_not_resent(server, slept, name):
    """The server may have acted on the chat: it is never sent a second time."""
    server.play(reset(), ok_answer(name))
    error = fails_loudly(ALL[name], server, expect(name, z.APIConnectionError, lc_errors.ModelConnectionError), "not sent again")
    assert len(server.requests) == 1 and slept == []
    assert "could do it twice" in str(error)


@pytest.mark.fault("loud")
@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("name", ["ChatZylon.invoke", "Zylon.achat", "ChatZylon.astream", "Zylon.stream_chat"])
def test_a_5xx_that_may_come_after_the_chat_ran_is_not_resent(server, slept, name, status):
    server.play(respond(status, {"message": f"gateway says {status}"}), ok_answer(name))
    fails_loudly(ALL[name], server, expect(name, z.InternalServerError, lc_errors.ModelAPIError), f"gateway says {status}")
    assert len(server.requests) == 1 and slept == []


# -- loud: typed errors, no retry where a retry cannot help -------------------------------


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ALL)
def test_401_fails_at_once_as_an_authentication_error(server, slept, name):
    server.play(respond(401, {"message": "invalid token"}), ok_answer(name))
    fails_loudly(ALL[name], server, expect(name, z.AuthenticationError, lc_errors.ModelAuthenticationError), "invalid token")
    assert len(server.requests) == 1 and slept == []


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ALL)
def test_429_beyond_max_retries_is_a_rate_limit_error(server, slept, name):
    server.play(*[respond(429, {"message": "rate limited"})] * 3, ok_answer(name))
    fails_loudly(ALL[name], server, expect(name, z.RateLimitError, lc_errors.ModelRateLimitError), "rate limited")
    assert len(server.requests) == 3


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ALL)
def test_5xx_beyond_max_retries_is_a_server_error(server, slept, name):
    server.play(*[respond(503, {"error": {"type": "overloaded_error", "message": "overloaded"}})] * 3, ok_answer(name))
    fails_loudly(ALL[name], server, expect(name, z.InternalServerError, lc_errors.ModelAPIError), "overloaded")
    assert len(server.requests) == 3


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ALL)
def test_read_timeout_is_a_timeout_error_and_not_retried(server, slept, name):
    server.play(hang(2))
    fails_loudly(ALL[name], server, expect(name, z.APITimeoutError, lc_errors.ModelTimeoutError), "timed out", timeout=0.3)
    assert len(server.requests) == 1


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", WHOLE)
def test_malformed_json_answer_is_a_typed_error(server, name):
    server.play(respond(200, raw=b'{"id": "msg_1", "content": [ oops'))
    fails_loudly(WHOLE[name], server, expect(name, z.APIStatusError, lc_errors.ModelError), "could not read the response")


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", WHOLE)
def test_answer_marked_as_failed_is_an_error_not_a_short_answer(server, name):
    server.play(respond(200, {**ANSWER, "content": [{"type": "text", "text": "the ful"}], "stop_reason": "error", "errors": [{"type": "api_error", "message": "generation failed"}]}))
    fails_loudly(WHOLE[name], server, expect(name, z.APIError, lc_errors.ModelError), "generation failed")


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", WHOLE)
def test_interaction_created_in_error_state(server, name):
    failed = {"id": "inter_1", "thread_id": "t1", "state": "Error", "assistant_output": {"content": [], "stop_reason": "error", "errors": [{"type": "api_error", "message": "quota exceeded"}]}}
    server.play(respond(201, failed))
    fails_loudly(WHOLE[name], server, expect(name, z.InteractionFailedError, lc_errors.ModelAPIError), "quota exceeded", thread_id="t1")


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ALL)
def test_pending_interaction_whose_stream_breaks_off(server, name):
    """invoke()/chat() of a Processing interaction follows its stream: cut off, it must
    raise (and cancel the interaction), not return "the full" as if it were the answer."""
    server.play(respond(201, PROCESSING), sse(STREAM, cut_after=CUT), respond(204, raw=b""))
    fails_loudly(ALL[name], server, expect(name, z.StreamError, lc_errors.ModelAPIError), "", thread_id="t1")
    paths = [path for _, path, _, _ in server.requests]
    assert paths == [
        "/api/v1/app/thread/t1/interaction",
        "/api/v1/app/interaction/inter_1/stream",
        "/api/v1/app/interaction/inter_1/cancel",
    ]


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ALL)
def test_pending_interaction_that_reports_an_error(server, slept, name):
    server.play(
        respond(201, PROCESSING),
        sse(STREAM.replace("event: content_block_stop", ERROR_EVENT + "event: content_block_stop")),
        respond(409, {"message": "already finished"}),  # the client's cancel: it had ended
    )
    fails_loudly(ALL[name], server, expect(name, z.ServerStreamError, lc_errors.ModelAPIError), "model overloaded", thread_id="t1")


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", STREAMS)
def test_stream_cut_off_before_message_stop(server, slept, name):
    server.play(sse(STREAM, cut_after=CUT), ok_answer(name))
    fails_loudly(STREAMS[name], server, expect(name, z.StreamError, lc_errors.ModelAPIError), "")
    assert len(server.requests) == 1  # a stream that has yielded is never retried


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", STREAMS)
def test_error_event_mid_stream_even_when_message_stop_follows(server, name):
    server.play(sse(STREAM.replace("event: message_stop", ERROR_EVENT + "event: message_stop")))
    fails_loudly(STREAMS[name], server, expect(name, z.ServerStreamError, lc_errors.ModelAPIError), "model overloaded")


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", STREAMS)
def test_html_instead_of_an_event_stream(server, name):
    server.play(Action("respond", 200, {"Content-Type": "text/html"}, b"<html>login</html>"))
    fails_loudly(STREAMS[name], server, expect(name, z.StreamError, lc_errors.ModelAPIError), "did not answer with an event stream")


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ["ChatZylon.invoke", "ChatZylon.ainvoke"])
def test_streaming_invoke_cut_off_is_an_error_not_a_short_answer(server, name):
    """ChatZylon(streaming=True).invoke() builds the answer from the stream."""
    server.play(sse(STREAM, cut_after=CUT))
    fails_loudly(WHOLE[name], server, expect(name, z.StreamError, lc_errors.ModelAPIError), "", streaming=True)
