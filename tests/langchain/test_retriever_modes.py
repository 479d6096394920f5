"""The two retrieval modes of ``ZylonRetriever`` in both adapters (fidelity §11, P2.6),
against a stand-in server answering the documented bodies: collection mode (ZylonGPT
chunk search, a project adding a ``project_id`` metadata filter) and project mode (the
Workspace search, kept to the project). No collection is ever derived from a project id."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import TEST_TOKEN, load_example
from tests.core.mock_server import BASE, MockServer, json_response
from zylon_core import AuthenticationError
from zylon_core._rag import workspace_query

PROJECT = "proj_7a5c3e1b9d2f4a6c"
SEARCH = ("GET", "/api/v1/app/search")
CHUNKS = ("POST", "/api/gpt/v1/primitives/search")
OTHER = {
    "id": "content_other",
    "type": "ArtifactContent",
    "match": "Billing in another project.",
    "rank": 0.99,
    "metadata": {"name": "Elsewhere", "type": "Document", "project_id": "proj_other", "project_name": "Other"},
}
LONG_QUESTION = (
    "Across every support channel we run, which billing issues drove the largest share of cases in the first quarter?"
)


def hits() -> list[dict]:
    documented = load_example("workspace-search.02.response.json")
    low = {**documented[1], "id": "content_low", "match": "A weak match.", "rank": 0.2}
    return [OTHER, *documented, low]


def captured_chunks(shared_api) -> httpx.Response:
    return httpx.Response(
        200,
        content=(shared_api / "captures" / "search_semantic_metadata.response.json").read_bytes(),
        headers={"content-type": "application/json"},
    )


def wired(cls, server: MockServer, **fields):
    retriever = cls(base_url=BASE, api_key=TEST_TOKEN, **fields)
    connection = retriever._current()
    connection._client = server.client()
    connection._aclient = server.aclient()
    return retriever


def langchain(server: MockServer, **fields):
    from langchain_zylon import ZylonRetriever

    return wired(ZylonRetriever, server, **fields)


def llama(server: MockServer, **fields):
    from llama_index_zylon import ZylonRetriever

    return wired(ZylonRetriever, server, **fields)


# -- project mode (the Workspace search) -------------------------------------------------










# -- collection mode (ZylonGPT chunk search) ---------------------------------------------


def test_langchain_project_mode_keeps_the_projects_hits():
    server = MockServer({SEARCH: json_response(200, hits())})
    docs = langchain(server, project_id=PROJECT, k=4).invoke(LONG_QUESTION)
    assert [(d.id, d.page_content) for d in docs] == [
        ("content_8f1a3d5c7b9e", "Billing issues drove 38% of support cases."),
        ("content_low", "A weak match."),
    ]
    assert docs[0].metadata == {
        "name": "Q1 Support Summary",
        "type": "Document",
        "project_id": PROJECT,
        "project_name": "Customer Insights",
        "score": 0.84,
        "search_result_id": "content_8f1a3d5c7b9e",
        "source": "Q1 Support Summary",
    }
    (request,) = server.requests
    params = dict(request.url.params)
    assert params == {"q": workspace_query(LONG_QUESTION), "types": "ArtifactContent", "type": "ArtifactContent", "limit": "30"}
    assert len(params["q"]) <= 80 and LONG_QUESTION.startswith(params["q"] + " ")  # cut at a word boundary


def test_project_mode_threshold_and_k_and_per_call_values():
    server = MockServer({SEARCH: json_response(200, hits())})
    retriever = langchain(server, project_id=PROJECT, k=50)
    assert [d.id for d in retriever.invoke("billing issues", score_threshold=0.5)] == ["content_8f1a3d5c7b9e"]
    assert [d.id for d in retriever.invoke("billing issues", k=1)] == ["content_8f1a3d5c7b9e"]
    assert [r.url.params["limit"] for r in server.requests] == ["50", "30"]  # at least the server default
    assert retriever.invoke("billing issues", project_id="proj_other")[0].id == "content_other"
    with pytest.raises(ValueError, match="artifact_ids needs a collection"):
        retriever.invoke("billing issues", artifact_ids=["a1"])
    with pytest.raises(ValueError, match="3 to 80 characters"):
        retriever.invoke("Q1")
    assert len(server.requests) == 3


@pytest.mark.parametrize("make", [langchain, llama])
def test_project_mode_refuses_what_only_chunk_search_has(make):
    server = MockServer()
    with pytest.raises(ValueError, match="expand=True needs a collection"):
        make(server, project_id=PROJECT, expand=True)
    with pytest.raises(ValueError, match="artifact_ids needs a collection"):
        make(server, project_id=PROJECT, artifact_ids=["a1"])


def test_collection_mode_with_a_project_adds_the_metadata_filter(shared_api):
    server = MockServer({CHUNKS: captured_chunks(shared_api)})
    docs = langchain(server, collection="capture", project_id=PROJECT, k=5).invoke("anything")
    captured = json.loads((shared_api / "captures" / "search_semantic_metadata.request.json").read_text())
    (body,) = server.bodies()
    assert body == {
        **captured,
        "context_filter": {"collection": "capture", "metadata_filter": [{"key": "project_id", "operator": "==", "value": PROJECT}]},
    }
    assert docs[0].metadata["artifact_id"] == "doc_alpha" and docs[0].metadata["collection"] == "capture"


def test_collection_mode_keeps_its_options(shared_api):
    server = MockServer({CHUNKS: captured_chunks(shared_api)})
    retriever = llama(server, collection="capture", artifact_ids=["doc_beta"], k=2, score_threshold=0.5, expand=True)
    retriever.retrieve("revenue growth")
    assert server.bodies() == [
        {
            "type": "semantic_search",
            "text": "revenue growth",
            "context_filter": {"collection": "capture", "artifacts": ["doc_beta"]},
            "limit": 2,
            "score_threshold": 0.5,
            "expand": True,
        }
    ]


def test_no_field_searches_the_default_collection_never_a_project_named_one(shared_api):
    server = MockServer({CHUNKS: captured_chunks(shared_api)})
    langchain(server).invoke("anything")
    assert server.bodies()[0]["context_filter"] == {}


def test_collection_mode_with_a_workspace_token_says_a_gateway_token_is_needed():
    server = MockServer({CHUNKS: httpx.Response(401, content=b"")})
    with pytest.raises(AuthenticationError, match="Gateway token"):
        langchain(server, collection="c1").invoke("anything")


def test_loader_and_reader_retrievers_use_project_mode_unless_a_collection_is_given():
    from langchain_zylon import ZylonProjectLoader
    from llama_index_zylon import ZylonProjectReader

    for owner in (ZylonProjectLoader, ZylonProjectReader):
        project = owner(project_id=PROJECT, base_url=BASE, api_key=TEST_TOKEN)
        plain, scoped = project.as_retriever(k=2), project.as_retriever(collection="c1", k=2)
        assert (plain.project_id, plain.collection) == (PROJECT, None)
        assert (scoped.project_id, scoped.collection) == (PROJECT, "c1")
