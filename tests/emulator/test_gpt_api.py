"""ZylonGPT routes besides ``/messages`` (fidelity §7, §11, §14, Part 2): validate,
models, count_tokens, async messages, embeddings, chunk search and artifacts, each
compared with the real server's capture."""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

import httpx
import pytest

from tests.emulator.conftest import (
    G,
    W,
    assert_events_like,
    assert_shape,
    client_for,
    events_of,
    ingest,
    new_document,
    new_project,
    rebuild,
)
from zylon_core.emulator.testing import run_emulator


@pytest.fixture(scope="module")
def gpt(captures: Any) -> Iterator[httpx.Client]:
    with run_emulator() as server, client_for(server) as client:
        for name in ("ingest_text_a", "ingest_file_b"):
            assert client.post(f"{G}/artifacts/ingest", json=captures(name).request).status_code == 200
        yield client


# -- validate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["validate_ok", "validate_ok_client_shape"])
def test_validate_accepts(name: str, gpt: httpx.Client, captures: Any) -> None:
    response = gpt.post(f"{G}/messages/validate", json=captures(name).request)
    assert response.status_code == 200 and response.json() == captures(name).response == {"valid": True, "errors": None}


def test_validate_refuses_what_cannot_run_with_valid_false(gpt: httpx.Client) -> None:
    unknown = gpt.post(f"{G}/messages/validate", json={"model": "nope", "messages": [{"role": "user", "content": "x"}]})
    assert unknown.status_code == 400
    assert unknown.json() == {"valid": False, "errors": ["Model 'nope' not found. Available: {'default', 'emulator'}"]}
    schema = gpt.post(f"{G}/messages/validate", json={"messages": [{"role": "user", "content": "x"}], "temperature": 2})
    assert schema.status_code == 400 and schema.json()["type"] == "error"  # the envelope, not {valid}


# -- models, count_tokens, complete --------------------------------------------------------------


def test_models(gpt: httpx.Client, captures: Any) -> None:
    listed = gpt.get(f"{G}/models").json()
    assert_shape(listed, captures("models_list").response)
    assert [m["id"] for m in listed["data"]] == ["emulator"] and listed["first_id"] == listed["last_id"] == "emulator"
    assert "default" not in [m["id"] for m in listed["data"]]  # accepted by /messages, not listed
    one = gpt.get(f"{G}/models/emulator").json()
    assert_shape(one, captures("models_get_mock").response)
    assert one["capabilities"]["image_input"] == {"supported": False, "maximum": 0}
    unknown = gpt.get(f"{G}/models/nope")
    assert unknown.status_code == 400 and unknown.json()["detail"] == "Model config 'nope' not found. Available: ['emulator']"


def test_count_tokens(gpt: httpx.Client, captures: Any) -> None:
    for name in ("count_tokens_simple", "count_tokens_tools_system", "C_count_tokens"):
        counted = gpt.post(f"{G}/messages/count_tokens", json={**captures(name).request, "model": "default"}).json()
        assert_shape(counted, captures(name).response) and counted["input_tokens"] > 0
    body = {"messages": [{"role": "user", "content": "Count tokens for this input."}]}
    answered = gpt.post(f"{G}/messages", json=body).json()
    assert gpt.post(f"{G}/messages/count_tokens", json=body).json()["input_tokens"] == answered["usage"]["input_tokens"]


def test_legacy_complete(gpt: httpx.Client, captures: Any) -> None:
    real = captures("complete_legacy")
    ours = gpt.post(f"{G}/complete", json=real.request).json()
    assert_shape(ours, real.response)
    assert ours["completion"] == 'You said: "Hi".' and re.fullmatch(r"compl_[0-9a-f]{32}", ours["id"])


# -- async messages ---------------------------------------------------------------------------


def test_async_message_lifecycle(gpt: httpx.Client, captures: Any) -> None:
    created = gpt.post(f"{G}/messages/async", json={**captures("async_create").request, "model": "default"}).json()
    assert_shape(created, captures("async_create").response)
    message_id = created["message_id"]
    assert created["status"] == "pending" and re.fullmatch(r"[0-9a-f-]{36}", message_id)
    status = gpt.get(f"{G}/messages/async/{message_id}/status").json()
    assert_shape(status, captures("async_status").response)
    assert status["status"] == "completed" and status["metadata"] == {"message_count": 1, "thinking_enabled": False}
    for _ in range(2):  # the whole stream, every time
        events = events_of(gpt.get(f"{G}/messages/async/{message_id}/stream").text)
        assert_events_like(events, captures("C_async_stream").events)
        assert events[0]["type"] == "message_start" and events[0]["message"]["id"] != message_id
        assert rebuild(events)["content"][-1]["text"] == 'You said: "Async hello".'
    deleted = gpt.delete(f"{G}/messages/async/{message_id}/delete")
    assert deleted.status_code == 200 and deleted.json() is None
    gone = gpt.get(f"{G}/messages/async/{message_id}/status")
    assert gone.status_code == 404 and gone.json() == {"detail": f"Stream with message_id {message_id} not found"}
    assert gpt.get(f"{G}/messages/async/{message_id}/stream").status_code == 404


