"""ZylonIndex (a LlamaIndex managed index over a ZylonGPT collection) against the emulator:
building, inserting, deleting, refreshing, retrieving with MetadataFilters, query and chat
engines with the Zylon LLM, async twins, the captured real-server answers, and errors
before any request."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest
from llama_index.core import Document
from llama_index.core.chat_engine.types import ChatMode
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode
from llama_index.core.vector_stores import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters

from llama_index_zylon import Zylon, ZylonIndex, ZylonIndexRetriever
from tests.conftest import TEST_TOKEN
from tests.replay import ReplayServer
from zylon_core import AuthenticationError, ConfigurationError
from zylon_core.emulator.testing import run_emulator

REPORTS = [
    Document(text="Revenue grew 20% in Q3, driven by enterprise leads.", metadata={"team": "sales", "year": 2024}, doc_id="q3"),
    Document(text="Support cases fell after the billing fix.", metadata={"team": "support", "year": 2025}, doc_id="support"),
    Document(text="Revenue targets for next year were raised.", metadata={"team": "sales", "year": 2026}, doc_id="plan"),
]


def connection(server: Any) -> dict[str, Any]:
    return {"base_url": server.base_url, "api_key": TEST_TOKEN}


def filters(*items: MetadataFilter, condition: FilterCondition = FilterCondition.AND) -> MetadataFilters:
    return MetadataFilters(filters=list(items), condition=condition)


@pytest.fixture
def index(emulator: Any) -> Iterator[ZylonIndex]:
    index = ZylonIndex.from_documents(REPORTS, collection=f"li-{uuid.uuid4().hex[:10]}", **connection(emulator))
    yield index
    index.client.collections.delete(index.collection)


# -- building ------------------------------------------------------------------------------


def test_configuration(monkeypatch, emulator):
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="ZYLON_BASE_URL"):
        ZylonIndex("docs")
    monkeypatch.setenv("ZYLON_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ZYLON_API_TOKEN", "sk-never-shown-77")
    index = ZylonIndex("docs")
    assert (index.collection, index.index_id) == ("docs", "docs")
    assert "sk-never-shown-77" not in repr(index) and "docs" in repr(index)
    for kwargs, error, problem in [
        ({"storage_context": object()}, ValueError, "takes no storage_context"),
        ({"embed_model": object()}, ValueError, "takes no embed_model"),
        ({"similarity_top_k": 3}, TypeError, "similarity_top_k"),
    ]:
        with pytest.raises(error, match=problem):
            ZylonIndex("docs", **kwargs)
    assert ZylonIndex("docs", transformations=[]).collection == "docs"  # no transformation asked
    with pytest.raises(ValueError, match="takes no transformations"):
        ZylonIndex.from_documents(REPORTS, collection="docs", transformations=[object()])
    with pytest.raises(ValueError, match="needs collection"):
        ZylonIndex.from_documents(REPORTS)
    with pytest.raises(ValueError, match="non-blank"):
        ZylonIndex(" ")


def test_from_documents_keeps_doc_ids_and_metadata(index, emulator):
    info = index.ref_doc_info
    assert sorted(info) == ["plan", "q3", "support"]
    assert info["q3"].metadata == {"team": "sales", "year": 2024} and info["q3"].node_ids == []
    bodies = [r["json"] for r in emulator.requests if r["path"] == "/api/gpt/v1/artifacts/ingest"][-3:]
    assert [b["artifact"] for b in bodies] == ["q3", "support", "plan"]
    assert bodies[0]["metadata"] == {"team": "sales", "year": 2024, "file_name": "q3.txt"}


# -- retrieving ----------------------------------------------------------------------------


def test_retrieve_gives_nodes_with_scores_and_sources(index, emulator):
    emulator.clear_requests()
    nodes = index.as_retriever(similarity_top_k=2).retrieve("How did revenue grow in Q3?")
    assert [(n.node.ref_doc_id, n.node.metadata) for n in nodes][0] == ("q3", {"team": "sales", "year": 2024})
    assert all(isinstance(n, NodeWithScore) and isinstance(n.node, TextNode) for n in nodes)
    assert nodes[0].score is not None and nodes[0].score >= (nodes[1].score or 0)
    assert nodes[0].node.get_content() == REPORTS[0].text
    assert [r["path"] for r in emulator.requests] == ["/api/gpt/v1/primitives/search", "/api/gpt/v1/artifacts/list"]
    assert emulator.requests[0]["json"]["limit"] == 2


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (filters(MetadataFilter(key="team", value="sales")), {"q3", "plan"}),
        (filters(MetadataFilter(key="year", value=2025, operator=FilterOperator.GTE)), {"support", "plan"}),
        (filters(MetadataFilter(key="team", value=["support"], operator=FilterOperator.NIN)), {"q3", "plan"}),
        (
            filters(
                MetadataFilter(key="team", value=["sales", "hr"], operator=FilterOperator.IN),
                filters(MetadataFilter(key="year", value=2026, operator=FilterOperator.LT)),
            ),
            {"q3"},
        ),
        (filters(MetadataFilter(key="year", value=2024, operator=FilterOperator.NE)), {"support", "plan"}),
    ],
)
def test_metadata_filters_run_on_the_server(index, emulator, given, expected):
    emulator.clear_requests()
    nodes = index.as_retriever(similarity_top_k=10, filters=given).retrieve("revenue support")
    assert {n.node.ref_doc_id for n in nodes} == expected
    assert emulator.requests[0]["json"]["context_filter"]["metadata_filter"]


def test_doc_ids_threshold_expand_and_lean_search(index, emulator):
    emulator.clear_requests()
    (node,) = index.as_retriever(doc_ids=["plan"], score_threshold=0.05, expand=True).retrieve("revenue")
    body = emulator.requests[0]["json"]
    assert (body["context_filter"]["artifacts"], body["score_threshold"], body["expand"]) == (["plan"], 0.05, True)
    assert node.node.metadata["previous_texts"] == [] and "previous_texts" not in node.node.get_content(MetadataMode.LLM)
    lean = ZylonIndex(index.collection, fetch_metadata=False, **connection(emulator))
    emulator.clear_requests()
    (hit,) = lean.as_retriever(similarity_top_k=1).retrieve("billing fix")
    assert (hit.node.ref_doc_id, hit.node.metadata) == ("support", {})
    assert len(emulator.requests) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "problem"),
    [
        ({"filters": filters(MetadataFilter(key="a", value=1), MetadataFilter(key="b", value=2), condition=FilterCondition.OR)}, ValueError, "condition 'or'"),
        ({"filters": filters(MetadataFilter(key="a", value="x", operator=FilterOperator.TEXT_MATCH))}, ValueError, "'text_match' on 'a'"),
        ({"similarity_top_k": 0}, ValueError, "similarity_top_k"),
        ({"score_threshold": 2.0}, ValueError, "between 0 and 1"),
        ({"artifact_ids": ["a"], "doc_ids": ["b"]}, ValueError, "not both"),
        ({"similarity_topk": 3}, TypeError, "similarity_topk"),
    ],
)
def test_bad_retriever_arguments_fail_before_any_request(emulator, kwargs, error, problem):
    index = ZylonIndex("li-bad", **connection(emulator))
    emulator.clear_requests()
    with pytest.raises(error, match=problem):
        index.as_retriever(**kwargs)
    assert emulator.requests == []


# -- changing ------------------------------------------------------------------------------


def test_insert_update_delete_and_refresh(index, emulator):
    index.insert(Document(text="Access tokens rotate every 90 days.", metadata={"team": "security"}, doc_id="tokens"))
    index.insert_nodes([TextNode(text="Parking is free for staff.", id_="parking", metadata={"file_name": "parking.md"})])
    assert index.ref_doc_info["parking"].metadata == {"file_name": "parking.md"}
    index.update_ref_doc(Document(text="Access tokens rotate every 30 days.", metadata={"team": "security"}, doc_id="tokens"))
    (hit,) = index.as_retriever(similarity_top_k=1, doc_ids=["tokens"]).retrieve("token rotation")
    assert hit.node.get_content() == "Access tokens rotate every 30 days."
    emulator.clear_requests()
    changed = [REPORTS[0], Document(text=REPORTS[1].text, metadata={"team": "support", "year": 2026}, doc_id="support")]
    assert index.refresh_ref_docs(changed + [Document(text="New.", doc_id="new")]) == [False, True, True]
    assert [r["path"] for r in emulator.requests] == ["/api/gpt/v1/artifacts/list"] + ["/api/gpt/v1/artifacts/ingest"] * 2
    index.delete_ref_doc("tokens")
    index.delete_ref_doc("never-there")
    assert "tokens" not in index.ref_doc_info
    with pytest.raises(NotImplementedError, match="delete_ref_doc"):
        index.delete_nodes([hit.node.node_id])
    with pytest.raises(ValueError, match="is set by the Zylon server"):
        index.insert(Document(text="x", metadata={"hash": "h"}))
    with pytest.raises(TypeError, match="unexpected"):
        index.insert(REPORTS[0], show_progress=True)


async def test_async_twins(emulator):
    index = await ZylonIndex.afrom_documents(REPORTS[:2], collection=f"li-async-{uuid.uuid4().hex[:8]}", **connection(emulator))
    try:
        await index.ainsert(Document(text="Access tokens rotate every 90 days.", doc_id="tokens"))
        await index.ainsert_nodes([TextNode(text="Parking is free.", id_="parking")])
        await index.aupdate_ref_doc(Document(text="Parking is free for staff.", doc_id="parking"))
        nodes = await index.as_retriever(similarity_top_k=1).aretrieve("parking for staff")
        assert [(n.node.ref_doc_id, n.node.get_content()) for n in nodes] == [("parking", "Parking is free for staff.")]
        assert await index.arefresh_ref_docs([REPORTS[0]]) == [False]
        await index.adelete_ref_doc("parking")
        response = await index.as_query_engine(llm=Zylon(**connection(emulator)), similarity_top_k=1).aquery("How often do access tokens rotate?")
        assert [n.node.ref_doc_id for n in response.source_nodes] == ["tokens"]
    finally:
        await index.aclient.collections.delete(index.collection)
        await index.aclose()
    assert await index.as_retriever().aretrieve("anything") == []


# -- engines -------------------------------------------------------------------------------


def test_a_query_engine_with_the_zylon_llm(index, emulator):
    engine = index.as_query_engine(llm=Zylon(**connection(emulator)), similarity_top_k=1, response_mode="compact")
    emulator.clear_requests()
    response = engine.query("How did revenue grow in Q3?")
    assert [n.node.ref_doc_id for n in response.source_nodes] == ["q3"]
    chat = [r for r in emulator.requests if r["path"] == "/api/v1/app/chat"]
    prompt = str(chat[-1]["json"]["messages"])
    assert REPORTS[0].text in prompt  # the retrieved chunk reached the LLM
    assert str(response).strip()
    with pytest.raises(TypeError, match="respons_mode"):
        index.as_query_engine(llm=Zylon(**connection(emulator)), respons_mode="compact")


def test_a_context_chat_engine(index, emulator):
    engine = index.as_chat_engine(chat_mode=ChatMode.CONTEXT, llm=Zylon(**connection(emulator)), similarity_top_k=1)
    reply = engine.chat("What happened to support cases?")
    assert [n.node.ref_doc_id for n in reply.source_nodes] == ["support"]
    assert isinstance(index.as_retriever(), ZylonIndexRetriever)


# -- real answers and errors -----------------------------------------------------------------


def test_a_real_servers_answers_become_nodes(shared_api):
    with ReplayServer() as server:
        server.play("search_semantic_metadata", "artifacts_list_capture")
        index = ZylonIndex("capture", base_url=server.base_url, api_key="replay-token", max_retries=0)
        nodes = index.as_retriever(similarity_top_k=5, filters=filters(MetadataFilter(key="team", value="sales"))).retrieve("anything")
    assert server.bodies()[0]["context_filter"]["metadata_filter"] == [{"key": "team", "operator": "==", "value": "sales"}]
    assert [n.node.node_id for n in nodes][0] == "fee71e2b-d915-4ed1-857e-26361273fa0f"
    assert {n.node.ref_doc_id for n in nodes} == {"doc_alpha"} and len(nodes) == 4  # the empty root chunk left out
    assert nodes[0].node.metadata == {"file_name": "alpha.md", "team": "sales", "year": 2024}


def test_a_workspace_token_is_told_to_use_a_gateway_token():
    with run_emulator(token_kind="workspace") as server:
        index = ZylonIndex("docs", **connection(server))
        with pytest.raises(AuthenticationError, match="Gateway token") as caught:
            index.insert(REPORTS[0])
    assert TEST_TOKEN not in str(caught.value)
