"""``client.collections`` against the captured answers of a real ZylonGPT server (replayed
byte for byte) and against the emulator: the requests it sends are the captured ones, the
answers parse, a vector store's plans (search with metadata, get, delete, refresh) send
the calls they should and nothing twice, and bad input fails before any request."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from tests.conftest import TEST_TOKEN
from tests.replay import ReplayServer
from zylon_core import AsyncZylonClient, BadRequestError, ZylonClient
from zylon_core._collection_ops import NewDocument, content_hash


def _replay(server: ReplayServer) -> ZylonClient:
    return ZylonClient(base_url=server.base_url, api_token="replay-token", max_retries=0)


@pytest.fixture(scope="module")
def _server() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture
def replay(_server: ReplayServer) -> ReplayServer:
    """The module's replay server, with nothing queued or recorded yet."""
    _server.queue.clear()
    _server.requests.clear()
    return _server


def _captured(shared_api: Any, name: str) -> Any:
    return json.loads((shared_api / "captures" / f"{name}.request.json").read_text())


def test_ingest_list_delete_send_the_captured_requests(shared_api, replay):
    alpha = _captured(shared_api, "ingest_text_a")
    server = replay
    with _replay(server) as client:
        server.play("ingest_text_a", "ingest_file_b", "artifacts_list_capture", "artifacts_delete_gamma_with_collection")
        doc = client.collections.ingest("capture", "doc_alpha", text=alpha["input"]["value"], metadata=alpha["metadata"])
        beta = client.collections.ingest(
            "capture", "doc_beta", file=b"Beta memo. The office moves to Lyon in May. Parking is free for staff.",
            metadata={"team": "ops", "year": 2025}, file_name="beta.txt",
        )
        listed = client.collections.list("capture")
        assert client.collections.delete("pgpt_collection", ["doc_gamma"]) == ["doc_gamma"]
    assert server.bodies()[0] == alpha
    assert server.bodies()[1] == _captured(shared_api, "ingest_file_b")
    assert server.bodies()[3] == _captured(shared_api, "artifacts_delete_gamma_with_collection")
    assert [(r["method"], r["path"]) for r in server.requests] == [
        ("POST", "/api/gpt/v1/artifacts/ingest"),
        ("POST", "/api/gpt/v1/artifacts/ingest"),
        ("GET", "/api/gpt/v1/artifacts/list?collection=capture"),
        ("POST", "/api/gpt/v1/artifacts/delete"),
    ]
    assert (doc.artifact, (doc.doc_metadata or {})["hash"]) == ("doc_alpha", content_hash(alpha["input"]["value"]))
    assert beta.artifact == "doc_beta"
    assert [d.artifact for d in listed] == ["doc_beta", "doc_alpha"]


def test_content_and_chunked_content_send_and_read_the_captured_shapes(shared_api, replay):
    server = replay
    with _replay(server) as client:
        server.play("artifacts_content_markdown", "artifacts_content_object", "artifacts_chunked_content")
        (markdown,) = client.collections.content("capture", ["doc_alpha"])
        (tree,) = client.collections.content("capture", ["doc_alpha"], format="object")
        chunked = client.collections.chunked_content("capture", ["doc_alpha", "doc_beta"])
    bodies = server.bodies()
    assert bodies == [
        _captured(shared_api, "artifacts_content_markdown"),
        _captured(shared_api, "artifacts_content_object"),
        _captured(shared_api, "artifacts_chunked_content"),
    ]
    assert markdown.content.startswith("# Alpha report\n\nRevenue grew 20% in Q3")  # type: ignore[union-attr]
    assert isinstance(tree.content, dict) and tree.content["type"] == "DocumentRootNodeV2-v2"
    assert [c.artifact_id for c in chunked] == ["doc_beta", "doc_alpha"]
    assert [block["type"] for block in chunked[1].content] == ["source", "text"]
    assert chunked[1].content[1]["text"].startswith("Citation identifier [IK3U]")


