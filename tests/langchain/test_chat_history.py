"""ZylonChatMessageHistory and ChatZylon in thread mode, against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.exceptions import ModelNotFoundError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import ConfigurableField
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_zylon import ChatZylon, ZylonChatMessageHistory
from langchain_zylon.middleware import ZylonThreadMiddleware
from tests.conftest import TEST_TOKEN
from tests.fixtures import pages_read, turn_bodies, turn_systems, user_text
from zylon_core import ConfigurationError, NotFoundError
from zylon_core._memory import UnsavedMessagesError

# RunnableWithMessageHistory is deprecated by LangChain; it still works over a Zylon thread.
pytestmark = pytest.mark.filterwarnings("ignore:.*RunnableWithMessageHistory is deprecated")


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


def kinds(messages: list[Any]) -> list[str]:
    return [type(m).__name__ for m in messages]


# -- only the new turn is sent -----------------------------------------------------------


def test_full_history_or_new_message_alone_sends_only_the_new_turn(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = ChatZylon(thread_id=thread_id, **config)
    system = SystemMessage("Be brief.")
    first = llm.invoke([system, HumanMessage("My name is Ada.")])
    second = llm.invoke([system, HumanMessage("My name is Ada."), first, HumanMessage("What is my name?")])
    third = llm.invoke("What is my name? Reply with only the name.")
    history = ZylonChatMessageHistory(thread_id, **config)
    fourth = "".join(c.text for c in llm.stream([system, *history.messages, HumanMessage("Who am I?")]))
    assert second.text == "Your name is Ada. This is turn 2 of this thread."
    assert third.text.startswith("Ada") and fourth.startswith("Your name is Ada.")
    assert turn_bodies(emulator, thread_id) == [
        user_text("My name is Ada."),
        user_text("What is my name?"),
        user_text("What is my name? Reply with only the name."),
        user_text("Who am I?"),
    ]
    assert turn_systems(emulator, thread_id) == ["Be brief.", "Be brief.", None, "Be brief."]


async def test_async_full_history_or_new_message_alone(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = ChatZylon(thread_id=thread_id, **config)
    first = await llm.ainvoke([HumanMessage("My name is Ada.")])
    history = ZylonChatMessageHistory(thread_id, **config)
    chunks = [c async for c in llm.astream([*(await history.aget_messages()), HumanMessage("What is my name?")])]
    await llm.ainvoke("my city is Paris")
    third = await llm.ainvoke([HumanMessage("My name is Ada."), first, HumanMessage("What is my city?")])
    assert "".join(c.text for c in chunks).startswith("Your name is Ada.")
    assert third.text.startswith("Your city is Paris.")
    assert turn_bodies(emulator, thread_id) == [
        user_text("My name is Ada."),
        user_text("What is my name?"),
        user_text("my city is Paris"),
        user_text("What is my city?"),
    ]


# -- reading the thread ------------------------------------------------------------------


def test_messages_rebuild_every_page_in_order(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = ChatZylon(thread_id=thread_id, **config)
    for n in range(5):
        llm.invoke(f"message {n}")
    history = ZylonChatMessageHistory(thread_id, page_size=2, **config)
    emulator.clear_requests()
    messages = history.messages
    assert pages_read(emulator, f"/api/v1/app/thread/{thread_id}/interaction") == [("page=1", 2), ("after", 2), ("after", 2)]  # the server pages by cursor
    assert kinds(messages) == ["HumanMessage", "AIMessage"] * 5
    assert [m.text for m in messages[::2]] == [f"message {n}" for n in range(5)]
    assert [m.text for m in messages[1::2]] == [f'You said: "message {n}". This is turn {n + 1} of this thread.' for n in range(5)]
    interaction_ids = [m.response_metadata["interaction_id"] for m in messages]
    assert len(set(interaction_ids)) == 5 and interaction_ids[0] == interaction_ids[1]
    assert all(m.response_metadata["thread_id"] == thread_id for m in messages)
    assert [m.id for m in messages[:2]] == [f"{interaction_ids[0]}:input", f"{interaction_ids[0]}:output"]
    assert messages[1].response_metadata["model_provider"] == "zylon"


async def test_aget_messages_reads_every_page(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    llm = ChatZylon(thread_id=thread_id, **config)
    for n in range(3):
        await llm.ainvoke(f"message {n}")
    history = ZylonChatMessageHistory(thread_id, page_size=1, **config)
    messages = await history.aget_messages()
    assert [m.text for m in messages[::2]] == ["message 0", "message 1", "message 2"]
    assert messages == history.messages


def test_tool_call_turns_round_trip_through_history(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = ChatZylon(thread_id=thread_id, **config).bind_tools([magic_function])
    question = HumanMessage("What is the value of magic_function(3)? Use the tool.")
    call = llm.invoke([question])
    assert call.tool_calls and call.tool_calls[0]["args"] == {"input": 3}
    result = magic_function.invoke(call.tool_calls[0])
    final = llm.invoke([question, call, result])
    assert final.text == "The result of magic_function is 5."

    history = ZylonChatMessageHistory(thread_id, **config)
    messages = history.messages
    assert kinds(messages) == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    rebuilt_call, rebuilt_result = messages[1], messages[2]
    assert isinstance(rebuilt_call, AIMessage) and isinstance(rebuilt_result, ToolMessage)
    assert rebuilt_call.tool_calls == call.tool_calls
    assert rebuilt_call.response_metadata["stop_reason"] == "tool_use"
    assert rebuilt_result.tool_call_id == call.tool_calls[0]["id"] and rebuilt_result.content == "5"
    assert messages[3].text == final.text and messages[0].text == question.text

    # The rebuilt history is a valid input: a new question after it sends only itself.
    again = llm.invoke([*messages, HumanMessage("What is magic_function(4)?")])
    assert again.tool_calls[0]["args"] == {"input": 4}
    bodies = turn_bodies(emulator, thread_id)
    assert bodies[1] == [
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.tool_calls[0]["id"], "content": [{"type": "text", "text": "5"}]}],
        }
    ]
    assert bodies[2] == user_text("What is magic_function(4)?")


def test_reasoning_and_sources_come_back_from_history(config: dict[str, Any], new_thread: Any) -> None:
    thread_id = new_thread()
    answer = ChatZylon(thread_id=thread_id, thinking=True, **config).invoke("Hello there")
    (rebuilt,) = [m for m in ZylonChatMessageHistory(thread_id, **config).messages if isinstance(m, AIMessage)]
    assert rebuilt.additional_kwargs["reasoning_content"] == answer.additional_kwargs["reasoning_content"] == "Thinking about: Hello there"
    assert [b["type"] for b in rebuilt.content_blocks] == ["reasoning", "text"]
    # The signature is kept, so the rebuilt answer can be replayed elsewhere.
    assert rebuilt.content[0]["signature"] == answer.content[0]["signature"] and answer.content[0]["signature"].startswith("sig_")  # type: ignore[index]


def test_cited_search_turns_and_documents_come_back_from_history(config: dict[str, Any], emulator: Any, client: Any, project_id: str) -> None:
    artifact = client.artifacts.add_texts(project_id, ["Support backlog dropped 8% after billing fixes."], names=["backlog"], poll_interval=0)[0]
    thread_id = client.threads.create(project_id, "cited").id
    llm = ChatZylon(thread_id=thread_id, **config)
    document = HumanMessage([{"type": "text-plain", "text": "The meeting is on Friday.", "mime_type": "text/plain", "filename": "notes.txt"}, {"type": "text", "text": "When is the meeting?"}])
    converted = llm.invoke([document])
    cited = llm.invoke("How did the support backlog change?", artifact_ids=[artifact.id], citations=True)
    history = ZylonChatMessageHistory(thread_id, **config)
    doc_turn, first, human, second = history.messages
    assert isinstance(first, AIMessage) and isinstance(second, AIMessage) and isinstance(human, HumanMessage)
    # The document went as binary and comes back as the file the user gave.
    assert doc_turn.content[0] == document.content[0]  # type: ignore[index]
    assert [b["type"] for b in first.content[:2]] == ["server_tool_use", "server_tool_result"]  # type: ignore[index]
    assert first.text == converted.text and "Friday" in first.text
    # Server tool blocks, clean text, annotations and sources: as the live answer had them.
    assert second.content == cited.content and second.text == cited.text and "<citation" not in second.text
    assert second.response_metadata["sources"] == cited.response_metadata["sources"] and second.tool_calls == []
    assert second.content[-1]["annotations"][0]["extras"]["artifact_id"] == artifact.id  # type: ignore[index]
    # An answer equal to the latest one (its clean text: the thread stores the markup) is
    # recognised as stored: nothing is written.
    before = len(emulator.requests)
    history.add_messages([HumanMessage("How did the support backlog change?"), AIMessage(cited.text)])
    assert history.pending_messages == [] and all(r["method"] == "GET" for r in emulator.requests[before:])


def test_unknown_thread_is_a_not_found_error(config: dict[str, Any]) -> None:
    history = ZylonChatMessageHistory("thread_does_not_exist", **config)
    with pytest.raises(NotFoundError) as caught:
        history.messages  # noqa: B018
    assert isinstance(caught.value, ModelNotFoundError)


# -- adding ------------------------------------------------------------------------------


def test_add_messages_recognises_stored_turns_without_writing(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = ChatZylon(thread_id=thread_id, **config)
    history = ZylonChatMessageHistory(thread_id, **config)
    answer = llm.invoke("My name is Ada.")
    emulator.clear_requests()
    history.add_messages([SystemMessage("Be brief."), HumanMessage("My name is Ada."), answer])
    history.add_messages(history.messages)  # rebuilt messages: already there
    history.add_ai_message(AIMessage(answer.text))  # an answer equal to the latest stored one
    assert [r["method"] for r in emulator.requests] == ["GET", "GET"]  # reads only, no write
    assert history.pending_messages == []
    assert kinds(history.messages) == ["HumanMessage", "AIMessage"]


def test_new_human_messages_are_pending_until_their_turn_runs(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    history = ZylonChatMessageHistory(thread_id, **config)
    history.add_user_message("My name is Ada.")
    assert [m.text for m in history.pending_messages] == ["My name is Ada."]
    assert kinds(history.messages) == ["HumanMessage"] and turn_bodies(emulator, thread_id) == []
    answer = ChatZylon(thread_id=thread_id, **config).invoke(history.messages)
    history.add_ai_message(answer)
    assert history.pending_messages == []
    assert [m.text for m in history.messages] == ["My name is Ada.", answer.text]
    assert turn_bodies(emulator, thread_id) == [user_text("My name is Ada.")]


def test_an_answer_the_thread_did_not_produce_is_refused(config: dict[str, Any], new_thread: Any) -> None:
    thread_id, other = new_thread(), new_thread("other")
    history = ZylonChatMessageHistory(thread_id, **config)
    elsewhere = ChatZylon(thread_id=other, **config).invoke("hello")
    with pytest.raises(UnsavedMessagesError) as caught:
        history.add_messages([HumanMessage("hi"), AIMessage("Hello from another model"), elsewhere])
    error = caught.value
    assert isinstance(error, ValueError) and error.messages[0].text == "Hello from another model"
    assert error.messages[1] is elsewhere and "AIMessage('Hello from another model')" in str(error)
    assert history.pending_messages == [] and history.messages == []


async def test_async_add_and_clear(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    history = ZylonChatMessageHistory(thread_id, **config)
    llm = ChatZylon(thread_id=thread_id, **config)
    await history.aadd_messages([HumanMessage("My name is Ada.")])
    answer = await llm.ainvoke(await history.aget_messages())
    await history.aadd_messages([answer])
    await history.aadd_messages([AIMessage(answer.text)])
    with pytest.raises(UnsavedMessagesError):
        await history.aadd_messages([AIMessage("not from the thread")])
    assert len(await history.aget_messages()) == 2
    await history.aadd_messages([HumanMessage("still pending")])
    await history.aclear()
    assert await history.aget_messages() == [] and history.pending_messages == []
    assert (await llm.ainvoke("again")).text.endswith("This is turn 1 of this thread.")


def test_clear_deletes_the_turns_and_keeps_the_thread(config: dict[str, Any], client: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    llm = ChatZylon(thread_id=thread_id, **config)
    llm.invoke("My name is Ada.")
    llm.invoke("What is my name?")
    history = ZylonChatMessageHistory(thread_id, page_size=1, **config)
    history.clear()
    assert history.messages == []
    assert client.threads.get(thread_id).id == thread_id
    assert llm.invoke("What is my name?").text.startswith("I don't know your name yet.")
    history.delete_thread()
    with pytest.raises(NotFoundError):
        client.threads.get(thread_id)


# -- starting a conversation ---------------------------------------------------------------


def test_create_starts_a_thread_in_a_project(config: dict[str, Any], client: Any, project_id: str) -> None:
    history = ZylonChatMessageHistory.create(project_id, "Support chat", **config)
    thread = client.threads.get(history.thread_id)
    assert (thread.name, thread.visibility, thread.project_id) == ("Support chat", "Private", project_id)
    assert history.messages == []
    answer = ChatZylon(thread_id=history.thread_id, **config).invoke("hello")
    assert answer.response_metadata["thread_id"] == history.thread_id
    assert [m.text for m in history.messages] == ["hello", answer.text]


async def test_acreate(config: dict[str, Any], client: Any, project_id: str) -> None:
    history = await ZylonChatMessageHistory.acreate(project_id, visibility="Public", **config)
    thread = client.threads.get(history.thread_id)
    assert (thread.name, thread.visibility) == ("New conversation", "Public")
    await history.aclose()


def test_configuration_env_fallback_and_secrets(zylon_env: Any, monkeypatch: pytest.MonkeyPatch, new_thread: Any) -> None:
    thread_id = new_thread()
    history = ZylonChatMessageHistory(thread_id)
    assert history.base_url == zylon_env.base_url and history.org == "default" and history.max_retries == 2
    assert TEST_TOKEN not in repr(history) and TEST_TOKEN not in str(history)
    assert history.api_token.get_secret_value() == TEST_TOKEN and TEST_TOKEN not in repr(history.api_token)
    assert history.messages == []
    explicit = ZylonChatMessageHistory(thread_id, base_url=zylon_env.base_url + "/", api_token="other", org="acme")
    assert (explicit.base_url, explicit.org, explicit.api_token.get_secret_value()) == (zylon_env.base_url, "acme", "other")
    monkeypatch.delenv("ZYLON_API_TOKEN")
    with pytest.raises(ConfigurationError, match="ZYLON_API_TOKEN"):
        ZylonChatMessageHistory(thread_id)
    with pytest.raises(ValueError, match="thread_id is required"):
        ZylonChatMessageHistory("", api_key="x")
    with pytest.raises(TypeError, match="unexpected"):
        ZylonChatMessageHistory.create("proj", bogus=1)


def test_every_request_carries_the_org(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    emulator.clear_requests()
    ZylonChatMessageHistory(thread_id, org="acme", **config).messages  # noqa: B018
    assert [r["headers"].get("x-org") for r in emulator.requests] == ["acme"]


# -- RunnableWithMessageHistory (deprecated by LangChain) and agents -----------------------------------------------


def make_chat(config: dict[str, Any]) -> Any:
    from langchain_core.runnables.history import RunnableWithMessageHistory

    llm = ChatZylon(**config).configurable_fields(thread_id=ConfigurableField(id="session_id"))
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a helpful assistant."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    return RunnableWithMessageHistory(
        prompt | llm,
        lambda session_id: ZylonChatMessageHistory(session_id, **config),
        input_messages_key="question",
        history_messages_key="history",
    )


def test_runnable_with_message_history_session_is_the_thread(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id, other = new_thread(), new_thread("other")
    chat = make_chat(config)
    session = {"configurable": {"session_id": thread_id}}
    assert chat.invoke({"question": "My name is Ada."}, session).response_metadata["thread_id"] == thread_id
    chat.invoke({"question": "My name is Bob."}, {"configurable": {"session_id": other}})
    streamed = "".join(c.text for c in chat.stream({"question": "What is my name?"}, session))
    assert streamed == "Your name is Ada. This is turn 2 of this thread."
    assert turn_bodies(emulator, thread_id) == [user_text("My name is Ada."), user_text("What is my name?")]
    assert turn_systems(emulator, thread_id) == ["You are a helpful assistant."] * 2
    history = ZylonChatMessageHistory(thread_id, **config)
    assert [m.text for m in history.messages][::2] == ["My name is Ada.", "What is my name?"]


async def test_runnable_with_message_history_async(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    chat = make_chat(config)
    session = {"configurable": {"session_id": thread_id}}
    await chat.ainvoke({"question": "my city is Paris"}, session)
    chunks = [c async for c in chat.astream({"question": "What is my city?"}, session)]
    assert "".join(c.text for c in chunks).startswith("Your city is Paris.")
    assert turn_bodies(emulator, thread_id) == [user_text("my city is Paris"), user_text("What is my city?")]


def get_weather_tool(calls: list[str]) -> Any:
    @tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city."""
        calls.append(city)
        return f"It is sunny and 21 C in {city}."

    return get_weather


