"""One multi-turn thread conversation per framework, replayed from vcrpy cassettes in
``cassettes/memory/``.

Each cassette holds the whole flow, from creating the project and the thread onwards,
so a replay gets its thread id from the cassette and needs no server at all. Requests
match on method, path and JSON body, never on host or port (the emulator's port differs
per run; replays go to ``http://zylon.memory-cassette.invalid``). A missing cassette is
recorded against the session emulator; ``ZYLON_RECORD=1`` re-records them. See
``cassettes/memory/RECORDED_AGAINST.md``.
"""

from __future__ import annotations

from typing import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import ConfigurableField
from langchain_core.tools import tool

from langchain_zylon import ChatZylon, ZylonChatMessageHistory
from tests.cassettes import FILTERED_HEADERS, record_or_replay
from tests.conftest import ROOT, TEST_TOKEN
from zylon_core import ZylonClient

CASSETTES = ROOT / "cassettes" / "memory"
pytestmark = pytest.mark.filterwarnings("ignore:.*RunnableWithMessageHistory is deprecated")


class Recording:
    def __init__(self, base_url: str, recording: bool) -> None:
        self.base_url = base_url
        self.recording = recording
        self.config = {"base_url": base_url, "api_key": TEST_TOKEN}

    def project(self, name: str) -> str:
        with ZylonClient(base_url=self.base_url, api_token=TEST_TOKEN) as client:
            return client.projects.create(name)["id"]


@pytest.fixture
def cassette(request: pytest.FixtureRequest) -> Iterator[Recording]:
    with record_or_replay(request, CASSETTES) as (base_url, recording):
        yield Recording(base_url, recording)


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


def test_langchain_thread_conversation(cassette: Recording) -> None:
    from langchain_core.runnables.history import RunnableWithMessageHistory

    config = cassette.config
    history = ZylonChatMessageHistory.create(cassette.project("memory cassette"), "langchain cassette", **config)
    thread_id = history.thread_id
    session = {"configurable": {"session_id": thread_id}}
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), MessagesPlaceholder("history"), ("human", "{question}")])
    llm = ChatZylon(**config).configurable_fields(thread_id=ConfigurableField(id="session_id"))
    chat = RunnableWithMessageHistory(
        prompt | llm,
        lambda session_id: ZylonChatMessageHistory(session_id, page_size=2, **config),
        input_messages_key="question",
        history_messages_key="history",
    )

    first = chat.invoke({"question": "My name is Ada."}, session)
    tools = ChatZylon(thread_id=thread_id, **config).bind_tools([magic_function])
    question = HumanMessage("What is the value of magic_function(3)? Use the tool.")
    call = tools.invoke([*history.messages, question])
    result = magic_function.invoke(call.tool_calls[0])
    tools.invoke([*history.messages, question, call, result])
    streamed = "".join(chunk.text for chunk in chat.stream({"question": "What is my name?"}, session))

    assert first.response_metadata["thread_id"] == thread_id
    assert streamed == "Your name is Ada. This is turn 4 of this thread."
    messages = ZylonChatMessageHistory(thread_id, page_size=2, **config).messages
    assert [type(m).__name__ for m in messages] == [
        "HumanMessage", "AIMessage", "HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "HumanMessage", "AIMessage",
    ]
    assert isinstance(messages[3], AIMessage) and messages[3].tool_calls == call.tool_calls
    assert isinstance(messages[4], ToolMessage) and messages[4].content == "5"
    assert messages[5].text == "The result of magic_function is 5."
    assert messages[-1].text == streamed


def test_memory_cassettes_hold_no_credentials() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert [p.name for p in files] == ["test_langchain_thread_conversation.yaml", "test_llama_index_thread_conversation.yaml"]
    for path in files:
        text = path.read_text()
        assert TEST_TOKEN not in text and "Bearer" not in text, path.name
        for header in FILTERED_HEADERS:
            assert f"{header}:" not in text.lower(), (path.name, header)
