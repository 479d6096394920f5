"""Fixtures for the thread-memory tests: a project on the session emulator, connection
settings for both adapters, and readers of what the emulator received."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.conftest import TEST_TOKEN
from zylon_core import ZylonClient


@pytest.fixture
def config(emulator: Any) -> dict[str, Any]:
    """Connection keyword arguments every memory class and chat model takes."""
    return {"base_url": emulator.base_url, "api_key": TEST_TOKEN}


@pytest.fixture
def client(emulator: Any) -> Iterator[ZylonClient]:
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as zylon:
        yield zylon


@pytest.fixture
def project_id(client: ZylonClient, request: pytest.FixtureRequest) -> str:
    """A fresh project per test, so thread lists only hold the test's own threads."""
    return client.projects.create(f"memory {request.node.name}")["id"]


@pytest.fixture
def new_thread(client: ZylonClient, project_id: str) -> Any:
    def make(name: str = "memory test") -> str:
        return client.threads.create(project_id, name).id

    return make


def turn_bodies(emulator: Any, thread_id: str) -> list[list[dict[str, Any]]]:
    """``pgpt.messages`` of every interaction created in ``thread_id``, in order."""
    return [
        r["json"]["pgpt"]["messages"]
        for r in emulator.requests
        if r["method"] == "POST" and r["path"] == f"/api/v1/app/thread/{thread_id}/interaction"
    ]


def turn_systems(emulator: Any, thread_id: str) -> list[Any]:
    return [
        (r["json"]["pgpt"].get("system") or {}).get("text")
        for r in emulator.requests
        if r["method"] == "POST" and r["path"] == f"/api/v1/app/thread/{thread_id}/interaction"
    ]


def pages_read(emulator: Any, path: str) -> list[tuple[str, int]]:
    """How every GET of ``path`` asked for its page, in order: ``("page=N", page_size)``,
    or ``("after", page_size)`` when it followed the previous page's ``next_cursor``."""
    asked = []
    for r in emulator.requests:
        if r["method"] == "GET" and r["path"] == path:
            query = r["query"]
            how = "after" if "after" in query else f"page={query.get('page')}"
            asked.append((how, int(query.get("page_size", 0))))
    return asked


def user_text(text: str) -> list[dict[str, Any]]:
    """The wire form of one new user turn holding ``text``."""
    return [{"role": "user", "content": [{"type": "text", "text": text}]}]