def test_search_with_a_metadata_filter_reads_the_artifacts_metadata(shared_api, replay):
    server = replay
    with _replay(server) as client:
        server.play("search_semantic_metadata", "artifacts_list_capture")
        hits = client.collections.search(
            "capture", "anything", k=5, metadata_filter=[{"key": "team", "operator": "==", "value": "sales"}]
        )
    assert server.bodies()[0] == _captured(shared_api, "search_semantic_metadata")
    assert server.requests[1]["path"] == "/api/gpt/v1/artifacts/list?collection=capture"
    # The root node (no text) is left out; every hit has the metadata the artifact was given.
    assert [h.text for h in hits] == [
        "Supply chain delays may slow Q4 deliveries.\n\n",
        "## Risks\n\n",
        "Revenue grew 20% in Q3, driven by new enterprise leads.\n\n",
        "# Alpha report\n\n",
    ]
    assert {h.artifact_id for h in hits} == {"doc_alpha"}
    assert hits[0].metadata == {"file_name": "alpha.md", "team": "sales", "year": 2024}
    assert hits[0].score == pytest.approx(0.99999996, abs=1e-6)


def test_search_sends_the_client_shape_and_may_skip_the_list(shared_api, replay):
    server = replay
    with _replay(server) as client:
        server.play("search_semantic_client_shape")
        hits = client.collections.search("capture", "revenue growth", k=2, score_threshold=0.5, expand=True, with_metadata=False)
    assert server.bodies() == [_captured(shared_api, "search_semantic_client_shape")]
    assert len(server.requests) == 1
    assert hits[0].previous_texts == ("Beta memo. ", "The office moves to Lyon in May. ", "", "")
    assert hits[0].metadata == {"file_name": "beta.txt"}


def test_get_reads_the_list_then_the_content_of_those_present(shared_api, replay):
    server = replay
    with _replay(server) as client:
        server.play("artifacts_list_capture", "artifacts_content_markdown")
        (doc,) = client.collections.get("capture", ["nope", "doc_alpha"])
    assert server.bodies()[1] == _captured(shared_api, "artifacts_content_markdown")
    assert (doc.artifact_id, doc.metadata) == ("doc_alpha", {"file_name": "alpha.md", "team": "sales", "year": 2024})
    assert doc.text.startswith("# Alpha report")


def test_server_errors_carry_the_servers_explanation(shared_api, replay):
    server = replay
    with _replay(server) as client:
        server.play("ingest_invalid_base64", "artifacts_chunked_content_unknown")
        with pytest.raises(BadRequestError, match="File input requires valid base64 encoded content"):
            client.collections.ingest("capture", "bad", text="x")
        with pytest.raises(BadRequestError, match="artifact=does_not_exist is not initialized"):
            client.collections.chunked_content("capture", ["does_not_exist"])


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda c: c.collections.list(""), "collection must be"),
        (lambda c: c.collections.delete(None, ["a"]), "collection must be"),  # type: ignore[arg-type]
        (lambda c: c.collections.delete("c", "abc"), "got the string"),
        (lambda c: c.collections.add_texts("c", ["a", "b"], ids=["1", "1"]), "repeated"),
        (lambda c: c.collections.add_texts("c", ["a", "b"], [{"a": 1}]), "2 texts but 1 metadatas"),
        (lambda c: c.collections.add_texts("c", ["a", "b"], [{}, {"hash": 1}]), "'hash' is set by the Zylon server"),
        (lambda c: c.collections.ingest("c", "a", file=b"x"), "needs file_name"),
        (lambda c: c.collections.search("c", "q", k=0), "k must be"),
        (lambda c: c.collections.search("c", "q", score_threshold=1.5), "between 0 and 1"),
        (lambda c: c.collections.search("c", "q", metadata_filter=[{"key": "a", "operator": "~"}]), "operator '~'"),
        (lambda c: c.collections.chunked_content("c", max_tokens=0), "max_tokens"),
    ],
)
def test_bad_input_fails_before_any_request(replay, call, problem):
    server = replay
    with _replay(server) as client:
        with pytest.raises(ValueError, match=problem):
            call(client)
    assert server.requests == []


