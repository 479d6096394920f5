"""The two retrieval modes of ``ZylonRetriever`` in both adapters (fidelity §11, P2.6),
against a stand-in server answering the documented bodies: collection mode (ZylonGPT
chunk search, a project adding a ``project_id`` metadata filter) and project mode (the
Workspace search, kept to the project). No collection is ever derived from a project id."""

from __future__ import annotations

import httpx

from tests.conftest import TEST_TOKEN, load_example
from tests.core.mock_server import BASE, MockServer, json_response

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


async def test_llama_index_project_mode():
    server = MockServer({SEARCH: json_response(200, hits())})
    retriever = llama(server, project_id=PROJECT, similarity_top_k=1)
    (hit,) = retriever.retrieve("billing issues")
    again = await retriever.aretrieve("billing issues")
    assert [(n.node.node_id, n.score) for n in again] == [(hit.node.node_id, hit.score)] == [("content_8f1a3d5c7b9e", 0.84)]
    assert hit.node.get_content() == "Billing issues drove 38% of support cases."
    assert hit.node.metadata["name"] == "Q1 Support Summary"
    shown = hit.node.get_content(metadata_mode="llm")  # type: ignore[arg-type]
    assert "Q1 Support Summary" in shown and "search_result_id" not in shown
