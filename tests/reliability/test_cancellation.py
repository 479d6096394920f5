"""A reader that stops a thread stream early cancels the interaction on the server and
gives its connection back: for the core clients and both adapters, however the reader
stops (sync generator closed, async generator closed, asyncio task cancelled).

Against the emulator with a slow stream (``stream_delay``) and every interaction
``Processing``: the emulator must see ``POST /interaction/{id}/cancel`` and store the
interaction as cancelled, and the client's httpx pool must hold no busy connection.
Waiting is bounded polling for a state change, never a timing assertion.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Callable, Iterator

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import FaultServer, respond, sse
from tests.reliability.support import TOKEN, async_wait_for, busy_connections, cancels, new_thread, wait_for
from zylon_core import AsyncZylonClient, Route, ZylonClient
from zylon_core.emulator.testing import run_emulator
from zylon_core.models import ChatRequest, MessageInput, TextBlock

PROMPT = " ".join(f"word{i}" for i in range(60))  # a long echo: many slow events to leave


@pytest.fixture(scope="module")
def slow():
    with run_emulator(stream_delay=0.02, always_processing=True) as server:
        yield server


@pytest.fixture
def thread(slow) -> str:
    thread_id = new_thread(slow.base_url)
    slow.clear_requests()
    return thread_id


def request() -> ChatRequest:
    return ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text=PROMPT)])])


def assert_cancelled(server: Any, owner: Any) -> None:
    """The emulator got exactly one cancel, stored the interaction as cancelled (not
    finished), and the owner's pool holds nothing busy."""
    assert wait_for(lambda: len(cancels(server)) == 1), f"no cancel reached the server: {cancels(server)}"
    (path,) = cancels(server)
    interaction = server.state.interactions[path.split("/")[-2]]
    # The request is recorded as it arrives; the emulator stores the outcome just after.
    assert wait_for(lambda: interaction.state == "Completed"), interaction.state
    assert interaction.assistant_output["stop_reason"] == "cancelled"
    assert busy_connections(owner) == 0


async def assert_acancelled(server: Any, owner: Any) -> None:
    """:func:`assert_cancelled` in a running event loop: it keeps running while the
    client reads the cancel's answer and gives its connections back."""
    assert await async_wait_for(lambda: len(cancels(server)) == 1), f"no cancel reached the server: {cancels(server)}"
    (path,) = cancels(server)
    interaction = server.state.interactions[path.split("/")[-2]]
    assert await async_wait_for(lambda: interaction.state == "Completed"), interaction.state
    assert interaction.assistant_output["stop_reason"] == "cancelled"
    assert await async_wait_for(lambda: busy_connections(owner) == 0), busy_connections(owner)


# -- the core clients -------------------------------------------------------------------


def test_core_sync_stream_closed_early(slow, thread):
    client = ZylonClient(base_url=slow.base_url, api_token=TOKEN)
    deltas = iter(client.stream_turn(Route.create(thread_id=thread), request()))
    assert next(d for d in deltas if d.text)
    deltas.close()
    assert_cancelled(slow, client)


async def test_core_async_stream_closed_early(slow, thread):
    client = AsyncZylonClient(base_url=slow.base_url, api_token=TOKEN)
    deltas = client.stream_turn(Route.create(thread_id=thread), request()).__aiter__()
    async for delta in deltas:
        if delta.text:
            break
    await deltas.aclose()
    await assert_acancelled(slow, client)


async def _cancel_task_after_first_text(stream: Callable[[], AsyncIterator[Any]], has_text: Callable[[Any], bool]) -> None:
    started = asyncio.Event()

    async def read() -> None:
        async for item in stream():
            if has_text(item):
                started.set()
        raise AssertionError("the stream ended before the task was cancelled")

    task = asyncio.create_task(read())
    await asyncio.wait({task, asyncio.ensure_future(started.wait())}, return_when=asyncio.FIRST_COMPLETED)
    assert started.is_set(), task.exception()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_core_async_task_cancelled(slow, thread):
    client = AsyncZylonClient(base_url=slow.base_url, api_token=TOKEN)
    await _cancel_task_after_first_text(
        lambda: client.stream_turn(Route.create(thread_id=thread), request()).__aiter__(), lambda d: bool(d.text)
    )
    await assert_acancelled(slow, client)


# -- ChatZylon ----------------------------------------------------------------------------


