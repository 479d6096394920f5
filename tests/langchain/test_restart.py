"""Conversations survive a restart: a fresh process given only the base URL and the
thread id sees the stored history and continues where the last process stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

from langchain_core.messages import HumanMessage

from langchain_zylon import ChatZylon, ZylonChatMessageHistory
from tests.conftest import ROOT, TEST_TOKEN
from tests.fixtures import turn_bodies, user_text

LANGCHAIN_SCRIPT = """
import json, sys
from langchain_zylon import ChatZylon, ZylonChatMessageHistory

thread_id = sys.argv[1]
history = ZylonChatMessageHistory(thread_id)
before = [[type(m).__name__, m.text] for m in history.messages]
llm = ChatZylon(thread_id=thread_id)
name = llm.invoke([*history.messages, ("human", "What is my name?")]).text
city = llm.invoke("What is my city?").text
print(json.dumps({"before": before, "name": name, "city": city, "after": len(history.messages)}))
"""

LLAMA_INDEX_SCRIPT = """
import json, sys
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.memory import Memory
from llama_index_zylon import Zylon, ZylonMemoryStore

thread_id = sys.argv[1]
memory = Memory.from_defaults(session_id=thread_id, chat_store=ZylonMemoryStore())
before = [[m.role.value, m.content] for m in memory.get_all()]
engine = SimpleChatEngine.from_defaults(llm=Zylon(thread_id=thread_id), memory=memory)
name = str(engine.chat("What is my name?"))
print(json.dumps({"before": before, "name": name, "after": len(memory.get_all())}))
"""


def run_fresh_process(script: str, base_url: str, thread_id: str) -> dict[str, Any]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZYLON_")},
        "ZYLON_BASE_URL": base_url,
        "ZYLON_API_TOKEN": TEST_TOKEN,
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), thread_id],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_langchain_conversation_continues_in_a_new_process(config: dict[str, Any], emulator: Any, project_id: str) -> None:
    history = ZylonChatMessageHistory.create(project_id, "restart", **config)
    llm = ChatZylon(thread_id=history.thread_id, **config)
    llm.invoke("My name is Ada.")
    llm.invoke("my city is Paris")

    seen = run_fresh_process(LANGCHAIN_SCRIPT, emulator.base_url, history.thread_id)

    assert seen["before"] == [
        ["HumanMessage", "My name is Ada."],
        ["AIMessage", 'You said: "My name is Ada.". This is turn 1 of this thread.'],
        ["HumanMessage", "my city is Paris"],
        ["AIMessage", 'You said: "my city is Paris". This is turn 2 of this thread.'],
    ]
    assert seen["name"] == "Your name is Ada. This is turn 3 of this thread."
    assert seen["city"] == "Your city is Paris. This is turn 4 of this thread."
    assert seen["after"] == 8
    # Back here, the first process sees what the other one added, and goes on.
    assert [m.text for m in history.messages][4::2] == ["What is my name?", "What is my city?"]
    assert llm.invoke([*history.messages, HumanMessage("Who am I?")]).text.startswith("Your name is Ada. This is turn 5")
    assert turn_bodies(emulator, history.thread_id)[2] == user_text("What is my name?")
