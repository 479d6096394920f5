"""ZylonMemoryStore under LlamaIndex's Memory (an AsyncDBChatStore over Zylon threads),
against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.memory import BaseMemoryBlock, Memory
from llama_index.core.storage.chat_store.base_db import AsyncDBChatStore, MessageStatus
from llama_index.core.tools import FunctionTool
from pydantic import ValidationError

from llama_index_zylon import Zylon, ZylonChatStore, ZylonMemoryStore
from tests.conftest import TEST_TOKEN
from tests.fixtures import pages_read, turn_bodies, turn_systems, user_text
from zylon_core import ConfigurationError, NotFoundError, ThreadRewriteError, UnsavedMessagesError

ACTIVE, ARCHIVED = MessageStatus.ACTIVE, MessageStatus.ARCHIVED


def multiply(a: float, b: float) -> float:
    """Multiply two numbers and return the product."""
    return a * b


def user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


def texts(messages: List[ChatMessage]) -> List[str]:
    return [m.content or "" for m in messages]


def roles(messages: List[ChatMessage]) -> List[str]:
    return [m.role.value for m in messages]


class Recorder(BaseMemoryBlock[str]):
    """A memory block that keeps what Memory hands it when it archives messages."""

    received: List[ChatMessage] = []

    async def _aget(self, messages: Optional[List[ChatMessage]] = None, **block_kwargs: Any) -> str:
        return ""

    async def _aput(self, messages: List[ChatMessage]) -> None:
        self.received.extend(messages)


async def run_turns(llm: Zylon, *questions: str) -> None:
    for question in questions:
        await llm.acomplete(question)


# -- Memory takes the store -----------------------------------------------------------------


def test_memory_accepts_the_store_where_it_refuses_the_base_chat_store(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonMemoryStore(**config)
    assert isinstance(store, AsyncDBChatStore)
    memory = Memory.from_defaults(session_id=thread_id, chat_store=store)
    assert memory.sql_store is store and memory.session_id == thread_id
    with pytest.raises(ValidationError, match="AsyncDBChatStore"):
        Memory.from_defaults(session_id=thread_id, chat_store=ZylonChatStore(**config))


def test_simple_chat_engine_with_memory_sends_only_the_new_turn(config: dict[str, Any], emulator: Any, project_id: str) -> None:
    store = ZylonMemoryStore(project_id=project_id, **config)
    thread_id = store.create_thread("engine")
    memory = Memory.from_defaults(session_id=thread_id, chat_store=store)
    engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id, **config), memory=memory, system_prompt="Be brief.")
    assert str(engine.chat("My name is Ada.")) == 'You said: "My name is Ada.". This is turn 1 of this thread.'
    assert "".join(engine.stream_chat("What is my name?").response_gen) == "Your name is Ada. This is turn 2 of this thread."
    assert turn_bodies(emulator, thread_id) == [user_text("My name is Ada."), user_text("What is my name?")]
    assert turn_systems(emulator, thread_id) == ["Be brief.", "Be brief."]
    assert store.pending_messages(thread_id) == []
    stored = memory.get_all()
    assert roles(stored) == ["user", "assistant"] * 2 and texts(stored)[::2] == ["My name is Ada.", "What is my name?"]
    assert all(m.additional_kwargs["thread_id"] == thread_id for m in stored)
    # reset() deletes the turns, keeps the thread; the conversation goes on in it.
    memory.reset()
    assert memory.get_all() == [] and asyncio.run(store.get_keys()) == [thread_id]
    assert str(engine.chat("What is my name?")).startswith("I don't know your name yet.")


async def test_async_engine_and_a_function_agent_share_the_thread(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonMemoryStore(**config)
    memory = Memory.from_defaults(session_id=thread_id, chat_store=store)
    llm = Zylon(thread_id=thread_id, **config)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=llm)
    assert str(await agent.run("Use the multiply tool: what is 6 times 7?", memory=memory)) == "The result of multiply is 42."
    await agent.run("My name is Ada.", memory=memory)
    engine = SimpleChatEngine.from_defaults(llm=llm, memory=memory)
    streamed = await engine.astream_chat("What is my name?")
    assert "".join([t async for t in streamed.async_response_gen()]).startswith("Your name is Ada.")
    bodies = turn_bodies(emulator, thread_id)
    assert len(bodies) == 4 and all(len(body) == 1 for body in bodies)
    assert [b["type"] for b in bodies[1][0]["content"]] == ["tool_result"]
    assert roles(await memory.aget_all()) == ["user", "assistant", "tool", "assistant", "user", "assistant", "user", "assistant"]
    assert store.pending_messages(thread_id) == []


# -- archiving: Memory's token limit ------------------------------------------------------------


async def test_token_limit_archives_the_oldest_turns_into_memory_blocks(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonMemoryStore(**config)
    block = Recorder(name="recorder")
    memory = Memory.from_defaults(session_id=thread_id, chat_store=store, token_limit=60, memory_blocks=[block])
    engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id, **config), memory=memory)
    for question in ("My name is Ada.", "my city is Paris", "my dog is Rex", "What is my name?"):
        await engine.achat(question)
    everything = await store.get_messages(thread_id, status=None)
    archived = await store.get_messages(thread_id, status=ARCHIVED)
    active = await memory.aget()
    assert len(everything) == 8 and archived and active
    assert archived + active == everything  # the oldest are archived, in order
    assert texts(block.received) == texts(archived)  # ... and were handed to the memory block
    assert await store.count_messages(thread_id, status=ARCHIVED) == len(archived)
    # Zylon still answers from the whole thread: archiving is Memory's view of it.
    assert str(await engine.achat("What is my name?")).startswith("Your name is Ada.")
    # Which messages are archived lives in the store object: a new one sees all active.
    assert len(await ZylonMemoryStore(**config).get_messages(thread_id)) == 10


async def test_get_messages_filters_by_status_then_slices(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    await run_turns(Zylon(thread_id=thread_id, **config), "one", "two", "three")
    store = ZylonMemoryStore(page_size=2, **config)
    await store.add_message(thread_id, user("pending"))
    assert texts(await store.archive_oldest_messages(thread_id, 3))[::2] == ["one", "two"]
    assert texts(await store.get_messages(thread_id, status=ARCHIVED)) == texts((await store.get_messages(thread_id, status=None))[:3])
    active = await store.get_messages(thread_id)
    assert roles(active) == ["assistant", "user", "assistant", "user"] and active[-1].content == "pending"
    assert texts(await store.get_messages(thread_id, offset=1, limit=2)) == texts(active[1:3])
    assert texts(await store.get_messages(thread_id, status=None, offset=5)) == texts(active[2:])
    assert await store.count_messages(thread_id) == 4 and await store.count_messages(thread_id, status=None) == 7
    # Pending messages are never archived: they are not stored yet.
    assert len(await store.archive_oldest_messages(thread_id, 10)) == 3
    assert texts(await store.get_messages(thread_id)) == ["pending"]


# -- the store's rules ----------------------------------------------------------------------------


async def test_add_messages_rules(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonMemoryStore(**config)
    await store.add_messages(thread_id, [ChatMessage(role="system", content="Be brief."), user("My name is Ada.")])
    assert texts(store.pending_messages(thread_id)) == ["My name is Ada."]
    answer = (await Zylon(thread_id=thread_id, **config).achat(await store.get_messages(thread_id))).message
    emulator.clear_requests()
    await store.add_message(thread_id, answer)  # carries the thread's ids: nothing to ask
    assert emulator.requests == [] and store.pending_messages(thread_id) == []
    await store.add_message(thread_id, ChatMessage(role="assistant", content=answer.content))  # the latest answer
    with pytest.raises(UnsavedMessagesError, match="invented"):
        await store.add_messages(thread_id, [user("kept?"), ChatMessage(role="assistant", content="invented")])
    assert store.pending_messages(thread_id) == []  # all or nothing
    with pytest.raises(ValueError, match="added as active"):
        await store.add_message(thread_id, user("old"), status=ARCHIVED)
    assert texts(await store.get_messages(thread_id)) == ["My name is Ada.", answer.content]


async def test_set_messages_and_memory_from_a_chat_history(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    await run_turns(Zylon(thread_id=thread_id, **config), "hello")
    store = ZylonMemoryStore(**config)
    stored = await store.get_messages(thread_id)
    # Memory.from_defaults(chat_history=...) sets the history: the stored one, then new user messages.
    memory = Memory.from_defaults(session_id=thread_id, chat_store=store, chat_history=[*stored, user("next")])
    assert texts(store.pending_messages(thread_id)) == ["next"] and len(memory.get_all()) == 3
    with pytest.raises(ThreadRewriteError, match="differs"):
        await store.set_messages(thread_id, [user("changed"), stored[1]])
    with pytest.raises(ThreadRewriteError, match="stores 2"):
        await store.set_messages(thread_id, [])
    await store.set_messages(thread_id, stored, status=ARCHIVED)
    assert await store.get_messages(thread_id) == [] and len(await store.get_messages(thread_id, status=ARCHIVED)) == 2
    with pytest.raises(ValueError, match="only stored messages can be archived"):
        await store.set_messages(thread_id, [*stored, user("new")], status=ARCHIVED)
    await store.set_messages(thread_id, stored)
    assert len(await store.get_messages(thread_id)) == 2 and store.pending_messages(thread_id) == []


async def test_deleting_removes_whole_turns_and_keeps_the_archive_in_step(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    await run_turns(Zylon(thread_id=thread_id, **config), "one", "two", "three", "four")
    store = ZylonMemoryStore(**config)
    await store.add_messages(thread_id, [user("pending a"), user("pending b")])
    assert (await store.delete_message(thread_id, -1)).content == "pending b"  # local
    await store.archive_oldest_messages(thread_id, 3)  # "one", its answer, "two"
    removed = await store.delete_message(thread_id, 2)  # "two": its answer goes with it
    assert removed.content == "two"
    assert texts(await store.get_messages(thread_id, status=None))[::2] == ["one", "three", "four", "pending a"]
    assert texts(await store.get_messages(thread_id, status=ARCHIVED)) == texts((await store.get_messages(thread_id, status=None))[:2])
    assert await store.delete_message(thread_id, 99) is None and await store.delete_message(thread_id, -99) is None
    # The oldest active message is "three": its whole turn goes, both messages returned.
    gone = await store.delete_oldest_messages(thread_id, 1)
    assert roles(gone) == ["user", "assistant"] and gone[0].content == "three"
    await store.delete_messages(thread_id, status=ARCHIVED)
    assert texts(await store.get_messages(thread_id, status=None))[::2] == ["four", "pending a"]
    await store.delete_messages(thread_id, status=ACTIVE)
    assert await store.get_messages(thread_id, status=None) == []


async def test_delete_messages_keeps_the_thread(config: dict[str, Any], client: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    await run_turns(Zylon(thread_id=thread_id, **config), "hello")
    store = ZylonMemoryStore(**config)
    await store.add_message(thread_id, user("pending"))
    await store.archive_oldest_messages(thread_id, 1)
    await store.delete_messages(thread_id)
    assert await store.get_messages(thread_id, status=None) == [] and client.threads.get(thread_id).id == thread_id
    await store.adelete_thread(thread_id)
    with pytest.raises(NotFoundError):
        client.threads.get(thread_id)


# -- threads, keys, configuration ------------------------------------------------------------------


async def test_threads_and_keys_across_pages(config: dict[str, Any], emulator: Any, project_id: str) -> None:
    store = ZylonMemoryStore(project_id=project_id, page_size=1, **config)
    keys = [await store.acreate_thread(f"t{n}") for n in range(2)] + [store.create_thread("t2")]
    emulator.clear_requests()
    assert await store.get_keys() == keys
    assert pages_read(emulator, f"/api/v1/app/project/{project_id}/thread")[:3] == [("page=1", 1), ("after", 1), ("after", 1)]
    store.delete_thread(keys[0])
    assert await store.get_keys() == keys[1:]


async def test_configuration_and_bad_keys(zylon_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ZylonMemoryStore()
    assert store.base_url == zylon_env.base_url and store.org == "default"
    for text in (repr(store), str(store), store.model_dump_json()):
        assert TEST_TOKEN not in text
    with pytest.raises(ConfigurationError, match="ZylonMemoryStore needs project_id"):
        await store.get_keys()
    with pytest.raises(ConfigurationError, match="project_id"):
        store.create_thread()
    zylon_env.clear_requests()
    with pytest.raises(ValueError, match="thread id"):
        await store.get_messages("")
    assert zylon_env.requests == []  # refused before any request
    with pytest.raises(NotFoundError):
        await store.get_messages("thread_does_not_exist")
    monkeypatch.delenv("ZYLON_BASE_URL")
    with pytest.raises(ConfigurationError, match="ZYLON_BASE_URL"):
        ZylonMemoryStore()


async def test_concurrent_memories_on_two_threads_do_not_cross(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    ada, bob = new_thread("ada"), new_thread("bob")
    store = ZylonMemoryStore(**config)  # one store, the thread per memory

    async def conversation(thread_id: str, name: str) -> str:
        memory = Memory.from_defaults(session_id=thread_id, chat_store=store)
        engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id, **config), memory=memory)
        await engine.achat(f"My name is {name}.")
        await engine.achat(f"my city is {name}ville")
        return str(await engine.achat("What is my name?"))

    answers = await asyncio.gather(conversation(ada, "Ada"), conversation(bob, "Bob"))
    assert answers == ["Your name is Ada. This is turn 3 of this thread.", "Your name is Bob. This is turn 3 of this thread."]
    for thread_id, name in ((ada, "Ada"), (bob, "Bob")):
        assert texts(await store.get_messages(thread_id))[::2] == [f"My name is {name}.", f"my city is {name}ville", "What is my name?"]
        assert turn_bodies(emulator, thread_id)[2] == user_text("What is my name?")