# -- against the emulator ------------------------------------------------------------------


def test_a_collection_round_trip_on_the_emulator(emulator):
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        collection = "core-roundtrip"
        ids = client.collections.add_texts(
            collection,
            ["Invoices are due in 30 days.", "The office moves to Lyon in May."],
            [{"team": "finance", "year": 2024}, {"team": "ops", "year": 2025, "file_name": "memo.md"}],
            ids=["invoices", None],
        )
        assert ids[0] == "invoices" and len(ids[1]) == 36
        (best, *_) = client.collections.search(collection, "when are invoices due", k=2)
        assert (best.artifact_id, best.metadata) == ("invoices", {"team": "finance", "year": 2024})
        only_ops = client.collections.search(collection, "invoices", metadata_filter=[{"key": "year", "operator": ">", "value": 2024}])
        assert {h.artifact_id for h in only_ops} == {ids[1]}
        emulator.clear_requests()
        # Unchanged, changed metadata, new: only the last two are sent.
        sent = client.collections.refresh(
            collection,
            [
                NewDocument("Invoices are due in 30 days.", {"team": "finance", "year": 2024}, "invoices"),
                NewDocument("The office moves to Lyon in May.", {"team": "ops", "year": 2026, "file_name": "memo.md"}, ids[1]),
                NewDocument("Parking is free.", None, "parking"),
            ],
        )
        assert sent == [False, True, True]
        assert [r["path"] for r in emulator.requests] == ["/api/gpt/v1/artifacts/list"] + ["/api/gpt/v1/artifacts/ingest"] * 2
        assert client.collections.delete(collection, ["invoices", "missing"]) == ["invoices"]
        assert sorted(client.collections.delete(collection)) == sorted([ids[1], "parking"])
        assert client.collections.list(collection) == []


async def test_the_async_twins_on_the_emulator(emulator):
    async with AsyncZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        collection = "core-async"
        ids = await client.collections.add(collection, [NewDocument("Tokens rotate every 90 days.", {"topic": "security"}, "sec")])
        (hit,) = await client.collections.search(collection, "token rotation", k=1)
        (doc,) = await client.collections.get(collection, ids)
        (content,) = await client.collections.content(collection)
        (chunked,) = await client.collections.chunked_content(collection, ids)
        listed = await client.collections.list(collection)
        assert await client.collections.refresh(collection, [NewDocument("Tokens rotate every 90 days.", {"topic": "security"}, "sec")]) == [False]
        ingested = await client.collections.ingest(collection, "page", uri="https://example.com/a.html", file_name="a.html")
        assert await client.collections.delete(collection, ["sec", "page"]) == ["sec", "page"]
    assert (hit.artifact_id, hit.metadata) == ("sec", {"topic": "security"})
    assert (doc.text, doc.metadata) == ("Tokens rotate every 90 days.", {"topic": "security"})
    assert content.content == "Tokens rotate every 90 days." and chunked.artifact_id == "sec"
    assert [d.artifact for d in listed] == ["sec"] and ingested.artifact == "page"


def test_the_default_collection_listed_before_and_after_a_delete(shared_api, replay):
    # The server's default collection, named explicitly (the list refuses no collection).
    replay.play("artifacts_list_pgpt_collection", "artifacts_list_default_after_delete")
    with _replay(replay) as client:
        before = client.collections.list("pgpt_collection")
        after = client.collections.list("pgpt_collection")
    assert [d.artifact for d in before][:1] == ["doc_gamma"] and before[0].doc_metadata["collection"] == "pgpt_collection"
    assert after == []
    assert [r["path"] for r in replay.requests] == ["/api/gpt/v1/artifacts/list?collection=pgpt_collection"] * 2
