"""Against a real Zylon instance: run when ZYLON_BASE_URL and ZYLON_API_TOKEN are set.

    ZYLON_BASE_URL=https://zylon.example.com ZYLON_API_TOKEN=... \\
    ZYLON_PROJECT_ID=proj_... .venv/bin/python -m pytest -m live tests/live

Without them every test here is skipped with that reason (no instance is reachable
from CI). Thread tests also need ``ZYLON_PROJECT_ID`` (a project the token may write
to); they create one thread and delete it afterwards.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.live

if not (os.environ.get("ZYLON_BASE_URL") and os.environ.get("ZYLON_API_TOKEN")):
    pytest.skip(
        "live tests need a real Zylon instance: set ZYLON_BASE_URL and ZYLON_API_TOKEN to run them",
        allow_module_level=True,
    )

from zylon_core import Route, ZylonClient  # noqa: E402
from zylon_core.models import ChatRequest, MessageInput, TextBlock  # noqa: E402

PROJECT_ID = os.environ.get("ZYLON_PROJECT_ID")
needs_project = pytest.mark.skipif(not PROJECT_ID, reason="set ZYLON_PROJECT_ID to a writable project to run thread tests")


def ask(text: str) -> ChatRequest:
    return ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text=text)])], max_tokens=32)


@pytest.fixture(scope="module")
def client():
    with ZylonClient() as c:
        yield c


def test_one_shot_chat(client):
    result = client.run_turn(Route.create(), ask("Reply with the single word: pong"))
    assert result.message.content and "pong" in result.message.content[0].text.lower()


def test_one_shot_stream(client):
    stream = client.stream_turn(Route.create(), ask("Count from one to five in words."))
    streamed = "".join(d.text for d in stream if d.kind == "text")
    final = "".join(b.text for b in stream.result.message.content if b.type == "text")
    assert streamed and streamed == final


def test_validate(client):
    assert client.chat.validate(ask("hello")).valid is True


def test_embeddings(client):
    vectors = client.embeddings.create(["first", "second"]).vectors()
    assert len(vectors) == 2 and len(vectors[0]) == len(vectors[1]) > 0


@needs_project
def test_thread_keeps_history_and_lists_it(client):
    thread = client.threads.create(PROJECT_ID, "zylon-integrations live test")
    try:
        route = Route.create(thread_id=thread.id)
        client.run_turn(route, ask("My name is Ada. Reply with OK."))
        second = client.run_turn(route, ask("What is my name? Reply with only the name."))
        assert "ada" in second.message.content[-1].text.lower()
        assert [i.id for i in client.interactions.iter_all(thread.id, page_size=1)][-1] == second.interaction_id
    finally:
        client.threads.delete(thread.id)


def test_langchain_and_llama_index_adapters():
    from langchain_zylon import ChatZylon
    from llama_index_zylon import Zylon

    assert ChatZylon(max_tokens=16).invoke("Reply with the word yes").content
    assert Zylon(max_tokens=16).complete("Reply with the word yes").text