def test_chatzylon_stream_closed_early(slow, thread):
    llm = ChatZylon(base_url=slow.base_url, api_token=TOKEN, thread_id=thread)
    chunks: Iterator[Any] = llm.stream([HumanMessage(PROMPT)])
    assert next(c for c in chunks if c.content)
    chunks.close()  # type: ignore[attr-defined]
    assert_cancelled(slow, llm)


async def test_chatzylon_astream_closed_early(slow, thread):
    llm = ChatZylon(base_url=slow.base_url, api_token=TOKEN, thread_id=thread)
    chunks = llm.astream([HumanMessage(PROMPT)])
    async for chunk in chunks:
        if chunk.content:
            break
    await chunks.aclose()  # type: ignore[attr-defined]
    await assert_acancelled(slow, llm)


async def test_chatzylon_astream_task_cancelled(slow, thread):
    llm = ChatZylon(base_url=slow.base_url, api_token=TOKEN)
    # the thread as a per-call argument: the same path as a field
    await _cancel_task_after_first_text(lambda: llm.astream([HumanMessage(PROMPT)], thread_id=thread), lambda c: bool(c.content))
    await assert_acancelled(slow, llm)


# -- Zylon (LlamaIndex) -------------------------------------------------------------------


def test_zylon_stream_chat_closed_early(slow, thread):
    llm = Zylon(base_url=slow.base_url, api_token=TOKEN, thread_id=thread)
    chunks = llm.stream_chat([ChatMessage(role="user", content=PROMPT)])
    assert next(c for c in chunks if c.delta)
    chunks.close()
    assert_cancelled(slow, llm)


async def test_zylon_astream_chat_closed_early(slow, thread):
    llm = Zylon(base_url=slow.base_url, api_token=TOKEN, thread_id=thread)
    chunks = await llm.astream_chat([ChatMessage(role="user", content=PROMPT)])
    async for chunk in chunks:
        if chunk.delta:
            break
    await chunks.aclose()
    # LlamaIndex's callback wrapper does not aclose the generator it wraps: ours is
    # finalised by asyncio's async-generator hook a few loop turns later.
    await assert_acancelled(slow, llm)


async def test_zylon_astream_chat_task_cancelled(slow, thread):
    llm = Zylon(base_url=slow.base_url, api_token=TOKEN)

    async def stream() -> AsyncIterator[Any]:
        async for chunk in await llm.astream_chat([ChatMessage(role="user", content=PROMPT)], thread_id=thread):
            yield chunk

    await _cancel_task_after_first_text(stream, lambda c: bool(c.delta))
    await assert_acancelled(slow, llm)


# -- the server had already finished: 409 on cancel is not an error ----------------------

GOOD_SSE = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Hello "}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"world"}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("adapter", ["core", "ChatZylon", "Zylon"])
def test_409_on_cancel_means_already_finished(adapter):
    with FaultServer() as server:
        server.play(
            respond(201, {"id": "inter_1", "thread_id": "t1", "state": "Processing"}),
            sse(GOOD_SSE),
            respond(409, {"message": "interaction inter_1 is already Completed: nothing to cancel"}),
        )
        if adapter == "core":
            owner: Any = ZylonClient(base_url=server.base_url, api_token=TOKEN, max_retries=2)
            stream: Any = iter(owner.stream_turn(Route.create(thread_id="t1"), request()))
            has_text: Callable[[Any], bool] = lambda d: bool(d.text)  # noqa: E731
        elif adapter == "ChatZylon":
            owner = ChatZylon(base_url=server.base_url, api_token=TOKEN, thread_id="t1")
            stream = owner.stream("hi")
            has_text = lambda c: bool(c.content)  # noqa: E731
        else:
            owner = Zylon(base_url=server.base_url, api_token=TOKEN, thread_id="t1")
            stream = owner.stream_chat([ChatMessage(role="user", content="hi")])
            has_text = lambda c: bool(c.delta)  # noqa: E731
        assert next(item for item in stream if has_text(item))
        stream.close()  # the 409 is swallowed: nothing raises here
        paths = [(method, path) for method, path, _, _ in server.requests]
        assert paths == [
            ("POST", "/api/v1/app/thread/t1/interaction"),
            ("GET", "/api/v1/app/interaction/inter_1/stream"),
            ("POST", "/api/v1/app/interaction/inter_1/cancel"),  # once: a 409 is final
        ]
        assert busy_connections(owner) == 0
