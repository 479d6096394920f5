"""Workspace endpoints over loopback (fidelity §7-§10, §12, §15, §18): chat and its
validation, project chat, projects, threads, interactions, artifacts, search, paging,
``/me`` and ``/health``."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import W, client_for, events_of, new_document, new_project, new_thread, rebuild, texts, user
from zylon_core.emulator.testing import run_emulator

KOTLIN = {"type", "status", "message"}


def kotlin(response: httpx.Response, status: int) -> str:
    """The Workspace error body (Kotlin shape, inferred): its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == KOTLIN and body["status"] == status, body
    return body["message"]


def test_one_shot_chat(api: httpx.Client) -> None:
    response = api.post(f"{W}/chat", json={"messages": [user("Draft a status update.")], "max_tokens": 64})
    assert response.status_code == 200
    message = response.json()
    assert set(message) == {"id", "role", "created", "model", "stop_reason", "content", "usage"}
    assert texts(message) == 'You said: "Draft a status update.".'
    assert message["stop_reason"] == "end_turn" and message["usage"] == {"input_tokens": 4, "output_tokens": 6}
    assert set(message["content"][0]) == {"type", "start_timestamp", "stop_timestamp", "text"}


def test_chat_uses_the_history_sent_in_the_request(api: httpx.Client) -> None:
    body = {"messages": [user("My name is Grace."), {"role": "assistant", "content": [{"type": "text", "text": "Hello Grace."}]}, user("What is my name?")]}
    assert texts(api.post(f"{W}/chat", json=body).json()) == "Your name is Grace. This is turn 2 of this conversation."


def test_chat_validate_is_204_when_valid(api: httpx.Client) -> None:
    ok = api.post(f"{W}/chat/validate", json={"messages": [user("hi")]})
    assert ok.status_code == 204 and ok.content == b""
    bad = api.post(f"{W}/chat/validate", json={"messages": [{"role": "user", "content": [{"type": "txt"}]}]})
    assert bad.status_code == 400
    assert [i["type"] for i in bad.json()["detail"]] == ["string_type", "union_tag_invalid"]


def test_chat_refuses_file_blocks_with_the_union_error(api: httpx.Client) -> None:
    block = {"type": "file", "content": "The meeting is on Friday.", "content_type": "text/plain", "doc_metadata": {"file_name": "notes.txt"}}
    response = api.post(f"{W}/chat", json={"messages": [{"role": "user", "content": [block]}]})
    assert response.status_code == 400
    item = response.json()["detail"][1]
    assert item["type"] == "union_tag_invalid" and "Input tag 'file'" in item["msg"] and "'document'" in item["msg"]
    binary = {"type": "binary", "data": "aGVsbG8gYmluYXJ5", "mime_type": "text/plain", "filename": "b.txt"}
    converted = api.post(f"{W}/chat", json={"messages": [{"role": "user", "content": [binary, {"type": "text", "text": "Read it"}]}]}).json()
    assert [b["type"] for b in converted["content"]] == ["server_tool_use", "server_tool_result", "text"]
    assert "hello binary" in texts(converted)


# -- project chat ---------------------------------------------------------------------------------


