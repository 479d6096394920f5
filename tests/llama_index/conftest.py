"""Fixtures for the LlamaIndex adapter tests: a ``Zylon`` on the session emulator, and
helpers to create projects, threads and documents there."""

from __future__ import annotations

import base64
import itertools
from typing import Any, Iterator

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llama_index_zylon import Zylon
from tests.conftest import TEST_TOKEN

W = "/api/v1/app"
# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
_names = itertools.count(1)


@pytest.fixture
def llm(zylon_env: Any) -> Zylon:
    """A Zylon LLM configured from the environment (pointing at the session emulator)."""
    zylon_env.clear_requests()
    return Zylon()


@pytest.fixture
def api(emulator: Any) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TEST_TOKEN}", "x-org": "default"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=15) as client:
        yield client


def new_project(api: httpx.Client) -> str:
    response = api.post(f"{W}/project", json={"name": f"LlamaIndex project {next(_names)}"})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def new_thread(api: httpx.Client, project_id: str) -> str:
    response = api.post(f"{W}/project/{project_id}/thread", json={"name": "LlamaIndex thread", "visibility": "Private"})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def new_document(api: httpx.Client, project_id: str, name: str, text: str) -> str:
    body = {"type": "Document", "name": name, "raw_content": text, "props": {"file_name": f"{name}.txt"}}
    response = api.post(f"{W}/project/{project_id}/artifact", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"]


HELLO = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hello there")]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)]


def tool_calls(response: ChatResponse) -> list[tuple[str, dict[str, Any]]]:
    """``(name, arguments)`` of each client tool call in a response."""
    return [(b.tool_name, b.tool_kwargs) for b in response.message.blocks if isinstance(b, ToolCallBlock)]


def chat_requests(emulator: Any) -> list[dict[str, Any]]:
    """The recorded chat-like requests (one-shot, project chat, interactions)."""
    return [
        r
        for r in emulator.requests
        if r["method"] == "POST" and (r["path"].endswith("/chat") or r["path"].endswith("/interaction"))
    ]


def request_of(recorded: dict[str, Any]) -> dict[str, Any]:
    """The ChatRequest of a recorded request (``pgpt`` for projects and interactions)."""
    body = recorded["json"]
    return body.get("pgpt", body)


@pytest.fixture(autouse=True)
def _fresh_request_log(request: pytest.FixtureRequest) -> None:
    """Each test that talks to the session emulator starts with an empty request log."""
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").clear_requests()
