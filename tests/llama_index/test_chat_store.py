"""ZylonChatStore and Zylon in thread mode, against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ThinkingBlock, ToolCallBlock
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.tools import FunctionTool

from llama_index_zylon import Zylon, ZylonChatStore
from tests.conftest import TEST_TOKEN
from tests.fixtures import pages_read, turn_bodies, turn_systems, user_text
from zylon_core import ConfigurationError, NotFoundError
from zylon_core._memory import ThreadRewriteError, UnsavedMessagesError


def multiply(a: float, b: float) -> float:
    """Multiply two numbers and return the product."""
    return a * b


def user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


def roles(messages: list[ChatMessage]) -> list[str]:
    return [m.role.value for m in messages]


# -- only the new turn is sent -----------------------------------------------------------


def test_full_history_or_new_message_alone_sends_only_the_new_turn(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = Zylon(thread_id=thread_id, **config)
    system = ChatMessage(role=MessageRole.SYSTEM, content="Be brief.")
    first = llm.chat([system, user("My name is Ada.")])
    second = llm.chat([system, user("My name is Ada."), first.message, user("What is my name?")])
    third = llm.complete("What is my name? Reply with only the name.")
    store = ZylonChatStore(**config)
    chunks = list(llm.stream_chat([system, *store.get_messages(thread_id), user("Who am I?")]))
    assert second.message.content == "Your name is Ada. This is turn 2 of this thread."
    assert third.text.startswith("Ada") and chunks[-1].message.content.startswith("Your name is Ada.")
    assert turn_bodies(emulator, thread_id) == [
        user_text("My name is Ada."),
        user_text("What is my name?"),
        user_text("What is my name? Reply with only the name."),
        user_text("Who am I?"),
    ]
    assert turn_systems(emulator, thread_id) == ["Be brief.", "Be brief.", None, "Be brief."]
    assert first.message.additional_kwargs["thread_id"] == thread_id
    assert first.message.additional_kwargs["interaction_id"] == first.additional_kwargs["interaction_id"]


async def test_async_full_history_or_new_message_alone(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = Zylon(thread_id=thread_id, **config)
    first = await llm.achat([user("My name is Ada.")])
    stream = await llm.astream_chat([user("My name is Ada."), first.message, user("What is my name?")])
    last = [c async for c in stream][-1]
    await llm.acomplete("my city is Paris")
    assert last.message.content.startswith("Your name is Ada.")
    assert turn_bodies(emulator, thread_id) == [user_text("My name is Ada."), user_text("What is my name?"), user_text("my city is Paris")]


def test_tool_results_and_a_new_question_are_one_stored_turn(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = Zylon(thread_id=thread_id, **config)
    tool = FunctionTool.from_defaults(multiply)
    response = llm.chat_with_tools([tool], user_msg="Multiply 6 and 7")
    (call,) = llm.get_tool_calls_from_response(response)
    result = ChatMessage(role=MessageRole.TOOL, content="42", additional_kwargs={"tool_call_id": call.tool_id})
    llm.chat([user("Multiply 6 and 7"), response.message, result, user("Thanks. And what is 2 + 3?")])
    assert turn_bodies(emulator, thread_id)[1] == [
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": call.tool_id, "content": [{"type": "text", "text": "42"}]},
                {"type": "text", "text": "Thanks. And what is 2 + 3?"},
            ],
        }
    ]
    messages = ZylonChatStore(**config).get_messages(thread_id)
    assert roles(messages) == ["user", "assistant", "tool", "user", "assistant"]
    assert messages[2].additional_kwargs["tool_call_id"] == call.tool_id and messages[3].content == "Thanks. And what is 2 + 3?"


# -- reading -------------------------------------------------------------------------------


def test_get_messages_reads_every_page_in_order(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = Zylon(thread_id=thread_id, **config)
    for n in range(5):
        llm.complete(f"message {n}")
    store = ZylonChatStore(page_size=2, **config)
    emulator.clear_requests()
    messages = store.get_messages(thread_id)
    assert pages_read(emulator, f"/api/v1/app/thread/{thread_id}/interaction") == [("page=1", 2), ("after", 2), ("after", 2)]  # the server pages by cursor
    assert roles(messages) == ["user", "assistant"] * 5
    assert [m.content for m in messages[::2]] == [f"message {n}" for n in range(5)]
    assert messages[-1].content == 'You said: "message 4". This is turn 5 of this thread.'
    assert all(m.additional_kwargs["thread_id"] == thread_id for m in messages)


async def test_aget_messages_and_keys_across_pages(config: dict[str, Any], emulator: Any, project_id: str) -> None:
    store = ZylonChatStore(project_id=project_id, page_size=1, **config)
    keys = [await store.acreate_thread(f"t{n}") for n in range(3)]
    llm = Zylon(thread_id=keys[1], **config)
    await llm.acomplete("hello")
    await llm.acomplete("again")
    emulator.clear_requests()
    assert await store.aget_keys() == keys == store.get_keys()
    assert pages_read(emulator, f"/api/v1/app/project/{project_id}/thread")[:3] == [("page=1", 1), ("after", 1), ("after", 1)]
    messages = await store.aget_messages(keys[1])
    assert [m.content for m in messages[::2]] == ["hello", "again"]
    assert await store.aget_messages(keys[0]) == []


def test_tool_call_turns_round_trip_through_the_store(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    llm = Zylon(thread_id=thread_id, thinking=True, **config)
    tool = FunctionTool.from_defaults(multiply)
    response = llm.chat_with_tools([tool], user_msg="Multiply 6 and 7")
    (call,) = llm.get_tool_calls_from_response(response)
    history = [user("Multiply 6 and 7"), response.message, ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": call.tool_id})]
    final = llm.chat_with_tools([tool], chat_history=history)
    messages = ZylonChatStore(**config).get_messages(thread_id)
    assert roles(messages) == ["user", "assistant", "tool", "assistant"]
    (rebuilt_call,) = [b for b in messages[1].blocks if isinstance(b, ToolCallBlock)]
    assert (rebuilt_call.tool_call_id, rebuilt_call.tool_name, rebuilt_call.tool_kwargs) == (call.tool_id, "multiply", {"a": 6, "b": 7})
    assert [b.content for b in messages[1].blocks if isinstance(b, ThinkingBlock)] == ["Thinking about: Multiply 6 and 7"]
    assert messages[2].content == "42" and messages[2].additional_kwargs["tool_call_id"] == call.tool_id
    assert messages[3].content == final.message.content == "The result of multiply is 42."


# -- memory, chat engines, agents -------------------------------------------------------------


def test_chat_memory_buffer_and_simple_chat_engine(config: dict[str, Any], emulator: Any, project_id: str) -> None:
    store = ZylonChatStore(project_id=project_id, **config)
    thread_id = store.create_thread("engine")
    memory = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key=thread_id)
    engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id, **config), memory=memory, system_prompt="Be brief.")
    assert str(engine.chat("My name is Ada.")) == 'You said: "My name is Ada.". This is turn 1 of this thread.'
    streamed = engine.stream_chat("What is my name?")
    assert "".join(streamed.response_gen) == "Your name is Ada. This is turn 2 of this thread."
    assert store.pending_messages(thread_id) == []
    assert turn_bodies(emulator, thread_id) == [user_text("My name is Ada."), user_text("What is my name?")]
    assert turn_systems(emulator, thread_id) == ["Be brief.", "Be brief."]
    assert [m.content for m in memory.get_all()][::2] == ["My name is Ada.", "What is my name?"]
    # A chat history passed in again (memory.set) is the stored one: accepted as is.
    assert str(engine.chat("Who am I?", chat_history=memory.get_all())).startswith("Your name is Ada.")
    memory.reset()
    assert memory.get_all() == [] and store.get_keys() == [thread_id]
    assert str(engine.chat("What is my name?")).startswith("I don't know your name yet.")


async def test_async_chat_engine(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonChatStore(**config)
    memory = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key=thread_id)
    engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id, **config), memory=memory)
    await engine.achat("my city is Paris")
    streamed = await engine.astream_chat("What is my city?")
    text = "".join([t async for t in streamed.async_response_gen()])
    assert text.startswith("Your city is Paris.")
    assert turn_bodies(emulator, thread_id) == [user_text("my city is Paris"), user_text("What is my city?")]
    assert len(await memory.aget_all()) == 4 and store.pending_messages(thread_id) == []


async def test_function_agent_with_thread_memory(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonChatStore(**config)
    memory = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key=thread_id)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=Zylon(thread_id=thread_id, **config))
    assert str(await agent.run("Use the multiply tool: what is 6 times 7?", memory=memory)) == "The result of multiply is 42."
    await agent.run("My name is Ada.", memory=memory)
    assert str(await agent.run("What is my name?", memory=memory)).startswith("Your name is Ada.")
    bodies = turn_bodies(emulator, thread_id)
    assert len(bodies) == 4 and all(len(body) == 1 for body in bodies)
    assert [b["type"] for b in bodies[1][0]["content"]] == ["tool_result"]
    assert roles(store.get_messages(thread_id)) == ["user", "assistant", "tool", "assistant", "user", "assistant", "user", "assistant"]


# -- the store's rules -----------------------------------------------------------------------


def test_add_message_rules(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonChatStore(**config)
    store.add_message(thread_id, user("My name is Ada."))
    assert [m.content for m in store.get_messages(thread_id)] == ["My name is Ada."]
    answer = Zylon(thread_id=thread_id, **config).chat(store.get_messages(thread_id)).message
    emulator.clear_requests()
    store.add_message(thread_id, answer)
    assert emulator.requests == [] and store.pending_messages(thread_id) == []
    store.add_message(thread_id, ChatMessage(role="assistant", content=answer.content))  # equal to the latest answer
    store.add_message(thread_id, ChatMessage(role="system", content="Be brief."))
    with pytest.raises(UnsavedMessagesError, match="invented"):
        store.add_message(thread_id, ChatMessage(role="assistant", content="invented"))
    with pytest.raises(ValueError, match="only be appended"):
        store.add_message(thread_id, user("first!"), idx=0)
    assert [m.content for m in store.get_messages(thread_id)] == ["My name is Ada.", answer.content]


def test_set_messages_appends_only(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonChatStore(**config)
    Zylon(thread_id=thread_id, **config).complete("hello")
    stored = store.get_messages(thread_id)
    store.set_messages(thread_id, [ChatMessage(role="system", content="sys"), *stored, user("next")])
    assert [m.content for m in store.pending_messages(thread_id)] == ["next"]
    plain = [ChatMessage(role=m.role, content=m.content) for m in stored]  # same turns, without the ids
    store.set_messages(thread_id, plain)
    assert store.pending_messages(thread_id) == []
    with pytest.raises(ThreadRewriteError, match="stores 2"):
        store.set_messages(thread_id, [])
    with pytest.raises(ThreadRewriteError, match="differs"):
        store.set_messages(thread_id, [user("changed"), stored[1]])
    assert len(store.get_messages(thread_id)) == 2


async def test_delete_message_removes_the_whole_turn(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    llm = Zylon(thread_id=thread_id, **config)
    for text in ("one", "two", "three"):
        llm.complete(text)
    store = ZylonChatStore(page_size=2, **config)
    store.add_message(thread_id, user("pending a"))
    store.add_message(thread_id, user("pending b"))
    assert store.delete_message(thread_id, 7).content == "pending b"  # a pending message: local
    assert store.delete_last_message(thread_id).content == "pending a"
    removed = store.delete_message(thread_id, 2)  # "two": its answer goes with it
    assert removed.content == "two"
    assert [m.content for m in store.get_messages(thread_id)][::2] == ["one", "three"]
    last = await store.adelete_last_message(thread_id)
    assert last.role == MessageRole.ASSISTANT and last.content.startswith('You said: "three"')
    assert [m.content for m in await store.aget_messages(thread_id)][::2] == ["one"]
    assert await store.adelete_message(thread_id, 5) is None and store.delete_message(thread_id, -3) is None
    assert (await store.adelete_message(thread_id, -1)).content.startswith('You said: "one"')
    assert store.delete_last_message(thread_id) is None


async def test_delete_messages_keeps_the_thread(config: dict[str, Any], client: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    Zylon(thread_id=thread_id, **config).complete("hello")
    store = ZylonChatStore(**config)
    store.add_message(thread_id, user("pending"))
    deleted = await store.adelete_messages(thread_id)
    assert [m.content for m in deleted][::2] == ["hello", "pending"]
    assert store.get_messages(thread_id) == [] and client.threads.get(thread_id).id == thread_id
    assert store.delete_messages(thread_id) == []
    store.delete_thread(thread_id)
    with pytest.raises(NotFoundError):
        client.threads.get(thread_id)


# -- configuration -----------------------------------------------------------------------------


def test_configuration_env_fallback_and_secrets(zylon_env: Any, monkeypatch: pytest.MonkeyPatch, new_thread: Any) -> None:
    thread_id = new_thread()
    store = ZylonChatStore()
    assert store.base_url == zylon_env.base_url and store.org == "default"
    for text in (repr(store), str(store), store.model_dump_json(), str(store.to_dict())):
        assert TEST_TOKEN not in text
    assert store.get_messages(thread_id) == []
    with pytest.raises(ConfigurationError, match="project_id"):
        store.get_keys()
    with pytest.raises(ValueError, match="thread id"):
        store.get_messages("")
    assert ZylonChatStore(api_key="other", org="acme").org == "acme"
    monkeypatch.delenv("ZYLON_BASE_URL")
    with pytest.raises(ConfigurationError, match="ZYLON_BASE_URL"):
        ZylonChatStore()


# -- concurrency -----------------------------------------------------------------------------


async def test_concurrent_turns_on_two_threads_do_not_cross(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    ada, bob = new_thread("ada"), new_thread("bob")
    llm = Zylon(**config)  # one LLM, the thread per call
    store = ZylonChatStore(**config)

    async def conversation(thread_id: str, name: str) -> str:
        memory = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key=thread_id)
        engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id, **config), memory=memory)
        await engine.achat(f"My name is {name}.")
        await llm.achat([user(f"my city is {name}ville")], thread_id=thread_id)
        return str(await engine.achat("What is my name?"))

    answers = await asyncio.gather(conversation(ada, "Ada"), conversation(bob, "Bob"))
    assert answers == ["Your name is Ada. This is turn 3 of this thread.", "Your name is Bob. This is turn 3 of this thread."]
    for thread_id, name in ((ada, "Ada"), (bob, "Bob")):
        texts = [m.content for m in await store.aget_messages(thread_id)][::2]
        assert texts == [f"My name is {name}.", f"my city is {name}ville", "What is my name?"]
        assert turn_bodies(emulator, thread_id)[2] == user_text("What is my name?")
