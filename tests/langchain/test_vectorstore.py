"""ZylonVectorStore beyond the standard suite: configuration, metadata filters and
artifact filters on the server, scores, expand, retrievers, constructors, the captured
real-server answers, errors before any request, and the Gateway token message."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.exceptions import ModelAuthenticationError
from pydantic import ValidationError

from langchain_zylon import ZylonVectorStore
from tests.conftest import TEST_TOKEN
from tests.replay import ReplayServer
from zylon_core import AuthenticationError
from zylon_core.emulator.testing import run_emulator

REPORTS = [
    Document("Revenue grew 20% in Q3, driven by enterprise leads.", metadata={"team": "sales", "year": 2024}, id="q3"),
    Document("Support cases fell after the billing fix.", metadata={"team": "support", "year": 2025}, id="support"),
    Document("Revenue targets for next year were raised.", metadata={"team": "sales", "year": 2026, "draft": True}, id="plan"),
]


def connection(server: Any) -> dict[str, Any]:
    return {"base_url": server.base_url, "api_key": TEST_TOKEN}


@pytest.fixture
def store(emulator: Any) -> Iterator[ZylonVectorStore]:
    store = ZylonVectorStore(collection=f"lc-{uuid.uuid4().hex[:10]}", **connection(emulator))
    store.add_documents(REPORTS)
    yield store
    store.delete()


def paths(server: Any) -> list[str]:
    return [r["path"] for r in server.requests]


# -- configuration -------------------------------------------------------------------------


def test_configuration(monkeypatch):
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZYLON_BASE_URL", "https://zylon.example.com/api/gpt")
    monkeypatch.setenv("ZYLON_API_TOKEN", "sk-never-shown-51")
    store = ZylonVectorStore("docs")
    assert (store.collection, store.base_url, store.org, store.embeddings) == ("docs", "https://zylon.example.com", "default", None)
    assert "sk-never-shown-51" not in repr(store) and "sk-never-shown-51" not in str(store.model_dump())
    with pytest.raises(ValidationError, match="collection"):
        ZylonVectorStore()  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="non-blank string"):
        ZylonVectorStore(collection="  ")
    with pytest.raises(ValidationError, match="extra"):
        ZylonVectorStore(collection="docs", embedding=DeterministicFakeEmbedding(size=4))


def test_no_embedding_model_is_taken(emulator):
    with pytest.raises(ValueError, match="takes no embedding model"):
        ZylonVectorStore.from_texts(["a"], DeterministicFakeEmbedding(size=4), collection="x", **connection(emulator))
    with pytest.raises(ValueError, match="takes no embedding model"):
        ZylonVectorStore.from_documents(REPORTS, DeterministicFakeEmbedding(size=4), collection="x", **connection(emulator))


# -- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"team": "sales"}, {"q3", "plan"}),
        ({"year": {"$gte": 2025}}, {"support", "plan"}),
        ({"team": {"$in": ["support", "hr"]}}, {"support"}),
        ({"team": {"$nin": ["support"]}, "year": {"$lt": 2026}}, {"q3"}),
        ({"$and": [{"team": {"$ne": "support"}}, {"draft": True}]}, {"plan"}),
        ({"year": {"$gt": 2024, "$lte": 2025}}, {"support"}),
    ],
)
def test_metadata_filters_run_on_the_server(store, emulator, filter, expected):
    emulator.clear_requests()
    docs = store.similarity_search("revenue support", k=10, filter=filter)
    assert {d.id for d in docs} == expected
    sent = emulator.requests[0]["json"]["context_filter"]
    assert sent["collection"] == store.collection and sent["metadata_filter"]


def test_results_carry_the_documents_own_metadata_and_scores(store, emulator):
    emulator.clear_requests()
    (best, score), *rest = store.similarity_search_with_score("How did revenue grow in Q3?", k=2)
    assert best == Document(id="q3", page_content=REPORTS[0].page_content, metadata={"team": "sales", "year": 2024})
    assert 0 < score <= 1 and all(s <= score for _, s in rest)
    assert paths(emulator) == ["/api/gpt/v1/primitives/search", "/api/gpt/v1/artifacts/list"]
    assert emulator.requests[0]["json"]["limit"] == 2
    relevant = store.similarity_search_with_relevance_scores("revenue", k=3, score_threshold=0.1)
    assert relevant and all(0.1 <= s <= 1 for _, s in relevant)


def test_artifact_ids_threshold_and_expand_are_sent(store, emulator):
    emulator.clear_requests()
    docs = store.similarity_search("revenue", k=3, artifact_ids=["plan"], score_threshold=0.05, expand=True)
    assert [d.id for d in docs] == ["plan"]
    assert docs[0].metadata == {"team": "sales", "year": 2026, "draft": True, "previous_texts": [], "next_texts": []}
    body = emulator.requests[0]["json"]
    assert (body["context_filter"]["artifacts"], body["score_threshold"], body["expand"]) == (["plan"], 0.05, True)


def test_without_fetch_metadata_one_request_and_the_file_name_only(emulator, store):
    lean = store.model_copy(update={"fetch_metadata": False})
    emulator.clear_requests()
    (doc,) = lean.similarity_search("billing fix", k=1)
    assert (doc.id, doc.metadata) == ("support", {})
    assert paths(emulator) == ["/api/gpt/v1/primitives/search"]


def test_as_retriever_with_search_kwargs(store):
    retriever = store.as_retriever(search_kwargs={"k": 1, "filter": {"team": "support"}})
    assert [d.id for d in retriever.invoke("revenue")] == ["support"]
    scored = store.similarity_search_with_score("revenue raised targets", k=3)
    (top, top_score), (_, second_score) = scored[0], scored[1]
    assert top_score > second_score
    cut = (top_score + second_score) / 2
    threshold = store.as_retriever(search_type="similarity_score_threshold", search_kwargs={"k": 3, "score_threshold": cut})
    assert threshold.invoke("revenue raised targets") == [top]


async def test_async_twins(emulator):
    store = await ZylonVectorStore.afrom_documents(REPORTS[:2], collection=f"lc-async-{uuid.uuid4().hex[:8]}", **connection(emulator))
    try:
        assert await store.aadd_texts(["Access tokens rotate every 90 days."], [{"team": "security"}], ids=["tokens"]) == ["tokens"]
        (doc,) = await store.asimilarity_search("token rotation", k=1, filter={"team": "security"})
        assert (doc.id, doc.metadata) == ("tokens", {"team": "security"})
        (pair,) = await store.asimilarity_search_with_score("enterprise revenue", k=1)
        assert pair[0].id == "q3"
        found = await store.aget_by_ids(["support", "missing"])
        assert [(d.id, d.page_content) for d in found] == [("support", REPORTS[1].page_content)]
        assert await store.adelete(["tokens", "missing"]) is True
        assert await store.aget_by_ids(["tokens"]) == []
        assert [d.id for d in await store.as_retriever(search_kwargs={"k": 1}).ainvoke("billing")] == ["support"]
    finally:
        await store.adelete()
    assert await store.asimilarity_search("anything") == []


def test_from_texts_and_documents_keep_ids(emulator):
    store = ZylonVectorStore.from_texts(["alpha", "beta"], metadatas=[{"n": 1}, {"n": 2}], ids=["a", "b"], collection="lc-ft", **connection(emulator))
    try:
        assert sorted((d.id, d.metadata["n"]) for d in store.get_by_ids(["a", "b"])) == [("a", 1), ("b", 2)]
        again = ZylonVectorStore.from_documents([Document("gamma", id="a")], collection="lc-ft", **connection(emulator))
        assert [(d.id, d.page_content, d.metadata) for d in again.get_by_ids(["a"])] == [("a", "gamma", {})]
    finally:
        store.delete()


# -- bad input, errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "problem"),
    [
        (lambda s: s.similarity_search("q", filter={"$or": [{"a": 1}]}), ValueError, "'\\$or'"),
        (lambda s: s.similarity_search("q", filter=lambda d: True), ValueError, "callable"),
        (lambda s: s.similarity_search("q", k=0), ValueError, "k must be"),
        (lambda s: s.similarity_search("q", fetch_k=20), TypeError, "fetch_k"),
        (lambda s: s.similarity_search_by_vector([0.1, 0.2]), NotImplementedError, "searches by text"),
        (lambda s: s.add_texts(["a"], ids=[""]), ValueError, "non-blank"),
        (lambda s: s.add_texts(["a", "b"], metadatas=[{}]), ValueError, "2 texts but 1 metadatas"),
        (lambda s: s.add_texts(["a"], metadatas=[{"collection": "other"}]), ValueError, "'collection' is set by the Zylon server"),
        (lambda s: s.add_documents([Document("a", metadata={"obj": object()})]), ValueError, "metadata\\['obj'\\] is not JSON"),
        (lambda s: s.add_texts(["a"], batch_size=2), TypeError, "batch_size"),
        (lambda s: s.delete("abc"), ValueError, "got the string"),
    ],
)
def test_bad_input_fails_before_any_request(emulator, call, error, problem):
    store = ZylonVectorStore(collection="lc-bad", **connection(emulator))
    emulator.clear_requests()
    with pytest.raises(error, match=problem):
        call(store)
    assert emulator.requests == []


def test_a_workspace_token_is_told_to_use_a_gateway_token():
    with run_emulator(token_kind="workspace") as server:
        store = ZylonVectorStore(collection="docs", **connection(server))
        with pytest.raises(AuthenticationError, match="Gateway token") as caught:
            store.add_texts(["hello"])
    assert isinstance(caught.value, ModelAuthenticationError) and TEST_TOKEN not in str(caught.value)


def test_a_real_servers_answers_become_documents(shared_api):
    with ReplayServer() as server:
        server.play("search_semantic_metadata", "artifacts_list_capture")
        store = ZylonVectorStore(collection="capture", base_url=server.base_url, api_key="replay-token", max_retries=0)
        docs = store.similarity_search("anything", k=5, filter={"team": "sales"})
    assert server.bodies()[0]["context_filter"]["metadata_filter"] == [{"key": "team", "operator": "==", "value": "sales"}]
    assert [d.id for d in docs] == ["doc_alpha"] * 4  # the empty root chunk is left out
    assert docs[0] == Document(
        id="doc_alpha",
        page_content="Supply chain delays may slow Q4 deliveries.\n\n",
        metadata={"file_name": "alpha.md", "team": "sales", "year": 2024},
    )