def test_async_with_a_chosen_id_cancel_and_citations(gpt: httpx.Client, captures: Any) -> None:
    custom = gpt.post(f"{G}/messages/async", params={"message_id": "capture_msg_1"}, json={"messages": [{"role": "user", "content": "Async 2"}]})
    assert custom.json() == captures("async_create_custom_id").response
    cancelled = gpt.post(f"{G}/messages/async/capture_msg_1/cancel")
    assert cancelled.status_code == 200 and cancelled.json() == captures("async_cancel_finished").response
    rag = gpt.post(f"{G}/messages/async", json=captures("C_async_create").request).json()
    events = events_of(gpt.get(f"{G}/messages/async/{rag['message_id']}/stream").text)
    assert_events_like(events, captures("C_async_stream").events)
    answer = rebuild(events)["content"][-1]["text"]
    assert f"correlation_id='{rag['message_id']}'" in answer  # the async id, as captured


# -- embeddings ---------------------------------------------------------------------------------


def test_embeddings_repeat_the_index_of_equal_vectors(gpt: httpx.Client, captures: Any, emulator: Any) -> None:
    single = gpt.post(f"{G}/embeddings", json=captures("embeddings_single").request).json()
    assert_shape(single, captures("embeddings_single").response)
    vector = single["data"][0]["embedding"]
    assert math.isclose(sum(v * v for v in vector), 1.0, rel_tol=1e-4)
    batch = gpt.post(f"{G}/embeddings", json={"input": ["Billing issues", "Priority bugs", "Billing issues"]}).json()
    assert [d["index"] for d in batch["data"]] == [0, 1, 0]
    same = gpt.post(f"{G}/embeddings", json=captures("embeddings_batch_with_model").request).json()
    assert [d["index"] for d in same["data"]] == [d["index"] for d in captures("embeddings_batch_with_model").response["data"]] == [0, 0]
    empty = gpt.post(f"{G}/embeddings", json={"input": []})
    assert empty.status_code == 200 and empty.json() == captures("embeddings_empty_list").response
    with run_emulator(embedding_index="position") as server, client_for(server) as client:
        numbered = client.post(f"{G}/embeddings", json={"input": ["a", "b", "a"]}).json()
        assert [d["index"] for d in numbered["data"]] == [0, 1, 2]


# -- chunk search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["search_semantic_collection", "search_semantic_client_shape", "search_semantic_artifacts", "search_semantic_metadata", "search_semantic_no_filter_fields"]
)
def test_chunk_search(name: str, gpt: httpx.Client, captures: Any) -> None:
    real = captures(name)
    if name == "search_semantic_no_filter_fields":
        ingest(gpt, "pgpt_collection", "doc_default", "anything at all goes here")
    body = real.request
    if name == "search_semantic_client_shape":  # the mock embeddings scored everything 1.0; ours need the words
        body = {**body, "text": "Revenue grew 20% in Q3, driven by new enterprise leads."}
    ours = gpt.post(f"{G}/primitives/search", json=body).json()
    assert ours["data"], name
    assert_shape(ours, real.response)
    artifacts = {c["document"]["artifact"] for c in ours["data"]}
    if name == "search_semantic_artifacts":
        assert artifacts == {"doc_beta"}
    if name == "search_semantic_metadata":  # team == sales: only alpha
        assert artifacts == {"doc_alpha"}
    if name == "search_semantic_client_shape":  # expand fills the neighbours
        assert any(c["previous_texts"] or c["next_texts"] for c in ours["data"])


