"""Fixtures for the RAG tests: a corpus of small documents, projects on the session
emulator, and clients configured for it."""

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
