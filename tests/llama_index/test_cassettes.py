"""The main flows replayed from vcrpy cassettes in ``cassettes/llama_index/``.

A cassette that exists is replayed with no server at all (requests match on method, path
and body: never on host or port, which differ between emulator runs). A missing
cassette is recorded against the session emulator; ``ZYLON_RECORD=1`` re-records them
all. See ``cassettes/llama_index/RECORDED_AGAINST.md``.
"""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, CitationBlock, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_zylon import Zylon
from tests.cassettes import record_or_replay
from tests.conftest import ROOT, TEST_TOKEN

CASSETTES = ROOT / "cassettes" / "llama_index"

class Cassette:
    """Where a test's requests go: the recording server, or nowhere (replay)."""

    def __init__(self, base_url: str, recording: bool) -> None:
        self.base_url = base_url
        self.recording = recording

    def llm(self, **kwargs: Any) -> Zylon:
        return Zylon(base_url=self.base_url, api_token=TEST_TOKEN, org="default", model="default", **kwargs)

    def api(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {TEST_TOKEN}", "x-org": "default"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=15)


@pytest.fixture
def cassette(request: pytest.FixtureRequest) -> Iterator[Cassette]:
    with record_or_replay(request, CASSETTES) as (base_url, recording):
        yield Cassette(base_url, recording)


def multiply(a: float, b: float) -> float:
    """Multiply two numbers and return the product."""
    return a * b


class Person(BaseModel):
    name: str
    age: int


def test_chat(cassette):
    response = cassette.llm(temperature=0.2).chat(
        [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hello there")]
    )
    assert response.message.content == 'You said: "Hello there".'
    assert response.additional_kwargs["usage"]["output_tokens"] == 4


def test_stream_chat(cassette):
    chunks = list(cassette.llm().stream_chat([ChatMessage(role="user", content="Tell me about privacy")]))
    assert len([c for c in chunks if c.delta]) > 1
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content == 'You said: "Tell me about privacy".'


async def test_astream_complete_with_thinking(cassette):
    chunks = [c async for c in await cassette.llm(thinking=True).astream_complete("Hello there")]
    assert chunks[-1].text == 'You said: "Hello there".'
    assert chunks[-1].additional_kwargs["thinking"] == "Thinking about: Hello there"


def test_tool_call_and_result(cassette):
    llm = cassette.llm()
    tool = FunctionTool.from_defaults(multiply)
    response = llm.chat_with_tools([tool], user_msg="Multiply 6 and 7")
    (call,) = llm.get_tool_calls_from_response(response)
    assert (call.tool_name, call.tool_kwargs) == ("multiply", {"a": 6, "b": 7})
    history = [
        ChatMessage(role="user", content="Multiply 6 and 7"),
        response.message,
        ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": call.tool_id}),
    ]
    final = llm.chat_with_tools([tool], chat_history=history)
    assert final.message.content == "The result of multiply is 42."
    assert not [b for b in final.message.blocks if isinstance(b, ToolCallBlock)]


async def test_function_agent(cassette):
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=cassette.llm(), streaming=True)
    handler = agent.run("Use the multiply tool: what is 6 times 7?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    answer = await handler
    assert [r.tool_output.content for r in results] == ["42"]
    assert str(answer.response.content) == "The result of multiply is 42."


def test_structured_predict(cassette):
    person = cassette.llm().structured_predict(Person, PromptTemplate("Extract: {text}"), text="'Ada' is 36")
    assert person == Person(name="Ada", age=36)


def test_thread_mode_two_turns(cassette):
    with cassette.api() as api:
        project_id = api.post("/api/v1/app/project", json={"name": "cassette project"}).json()["id"]
        thread = api.post(f"/api/v1/app/project/{project_id}/thread", json={"name": "cassette", "visibility": "Private"})
        thread_id = thread.json()["id"]
    llm = cassette.llm(thread_id=thread_id)
    first = llm.chat([ChatMessage(role="user", content="My name is Ada.")])
    second = llm.chat(
        [ChatMessage(role="user", content="My name is Ada."), first.message, ChatMessage(role="user", content="What is my name?")]
    )
    assert "Your name is Ada." in second.message.content
    assert second.additional_kwargs["thread_id"] == thread_id
    assert second.additional_kwargs["interaction_id"] != first.additional_kwargs["interaction_id"]


def test_project_chat_with_citations(cassette):
    with cassette.api() as api:
        project_id = api.post("/api/v1/app/project", json={"name": "cassette handbook"}).json()["id"]
        body = {
            "type": "Document",
            "name": "handbook",
            "raw_content": "Every employee gets 25 vacation days per year.",
            "props": {"file_name": "handbook.txt"},
        }
        artifact_id = api.post(f"/api/v1/app/project/{project_id}/artifact", json=body).json()["id"]
    llm = cassette.llm(project_id=project_id, artifact_ids=[artifact_id], citations=True)
    response = llm.chat([ChatMessage(role="user", content="How many vacation days do employees get?")])
    (citation,) = [b for b in response.message.blocks if isinstance(b, CitationBlock)]
    assert citation.source == artifact_id and citation.title == "handbook.txt"
    assert "25 vacation days" in response.message.content and "<citation" not in response.message.content
    assert response.message.additional_kwargs["sources"][0]["document"]["artifact"] == artifact_id


def test_cassettes_hold_no_credentials():
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 8, "every flow above has a committed cassette"
    for path in files:
        text = path.read_text()
        assert TEST_TOKEN not in text and "Bearer" not in text, path.name
        assert "authorization" not in text.lower() and "x-api-key" not in text.lower(), path.name
