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
from langchain_core.tools import tool
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.memory import ChatMemoryBuffer

from llama_index_zylon import Zylon, ZylonChatStore
from tests.cassettes import record_or_replay
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


async def test_llama_index_thread_conversation(cassette: Recording) -> None:
    config = cassette.config
    store = ZylonChatStore(project_id=cassette.project("memory cassette"), page_size=2, **config)
    thread_id = await store.acreate_thread("llama-index cassette")
    memory = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key=thread_id)
    engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id, **config), memory=memory, system_prompt="Be brief.")

    first = await engine.achat("My name is Ada.")
    await engine.achat("my city is Paris")
    streamed = await engine.astream_chat("What is my name?")
    name = "".join([token async for token in streamed.async_response_gen()])
    city = await engine.achat("What is my city?")

    assert str(first) == 'You said: "My name is Ada.". This is turn 1 of this thread.'
    assert name == "Your name is Ada. This is turn 3 of this thread."
    assert str(city) == "Your city is Paris. This is turn 4 of this thread."
    messages = await store.aget_messages(thread_id)
    assert [m.role.value for m in messages] == ["user", "assistant"] * 4
    assert [m.content for m in messages[::2]] == ["My name is Ada.", "my city is Paris", "What is my name?", "What is my city?"]
    assert store.pending_messages(thread_id) == []
    assert await store.aget_keys() == [thread_id]
