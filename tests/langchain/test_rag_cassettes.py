"""The RAG flows replayed from vcrpy cassettes in ``cassettes/rag/``: upload documents,
search them, and chat over them with citations, in both frameworks.

A cassette that exists is replayed with no server at all: requests match on method, path
and body (never host or port, which differ between emulator runs; uploads are multipart
with a boundary derived from their content, so their bodies are stable too). A missing
cassette is recorded against the session emulator; ``ZYLON_RECORD=1`` re-records them
all. The ``authorization``, ``x-api-key`` and ``x-org`` headers are never written. See
``cassettes/rag/RECORDED_AGAINST.md``.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from langchain_core.documents import Document as LCDocument

from langchain_zylon import ChatZylon, ZylonEmbeddings, ZylonProjectLoader
from langchain_zylon import ZylonRetriever as LCRetriever
from tests.cassettes import record_or_replay
from tests.conftest import ROOT, TEST_TOKEN
from tests.fixtures import CORPUS
from zylon_core import ZylonClient

CASSETTES = ROOT / "cassettes" / "rag"

class Cassette:
    def __init__(self, base_url: str, recording: bool) -> None:
        self.base_url = base_url
        self.recording = recording

    @property
    def connection(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "api_key": TEST_TOKEN}

    def new_project(self, name: str) -> str:
        with ZylonClient(base_url=self.base_url, api_token=TEST_TOKEN) as client:
            return client.projects.create(name)["id"]


@pytest.fixture
def cassette(request: pytest.FixtureRequest) -> Iterator[Cassette]:
    with record_or_replay(request, CASSETTES) as (base_url, recording):
        yield Cassette(base_url, recording)


QUESTION = "How many days does onboarding take?"


def test_langchain_upload_search_and_cited_chat(cassette):
    project = cassette.new_project("RAG cassette (LangChain)")
    loader = ZylonProjectLoader(project_id=project, poll_interval=0, **cassette.connection)
    ids = loader.add_documents([LCDocument(page_content=t, metadata={"title": n}) for n, t in CORPUS.items()])
    assert len(ids) == 3

    docs = LCRetriever(collection=project, k=2, expand=True, **cassette.connection).invoke(QUESTION)
    assert docs[0].metadata["artifact_id"] == ids[1]
    assert docs[0].page_content == "New customers finish onboarding in 3 days on average."
    assert docs[0].metadata["next_texts"] == ["The onboarding checklist covers single sign-on, data import and user roles."]

    answer = ChatZylon(project_id=project, all_artifacts=True, citations=True, **cassette.connection).invoke(QUESTION)
    assert "3 days" in answer.text
    assert answer.response_metadata["sources"][0]["document"]["artifact"] == ids[1]
    assert [d.id for d in loader.load()] == ids


async def test_langchain_async_retriever_and_embeddings(cassette):
    project = cassette.new_project("RAG cassette (LangChain async)")
    loader = ZylonProjectLoader(project_id=project, poll_interval=0, **cassette.connection)
    ids = await loader.aadd_documents([LCDocument(page_content=t, metadata={"title": n}) for n, t in CORPUS.items()])
    docs = await loader.as_retriever(k=1).ainvoke("How often are access tokens rotated?")  # the Workspace search
    assert [(d.metadata["name"], d.metadata["project_id"]) for d in docs] == [("Security policy", project)]
    assert len(ids) == 3
    embeddings = ZylonEmbeddings(batch_size=2, **cassette.connection)
    vectors = await embeddings.aembed_documents(list(CORPUS.values()))
    assert len(vectors) == 3 and len({len(v) for v in vectors}) == 1
    assert embeddings.embed_query("onboarding") == await embeddings.aembed_query("onboarding")


def test_cassettes_hold_no_credentials():
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 4, "every flow above has a committed cassette"
    for path in files:
        text = path.read_text()
        assert TEST_TOKEN not in text and "Bearer" not in text, path.name
        lowered = text.lower()
        assert "authorization" not in lowered and "x-api-key" not in lowered and "x-org" not in lowered, path.name
