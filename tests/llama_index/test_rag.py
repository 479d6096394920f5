"""LlamaIndex RAG: ZylonEmbedding, ZylonRetriever and ZylonProjectReader against the
emulator, query engines over them, and chat over the uploaded documents with citations."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage, CitationBlock
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode, NodeRelationship, NodeWithScore, QueryBundle, TextNode

from llama_index_zylon import Zylon, ZylonEmbedding, ZylonProjectReader, ZylonRetriever
from tests.conftest import TEST_TOKEN
from tests.fixtures import CORPUS, QUESTIONS, connection, new_project
from zylon_core import ConfigurationError, IngestionError, ZylonClient
from zylon_core.emulator.testing import run_emulator

SECRET = "sk-never-print-me-43"


# -- ZylonEmbedding ------------------------------------------------------------------------


def test_embedding_batches_and_keeps_order(emulator):
    model = ZylonEmbedding(embed_batch_size=2, **connection(emulator))
    texts = ["alpha beta", "gamma", "delta epsilon", "zeta", "eta"]
    emulator.clear_requests()
    vectors = model.get_text_embedding_batch(texts)
    inputs = [r["json"]["input"] for r in emulator.requests if r["path"].endswith("/embeddings")]
    assert inputs == [texts[0:2], texts[2:4], texts[4:5]]
    assert vectors == [model.get_text_embedding(t) for t in texts]
    assert model.get_query_embedding("gamma") == vectors[1]
    assert len(vectors[0]) == 64


async def test_async_embedding_matches_sync(emulator):
    model = ZylonEmbedding(**connection(emulator))
    texts = list(CORPUS.values())
    assert await model.aget_text_embedding_batch(texts) == model.get_text_embedding_batch(texts)
    assert await model.aget_query_embedding("tokens") == model.get_query_embedding("tokens")
    assert await model.aget_text_embedding("tokens") == model.get_text_embedding("tokens")


def test_embedding_configuration_and_secrecy(monkeypatch):
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG", "ZYLON_MODEL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="ZYLON_BASE_URL"):
        ZylonEmbedding()
    monkeypatch.setenv("ZYLON_BASE_URL", "https://zylon.example.com/")
    monkeypatch.setenv("ZYLON_API_TOKEN", SECRET)
    model = ZylonEmbedding()
    assert (model.base_url, model.org, model.model_name, model.class_name()) == (
        "https://zylon.example.com",
        "default",
        "default",
        "ZylonEmbedding",
    )
    for text in (repr(model), str(model.to_dict()), model.to_json(), str(model.to_payload())):
        assert SECRET not in text
    assert ZylonEmbedding(api_key="other", model_name="e5").model_name == "e5"


def test_embedding_builds_a_local_vector_index(emulator):
    documents = [Document(text=text, metadata={"name": name}) for name, text in CORPUS.items()]
    index = VectorStoreIndex.from_documents(documents, embed_model=ZylonEmbedding(**connection(emulator)))
    (hit,) = index.as_retriever(similarity_top_k=1).retrieve("access tokens rotated")
    assert hit.node.metadata["name"] == "Security policy"


# -- ZylonRetriever ------------------------------------------------------------------------


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_retriever_returns_nodes_with_scores(emulator, corpus_project, question):
    project, artifacts = corpus_project
    nodes = ZylonRetriever(collection=project, k=3, **connection(emulator)).retrieve(question)
    assert len(nodes) == 3 and all(isinstance(n, NodeWithScore) for n in nodes)
    assert nodes[0].node.metadata["artifact_id"] == artifacts[QUESTIONS[question]].id
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)


def test_node_layout(emulator, corpus_project):
    project, artifacts = corpus_project
    (hit,) = ZylonRetriever(collection=project, similarity_top_k=1, **connection(emulator)).retrieve("access tokens rotated")
    node = hit.node
    policy = artifacts["Security policy"].id
    assert isinstance(node, TextNode)
    assert node.get_content() == "Access tokens are rotated every 90 days."
    assert node.node_id == node.metadata["chunk_id"]
    assert node.relationships[NodeRelationship.SOURCE].node_id == policy
    assert node.ref_doc_id == policy
    assert hit.score == node.metadata["score"] and 0 < hit.score <= 1
    assert node.metadata["file_name"] == "Security policy.txt" and node.metadata["collection"] == project
    # What the LLM sees: the document's own metadata and the text, not ids and scores.
    shown = node.get_content(metadata_mode=MetadataMode.LLM)
    assert "file_name: Security policy.txt" in shown and "chunk_id" not in shown and "score" not in shown


def test_retriever_options_reach_the_request(emulator, corpus_project):
    project, artifacts = corpus_project
    only = artifacts["Onboarding guide"].id
    retriever = ZylonRetriever(collection=project, artifact_ids=[only], k=2, score_threshold=0.1, expand=True, **connection(emulator))
    emulator.clear_requests()
    nodes = retriever.retrieve("onboarding checklist")
    (body,) = [r["json"] for r in emulator.requests if r["path"].endswith("/primitives/search")]
    assert body == {
        "type": "semantic_search",
        "text": "onboarding checklist",
        "context_filter": {"collection": project, "artifacts": [only]},
        "limit": 2,
        "score_threshold": 0.1,
        "expand": True,
    }
    assert {n.node.metadata["artifact_id"] for n in nodes} == {only}
    first = next(n for n in nodes if n.node.get_content().startswith("The onboarding checklist"))
    assert first.node.metadata["previous_texts"] == ["New customers finish onboarding in 3 days on average."]
    assert (retriever.collection, retriever.artifact_ids, retriever.k, retriever.similarity_top_k) == (project, [only], 2, 2)


async def test_async_retrieve_matches_sync(emulator, corpus_project):
    project, _ = corpus_project
    retriever = ZylonRetriever(collection=project, k=2, **connection(emulator))
    for question in QUESTIONS:
        sync = retriever.retrieve(question)
        asynchronous = await retriever.aretrieve(QueryBundle(question))
        assert [(n.node.node_id, n.score) for n in asynchronous] == [(n.node.node_id, n.score) for n in sync]


def test_retriever_rejects_bad_parameters(emulator):
    with pytest.raises(ValueError, match="k must be"):
        ZylonRetriever(k=0, **connection(emulator))
    with pytest.raises(ValueError, match="score_threshold"):
        ZylonRetriever(score_threshold=2, **connection(emulator))
    with pytest.raises(ValueError, match="expand=True needs a collection"):
        ZylonRetriever(project_id="p", expand=True, **connection(emulator))
    with pytest.raises(ValueError, match="artifact_ids needs a collection"):
        ZylonRetriever(project_id="p", artifact_ids=["a"], **connection(emulator))
    retriever = ZylonRetriever(base_url="https://zylon.example.com", api_token=SECRET)
    assert SECRET not in repr(retriever)


def test_query_engine_answers_from_the_retrieved_chunks(zylon_env, corpus_project):
    project, artifacts = corpus_project
    engine = RetrieverQueryEngine.from_args(ZylonRetriever(collection=project, k=2), llm=Zylon())
    response = engine.query("How often are access tokens rotated?")
    assert response.source_nodes[0].node.metadata["artifact_id"] == artifacts["Security policy"].id
    # The emulator echoes its prompt: the retrieved chunk reached the LLM.
    assert "Access tokens are rotated every 90 days." in str(response)
    chat = [r for r in zylon_env.requests if r["path"] == "/api/v1/app/chat"]
    assert chat and "Access tokens are rotated" in str(chat[-1]["json"])


async def test_async_query_engine(zylon_env, corpus_project):
    project, artifacts = corpus_project
    engine = RetrieverQueryEngine.from_args(ZylonRetriever(collection=project, k=1), llm=Zylon())
    response = await engine.aquery("How many days does onboarding take?")
    assert response.source_nodes[0].node.metadata["artifact_id"] == artifacts["Onboarding guide"].id


# -- ZylonProjectReader ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_ingest() -> Any:
    with run_emulator(ingest_reads=1) as server:
        yield server


def test_add_documents_waits_and_names_them(slow_ingest):
    with ZylonClient(base_url=slow_ingest.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
    reader = ZylonProjectReader(project_id=project, poll_interval=0, **connection(slow_ingest))
    ids = reader.add_documents(
        [
            Document(text="Capybara field notes.", metadata={"file_name": "capybara.txt", "file_path": "/x/capybara.txt"}),
            Document(text="Tapir field notes."),
        ]
    )
    loaded = reader.load_data()
    assert [(d.id_, d.text, d.metadata["name"]) for d in loaded] == [
        (ids[0], "Capybara field notes.", "capybara.txt"),
        (ids[1], "Tapir field notes.", "document-2"),
    ]
    (hit,) = reader.as_retriever(k=1).retrieve("tapir")  # the Workspace search: hits name their artifact
    assert (hit.node.metadata["name"], hit.node.metadata["project_id"]) == ("document-2", project)
    assert hit.node.get_content() == "Tapir field notes."


async def test_reader_async_twins_and_files(emulator, tmp_path):
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
    reader = ZylonProjectReader(project_id=project, poll_interval=0, **connection(emulator))
    path = tmp_path / "okapi.md"
    path.write_text("Okapi sightings.", encoding="utf-8")
    file_ids = await reader.aadd_files([path])
    doc_ids = await reader.aadd_documents([Document(text="Gazelle sightings.", metadata={"title": "Gazelles"})])
    loaded = await reader.aload_data()
    assert [(d.id_, d.metadata["file_name"]) for d in loaded] == [(file_ids[0], "okapi.md"), (doc_ids[0], "Gazelles.txt")]
    reader.delete(file_ids)
    assert [d.id_ for d in reader.load_data()] == doc_ids
    assert reader.add_files([path], wait=False)  # returns at once, ids in hand


def test_reader_reports_a_failed_ingestion(emulator):
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
    reader = ZylonProjectReader(project_id=project, poll_interval=0, **connection(emulator))
    with pytest.raises(IngestionError):
        reader.add_documents([Document(text="")])


def test_reader_secrecy_and_retriever_connection(emulator):
    reader = ZylonProjectReader(project_id="proj_y", base_url=emulator.base_url, api_key=SECRET, org="acme")
    for text in (repr(reader), reader.to_json(), str(reader.to_dict())):
        assert SECRET not in text
    retriever = reader.as_retriever(k=3)
    assert (retriever.project_id, retriever.collection, retriever.k, retriever.org) == ("proj_y", None, 3, "acme")
    assert retriever.params.mode == "workspace"
    assert retriever.api_token.get_secret_value() == SECRET
    in_collection = reader.as_retriever(collection="c1", expand=True)
    assert (in_collection.params.mode, in_collection.params.search_kwargs()["metadata_filter"]) == (
        "collection",
        [{"key": "project_id", "operator": "==", "value": "proj_y"}],
    )


# -- chat over the documents, end to end ---------------------------------------------------


def test_upload_search_and_cited_project_chat(emulator):
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
    reader = ZylonProjectReader(project_id=project, poll_interval=0, **connection(emulator))
    ids = reader.add_documents([Document(text=t, metadata={"title": n}) for n, t in CORPUS.items()])
    question = "How many days does onboarding take?"
    # The emulator files a project's chunks in a collection named after the project.
    (top,) = reader.as_retriever(k=1, collection=project).retrieve(question)

    llm = Zylon(project_id=project, all_artifacts=True, citations=True, **connection(emulator))
    response = llm.chat([ChatMessage(role="user", content=question)])
    citations = [b for b in response.message.blocks if isinstance(b, CitationBlock)]
    assert "3 days" in response.message.content
    assert citations and citations[0].source == ids[1] == top.node.ref_doc_id
    assert citations[0].title == "Onboarding guide.txt"
    sources = response.message.additional_kwargs["sources"]
    assert sources[0]["id"] == top.node.node_id

    streamed = list(llm.stream_chat([ChatMessage(role="user", content=question)]))
    last = streamed[-1].message
    assert [b.source for b in last.blocks if isinstance(b, CitationBlock)] == [c.source for c in citations]
    assert last.content == response.message.content


async def test_thread_chat_with_chosen_artifacts(emulator):
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
        reader = ZylonProjectReader(project_id=project, poll_interval=0, **connection(emulator))
        ids = reader.add_documents([Document(text=t, metadata={"title": n}) for n, t in CORPUS.items()])
        thread = client.threads.create(project, "LlamaIndex RAG thread")
    llm = Zylon(thread_id=thread.id, artifact_ids=[ids[2]], citations=True, **connection(emulator))
    response = await llm.achat([ChatMessage(role="user", content="How often are access tokens rotated?")])
    assert {b.source for b in response.message.blocks if isinstance(b, CitationBlock)} == {ids[2]}
    assert "90 days" in response.message.content


def test_builtin_semantic_search_runs_on_the_server(emulator, corpus_project):
    project, artifacts = corpus_project
    llm = Zylon(project_id=project, citations=True, **connection(emulator))
    response = llm.chat_with_tools([{"type": "semantic_search_v1", "name": "search"}], user_msg="How often are access tokens rotated?")
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []  # not the caller's to run
    (server_call,) = response.message.additional_kwargs["server_tool_calls"]
    assert server_call["name"] == "search" and server_call["input"]["query"] == "How often are access tokens rotated?"
    found, listing = server_call["result"]  # the chunks found, and their text as the model read it
    assert "Citation identifier" in listing["text"] and "Access tokens are rotated" in listing["text"]
    policy = artifacts["Security policy"].id
    cited = [b for b in response.message.blocks if isinstance(b, CitationBlock) and "start_index" in b.additional_location_info]
    assert [b.source for b in cited] == [policy] and "90 days" in cited[0].cited_content.text
    assert {s["id"] for s in found["sources"]} == {s["id"] for s in response.message.additional_kwargs["sources"]}
    assert "90 days" in response.message.content and "<citation" not in response.message.content
