"""Helpers for the emulator tests: an httpx client on the session emulator, SSE decoding."""

from __future__ import annotations

import itertools
from typing import Any, Iterator

import httpx
import pytest

from tests.conftest import TEST_TOKEN, parse_sse_text
from zylon_core import StreamAccumulator, decode_event
from zylon_core.models import MessageOutput

W = "/api/v1/app"
G = "/api/gpt/v1"
HEADERS = {"Authorization": f"Bearer {TEST_TOKEN}", "x-org": "default"}
_names = itertools.count(1)


def client_for(server: Any, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=15, **kwargs)


@pytest.fixture
def api(emulator: Any) -> Iterator[httpx.Client]:
    with client_for(emulator) as client:
        yield client


def new_project(api: httpx.Client, name: str | None = None) -> dict[str, Any]:
    response = api.post(f"{W}/project", json={"name": name or f"Project {next(_names)}"})
    assert response.status_code == 200, response.text
    return response.json()


def new_thread(api: httpx.Client, project_id: str, name: str = "Thread") -> dict[str, Any]:
    response = api.post(f"{W}/project/{project_id}/thread", json={"name": name, "visibility": "Private"})
    assert response.status_code == 200, response.text
    return response.json()


def new_document(api: httpx.Client, project_id: str, name: str, text: str) -> dict[str, Any]:
    body = {"type": "Document", "name": name, "raw_content": text, "props": {"file_name": f"{name}.txt"}}
    response = api.post(f"{W}/project/{project_id}/artifact", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def project(api: httpx.Client) -> dict[str, Any]:
    return new_project(api)


@pytest.fixture
def thread(api: httpx.Client, project: dict[str, Any]) -> dict[str, Any]:
    return new_thread(api, project["id"])


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def events_of(sse_text: str) -> list[dict[str, Any]]:
    return [e for e in (decode_event(name, data) for name, data in parse_sse_text(sse_text)) if e is not None]


def accumulate(sse_text: str) -> MessageOutput:
    accumulator = StreamAccumulator()
    for event in events_of(sse_text):
        accumulator.feed(event)
    return accumulator.finish()


def texts(message: MessageOutput | dict[str, Any]) -> str:
    content = message.content if isinstance(message, MessageOutput) else message["content"]
    parts = []
    for block in content:
        block = block if isinstance(block, dict) else block.to_json_dict()
        if block.get("type") == "text":
            parts.append(block["text"])
    return " ".join(parts)
