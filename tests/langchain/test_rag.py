"""LangChain RAG: ZylonRetriever, ZylonEmbeddings and ZylonProjectLoader against the
emulator, and chat over the uploaded documents with citations, end to end."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain.agents import create_agent
from langchain_core import exceptions as lc_exceptions
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import create_retriever_tool
from langchain_core.vectorstores import InMemoryVectorStore
from pydantic import ValidationError

from langchain_zylon import ChatZylon, ZylonEmbeddings, ZylonProjectLoader, ZylonRetriever
from tests.conftest import TEST_TOKEN
from tests.fixtures import CORPUS, QUESTIONS, connection, new_project
from zylon_core import AsyncZylonClient, AuthenticationError, ConfigurationError, IngestionError, ZylonClient
from zylon_core.emulator.testing import run_emulator

SECRET = "sk-never-print-me-42"


def search_bodies(server: Any) -> list[dict[str, Any]]:
    return [r["json"] for r in server.requests if r["path"].endswith("/primitives/search")]


# -- ZylonRetriever ------------------------------------------------------------------------


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_retriever_returns_the_matching_chunk_first(emulator, corpus_project, question):
    project, artifacts = corpus_project
    docs = ZylonRetriever(collection=project, k=3, **connection(emulator)).invoke(question)
    assert len(docs) == 3
    assert docs[0].metadata["artifact_id"] == artifacts[QUESTIONS[question]].id
    assert docs[0].page_content in CORPUS[QUESTIONS[question]]


def test_retriever_document_layout(emulator, corpus_project):
    project, artifacts = corpus_project
    (doc,) = ZylonRetriever(collection=project, k=1, **connection(emulator)).invoke("access tokens rotated")
    guide = artifacts["Security policy"]
    assert doc.id == doc.metadata["chunk_id"]
    assert doc.page_content == "Access tokens are rotated every 90 days."
    # What a real server's chunk holds: the file name, artifact and collection (the
    # document's other metadata is not echoed back).
    assert doc.metadata == {
        "file_name": "Security policy.txt",
        "artifact_id": guide.id,
        "collection": project,
        "source": "Security policy.txt",
        "chunk_id": doc.id,
        "score": doc.metadata["score"],
    }
    assert 0 < doc.metadata["score"] <= 1


def test_expand_puts_the_neighbours_in_metadata(emulator, corpus_project):
    project, _ = corpus_project
    (doc,) = ZylonRetriever(collection=project, k=1, expand=True, **connection(emulator)).invoke("access tokens rotated")
    assert doc.page_content == "Access tokens are rotated every 90 days."
    assert doc.metadata["previous_texts"] == ["Customer data never leaves the private instance."]
    assert doc.metadata["next_texts"] == []


def test_per_call_arguments_override_the_fields(emulator, corpus_project):
    project, artifacts = corpus_project
    only = artifacts["Onboarding guide"].id
    retriever = ZylonRetriever(collection=project, k=4, **connection(emulator))
    assert retriever.collection == project
    emulator.clear_requests()
    docs = retriever.invoke("onboarding", k=1, artifact_ids=[only], score_threshold=0.2, expand=True)
    assert [d.metadata["artifact_id"] for d in docs] == [only]
    assert search_bodies(emulator) == [
        {
            "type": "semantic_search",
            "text": "onboarding",
            "context_filter": {"collection": project, "artifacts": [only]},
            "limit": 1,
            "score_threshold": 0.2,
            "expand": True,
        }
    ]
    emulator.clear_requests()
    retriever.invoke("onboarding")
    assert search_bodies(emulator) == [
        {"type": "semantic_search", "text": "onboarding", "context_filter": {"collection": project}, "limit": 4}
    ]
    with pytest.raises(TypeError, match="unexpected search argument"):
        retriever.invoke("onboarding", top_n=2)


def test_score_threshold_drops_weak_chunks(emulator, corpus_project):
    project, _ = corpus_project
    retriever = ZylonRetriever(collection=project, k=6, **connection(emulator))
    everything = retriever.invoke("onboarding checklist")
    strong = retriever.invoke("onboarding checklist", score_threshold=0.3)
    assert len(everything) == 6 and 0 < len(strong) < 6
    assert all(d.metadata["score"] >= 0.3 for d in strong)
    assert strong == everything[: len(strong)]


async def test_async_and_batch_agree_with_invoke(emulator, corpus_project):
    project, _ = corpus_project
    retriever = ZylonRetriever(collection=project, k=2, **connection(emulator))
    questions = sorted(QUESTIONS)
    expected = [retriever.invoke(q) for q in questions]
    assert [await retriever.ainvoke(q) for q in questions] == expected
    assert retriever.batch(questions) == expected
    assert await retriever.abatch(questions) == expected


def test_artifact_ids_restrict_the_search(emulator, corpus_project):
    project, artifacts = corpus_project
    wanted = [artifacts["Security policy"].id]
    docs = ZylonRetriever(collection=project, artifact_ids=wanted, k=5, **connection(emulator)).invoke("billing")
    assert {d.metadata["artifact_id"] for d in docs} == set(wanted)


def test_retriever_validates_its_parameters(emulator):
    with pytest.raises(ValidationError):
        ZylonRetriever(k=0, **connection(emulator))
    with pytest.raises(ValidationError):
        ZylonRetriever(score_threshold=1.5, **connection(emulator))
    with pytest.raises(ValidationError):
        ZylonRetriever(colection="typo", **connection(emulator))
    retriever = ZylonRetriever(**connection(emulator))
    with pytest.raises(ValueError, match="k must be a positive integer"):
        retriever.invoke("x", k=0)


def test_configuration_comes_from_the_environment(monkeypatch):
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="ZYLON_BASE_URL"):
        ZylonRetriever()
    monkeypatch.setenv("ZYLON_BASE_URL", "https://zylon.example.com/")
    with pytest.raises(ConfigurationError, match="ZYLON_API_TOKEN"):
        ZylonRetriever()
    monkeypatch.setenv("ZYLON_API_TOKEN", SECRET)
    monkeypatch.setenv("ZYLON_ORG", "acme")
    retriever = ZylonRetriever(timeout=5, max_retries=0)
    assert (retriever.base_url, retriever.org, retriever.timeout, retriever.max_retries) == ("https://zylon.example.com", "acme", 5, 0)
    assert retriever.api_token.get_secret_value() == SECRET
    assert retriever._client.settings.max_retries == 0
    explicit = ZylonRetriever(base_url="https://other.example.com", api_key="explicit", org="beta")
    assert (explicit.base_url, explicit.api_token.get_secret_value(), explicit.org) == ("https://other.example.com", "explicit", "beta")


@pytest.mark.parametrize("cls", [ZylonRetriever, ZylonEmbeddings])
def test_the_token_is_never_shown(cls):
    obj = cls(base_url="https://zylon.example.com", api_key=SECRET)
    for text in (repr(obj), str(obj), obj.model_dump_json(), str(obj.model_dump())):
        assert SECRET not in text
    assert SECRET not in repr(obj._client) and SECRET not in repr(obj._client._transport)


def _failing(status: int) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"message": "token rejected"})

    return httpx.MockTransport(handler)


async def test_errors_are_zylon_and_langchain_errors():
    retriever = ZylonRetriever(base_url="https://zylon.example.com", api_key=SECRET, max_retries=0)
    retriever._client._transport._client = httpx.Client(transport=_failing(401))
    retriever._aclient._transport._client = httpx.AsyncClient(transport=_failing(401))
    retriever._aclient._transport._owns_client = False
    with pytest.raises(AuthenticationError) as caught:
        retriever.invoke("x")
    assert isinstance(caught.value, lc_exceptions.ModelAuthenticationError)
    assert SECRET not in str(caught.value)
    with pytest.raises(AuthenticationError):
        await retriever.ainvoke("x")


# -- ZylonEmbeddings -----------------------------------------------------------------------


def test_embed_documents_batches_and_keeps_order(emulator):
    embeddings = ZylonEmbeddings(batch_size=2, **connection(emulator))
    texts = ["alpha beta", "gamma", "delta epsilon", "zeta", "eta"]
    emulator.clear_requests()
    vectors = embeddings.embed_documents(texts)
    inputs = [r["json"]["input"] for r in emulator.requests if r["path"].endswith("/embeddings")]
    assert inputs == [texts[0:2], texts[2:4], texts[4:5]]
    assert vectors == [embeddings.embed_query(t) for t in texts]
    assert all(isinstance(x, float) for x in vectors[0])
    emulator.clear_requests()
    assert embeddings.embed_documents([]) == []
    assert emulator.requests == []


async def test_async_embeddings_match_sync(emulator):
    embeddings = ZylonEmbeddings(**connection(emulator))
    texts = list(CORPUS.values())
    assert await embeddings.aembed_documents(texts) == embeddings.embed_documents(texts)
    assert await embeddings.aembed_query("onboarding") == embeddings.embed_query("onboarding")
    assert await embeddings.aembed_documents([]) == []


def test_embeddings_power_a_vector_store(emulator):
    store = InMemoryVectorStore(embedding=ZylonEmbeddings(**connection(emulator)))
    store.add_documents([Document(page_content=text, metadata={"name": name}) for name, text in CORPUS.items()])
    # The emulator's embeddings are hashed bags of words: distinctive words decide.
    for query, name in {
        "billing duplicate charges": "Q1 support summary",
        "onboarding checklist sign-on": "Onboarding guide",
        "access tokens rotated": "Security policy",
    }.items():
        assert store.similarity_search(query, k=1)[0].metadata["name"] == name


# -- ZylonProjectLoader --------------------------------------------------------------------


def test_add_documents_names_them_and_waits(pauses_free_emulator):
    server = pauses_free_emulator
    with ZylonClient(base_url=server.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
    loader = ZylonProjectLoader(project_id=project, poll_interval=0, **connection(server))
    docs = [
        Document(page_content="Walrus migration notes.", metadata={"title": "Walrus"}),
        Document(page_content="Penguin colony census.", metadata={"source": "/data/penguins.md"}),
        Document(page_content="Untitled seal memo."),
    ]
    ids = loader.add_documents(docs)
    with ZylonClient(base_url=server.base_url, api_token=TEST_TOKEN) as client:
        artifacts = [client.artifacts.get(project, i) for i in ids]
    assert [(a.name, a.file_name, a.ingest_status) for a in artifacts] == [
        ("Walrus", "Walrus.txt", "Done"),
        ("penguins.md", "penguins.md", "Done"),
        ("document-3", "document-3.txt", "Done"),
    ]
    # Waiting happened: the retriever (the Workspace search) finds them straight away.
    found = loader.as_retriever(k=1).invoke("penguin colony")
    assert (found[0].page_content, found[0].metadata["name"]) == ("Penguin colony census.", "penguins.md")


@pytest.fixture(scope="module")
def pauses_free_emulator() -> Any:
    """Documents stay Processing for one read: the loader must wait for them."""
    with run_emulator(ingest_reads=1) as server:
        yield server


def test_add_documents_without_waiting(pauses_free_emulator):
    server = pauses_free_emulator
    with ZylonClient(base_url=server.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
        loader = ZylonProjectLoader(project_id=project, wait=False, **connection(server))
        (artifact_id,) = loader.add_documents([Document(page_content="Not yet ingested narwhal text.")])
        assert loader.as_retriever().invoke("narwhal") == []
        client.artifacts.wait_until_ingested(project, artifact_id, poll_interval=0)
        assert loader.as_retriever().invoke("narwhal")[0].metadata["name"] == "document-1"


def test_add_files_load_and_delete(emulator, client, tmp_path):
    project = new_project(client)
    loader = ZylonProjectLoader(project_id=project, poll_interval=0, **connection(emulator))
    first, second = tmp_path / "a.md", tmp_path / "b.txt"
    first.write_text("# A\n\nArmadillo facts.", encoding="utf-8")
    second.write_text("Badger facts.", encoding="utf-8")
    ids = loader.add_files([first, second])
    client.artifacts.create(project, {"type": "Folder", "name": "Not a document"})
    loaded = loader.load()
    assert [(d.id, d.page_content, d.metadata["file_name"], d.metadata["source"]) for d in loaded] == [
        (ids[0], "# A\n\nArmadillo facts.", "a.md", "a.md"),
        (ids[1], "Badger facts.", "b.txt", "b.txt"),
    ]
    assert all(d.metadata["project_id"] == project for d in loaded)
    loader.delete([ids[0]])
    assert [d.id for d in loader.load()] == [ids[1]]
    remaining = loader.as_retriever(k=5).invoke("armadillo badger")
    assert [d.metadata["name"] for d in remaining] == ["b.txt"]


async def test_loader_async_twins(emulator):
    async with AsyncZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        project = (await client.projects.create("Async loader"))["id"]
    loader = ZylonProjectLoader(project_id=project, poll_interval=0, **connection(emulator))
    ids = await loader.aadd_documents([Document(page_content="Async otter notes.", metadata={"title": "Otters"})])
    loaded = [d async for d in loader.alazy_load()]
    assert [(d.id, d.page_content, d.metadata["name"]) for d in loaded] == [(ids[0], "Async otter notes.", "Otters")]
    await loader.adelete(ids)
    assert loader.load() == []


def test_loader_reports_a_failed_ingestion(emulator, client):
    loader = ZylonProjectLoader(project_id=new_project(client), poll_interval=0, **connection(emulator))
    with pytest.raises(IngestionError, match="could not be ingested"):
        loader.add_documents([Document(page_content="")])


def test_as_retriever_reuses_the_connection(emulator):
    loader = ZylonProjectLoader(project_id="proj_x", org="acme", timeout=7, **connection(emulator))
    retriever = loader.as_retriever(k=2)
    assert (retriever.project_id, retriever.collection, retriever.k) == ("proj_x", None, 2)
    assert (retriever.base_url, retriever.org, retriever.timeout) == (emulator.base_url, "acme", 7)
    in_collection = loader.as_retriever(collection="c1", expand=True)
    assert (in_collection.project_id, in_collection.collection, in_collection.expand) == ("proj_x", "c1", True)
    with pytest.raises(ValueError, match="expand=True needs a collection"):
        loader.as_retriever(expand=True)
    assert retriever.api_token.get_secret_value() == TEST_TOKEN


# -- chat over the documents, end to end ---------------------------------------------------


def test_upload_search_and_cited_project_chat(emulator, client):
    project = new_project(client)
    loader = ZylonProjectLoader(project_id=project, poll_interval=0, **connection(emulator))
    ids = loader.add_documents([Document(page_content=t, metadata={"title": n}) for n, t in CORPUS.items()])
    by_name = dict(zip(CORPUS, ids, strict=False))
    question = "What drove billing support cases?"

    # The emulator files a project's chunks in a collection named after the project.
    top = loader.as_retriever(k=1, collection=project).invoke(question)[0]
    llm = ChatZylon(project_id=project, all_artifacts=True, citations=True, **connection(emulator))
    answer = llm.invoke(question)

    assert "Billing issues drove 38%" in answer.text
    sources = answer.response_metadata["sources"]
    assert sources == answer.additional_kwargs["sources"]
    assert sources[0]["document"]["artifact"] == by_name["Q1 support summary"] == top.metadata["artifact_id"]
    assert sources[0]["id"] == top.id
    citations = [a for block in answer.content if isinstance(block, dict) for a in block.get("annotations") or []]
    assert citations and citations[0]["extras"]["artifact_id"] == by_name["Q1 support summary"]
    assert citations[0]["extras"]["source_id"] == top.id and citations[0]["title"] == "Q1 support summary.txt"
    assert citations[0]["cited_text"] == sources[0]["text"] and "<citation" not in answer.text
    # The search ran on the server: its blocks are in the answer, never a pending call.
    assert answer.tool_calls == [] and [b["type"] for b in answer.content][:2] == ["server_tool_use", "server_tool_result"]
    sent = [r for r in emulator.requests if r["path"] == f"/api/v1/app/project/{project}/chat"][-1]["json"]
    assert sent["all_artifacts"] is True and sent["pgpt"]["system"]["citations"] == {"enabled": True}
    assert sent["pgpt"]["system"]["extensions"] == ["zylon"]

    streamed = None
    for chunk in llm.stream(question):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed.response_metadata["sources"][0]["document"]["artifact"] == by_name["Q1 support summary"]
    assert streamed.text == answer.text and not streamed.tool_call_chunks


def test_thread_chat_cites_only_the_chosen_artifacts(emulator, client):
    project = new_project(client)
    ids = ZylonProjectLoader(project_id=project, poll_interval=0, **connection(emulator)).add_documents(
        [Document(page_content=t, metadata={"title": n}) for n, t in CORPUS.items()]
    )
    thread = client.threads.create(project, "RAG thread")
    llm = ChatZylon(thread_id=thread.id, artifact_ids=[ids[1]], citations=True, **connection(emulator))
    answer = llm.invoke("What drove billing support cases?")  # not in the chosen artifact
    assert {s["document"]["artifact"] for s in answer.response_metadata.get("sources") or []} <= {ids[1]}
    answer = llm.invoke("How many days does onboarding take?")
    assert answer.response_metadata["sources"][0]["document"]["artifact"] == ids[1]
    assert answer.response_metadata["thread_id"] == thread.id


def test_builtin_semantic_search_runs_on_the_server(emulator, corpus_project):
    project, artifacts = corpus_project
    llm = ChatZylon(project_id=project, **connection(emulator)).bind_tools([{"type": "semantic_search_v1", "name": "search"}])
    answer = llm.invoke("How often are access tokens rotated?")
    assert answer.tool_calls == []  # run by the server, not pending for the caller
    kinds = [b["type"] for b in answer.content if isinstance(b, dict)]
    assert kinds == ["server_tool_use", "server_tool_result", "text"]
    # The sources the search found are nested in its result (the zylon extension asks for them).
    nested = [b for b in answer.content[1]["content"] if b["type"] == "source"]
    assert nested and nested[0]["sources"] == answer.response_metadata["sources"]
    assert answer.response_metadata["sources"][0]["document"]["artifact"] == artifacts["Security policy"].id
    assert "Access tokens are rotated every 90 days." in answer.text


def test_an_agent_uses_the_retriever_as_a_tool(zylon_env, corpus_project):
    project, artifacts = corpus_project
    tool = create_retriever_tool(
        ZylonRetriever(collection=project, k=2),
        "search_documents",
        "Search the project's documents.",
        response_format="content_and_artifact",
    )
    agent = create_agent(ChatZylon(), [tool])
    result = agent.invoke({"messages": [("user", "How often are access tokens rotated? Use the search_documents tool.")]})
    calls = [m for m in result["messages"] if isinstance(m, AIMessage) and m.tool_calls]
    (tool_message,) = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert calls[0].tool_calls[0]["name"] == "search_documents"
    assert tool_message.artifact[0].metadata["artifact_id"] == artifacts["Security policy"].id
    assert "Access tokens are rotated every 90 days." in result["messages"][-1].text
