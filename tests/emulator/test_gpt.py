"""ZylonGPT endpoints: messages (and Anthropic clients), embeddings, chunk search, ingestion."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_TOKEN
from tests.emulator.conftest import G, W, new_document, new_project
from zylon_core import ZylonClient
from zylon_core.models import ChunkSearchResponse, EmbeddingsResponse, MessageOutput


def test_messages_json_shape(api: httpx.Client) -> None:
    body = {"model": "default", "max_tokens": 32, "messages": [{"role": "user", "content": "Write a status update."}]}
    response = api.post(f"{G}/messages", json=body)
    data = response.json()
    assert set(data) == {"id", "type", "role", "content", "model", "stop_reason", "stop_sequence", "usage"}
    assert (data["type"], data["role"], data["model"], data["stop_reason"], data["stop_sequence"]) == (
        "message", "assistant", "private-gpt", "end_turn", None,
    )
    assert MessageOutput.model_validate(data).content[0].text == 'You said: "Write a status update.".'


def test_messages_accept_anthropic_system_strings(api: httpx.Client) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "system": "You are terse."}
    assert api.post(f"{G}/messages", json=body).status_code == 200
    blocks = {"messages": [{"role": "user", "content": "hi"}], "system": [{"type": "text", "text": "You are terse."}]}
    assert api.post(f"{G}/messages", json=blocks).status_code == 200


def test_anthropic_sdk_can_use_the_emulator(emulator: Any) -> None:
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(base_url=f"{emulator.base_url}/api/gpt", api_key="k", max_retries=0)
    message = client.messages.create(model="any", max_tokens=100, messages=[{"role": "user", "content": "/deltas 5"}])
    assert message.content[0].text == "tok0 tok1 tok2 tok3 tok4" and message.usage.output_tokens == 5
    with client.messages.stream(model="any", max_tokens=100, messages=[{"role": "user", "content": "/deltas 6"}]) as stream:
        deltas = sum(1 for event in stream if event.type == "content_block_delta")
        final = stream.get_final_message()
    assert deltas == 6 and final.content[0].text == "tok0 tok1 tok2 tok3 tok4 tok5" and final.stop_reason == "end_turn"


def test_embeddings(api: httpx.Client, emulator: Any) -> None:
    single = EmbeddingsResponse.model_validate(api.post(f"{G}/embeddings", json={"input": "Billing issues"}).json())
    assert single.object == "list" and len(single.data) == 1 and single.data[0].object == "embedding"
    vector = single.vectors()[0]
    assert len(vector) == emulator.options.embedding_dim
    assert math.isclose(sum(v * v for v in vector), 1.0, rel_tol=1e-4)
    batch = api.post(f"{G}/embeddings", json={"input": ["Billing issues", "Priority bugs", "Billing issues"]}).json()
    assert [d["index"] for d in batch["data"]] == [0, 1, 2]
    vectors = [d["embedding"] for d in batch["data"]]
    assert vectors[0] == vectors[2] == vector and vectors[0] != vectors[1]
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        assert client.embeddings.create(["Billing issues"]).vectors() == [vector]


def test_chunk_search_over_a_project_collection(api: httpx.Client, emulator: Any) -> None:
    project = new_project(api)
    pid = project["id"]
    doc = new_document(api, pid, "Support", "Intro paragraph about the team.\n\nBilling issues drove 38% of cases.\n\nOutro about next steps.")
    other = new_document(api, pid, "Other", "Billing is monthly.")
    body = {"type": "semantic_search", "text": "billing issues", "context_filter": {"collection": pid}, "limit": 5}
    result = ChunkSearchResponse.model_validate(api.post(f"{G}/primitives/search", json=body).json())
    assert result.object == "list"
    top = result.data[0]
    assert top.object == "context.chunk" and top.text == "Billing issues drove 38% of cases."
    assert top.document is not None and top.document.object == "ingest.document" and top.document.artifact == doc["id"]
    assert top.previous_texts is None and top.next_texts is None
    scores = [c.score for c in result.data]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    expanded = api.post(f"{G}/primitives/search", json={**body, "expand": True, "limit": 1}).json()["data"][0]
    assert expanded["previous_texts"] == ["Intro paragraph about the team."] and expanded["next_texts"] == ["Outro about next steps."]
    only_other = api.post(f"{G}/primitives/search", json={**body, "context_filter": {"collection": pid, "artifacts": [other["id"]]}}).json()
    assert {c["document"]["artifact"] for c in only_other["data"]} == {other["id"]}
    strict = api.post(f"{G}/primitives/search", json={**body, "score_threshold": 0.6}).json()["data"]
    assert [c["text"] for c in strict] == ["Billing issues drove 38% of cases."]
    assert api.post(f"{G}/primitives/search", json={**body, "context_filter": {"collection": "nothing"}}).json()["data"] == []
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        assert client.chunks.search("billing issues", collection=pid, limit=1).data[0].text == top.text
    api.delete(f"{W}/project/{pid}/artifact/{doc['id']}")
    after = api.post(f"{G}/primitives/search", json=body).json()["data"]
    assert doc["id"] not in {c["document"]["artifact"] for c in after}


def test_ingest_list_delete_and_messages_over_tool_context(api: httpx.Client) -> None:
    ingest = {
        "collection": "docs-test",
        "artifact": "release_notes",
        "input": {"type": "text", "value": "Release notes: Shipped billing dashboard and fixed three bugs."},
        "metadata": {"file_name": "release_notes.txt", "source": "docs"},
    }
    created = api.post(f"{G}/artifacts/ingest", json=ingest).json()
    assert created["data"][0]["artifact"] == "release_notes" and created["data"][0]["doc_metadata"]["source"] == "docs"
    encoded = {**ingest, "artifact": "file_doc", "input": {"type": "file", "value": "SGVsbG8gZnJvbSBmaWxlIGFydGlmYWN0Lgo="}}
    assert api.post(f"{G}/artifacts/ingest", json=encoded).status_code == 200
    listed = api.get(f"{G}/artifacts/list", params={"collection": "docs-test"}).json()
    assert [d["artifact"] for d in listed["data"]] == ["release_notes", "file_doc"]
    content = api.post(f"{G}/artifacts/content", json={"context_filter": {"collection": "docs-test", "artifacts": ["file_doc"]}}).json()
    assert content == {"data": [{"artifact_id": "file_doc", "content": "Hello from file artifact.\n"}]}
    body = {
        "messages": [{"role": "user", "content": "What did the release ship?"}],
        "tool_context": [{"type": "ingested_artifact", "context_filter": {"collection": "docs-test", "artifacts": ["release_notes"]}}],
        "system": {"citations": {"enabled": True}},
    }
    answer = api.post(f"{G}/messages", json=body).json()
    assert [b["type"] for b in answer["content"]] == ["text", "source"]
    assert "Shipped billing dashboard" in answer["content"][0]["text"]
    assert api.post(f"{G}/artifacts/delete", json={"collection": "docs-test", "artifact": "file_doc"}).status_code == 200
    assert api.post(f"{G}/artifacts/delete", json={"collection": "docs-test", "artifact": "file_doc"}).status_code == 404
