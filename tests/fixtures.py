"""Fixtures and helpers shared by the test folders (loaded by tests/conftest.py):
clients and projects on the session emulator, a small corpus for retrieval, thread
helpers, and readers of what the emulator received."""

from __future__ import annotations

import itertools
from typing import Any, Iterator

import pytest

from tests.conftest import TEST_TOKEN
from zylon_core import AsyncZylonClient, ZylonClient
from zylon_core.models import Artifact

_names = itertools.count(1)

# name -> text. Each document has a distinctive topic, so the deterministic search of
# the emulator ranks exactly one of them first for each QUESTIONS entry.
CORPUS: dict[str, str] = {
    "Q1 support summary": (
        "Billing issues drove 38% of all support cases in Q1, mostly duplicate charges.\n\n"
        "Priority bugs were resolved within 48 hours on average."
    ),
    "Onboarding guide": (
        "New customers finish onboarding in 3 days on average.\n\n"
        "The onboarding checklist covers single sign-on, data import and user roles."
    ),
    "Security policy": (
        "Customer data never leaves the private instance.\n\n"
        "Access tokens are rotated every 90 days."
    ),
}
QUESTIONS = {
    "What drove billing support cases?": "Q1 support summary",
    "How many days does onboarding take?": "Onboarding guide",
    "How often are access tokens rotated?": "Security policy",
}



def connection(server: Any) -> dict[str, Any]:
    """Constructor arguments pointing an adapter at ``server``."""
    return {"base_url": server.base_url, "api_key": TEST_TOKEN}


def new_project(client: ZylonClient, label: str = "RAG") -> str:
    return client.projects.create(f"{label} project {next(_names)}")["id"]


def add_corpus(client: ZylonClient, project_id: str) -> dict[str, Artifact]:
    created = client.artifacts.add_texts(project_id, list(CORPUS.values()), names=list(CORPUS), poll_interval=0)
    return {artifact.name or "": artifact for artifact in created}


@pytest.fixture
def client(emulator: Any) -> Iterator[ZylonClient]:
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        yield client


@pytest.fixture
async def aclient(emulator: Any) -> Any:
    async with AsyncZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        yield client


@pytest.fixture(scope="module")
def corpus_project(emulator: Any) -> tuple[str, dict[str, Artifact]]:
    """A project holding CORPUS (ingested), shared by a module's read-only tests."""
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        project_id = new_project(client, "Corpus")
        return project_id, add_corpus(client, project_id)


@pytest.fixture
def project(client: ZylonClient) -> str:
    """A fresh, empty project."""
    return new_project(client)


# -- threads ---------------------------------------------------------------------------


@pytest.fixture
def config(emulator: Any) -> dict[str, Any]:
    """Connection keyword arguments every memory class and chat model takes."""
    return {"base_url": emulator.base_url, "api_key": TEST_TOKEN}


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
