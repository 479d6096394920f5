"""Lifecycle: every connection a configured object or client opens is closed.

* ``close()`` / ``aclose()`` and ``with`` / ``async with`` on every configured class of
  both adapters and on the clients;
* the async client of a finished event loop is closed, not abandoned: 150
  ``asyncio.run(llm.ainvoke(...))`` leave no connection open and no unclosed-socket
  warning;
* an object dropped without ``close()`` closes what it owns, and never what another
  object still uses (a ``model_copy`` shares the connection until a field changes);
* after ``os.fork()`` the child never reuses the parent's pooled connections.

Connections are counted where they end: a loopback proxy in front of the emulator
(the fault server forwarding every request) counts those still open. Waiting for a
count is bounded polling, never a timing assertion.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import warnings
from typing import Any, Callable, Iterator

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

import langchain_zylon as lcz
import llama_index_zylon as liz
from tests.reliability.fault_server import FaultServer, echo, forward
from tests.reliability.support import HEADERS, TOKEN, async_wait_for, new_thread, wait_for
from zylon_core import AsyncZylonClient, ZylonClient


@pytest.fixture(scope="module")
def ids(emulator) -> dict[str, str]:
    thread_id = new_thread(emulator.base_url)
    import httpx

    with httpx.Client(base_url=emulator.base_url, headers=HEADERS) as api:
        project_id = api.get(f"/api/v1/app/thread/{thread_id}").json()["project_id"]
    return {"thread_id": thread_id, "project_id": project_id}


@pytest.fixture
def proxy(emulator) -> Iterator[FaultServer]:
    with FaultServer(default=forward(emulator.base_url)) as server:
        yield server


def closed(server: FaultServer) -> bool:
    """Every connection the server accepted has been closed by the client."""
    return wait_for(lambda: server.open_connections == 0)


# class -> (how to build it, one sync call, one async call); each call makes a request.
Make = Callable[[str, dict[str, str]], Any]
CLASSES: dict[str, tuple[Make, Callable[[Any], Any], Callable[[Any], Any]]] = {
    "ChatZylon": (lambda url, ids: lcz.ChatZylon(base_url=url, api_token=TOKEN), lambda o: o.invoke("hi"), lambda o: o.ainvoke("hi")),
    "ZylonEmbeddings": (lambda url, ids: lcz.ZylonEmbeddings(base_url=url, api_token=TOKEN), lambda o: o.embed_query("hi"), lambda o: o.aembed_query("hi")),
    "langchain ZylonRetriever": (
        lambda url, ids: lcz.ZylonRetriever(base_url=url, api_token=TOKEN, project_id=ids["project_id"]),
        lambda o: o.invoke("what is it"),
        lambda o: o.ainvoke("what is it"),
    ),
    "ZylonChatMessageHistory": (
        lambda url, ids: lcz.ZylonChatMessageHistory(base_url=url, api_token=TOKEN, thread_id=ids["thread_id"]),
        lambda o: o.messages,
        lambda o: o.aget_messages(),
    ),
    "ZylonProjectLoader": (
        lambda url, ids: lcz.ZylonProjectLoader(base_url=url, api_token=TOKEN, project_id=ids["project_id"]),
        lambda o: o.load(),
        lambda o: o.aload(),
    ),
    "Zylon": (
        lambda url, ids: liz.Zylon(base_url=url, api_token=TOKEN),
        lambda o: o.chat([ChatMessage(role="user", content="hi")]),
        lambda o: o.achat([ChatMessage(role="user", content="hi")]),
    ),
    "ZylonEmbedding": (lambda url, ids: liz.ZylonEmbedding(base_url=url, api_token=TOKEN), lambda o: o.get_text_embedding("hi"), lambda o: o.aget_text_embedding("hi")),
    "llama_index ZylonRetriever": (
        lambda url, ids: liz.ZylonRetriever(base_url=url, api_token=TOKEN, project_id=ids["project_id"]),
        lambda o: o.retrieve("what is it"),
        lambda o: o.aretrieve("what is it"),
    ),
    "ZylonChatStore": (
        lambda url, ids: liz.ZylonChatStore(base_url=url, api_token=TOKEN, project_id=ids["project_id"]),
        lambda o: o.get_keys(),
        lambda o: o.aget_keys(),
    ),
    "ZylonMemoryStore": (
        lambda url, ids: liz.ZylonMemoryStore(base_url=url, api_token=TOKEN, project_id=ids["project_id"]),
        lambda o: asyncio.run(o.get_keys()),
        lambda o: o.get_keys(),
    ),
    "ZylonVectorStore": (
        lambda url, ids: lcz.ZylonVectorStore(base_url=url, api_token=TOKEN, collection="reliability"),
        lambda o: o.similarity_search("what is it", k=1),
        lambda o: o.asimilarity_search("what is it", k=1),
    ),
    "ZylonIndex": (
        lambda url, ids: liz.ZylonIndex("reliability", base_url=url, api_token=TOKEN),
        lambda o: o.as_retriever().retrieve("what is it"),
        lambda o: o.as_retriever().aretrieve("what is it"),
    ),
    "ZylonProjectReader": (
        lambda url, ids: liz.ZylonProjectReader(base_url=url, api_token=TOKEN, project_id=ids["project_id"]),
        lambda o: o.load_data(),
        lambda o: o.aload_data(),
    ),
}
SYNC_ONLY_BY_LOOP = {"ZylonMemoryStore"}  # its API is async: the "sync" call runs it in a loop of its own


@pytest.mark.parametrize("name", CLASSES)
def test_with_closes_the_connections_of_every_configured_class(proxy, ids, name):
    make, call, _ = CLASSES[name]
    with make(proxy.base_url, ids) as obj:
        call(obj)
        assert proxy.requests and (name in SYNC_ONLY_BY_LOOP or proxy.open_connections >= 1)
    assert closed(proxy), f"{proxy.open_connections} connection(s) left open"


@pytest.mark.parametrize("name", CLASSES)
async def test_async_with_closes_the_connections_of_every_configured_class(proxy, ids, name):
    make, _, acall = CLASSES[name]
    async with make(proxy.base_url, ids) as obj:
        await acall(obj)
        assert proxy.open_connections >= 1
    assert await async_wait_for(lambda: proxy.open_connections == 0), f"{proxy.open_connections} left open"


@pytest.mark.parametrize("name", ["ChatZylon", "Zylon", "ZylonEmbeddings"])
def test_close_and_aclose_release_the_connections(proxy, ids, name):
    make, call, acall = CLASSES[name]
    obj = make(proxy.base_url, ids)
    call(obj)
    obj.close()
    assert closed(proxy)

    async def run() -> None:
        await acall(obj)
        await obj.aclose()

    asyncio.run(run())
    assert closed(proxy)
    call(obj)  # a closed object still works: it opens new connections
    obj.close()
    assert closed(proxy) and proxy.connections == 3


def test_the_clients_close_with_and_without_a_context_manager(proxy):
    with ZylonClient(base_url=proxy.base_url, api_token=TOKEN) as client:
        client.embeddings.create("hi")
    assert closed(proxy)

    async def run() -> None:
        async with AsyncZylonClient(base_url=proxy.base_url, api_token=TOKEN) as aclient:
            await aclient.embeddings.create("hi")
        assert await async_wait_for(lambda: proxy.open_connections == 0)

    asyncio.run(run())


# -- the async client of a finished event loop -------------------------------------------


def _run_many(make: Callable[[], Any], ask: Callable[[Any, str], Any], answer: Callable[[Any], str], times: int) -> list[str]:
    obj = make()
    wrong = []
    for turn in range(times):
        got = answer(asyncio.run(ask(obj, f"question {turn}")))  # no aclose: asyncio.run closes the loop
        if got != f"question {turn}":
            wrong.append(got)
    return wrong


@pytest.mark.parametrize("adapter", ["ChatZylon", "Zylon"])
def test_150_asyncio_runs_leave_no_connection_open_and_no_warning(adapter):
    gc.collect()  # what earlier tests left for the collector must not warn inside this one
    with FaultServer(default=echo()) as server, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        if adapter == "ChatZylon":
            wrong = _run_many(
                lambda: lcz.ChatZylon(base_url=server.base_url, api_token=TOKEN),
                lambda llm, text: llm.ainvoke([HumanMessage(text)]),
                lambda message: message.content,
                150,
            )
        else:
            wrong = _run_many(
                lambda: liz.Zylon(base_url=server.base_url, api_token=TOKEN),
                lambda llm, text: llm.achat([ChatMessage(role="user", content=text)]),
                lambda response: response.message.content,
                150,
            )
        assert wrong == []
        assert server.connections == 150  # one per event loop: the loop's pool is its own
        assert closed(server), f"{server.open_connections} of 150 connections left open"
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []


# -- dropped objects, and copies that share a connection ---------------------------------


def test_a_dropped_object_closes_its_connections(proxy, ids):
    llm = lcz.ChatZylon(base_url=proxy.base_url, api_token=TOKEN)
    llm.invoke("hi")
    assert proxy.open_connections == 1
    del llm
    gc.collect()
    assert closed(proxy)


def test_a_dropped_object_closes_its_async_connections_in_a_running_loop(proxy, ids):
    async def run() -> None:
        llm = liz.Zylon(base_url=proxy.base_url, api_token=TOKEN)
        await llm.achat([ChatMessage(role="user", content="hi")])
        assert proxy.open_connections == 1
        del llm
        gc.collect()
        # the loop closes the client's guard on its next turns, while it keeps running
        assert await async_wait_for(lambda: proxy.open_connections == 0)

    asyncio.run(run())


def test_a_copy_shares_the_connection_until_a_field_changes(proxy, ids, emulator):
    original = lcz.ChatZylon(base_url=proxy.base_url, api_token=TOKEN)
    original.invoke("hi")
    copy = original.model_copy()
    del original
    gc.collect()  # the copy still uses the connection: it must stay open
    assert proxy.open_connections == 1
    copy.invoke("again")
    assert proxy.connections == 1 and proxy.open_connections == 1  # the same pooled connection
    with FaultServer(default=forward(emulator.base_url)) as other:
        moved = copy.model_copy(update={"base_url": other.base_url})
        moved.invoke("elsewhere")
        copy.invoke("still here")
        assert len(other.requests) == 1 and len(proxy.requests) == 3
        del moved
        gc.collect()
        assert wait_for(lambda: other.open_connections == 0) and proxy.open_connections == 1
    copy.close()
    assert closed(proxy)


def test_a_deep_copy_gets_connections_of_its_own(proxy, ids):
    original = liz.Zylon(base_url=proxy.base_url, api_token=TOKEN)
    original.chat([ChatMessage(role="user", content="hi")])
    twin = original.model_copy(deep=True)  # HTTP clients cannot be copied: the twin makes its own
    twin.chat([ChatMessage(role="user", content="hi")])
    assert proxy.connections == 2
    twin.close()
    original.chat([ChatMessage(role="user", content="still open")])
    assert proxy.connections == 2
    original.close()
    assert closed(proxy)


# -- fork ----------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
@pytest.mark.parametrize("adapter", ["ChatZylon", "Zylon"])
def test_after_fork_the_child_uses_its_own_connections(adapter):
    with FaultServer(default=echo()) as server:
        if adapter == "ChatZylon":
            llm: Any = lcz.ChatZylon(base_url=server.base_url, api_token=TOKEN)
            ask: Callable[[str], str] = lambda text: llm.invoke([HumanMessage(text)]).content  # noqa: E731
        else:
            llm = liz.Zylon(base_url=server.base_url, api_token=TOKEN)
            ask = lambda text: llm.chat([ChatMessage(role="user", content=text)]).message.content  # noqa: E731
        assert ask("parent before") == "parent before"  # a pooled connection, kept open
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a process with threads (the server's) may
            # deadlock the child; the child here only makes one request and exits.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: one request, its answer to the parent, then out
            try:
                answer = ask("child")
            except BaseException as exc:  # noqa: B036 - reported to the parent, whatever it is
                answer = f"{type(exc).__name__}: {exc}"
            os.write(write_end, json.dumps(answer).encode())
            os._exit(0)
        os.close(write_end)
        parent_answer = ask("parent after")
        with os.fdopen(read_end) as pipe:
            child_answer = json.loads(pipe.read())
        os.waitpid(pid, 0)
    assert parent_answer == "parent after"
    assert child_answer == "child"
    ports = dict(zip([json.loads(r[3])["messages"][-1]["content"][0]["text"] for r in server.requests], server.peers, strict=True))
    assert ports["child"] != ports["parent before"], "the child wrote on the parent's pooled connection"
    assert ports["parent after"] == ports["parent before"]  # the parent keeps its own