def test_metadata_filter_operators(gpt: httpx.Client) -> None:
    def found(operator: str, value: Any) -> set[str]:
        flt = [{"key": "year", "operator": operator, "value": value}]
        body = {"type": "semantic_search", "text": "anything", "context_filter": {"collection": "capture", "metadata_filter": flt}}
        return {c["document"]["artifact"] for c in gpt.post(f"{G}/primitives/search", json=body).json()["data"]}

    assert found("==", "2024") == {"doc_alpha"} and found("!=", "2024") == {"doc_beta"}
    assert found(">", "2024") == {"doc_beta"} and found("<=", "2025") == {"doc_alpha", "doc_beta"}
    assert found("in", ["2024", "2026"]) == {"doc_alpha"} and found("nin", "2024") == {"doc_beta"}


def test_workspace_documents_carry_project_and_org_metadata(api: httpx.Client) -> None:
    project = new_project(api)
    doc = new_document(api, project["id"], "Refunds", "Refunds are processed within five business days.")
    flt = [{"key": "project_id", "operator": "==", "value": project["id"]}]
    # The collection is the emulator's convention (the project id); the metadata is what a client can rely on.
    body = {"type": "semantic_search", "text": "refunds", "context_filter": {"collection": project["id"], "metadata_filter": flt}}
    hits = api.post(f"{G}/primitives/search", json=body).json()["data"]
    assert [h["document"]["artifact"] for h in hits] == [doc["id"]]
    org = [{"key": "org_id", "operator": "==", "value": "default"}]
    assert api.post(f"{G}/primitives/search", json={**body, "context_filter": {"collection": project["id"], "metadata_filter": org}}).json()["data"]
    listed = api.get(f"{G}/artifacts/list", params={"collection": project["id"]}).json()["data"]
    assert listed[0]["doc_metadata"]["project_id"] == project["id"] and listed[0]["doc_metadata"]["org_id"] == "default"


# -- artifacts ------------------------------------------------------------------------------------


def test_ingest_list_content_delete(gpt: httpx.Client, captures: Any) -> None:
    created = gpt.post(f"{G}/artifacts/ingest", json=captures("ingest_text_default_collection").request).json()
    assert_shape(created, captures("ingest_text_default_collection").response)
    listed = gpt.get(f"{G}/artifacts/list", params={"collection": "capture"}).json()
    assert_shape(listed, captures("artifacts_list_capture").response)
    assert {d["artifact"] for d in listed["data"]} == {"doc_alpha", "doc_beta"}
    markdown = gpt.post(f"{G}/artifacts/content", json=captures("artifacts_content_markdown").request).json()
    assert_shape(markdown, captures("artifacts_content_markdown").response)
    assert markdown["data"][0]["content"].startswith("# Alpha report")
    tree = gpt.post(f"{G}/artifacts/content", json=captures("artifacts_content_object").request).json()
    assert tree["data"][0]["content"]["type"] == "DocumentRootNodeV2-v2"
    assert tree["data"][0]["content"]["children"][0]["type"] == "SectionNode-v1"
    chunked = gpt.post(f"{G}/artifacts/chunked-content", json=captures("artifacts_chunked_content").request).json()
    assert_shape(chunked, captures("artifacts_chunked_content").response)
    readers = gpt.get(f"{G}/artifacts/readers").json()
    assert ".txt" in readers["data"]["text"]["extensions"]
    gamma = captures("artifacts_delete_gamma_with_collection")
    ingest(gpt, "pgpt_collection", "doc_gamma", "gamma")
    deleted = gpt.post(f"{G}/artifacts/delete", json=gamma.request)
    assert deleted.status_code == 200 and deleted.json() is None and gamma.response is None
    assert "doc_gamma" not in {d["artifact"] for d in gpt.get(f"{G}/artifacts/list", params={"collection": "pgpt_collection"}).json()["data"]}


def test_messages_over_a_workspace_project_through_tool_context(api: httpx.Client) -> None:
    project = new_project(api)
    new_document(api, project["id"], "Release", "Release notes: shipped the billing dashboard and fixed three bugs.")
    context = [{"type": "ingested_artifact", "context_filter": {"collection": project["id"]}}]
    body = {
        "messages": [{"role": "user", "content": "What did the release ship?"}],
        "tools": [{"name": "semantic_search", "type": "semantic_search_v1", "context": context}],
        "system": {"citations": {"enabled": True}},
    }
    answer = api.post(f"{G}/messages", json=body).json()
    assert [b["type"] for b in answer["content"]] == ["server_tool_use", "server_tool_result", "text"]
    assert "billing dashboard" in answer["content"][-1]["text"] and answer["content"][-1]["citations"]
    assert api.get(f"{W}/project/{project['id']}").status_code == 200
