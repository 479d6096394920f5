"""Many callers on one configured object: every answer reaches the caller who asked,
and the connection pool is left with nothing busy and no more connections than httpx
keeps alive.

100 concurrent async calls (half whole answers, half streams) and 20 threads of sync
calls, on one ``ChatZylon`` and on one ``Zylon``, one-shot and in thread mode (where
each call creates an interaction and follows its stream). Every prompt is unique; the
emulator echoes it (``You said: "..."``), so a crossed answer is seen.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.support import TOKEN, busy_connections, new_thread, new_threads, pool_size
from zylon_core.emulator.testing import run_emulator

ASYNC_CALLERS = 100
THREADS = 20
KEEPALIVE = 20  # httpx's default max_keepalive_connections: idle connections kept beyond it are closed


@pytest.fixture(scope="module")
def server():
    with run_emulator(always_processing=True) as srv:
        yield srv


def prompts(n: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"caller {i} of run {run}" for i in range(n)]


def echoed(prompt: str, answer: str) -> bool:
    return answer.startswith(f'You said: "{prompt}".')


def sent_prompts(server: Any, run_prompts: list[str]) -> list[str]:
    """The prompts the server received, among this run's (each exactly once expected)."""
    wanted = set(run_prompts)
    seen = []
    for record in server.requests:
        body = record.get("json") or {}
        request = body.get("pgpt", body)
        for message in request.get("messages") or ():
            for block in message.get("content") or ():
                if isinstance(block, dict) and block.get("text") in wanted:
                    seen.append(block["text"])
    return seen


# -- ChatZylon ---------------------------------------------------------------------------


async def _lc_call(llm: ChatZylon, prompt: str, stream: bool, **kwargs: Any) -> str:
    if stream:
        return "".join([chunk.text async for chunk in llm.astream([HumanMessage(prompt)], **kwargs)])
    return (await llm.ainvoke([HumanMessage(prompt)], **kwargs)).text


@pytest.mark.parametrize("mode", ["chat", "thread"])
async def test_chatzylon_100_concurrent_async_calls(server, mode):
    llm = ChatZylon(base_url=server.base_url, api_token=TOKEN)
    for _round in range(2 if mode == "chat" else 1):  # a second round must reuse the pool, not grow it
        asked = prompts(ASYNC_CALLERS)
        threads = await new_threads(server.base_url, len(asked)) if mode == "thread" else [None] * len(asked)
        answers = await asyncio.gather(
            *(
                _lc_call(llm, p, stream=i % 2 == 1, **({"thread_id": t} if t else {}))
                for i, (p, t) in enumerate(zip(asked, threads, strict=False))
            )
        )
        crossed = [(p, a) for p, a in zip(asked, answers, strict=False) if not echoed(p, a)]
        assert not crossed, crossed[:3]
        assert sorted(sent_prompts(server, asked)) == sorted(asked)  # each sent once: no retry, no duplicate
        assert busy_connections(llm) == 0
        assert pool_size(llm) <= KEEPALIVE


def test_chatzylon_20_threads_of_sync_calls(server):
    llm = ChatZylon(base_url=server.base_url, api_token=TOKEN)
    asked = prompts(THREADS * 4)
    thread_ids = [new_thread(server.base_url) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def worker(n: int) -> list[tuple[str, str]]:
        start.wait()
        out = []
        for k in range(4):  # invoke, stream, then the same in the worker's own Zylon thread
            prompt = asked[n * 4 + k]
            kwargs = {"thread_id": thread_ids[n]} if k >= 2 else {}
            if k % 2:
                answer = "".join(chunk.text for chunk in llm.stream([HumanMessage(prompt)], **kwargs))
            else:
                answer = llm.invoke([HumanMessage(prompt)], **kwargs).text
            out.append((prompt, answer))
        return out

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [pair for pairs in pool.map(worker, range(THREADS)) for pair in pairs]
    assert len(results) == len(asked)
    crossed = [(p, a) for p, a in results if not echoed(p, a)]
    assert not crossed, crossed[:3]
    assert sorted(sent_prompts(server, asked)) == sorted(asked)
    assert busy_connections(llm) == 0
    assert pool_size(llm) <= KEEPALIVE


# -- Zylon (LlamaIndex) ------------------------------------------------------------------


async def _li_call(llm: Zylon, prompt: str, stream: bool, **kwargs: Any) -> str:
    messages = [ChatMessage(role="user", content=prompt)]
    if stream:
        chunks = [chunk async for chunk in await llm.astream_chat(messages, **kwargs)]
        assert chunks
        return chunks[-1].message.content or ""
    return (await llm.achat(messages, **kwargs)).message.content or ""


@pytest.mark.parametrize("mode", ["chat", "thread"])
async def test_zylon_100_concurrent_async_calls(server, mode):
    llm = Zylon(base_url=server.base_url, api_token=TOKEN)
    for _round in range(2 if mode == "chat" else 1):  # a second round must reuse the pool, not grow it
        asked = prompts(ASYNC_CALLERS)
        threads = await new_threads(server.base_url, len(asked)) if mode == "thread" else [None] * len(asked)
        answers = await asyncio.gather(
            *(
                _li_call(llm, p, stream=i % 2 == 1, **({"thread_id": t} if t else {}))
                for i, (p, t) in enumerate(zip(asked, threads, strict=False))
            )
        )
        crossed = [(p, a) for p, a in zip(asked, answers, strict=False) if not echoed(p, a)]
        assert not crossed, crossed[:3]
        assert sorted(sent_prompts(server, asked)) == sorted(asked)
        assert busy_connections(llm) == 0
        assert pool_size(llm) <= KEEPALIVE


def test_zylon_20_threads_of_sync_calls(server):
    llm = Zylon(base_url=server.base_url, api_token=TOKEN)
    asked = prompts(THREADS * 4)
    thread_ids = [new_thread(server.base_url) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def worker(n: int) -> list[tuple[str, str]]:
        start.wait()
        out = []
        for k in range(4):
            prompt = asked[n * 4 + k]
            kwargs = {"thread_id": thread_ids[n]} if k >= 2 else {}
            messages = [ChatMessage(role="user", content=prompt)]
            if k % 2:
                *_, last = llm.stream_chat(messages, **kwargs)
                answer = last.message.content or ""
            else:
                answer = llm.chat(messages, **kwargs).message.content or ""
            out.append((prompt, answer))
        return out

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [pair for pairs in pool.map(worker, range(THREADS)) for pair in pairs]
    assert len(results) == len(asked)
    crossed = [(p, a) for p, a in results if not echoed(p, a)]
    assert not crossed, crossed[:3]
    assert sorted(sent_prompts(server, asked)) == sorted(asked)
    assert busy_connections(llm) == 0
    assert pool_size(llm) <= KEEPALIVE
