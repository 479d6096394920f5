"""zylon_core's artifacts, Workspace search, embeddings and chunk search resources, against
the emulator (sync and async) and, for what a server may get wrong, a mock transport."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_TOKEN
from tests.fixtures import CORPUS, QUESTIONS, new_project
from zylon_core import (
    APIError,
    AsyncZylonClient,
    IngestionError,
    IngestionTimeoutError,
    NotFoundError,
    ZylonClient,
)
from zylon_core import _transport as transport_module
from zylon_core.emulator.testing import run_emulator
from zylon_core.models import Artifact, CreateArtifact

W = "/api/v1/app"


def posts(server: Any, suffix: str) -> list[dict[str, Any]]:
    return [r for r in server.requests if r["method"] == "POST" and r["path"].endswith(suffix)]


@pytest.fixture(scope="module")
def slow_ingest() -> Any:
    """An emulator whose documents stay Processing for 2 reads."""
    with run_emulator(ingest_reads=2) as server:
        yield server


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses between polls, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(transport_module, "_sleep", recorded.append)

    async def no_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(transport_module, "_async_sleep", no_sleep)
    return recorded


# -- create ------------------------------------------------------------------------------


def test_create_document_uploads_text_as_a_multipart_file(client, project, emulator):
    emulator.clear_requests()
    artifact = client.artifacts.create_document(project, "Release notes", "Shipped the billing dashboard.")
    assert (artifact.type, artifact.name, artifact.file_name, artifact.ingest_status) == (
        "Document",
        "Release notes",
        "Release notes.txt",
        "Done",
    )
    assert artifact.props["content_type"] == "text/plain"
    (request,) = posts(emulator, f"/project/{project}/artifact")
    assert request["headers"]["content-type"].startswith("multipart/form-data; boundary=zylon-")
    assert client.artifacts.parsed_content(project, artifact.id) == "Shipped the billing dashboard."


def test_upload_takes_a_path_bytes_or_an_open_file(client, project, tmp_path):
    path = tmp_path / "guide.md"
    path.write_text("# Guide\n\nOnboarding takes three days.", encoding="utf-8")
    from_path = client.artifacts.upload(project, path)
    from_bytes = client.artifacts.upload(project, b"raw bytes here", file_name="raw.txt", name="Raw")
    from_file = client.artifacts.upload(project, io.BytesIO(b"from a file object"), file_name="obj.txt")
    assert [(a.name, a.file_name) for a in (from_path, from_bytes, from_file)] == [
        ("guide.md", "guide.md"),
        ("Raw", "raw.txt"),
        ("obj.txt", "obj.txt"),
    ]
    assert from_path.props["content_type"] == "text/markdown"
    assert client.artifacts.parsed_content(project, from_file.id) == "from a file object"
    with pytest.raises(ValueError, match="file_name"):
        client.artifacts.upload(project, b"no name")


def test_the_same_upload_is_the_same_request_body(client, project):
    first = client.api.artifact_upload(project, b"same", file_name="same.txt")
    second = client.api.artifact_upload(project, b"same", file_name="same.txt")
    other = client.api.artifact_upload(project, b"other", file_name="same.txt")

    def encoded(call: Any) -> bytes:
        return client._transport.build(httpx.Client(), call).read()

    assert encoded(first) == encoded(second) != encoded(other)


def test_upload_sends_the_optional_fields(client, project, emulator):
    folder = client.artifacts.create(project, CreateArtifact(type="Folder", name="Q1", props={}))
    artifact = client.artifacts.create_document(
        project, "Notes", "Some notes.", description="Weekly notes", parent_id=folder.id, props={"origin": "test"}
    )
    assert (artifact.description, artifact.parent_id, artifact.props["origin"]) == ("Weekly notes", folder.id, "test")
    assert client.artifacts.get(project, folder.id).child_count == 1


def test_create_json_artifacts(client, project):
    folder = client.artifacts.create(project, {"type": "Folder", "name": "Docs"})
    assert (folder.type, folder.ingest_status, folder.ingested) == ("Folder", "NotApplicable", True)
    inline = client.artifacts.create(project, {"type": "InlineText", "name": "Memo", "props": {"content": "An inline memo."}})
    assert inline.ingest_status == "Done"
    assert client.artifacts.parsed_content(project, inline.id) == "An inline memo."


# -- read, list, update, delete ------------------------------------------------------------


def test_get_list_and_iterate_every_page(client, project):
    created = client.artifacts.add_texts(project, ["one", "two", "three"], names=["A", "B", "C"])
    page = client.artifacts.list(project, page_size=2)
    assert [a.name for a in page.data] == ["A", "B"]
    assert page.has_next_page and page.total_count == 3
    assert [a.name for a in client.artifacts.iter_all(project, page_size=1)] == ["A", "B", "C"]
    assert [a.name for a in client.artifacts.iter_all(project, type=["Document"], filter_by_text="b")] == ["B"]
    fetched = client.artifacts.get(project, created[0].id, include_content=True)
    assert (fetched.id, fetched.content) == (created[0].id, "one")
    assert client.artifacts.ingest_status(project, created[1].id) == "Done"


def test_update_replaces_the_searchable_text(client, project):
    artifact = client.artifacts.create_document(project, "Policy", "Tokens rotate yearly.")
    updated = client.artifacts.update(project, artifact.id, name="Policy v2", plain_text_content="Tokens rotate every 90 days.")
    assert updated.name == "Policy v2"
    hits = client.chunks.search("tokens rotate days", collection=project).data
    assert [h.text for h in hits] == ["Tokens rotate every 90 days."]


def test_delete_removes_the_artifact_and_its_chunks(client, project):
    artifact = client.artifacts.create_document(project, "Temp", "Ephemeral zebra facts.")
    assert client.chunks.search("zebra", collection=project).data
    deleted = client.artifacts.delete(project, artifact.id)
    assert (deleted.id, deleted.state) == (artifact.id, "Deleted")
    assert client.chunks.search("zebra", collection=project).data == []
    with pytest.raises(NotFoundError):
        client.artifacts.get(project, artifact.id)


# -- waiting for ingestion -----------------------------------------------------------------


def test_wait_until_ingested_polls_until_done(slow_ingest, pauses):
    with ZylonClient(base_url=slow_ingest.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
        artifact = client.artifacts.create_document(project, "Slow", "Slowly ingested walrus text.")
        assert (artifact.ingest_status, artifact.ingest_pending) == ("Processing", True)
        assert client.chunks.search("walrus", collection=project).data == []  # not searchable yet
        slow_ingest.clear_requests()
        done = client.artifacts.wait_until_ingested(project, artifact, poll_interval=0.5)
        assert (done.id, done.ingest_status, done.state) == (artifact.id, "Done", "Published")
        gets = [r for r in slow_ingest.requests if r["method"] == "GET"]
        assert len(gets) == 3  # Processing, Processing, Done
        assert pauses == [0.5, 0.75]  # backing off between polls
        assert client.chunks.search("walrus", collection=project).data[0].document.artifact == artifact.id


def test_add_texts_waits_for_every_artifact(slow_ingest, pauses):
    with ZylonClient(base_url=slow_ingest.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
        created = client.artifacts.add_texts(project, ["alpha text", "beta text"], names=["Alpha", "Beta"], poll_interval=0)
        assert [(a.name, a.ingest_status) for a in created] == [("Alpha", "Done"), ("Beta", "Done")]
        queued = client.artifacts.add_texts(project, ["gamma text"], wait=False)
        assert [(a.name, a.ingest_status) for a in queued] == [("document-1", "Processing")]


def test_wait_gives_up_after_the_timeout(slow_ingest, pauses):
    with ZylonClient(base_url=slow_ingest.base_url, api_token=TEST_TOKEN) as client:
        project = new_project(client)
        artifact = client.artifacts.create_document(project, "Slow", "Never waited for long enough.")
        with pytest.raises(IngestionTimeoutError, match="still being ingested") as caught:
            client.artifacts.wait_until_ingested(project, [artifact.id], timeout=0)
        assert caught.value.pending == [artifact.id]
        assert isinstance(caught.value, TimeoutError)


def test_a_failed_ingestion_raises(client, project):
    empty = client.artifacts.create_document(project, "Empty", "   ")
    assert (empty.ingest_status, empty.ingest_failed) == ("Error", True)
    with pytest.raises(IngestionError, match="could not be ingested") as caught:
        client.artifacts.wait_until_ingested(project, empty.id)
    assert caught.value.artifact.error == "NoValidNodes"
    with pytest.raises(IngestionError):
        client.artifacts.add_texts(project, ["fine text", ""])


async def test_async_client_shares_every_operation(slow_ingest, pauses):
    async with AsyncZylonClient(base_url=slow_ingest.base_url, api_token=TEST_TOKEN) as client:
        project = (await client.projects.create("Async RAG"))["id"]
        created = await client.artifacts.add_texts(project, list(CORPUS.values()), names=list(CORPUS), poll_interval=0.25)
        assert [a.ingest_status for a in created] == ["Done"] * 3
        assert pauses[:2] == [0.25, 0.375]
        names = [a.name async for a in client.artifacts.iter_all(project, page_size=2)]
        assert names == list(CORPUS)
        uploaded = await client.artifacts.upload(project, b"async bytes", file_name="async.txt")
        done = await client.artifacts.wait_until_ingested(project, uploaded.id, poll_interval=0)
        assert done.ingest_status == "Done"
        assert await client.artifacts.parsed_content(project, uploaded.id) == "async bytes"
        hits = await client.chunks.search("onboarding days", collection=project, limit=1)
        assert hits.data[0].document.artifact == created[1].id
        assert (await client.artifacts.delete(project, uploaded.id)).state == "Deleted"


# -- search --------------------------------------------------------------------------------


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_chunk_search_ranks_the_matching_document_first(client, corpus_project, question):
    project, artifacts = corpus_project
    hits = client.chunks.search(question, collection=project, limit=3).data
    assert hits[0].document.artifact == artifacts[QUESTIONS[question]].id
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_chunk_search_filters_and_expands(client, corpus_project, emulator):
    project, artifacts = corpus_project
    onboarding = artifacts["Onboarding guide"].id
    emulator.clear_requests()
    response = client.chunks.search(
        "checklist roles", collection=project, artifacts=[onboarding], limit=5, score_threshold=0.1, expand=True
    )
    assert posts(emulator, "/primitives/search")[0]["json"] == {
        "type": "semantic_search",
        "text": "checklist roles",
        "context_filter": {"collection": project, "artifacts": [onboarding]},
        "limit": 5,
        "score_threshold": 0.1,
        "expand": True,
    }
    (hit,) = response.data
    assert hit.text.startswith("The onboarding checklist")
    assert hit.previous_texts == ["New customers finish onboarding in 3 days on average."]
    assert hit.next_texts == []


def test_workspace_search_finds_artifacts_and_their_content(client, corpus_project):
    project, artifacts = corpus_project
    results = client.search.query("onboarding checklist", types=["Artifact", "ArtifactContent"], limit=20)
    mine = [r for r in results if (r.metadata or {}).get("project_id") == project]
    assert {r.type for r in mine} == {"Artifact", "ArtifactContent"}
    assert any(r.id == artifacts["Onboarding guide"].id for r in mine)
    assert [r.rank for r in results] == sorted((r.rank for r in results), reverse=True)
    threads = client.search.query("onboarding", types="Thread")
    assert all(r.type == "Thread" for r in threads)


# -- embeddings ----------------------------------------------------------------------------


def test_embed_keeps_order_across_batches(client, emulator):
    texts = [f"text number {n}" for n in range(5)]
    emulator.clear_requests()
    vectors = client.embeddings.embed(texts, batch_size=2)
    batches = [r["json"]["input"] for r in posts(emulator, "/embeddings")]
    assert batches == [texts[0:2], texts[2:4], texts[4:5]]
    assert vectors == [client.embeddings.embed_one(t) for t in texts]
    assert len({tuple(v) for v in vectors}) == 5
    assert client.embeddings.embed([]) == []
    with pytest.raises(ValueError, match="batch_size"):
        client.embeddings.embed(texts, batch_size=0)


def _mock_client(handler: Any) -> ZylonClient:
    client = ZylonClient(base_url="https://zylon.example.com", api_token=TEST_TOKEN)
    client._transport._client = httpx.Client(transport=httpx.MockTransport(handler))
    return client


def test_embeddings_follow_the_servers_index_not_its_list_order():
    def handler(request: httpx.Request) -> httpx.Response:
        inputs = json.loads(request.content)["input"]
        data = [{"index": i, "embedding": [float(i)]} for i in range(len(inputs))]
        return httpx.Response(200, json={"data": list(reversed(data))})

    assert _mock_client(handler).embeddings.embed(["a", "b", "c"]) == [[0.0], [1.0], [2.0]]


def test_a_missing_embedding_is_an_error_not_a_shifted_result():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0]}]})

    with pytest.raises(APIError, match="one vector per input"):
        _mock_client(handler).embeddings.embed(["a", "b"])


def test_delete_accepts_an_empty_answer():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    deleted = _mock_client(handler).artifacts.delete("proj", "art")
    assert (deleted.id, deleted.state) == ("art", "Deleted")


def test_parsed_content_accepts_a_json_string():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json="# Title\n\nBody")

    assert _mock_client(handler).artifacts.parsed_content("proj", "art") == "# Title\n\nBody"


def test_artifact_models_are_returned(client, project):
    artifact = client.artifacts.create_document(project, "Typed", "typed text")
    assert isinstance(artifact, Artifact)
    assert all(isinstance(a, Artifact) for a in client.artifacts.iter_all(project))

