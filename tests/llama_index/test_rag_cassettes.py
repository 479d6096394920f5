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
from llama_index.core import Document as LIDocument
from llama_index.core.base.llms.types import ChatMessage, CitationBlock
from llama_index.core.query_engine import RetrieverQueryEngine

from llama_index_zylon import Zylon, ZylonEmbedding, ZylonProjectReader
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


def test_llama_index_upload_search_and_cited_chat(cassette):
    project = cassette.new_project("RAG cassette (LlamaIndex)")
    reader = ZylonProjectReader(project_id=project, poll_interval=0, **cassette.connection)
    ids = reader.add_documents([LIDocument(text=t, metadata={"title": n}) for n, t in CORPUS.items()])

    # ZylonGPT chunk search; the emulator files a project's chunks in a collection named after it.
    retriever = reader.as_retriever(k=2, collection=project)
    nodes = retriever.retrieve(QUESTION)
    assert nodes[0].node.ref_doc_id == ids[1]

    engine = RetrieverQueryEngine.from_args(retriever, llm=Zylon(**cassette.connection))
    response = engine.query(QUESTION)
    assert "New customers finish onboarding in 3 days" in str(response)

    llm = Zylon(project_id=project, artifact_ids=[ids[1]], citations=True, **cassette.connection)
    chat = llm.chat([ChatMessage(role="user", content=QUESTION)])
    citations = [b for b in chat.message.blocks if isinstance(b, CitationBlock)]
    assert {c.source for c in citations} == {ids[1]}
    assert citations[0].title == "Onboarding guide.txt"


def test_llama_index_embeddings(cassette):
    model = ZylonEmbedding(embed_batch_size=2, **cassette.connection)
    vectors = model.get_text_embedding_batch(list(CORPUS.values()))
    assert len(vectors) == 3
    assert model.get_query_embedding("onboarding") == model.get_text_embedding("onboarding")