def test_an_agent_whose_model_is_in_the_thread_needs_no_checkpointer(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    calls: list[str] = []

    def agent() -> Any:  # a new graph each time, no checkpointer: the Zylon thread is the memory
        return create_agent(ChatZylon(thread_id=thread_id, **config), [get_weather_tool(calls)])

    first = agent().invoke({"messages": [HumanMessage("My name is Bob.")]})
    second = agent().invoke({"messages": [HumanMessage("What is the weather in Paris? Use the tool.")]})
    third = agent().invoke({"messages": [HumanMessage("What is my name?")]})
    assert calls == ["Paris"] and "sunny" in second["messages"][-1].text
    assert kinds(second["messages"]) == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert third["messages"][-1].text == "Your name is Bob. This is turn 4 of this thread."
    bodies = turn_bodies(emulator, thread_id)
    assert bodies[0] == user_text("My name is Bob.") and bodies[3] == user_text("What is my name?")
    assert [b["type"] for m in bodies[2] for b in m["content"]] == ["tool_result"]

    history = ZylonChatMessageHistory(thread_id, **config)
    history.add_messages([*first["messages"], *second["messages"], *third["messages"]])  # all stored already
    messages = history.messages
    assert kinds(messages) == ["HumanMessage", "AIMessage", "HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "HumanMessage", "AIMessage"]
    assert messages[3].tool_calls[0]["args"] == {"city": "Paris"}
    # The agent can start from the stored conversation (LangGraph dedupes by message id).
    resumed = agent().invoke({"messages": [*messages, HumanMessage("Who am I?")]})
    assert resumed["messages"][-1].text.startswith("Your name is Bob.")
    assert turn_bodies(emulator, thread_id)[-1] == user_text("Who am I?")


# -- a checkpointed agent: one thread id for LangGraph and Zylon (examples/thread_memory.py) --------


def checkpointed_agent(config: dict[str, Any], calls: list[str], **options: Any) -> Any:
    return create_agent(
        ChatZylon(**config), [get_weather_tool(calls)], middleware=[ZylonThreadMiddleware(), *options.pop("middleware", [])],
        checkpointer=InMemorySaver(), **options
    )


def ask(agent: Any, thread_id: str, text: str) -> Any:
    return agent.invoke({"messages": [HumanMessage(text)]}, {"configurable": {"thread_id": thread_id}})


def test_the_langgraph_thread_id_names_the_zylon_thread(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    ada, bob = new_thread("ada"), new_thread("bob")
    calls: list[str] = []
    agent = checkpointed_agent(config, calls, system_prompt="Be brief.")
    ask(agent, ada, "My name is Ada.")
    ask(agent, bob, "My name is Bob.")
    ask(agent, ada, "What is the weather in Paris? Use the tool.")
    assert ask(agent, ada, "What is my name?")["messages"][-1].text == "Your name is Ada. This is turn 4 of this thread."
    assert ask(agent, bob, "What is my name?")["messages"][-1].text == "Your name is Bob. This is turn 2 of this thread."
    # The checkpointer holds the graph's state, the same conversation Zylon stored ...
    state = agent.get_state({"configurable": {"thread_id": ada}}).values["messages"]
    stored = ZylonChatMessageHistory(ada, **config).messages
    assert kinds(state) == kinds(stored) == ["HumanMessage", "AIMessage", "HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "HumanMessage", "AIMessage"]
    assert [m.text for m in state] == [m.text for m in stored]
    # ... though each model call sent only its new messages, and the system prompt every time.
    bodies = turn_bodies(emulator, ada)
    assert bodies[0] == user_text("My name is Ada.") and bodies[3] == user_text("What is my name?")
    assert [b["type"] for m in bodies[2] for b in m["content"]] == ["tool_result"]
    assert turn_systems(emulator, ada) == ["Be brief."] * 4 and calls == ["Paris"]
    # Without the checkpoint (a new process, a new saver) Zylon still has the conversation.
    fresh = checkpointed_agent(config, calls)
    assert ask(fresh, ada, "Who am I?")["messages"][-1].text == "Your name is Ada. This is turn 5 of this thread."


async def test_the_middleware_async(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    agent = checkpointed_agent(config, [])
    session = {"configurable": {"thread_id": thread_id}}
    await agent.ainvoke({"messages": [HumanMessage("my city is Paris")]}, session)
    chunks = [c async for c, _ in agent.astream({"messages": [HumanMessage("What is my city?")]}, session, stream_mode="messages")]
    assert "".join(c.text for c in chunks).startswith("Your city is Paris. This is turn 2 of this thread.")
    assert turn_bodies(emulator, thread_id) == [user_text("my city is Paris"), user_text("What is my city?")]


def test_the_middleware_refuses_a_run_without_a_thread_id(config: dict[str, Any], emulator: Any) -> None:
    agent = create_agent(ChatZylon(**config), middleware=[ZylonThreadMiddleware()])  # no checkpointer: no thread id
    emulator.clear_requests()
    with pytest.raises(ValueError, match="no LangGraph thread_id"):
        agent.invoke({"messages": [HumanMessage("hello")]})
    assert emulator.requests == []


def test_a_person_reviews_a_tool_call_of_an_agent_in_a_thread(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    thread_id = new_thread()
    calls: list[str] = []
    review = HumanInTheLoopMiddleware(interrupt_on={"get_weather": {"allowed_decisions": ["approve", "reject"]}})
    agent = checkpointed_agent(config, calls, middleware=[review])
    session = {"configurable": {"thread_id": thread_id}}
    paused = ask(agent, thread_id, "What is the weather in Paris? Use the tool.")
    (interrupt,) = paused["__interrupt__"]
    assert interrupt.value["action_requests"][0]["args"] == {"city": "Paris"} and calls == []
    # The pause is in the checkpoint; the question and the tool call are in the thread.
    assert kinds(ZylonChatMessageHistory(thread_id, **config).messages) == ["HumanMessage", "AIMessage"]
    done = agent.invoke(Command(resume={"decisions": [{"type": "reject", "message": "Not now."}]}), session)
    assert calls == [] and done["messages"][-1].text == (
        "The tool get_weather reported an error: User rejected the tool call for `get_weather` with reason: Not now."
    )
    (result,) = turn_bodies(emulator, thread_id)[1][0]["content"]
    assert result["type"] == "tool_result" and result["is_error"] is True
    assert ask(agent, thread_id, "What is my name?")["messages"][-1].text == "I don't know your name yet. This is turn 3 of this thread."


# -- concurrency -----------------------------------------------------------------------------


async def test_concurrent_turns_on_two_threads_do_not_cross(config: dict[str, Any], emulator: Any, new_thread: Any) -> None:
    ada, bob = new_thread("ada"), new_thread("bob")
    llm = ChatZylon(**config)  # one model, the thread per call

    async def conversation(thread_id: str, name: str, streaming: bool) -> str:
        await llm.ainvoke(f"My name is {name}.", thread_id=thread_id)
        await llm.ainvoke(f"my city is {name}ville", thread_id=thread_id)
        if streaming:
            return "".join([c.text async for c in llm.astream("What is my name?", thread_id=thread_id)])
        return (await llm.ainvoke("What is my name?", thread_id=thread_id)).text

    answers = await asyncio.gather(*(conversation(t, n, s) for t, n, s in ((ada, "Ada", False), (bob, "Bob", True))))
    assert answers == ["Your name is Ada. This is turn 3 of this thread.", "Your name is Bob. This is turn 3 of this thread."]
    histories = await asyncio.gather(
        ZylonChatMessageHistory(ada, **config).aget_messages(), ZylonChatMessageHistory(bob, **config).aget_messages()
    )
    for messages, name in zip(histories, ("Ada", "Bob"), strict=False):
        assert [m.text for m in messages[::2]] == [f"My name is {name}.", f"my city is {name}ville", "What is my name?"]
    assert turn_bodies(emulator, bob)[1] == user_text("my city is Bobville")