def test_project_chat_answers_an_interaction(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    doc = new_document(api, pid, "Support", "Billing issues drove 38% of cases.\n\nPriority bugs were resolved within 48 hours.")
    pgpt = {"messages": [user("What drove the billing issues?")], "system": {"citations": {"enabled": True}, "extensions": ["zylon"]}}
    response = api.post(f"{W}/project/{pid}/chat", json={"all_artifacts": True, "pgpt": pgpt})
    assert response.status_code == 200
    interaction = response.json()
    assert interaction["id"].startswith("inter_") and interaction["state"] == "Completed" and "thread_id" not in interaction
    output = interaction["assistant_output"]
    assert [b["type"] for b in output["content"]] == ["server_tool_use", "server_tool_result", "text"]
    source = output["content"][1]["content"][0]["sources"][0]
    assert source["object"] == "context.chunk" and source["document"]["artifact"] == doc["id"]
    assert "Billing issues drove 38% of cases." in texts(output) and output["content"][2]["citations"][0]["index"] == 0
    assert api.get(f"{W}/interaction/{interaction['id']}").json() == interaction
    plain = api.post(f"{W}/project/{pid}/chat", json={"all_artifacts": True, "pgpt": {"messages": [user("What drove the billing issues?")]}}).json()
    result = plain["assistant_output"]["content"][1]
    assert [b["type"] for b in result["content"]] == ["text"]  # no zylon extension: no source block
    missing = api.post(f"{W}/project/{pid}/chat", json={"artifact_ids": ["artifact_nope"], "pgpt": {"messages": [user("x")]}})
    assert "artifact_nope" in kotlin(missing, 404)


def test_project_chat_with_stream_is_processing_until_streamed(api: httpx.Client, project: dict[str, Any]) -> None:
    created = api.post(f"{W}/project/{project['id']}/chat", json={"pgpt": {"messages": [user("Tell me a story")], "stream": True}}).json()
    assert created["state"] == "Processing" and "assistant_output" not in created
    streamed = rebuild(events_of(api.get(f"{W}/interaction/{created['id']}/stream").text))
    stored = api.get(f"{W}/interaction/{created['id']}").json()
    assert stored["state"] == "Completed" and texts(stored["assistant_output"]) == texts(streamed) == 'You said: "Tell me a story".'


@pytest.mark.parametrize("shape", ["message", "sse"])
def test_project_chat_other_shapes(shape: str) -> None:
    with run_emulator(project_chat_shape=shape) as server, client_for(server) as client:
        pid = new_project(client)["id"]
        body = {"pgpt": {"messages": [user("hello")], "stream": True}}
        response = client.post(f"{W}/project/{pid}/chat", json=body)
        if shape == "message":
            assert response.headers["content-type"].startswith("application/json") and texts(response.json()) == 'You said: "hello".'
        else:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert texts(rebuild(events_of(response.text))) == 'You said: "hello".'


def test_always_processing_project_chat() -> None:
    with run_emulator(always_processing=True) as server, client_for(server) as client:
        pid = new_project(client)["id"]
        created = client.post(f"{W}/project/{pid}/chat", json={"pgpt": {"messages": [user("hello")]}}).json()
        assert created["state"] == "Processing"
        assert texts(rebuild(events_of(client.get(f"{W}/interaction/{created['id']}/stream").text))) == 'You said: "hello".'


# -- projects, threads, interactions ------------------------------------------------------------------


def test_projects_crud(api: httpx.Client) -> None:
    created = api.post(f"{W}/project", json={"name": "Customer Insights", "goal": "Trends", "deadline": 1709337600, "visibility": "Private"}).json()
    assert created["deadline"] == "2024-03-02T00:00:00Z"
    assert api.get(f"{W}/project/{created['id']}").json() == created
    updated = api.patch(f"{W}/project/{created['id']}", json={"project_context": "Q1", "is_pinned": True}).json()
    assert updated["project_context"] == "Q1" and updated["is_pinned"] is True
    assert api.delete(f"{W}/project/{created['id']}").status_code == 200
    assert "not found" in kotlin(api.get(f"{W}/project/{created['id']}"), 404)


def interact(api: httpx.Client, thread_id: str, text: str, **extra: Any) -> dict[str, Any]:
    response = api.post(f"{W}/thread/{thread_id}/interaction", json={"thread_id": thread_id, "pgpt": {"messages": [user(text)]}, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_interactions_keep_the_conversation(api: httpx.Client, thread: dict[str, Any]) -> None:
    tid = thread["id"]
    first = interact(api, tid, "My name is Ada Lovelace.")
    assert first["state"] == "Completed" and first["thread_id"] == tid and first["project_id"] == thread["project_id"]
    assert texts(first["assistant_output"]).endswith("This is turn 1 of this thread.")
    second = interact(api, tid, "What is my name?")
    assert texts(second["assistant_output"]) == "Your name is Ada Lovelace. This is turn 2 of this thread."
    assert api.get(f"{W}/interaction/{second['id']}").json() == second
    assert api.delete(f"{W}/interaction/{first['id']}").status_code == 200
    assert "not found" in kotlin(api.get(f"{W}/interaction/{first['id']}"), 404)


def test_paging_by_page_and_by_cursor(api: httpx.Client, thread: dict[str, Any]) -> None:
    tid = thread["id"]
    ids = [interact(api, tid, f"message {i}")["id"] for i in range(5)]
    first = api.get(f"{W}/thread/{tid}/interaction", params={"page": 1, "page_size": 2}).json()
    assert [i["id"] for i in first["data"]] == ids[:2] and first["has_next_page"] and not first["has_previous_page"]
    assert first["total_count"] == 5 and first["next_cursor"] == ids[1] and "previous_cursor" not in first
    third = api.get(f"{W}/thread/{tid}/interaction", params={"page": 3, "page_size": 2}).json()
    assert [i["id"] for i in third["data"]] == ids[4:] and not third["has_next_page"] and third["previous_cursor"] == ids[4]
    after = api.get(f"{W}/thread/{tid}/interaction", params={"after": first["next_cursor"], "page_size": 2}).json()
    assert [i["id"] for i in after["data"]] == ids[2:4]
    before = api.get(f"{W}/thread/{tid}/interaction", params={"before": ids[2], "page_size": 1}).json()
    assert [i["id"] for i in before["data"]] == ids[1:2]
    desc = api.get(f"{W}/thread/{tid}/interaction", params={"page_order": "DESC", "page_size": 10}).json()
    assert [i["id"] for i in desc["data"]] == ids[::-1]
    assert "after" in kotlin(api.get(f"{W}/thread/{tid}/interaction", params={"after": "inter_nope"}), 400)
    assert "page_size" in kotlin(api.get(f"{W}/thread/{tid}/interaction", params={"page_size": "lots"}), 400)


def test_cursor_only_paging_and_requested_total_count() -> None:
    with run_emulator(paging="cursor", total_count="requested") as server, client_for(server) as client:
        thread = new_thread(client, new_project(client)["id"])
        ids = [interact(client, thread["id"], f"m{i}")["id"] for i in range(3)]
        first = client.get(f"{W}/thread/{thread['id']}/interaction", params={"page": 2, "page_size": 2}).json()
        assert [i["id"] for i in first["data"]] == ids[:2] and "total_count" not in first  # page ignored
        rest = client.get(f"{W}/thread/{thread['id']}/interaction", params={"after": first["next_cursor"], "page_size": 2, "total_count": "true"}).json()
        assert [i["id"] for i in rest["data"]] == ids[2:] and rest["total_count"] == 3 and not rest["has_next_page"]


# -- artifacts -----------------------------------------------------------------------------------


def upload(api: httpx.Client, pid: str, content: bytes, props: Any, props_type: str | None = "application/json", **fields: str) -> httpx.Response:
    files: dict[str, Any] = {"fileData": ("notes.txt", content, "text/plain")}
    if props is not None:
        files["props"] = (None, props if isinstance(props, str) else json.dumps(props), props_type)
    return api.post(f"{W}/project/{pid}/artifact", data={"type": "Document", "name": "Upload", **fields}, files=files)


def test_upload_needs_props_that_describe_the_file(api: httpx.Client, project: dict[str, Any]) -> None:
    pid, content = project["id"], b"Uploaded text about invoices."
    props = {"file_name": "notes.txt", "content_type": "text/plain", "content_length": len(content)}
    created = upload(api, pid, content, props)
    assert created.status_code == 200, created.text
    assert created.json()["props"] == props and created.json()["ingest_status"] == "Done"
    assert api.get(f"{W}/project/{pid}/artifact/{created.json()['id']}/parsed-content").text == "Uploaded text about invoices."
    assert upload(api, pid, content, props, props_type=None).status_code == 200  # a text part holding JSON
    assert "props" in kotlin(upload(api, pid, content, None), 400)
    assert "props.content_length" in kotlin(upload(api, pid, content, {"file_name": "n.txt", "content_type": "text/plain"}), 400)
    assert "props.content_length" in kotlin(upload(api, pid, content, {**props, "content_length": 3}), 400)
    assert "props" in kotlin(upload(api, pid, content, "not json"), 400)
    files = {"fileData": ("n.txt", content, "text/plain"), "config": (None, json.dumps(props), "application/json")}
    assert api.post(f"{W}/project/{pid}/artifact", data={"type": "Document", "name": "Alias"}, files=files).status_code == 200


def test_uploads_above_the_limit_are_413() -> None:
    with run_emulator(max_upload_bytes=100) as server, client_for(server) as client:
        pid = new_project(client)["id"]
        content = b"x" * 200
        kotlin(upload(client, pid, content, {"file_name": "n.txt", "content_type": "text/plain", "content_length": 200}), 413)


def test_artifacts_crud_bulk_and_private(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    doc = new_document(api, pid, "Q1 Support Summary", "Ticket volume rose 12% week-over-week.")
    folder = api.post(f"{W}/project/{pid}/artifact", json={"type": "Folder", "name": "Docs", "props": {}}).json()
    sql = {"type": "SqlDatabase", "name": "Sales", "props": {"schemas": ["public"]}, "private_config": {"connection_string": "postgresql://x"}}
    database = api.post(f"{W}/project/{pid}/artifact", json=sql).json()
    assert api.get(f"{W}/project/{pid}/artifact/{database['id']}/private").json() == {"connection_string": "postgresql://x"}
    moved = api.put(f"{W}/project/{pid}/artifact/bulk", json={"artifacts": [{"artifactId": doc["id"], "update": {"parent_id": folder["id"], "description": "Moved."}}]})
    assert moved.status_code == 200 and [(a["id"], a["parent_id"], a["description"]) for a in moved.json()] == [(doc["id"], folder["id"], "Moved.")]
    assert "artifact_nope" in kotlin(api.put(f"{W}/project/{pid}/artifact/bulk", json={"artifacts": [{"artifactId": "artifact_nope", "update": {}}]}), 404)
    updated = api.put(f"{W}/project/{pid}/artifact/{doc['id']}", json={"content": "Q2h1cm4gZmVsbC4="}).json()  # base64 "Churn fell."
    assert updated["props"]["content_length"] == len(b"Churn fell.")
    assert api.get(f"{W}/project/{pid}/artifact/{doc['id']}/parsed-content").text == "Churn fell."
    deleted = api.request("DELETE", f"{W}/project/{pid}/artifact/bulk", json={"artifact_ids": [doc["id"], folder["id"]]})
    assert deleted.json() == [{"id": doc["id"], "state": "Deleted"}, {"id": folder["id"], "state": "Deleted"}]
    kotlin(api.get(f"{W}/project/{pid}/artifact/{doc['id']}"), 404)


def test_download_sync_and_links(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    doc = new_document(api, pid, "Notes", "Raw notes.")
    download = api.get(f"{W}/project/{pid}/artifact/{doc['id']}/download")
    assert download.headers["content-type"].startswith("text/plain") and download.text == "Raw notes."
    with api.stream("POST", f"{W}/project/{pid}/artifact/{doc['id']}/sync", headers={"Accept": "text/event-stream"}) as response:
        body = response.read().decode()
    assert [line[7:] for line in body.splitlines() if line.startswith("event: ")] == ["sync_started", "sync_progress", "sync_completed"]
    check = api.get(f"{W}/resource/is-safe-to-modify", params={"project_id": pid, "artifact_id": doc["id"]})
    assert check.json() == {"has_linked_artifacts": False}
    api.post(f"{W}/project/{pid}/artifact", json={"type": "Link", "name": "L", "props": {"original_artifact_id": doc["id"]}})
    assert api.get(f"{W}/resource/is-safe-to-modify", params={"artifact_id": doc["id"]}).json() == {"has_linked_artifacts": True}


def test_download_as_a_temporary_url() -> None:
    with run_emulator(download="url") as server, client_for(server) as client:
        pid = new_project(client)["id"]
        content = b"File bytes."
        created = upload(client, pid, content, {"file_name": "n.txt", "content_type": "text/plain", "content_length": len(content)}).json()
        url = client.get(f"{W}/project/{pid}/artifact/{created['id']}/download").text
        assert url.startswith("http://127.0.0.1:") and "\n" not in url.strip()
        fetched = httpx.get(url)  # pre-signed: no credentials
        assert fetched.status_code == 200 and fetched.content == content


# -- search -----------------------------------------------------------------------------------------


def test_search(api: httpx.Client) -> None:
    project = new_project(api, "Zebra Research")
    new_document(api, project["id"], "Zebra stripes", "Zebra stripes confuse biting flies.")
    thread = new_thread(api, project["id"], "Zebra questions")
    interact(api, thread["id"], "Why do zebras have stripes?")
    results = api.get(f"{W}/search", params={"q": "zebra stripes"}).json()
    assert isinstance(results, list) and {"Project", "Artifact", "ArtifactContent", "Thread"} <= {r["type"] for r in results}
    assert all(set(r) == {"id", "type", "match", "rank", "metadata"} for r in results)
    meta = {r["type"]: set(r["metadata"]) for r in results}
    assert meta["Project"] == {"entity"} and meta["Artifact"] == meta["ArtifactContent"] == {"name", "type", "project_id", "project_name"}
    assert meta["Thread"] == {"name", "project_id", "project_name"}
    content = next(r for r in results if r["type"] == "ArtifactContent")
    assert content["id"].startswith("content_")
    only = api.get(f"{W}/search", params={"q": "zebra", "types": "Thread,Interaction", "limit": 5}).json()
    assert {r["type"] for r in only} == {"Thread", "Interaction"}
    interaction = next(r for r in only if r["type"] == "Interaction")
    assert set(interaction["metadata"]) == {"content", "thread_id", "project_id", "project_name", "thread_name"}
    legacy_name = api.get(f"{W}/search", params={"q": "zebra", "type": "Thread"}).json()
    assert {r["type"] for r in legacy_name} == {"Thread"}
    assert len(api.get(f"{W}/search", params={"q": "zebra"}).json()) <= 30
    for params, field in [({"q": "ab"}, "q"), ({"q": "x" * 81}, "q"), ({"q": "   "}, "q"), ({}, "q"), ({"q": "zebra", "limit": 1}, "limit"), ({"q": "zebra", "types": "File"}, "types")]:
        assert field in kotlin(api.get(f"{W}/search", params=params), 400)


# -- who am I, health ------------------------------------------------------------------------------


def test_me_and_health(api: httpx.Client, emulator: Any) -> None:
    me = api.get(f"{W}/me").json()
    assert {"id", "org_id", "account_id", "name", "email", "state", "roles", "created_at"} <= set(me)
    assert isinstance(me["created_at"], str) and me["state"] == "Active"
    health = httpx.get(f"{emulator.base_url}/api/health")  # no token
    assert health.status_code == 200 and set(health.json()) == {"status", "uptime", "commit"} and health.json()["status"] == "ok"


def test_tool_loop_across_interactions(api: httpx.Client, thread: dict[str, Any]) -> None:
    """The next turn answers a tool call the server keeps in the thread's history: the
    ``tool_result`` pairs with a ``tool_use`` the request itself does not carry."""
    tid = thread["id"]
    tool = {"name": "magic_function", "description": "Apply a magic function.", "inputSchema": {"type": "object", "properties": {"input": {"type": "integer"}}, "required": ["input"]}}
    asked = api.post(f"{W}/thread/{tid}/interaction", json={"pgpt": {"messages": [user("What is magic_function(3)?")], "tools": [tool]}}).json()
    use = asked["assistant_output"]["content"][0]
    assert asked["assistant_output"]["stop_reason"] == "tool_use" and use["input"] == {"input": 3}
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use["id"], "content": "5"}]}
    answered = api.post(f"{W}/thread/{tid}/interaction", json={"pgpt": {"messages": [result], "tools": [tool]}})
    assert answered.status_code == 201, answered.text
    assert answered.json()["user_input"] == result
    assert texts(answered.json()["assistant_output"]) == "The result of magic_function is 5."
    unknown = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tool_nope", "content": "5"}]}
    refused = api.post(f"{W}/thread/{tid}/interaction", json={"pgpt": {"messages": [unknown]}})
    assert refused.status_code == 400 and "unknown tool use ID: tool_nope" in refused.json()["detail"][0]["msg"]
