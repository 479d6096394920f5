"""Workspace endpoints over loopback: projects, threads, interactions, artifacts, search."""

from __future__ import annotations

from typing import Any

import httpx

from tests.emulator.conftest import W, new_document, new_project, new_thread, texts, user
from zylon_core.models import Interaction, MessageOutput, Page, Thread


def test_one_shot_chat(api: httpx.Client) -> None:
    response = api.post(f"{W}/chat", json={"messages": [user("Draft a status update.")], "max_tokens": 64})
    assert response.status_code == 200
    message = MessageOutput.model_validate(response.json())
    assert message.role == "assistant" and message.id
    assert texts(message) == 'You said: "Draft a status update.".'
    assert message.stop_reason == "end_turn"
    assert message.usage is not None and message.usage.input_tokens == 4 and message.usage.output_tokens == 6


def test_chat_uses_the_history_sent_in_the_request(api: httpx.Client) -> None:
    body = {
        "messages": [
            user("My name is Grace."),
            {"role": "assistant", "content": [{"type": "text", "text": "Hello Grace."}]},
            user("What is my name?"),
        ]
    }
    message = api.post(f"{W}/chat", json=body).json()
    assert texts(message) == "Your name is Grace. This is turn 2 of this conversation."


def test_chat_validate_reports_without_failing(api: httpx.Client) -> None:
    ok = api.post(f"{W}/chat/validate", json={"messages": [user("hi")]})
    assert ok.status_code == 200 and ok.json() == {"valid": True, "errors": None}
    bad = api.post(f"{W}/chat/validate", json={"messages": [{"content": [{"type": "txt"}]}]})
    assert bad.status_code == 200
    report = bad.json()
    assert report["valid"] is False
    assert any("messages[0].content[0].type" in e for e in report["errors"])


def test_projects_crud(api: httpx.Client) -> None:
    created = api.post(f"{W}/project", json={"name": "Customer Insights", "goal": "Trends", "deadline": 1709337600, "visibility": "Private"}).json()
    assert created["deadline"] == "2024-03-02T00:00:00Z"
    assert {"id", "name", "visibility", "default_member_role", "default_role_enabled"} <= set(created)
    assert api.get(f"{W}/project/{created['id']}").json() == created
    updated = api.patch(f"{W}/project/{created['id']}", json={"project_context": "Q1", "is_pinned": True}).json()
    assert updated["project_context"] == "Q1" and updated["is_pinned"] is True
    listed = api.get(f"{W}/project", params={"page_size": 100}).json()
    assert created["id"] in [p["id"] for p in listed["data"]]
    assert api.delete(f"{W}/project/{created['id']}").status_code == 200
    assert api.get(f"{W}/project/{created['id']}").status_code == 404


def test_threads_crud_and_pagination(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    made = [Thread.model_validate(new_thread(api, pid, f"T{i}")) for i in range(5)]
    assert made[0].project_id == pid and made[0].state == "Active" and made[0].created_at
    first = Page[Thread].model_validate(api.get(f"{W}/project/{pid}/thread", params={"page": 1, "page_size": 2}).json())
    last = Page[Thread].model_validate(api.get(f"{W}/project/{pid}/thread", params={"page": 3, "page_size": 2}).json())
    assert [t.name for t in first.data] == ["T0", "T1"]
    assert first.has_next_page and not first.has_previous_page and first.total_count == 5
    assert [t.name for t in last.data] == ["T4"] and not last.has_next_page and last.has_previous_page
    renamed = api.put(f"{W}/thread/{made[0].id}", json={"name": "Renamed", "visibility": "Public"}).json()
    assert renamed["name"] == "Renamed" and renamed["visibility"] == "Public"
    assert api.get(f"{W}/thread/{made[0].id}").json()["name"] == "Renamed"
    deleted = api.delete(f"{W}/thread/{made[1].id}")
    assert deleted.status_code == 200 and deleted.json()["state"] == "Deleted"
    assert api.get(f"{W}/thread/{made[1].id}").status_code == 404


def interact(api: httpx.Client, thread_id: str, text: str, **extra: Any) -> dict[str, Any]:
    response = api.post(f"{W}/thread/{thread_id}/interaction", json={"thread_id": thread_id, "pgpt": {"messages": [user(text)]}, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_interactions_keep_the_conversation(api: httpx.Client, thread: dict[str, Any]) -> None:
    tid = thread["id"]
    first = Interaction.model_validate(interact(api, tid, "My name is Ada Lovelace."))
    assert first.state == "Completed" and first.thread_id == tid and first.project_id == thread["project_id"]
    assert first.user_input is not None and first.user_input.role == "user"
    assert first.assistant_output is not None
    assert texts(first.assistant_output).endswith("This is turn 1 of this thread.")
    second = Interaction.model_validate(interact(api, tid, "What is my name?"))
    assert second.assistant_output is not None
    assert texts(second.assistant_output) == "Your name is Ada Lovelace. This is turn 2 of this thread."
    got = Interaction.model_validate(api.get(f"{W}/interaction/{second.id}").json())
    assert got.assistant_output == second.assistant_output


def test_interaction_list_pages_oldest_first(api: httpx.Client, thread: dict[str, Any]) -> None:
    tid = thread["id"]
    ids = [interact(api, tid, f"message {i}")["id"] for i in range(7)]
    seen: list[str] = []
    page_number = 1
    while True:
        page = Page[Interaction].model_validate(
            api.get(f"{W}/thread/{tid}/interaction", params={"page": page_number, "page_size": 3}).json()
        )
        assert page.total_count == 7
        assert page.has_previous_page == (page_number > 1)
        seen.extend(i.id for i in page.data)
        if not page.has_next_page:
            break
        page_number += 1
    assert page_number == 3
    assert seen == ids
    assert api.delete(f"{W}/interaction/{ids[0]}").status_code == 200
    assert api.get(f"{W}/interaction/{ids[0]}").status_code == 404
    assert api.get(f"{W}/thread/{tid}/interaction").json()["total_count"] == 6


def test_deleting_an_interaction_removes_it_from_the_history(api: httpx.Client, thread: dict[str, Any]) -> None:
    tid = thread["id"]
    said = interact(api, tid, "My pet is a cat.")
    api.delete(f"{W}/interaction/{said['id']}")
    answer = interact(api, tid, "What is my pet?")
    assert texts(answer["assistant_output"]).startswith("I don't know your pet yet.")


def test_artifacts_crud_and_parsed_content(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    doc = new_document(api, pid, "Q1 Support Summary", "Ticket volume rose 12% week-over-week.\n\nBilling issues drove 38% of cases.")
    assert doc["state"] == "Published" and doc["ingest_status"] == "Done" and doc["has_content"] is True
    assert doc["props"]["content_length"] == len("Ticket volume rose 12% week-over-week.\n\nBilling issues drove 38% of cases.")
    inline = api.post(f"{W}/project/{pid}/artifact", json={"type": "InlineText", "name": "Note", "props": {"content": "Remember the onboarding flow."}}).json()
    folder = api.post(f"{W}/project/{pid}/artifact", json={"type": "Folder", "name": "Docs", "props": {}}).json()
    assert folder["ingest_status"] == "NotApplicable"
    listed = api.get(f"{W}/project/{pid}/artifact", params={"page_size": 2}).json()
    assert listed["total_count"] == 3 and listed["has_next_page"] is True
    assert api.get(f"{W}/project/{pid}/artifact/{doc['id']}").json()["name"] == "Q1 Support Summary"
    content = api.get(f"{W}/project/{pid}/artifact/{inline['id']}/parsed-content")
    assert content.headers["content-type"].startswith("text/plain") and content.text == "Remember the onboarding flow."
    updated = api.put(f"{W}/project/{pid}/artifact/{doc['id']}", json={"name": "Final", "plain_text_content": "Churn fell."}).json()
    assert updated["name"] == "Final"
    assert api.get(f"{W}/project/{pid}/artifact/{doc['id']}/parsed-content").text == "Churn fell."
    deleted = api.delete(f"{W}/project/{pid}/artifact/{doc['id']}").json()
    assert deleted["state"] == "Deleted"
    assert api.get(f"{W}/project/{pid}/artifact/{doc['id']}").status_code == 404
    other = new_project(api)
    assert api.get(f"{W}/project/{other['id']}/artifact/{inline['id']}").status_code == 404


def test_multipart_upload_creates_a_document(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    response = api.post(
        f"{W}/project/{pid}/artifact",
        data={"type": "Document", "name": "Upload"},
        files={"fileData": ("notes.txt", b"Uploaded text about invoices.", "text/plain")},
    )
    assert response.status_code == 200, response.text
    artifact = response.json()
    assert artifact["props"]["file_name"] == "notes.txt" and artifact["has_content"] is True
    assert api.get(f"{W}/project/{pid}/artifact/{artifact['id']}/parsed-content").text == "Uploaded text about invoices."


def test_project_chat_answers_from_artifacts_with_sources(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    doc = new_document(api, pid, "Support", "Billing issues drove 38% of cases.\n\nPriority bugs were resolved within 48 hours.")
    body = {"all_artifacts": True, "pgpt": {"messages": [user("What drove the billing issues?")], "system": {"citations": {"enabled": True}}}}
    message = MessageOutput.model_validate(api.post(f"{W}/project/{pid}/chat", json=body).json())
    kinds = [b.type for b in message.content]
    assert kinds == ["text", "source"]
    assert "Billing issues drove 38% of cases." in texts(message)
    source = message.content[1].sources[0]
    assert source.type == "context.chunk" and source.document is not None and source.document.artifact == doc["id"]
    without = api.post(f"{W}/project/{pid}/chat", json={"pgpt": {"messages": [user("What drove the billing issues?")]}}).json()
    assert [b["type"] for b in without["content"]] == ["text"] and "Billing" not in texts(without)
    missing = api.post(f"{W}/project/{pid}/chat", json={"artifact_ids": ["artifact_nope"], "pgpt": {"messages": [user("x")]}})
    assert missing.status_code == 404 and "artifact_nope" in missing.json()["message"]


def test_interaction_with_a_builtin_search_tool(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    new_document(api, pid, "Onboarding", "New customers finish onboarding in three days.")
    tid = new_thread(api, pid)["id"]
    body = {"pgpt": {"messages": [user("How long does onboarding take?")], "tools": [{"name": "semantic_search", "type": "semantic_search_v1"}]}}
    created = Interaction.model_validate(api.post(f"{W}/thread/{tid}/interaction", json=body).json())
    assert created.assistant_output is not None
    kinds = [b.type for b in created.assistant_output.content]
    assert kinds == ["tool_use", "tool_result", "text", "source"]
    use, result = created.assistant_output.content[:2]
    assert result.tool_use_id == use.id
    assert "three days" in texts(created.assistant_output)


def test_search(api: httpx.Client) -> None:
    project = new_project(api, "Zebra Research")
    new_document(api, project["id"], "Zebra stripes", "Zebra stripes confuse biting flies.")
    thread = new_thread(api, project["id"], "Zebra questions")
    results = api.get(f"{W}/search", params={"q": "zebra stripes"}).json()
    types = {r["type"] for r in results}
    assert {"Project", "Artifact", "ArtifactContent", "Thread"} <= types
    assert all(set(r) >= {"id", "type", "match", "rank"} for r in results)
    assert results == sorted(results, key=lambda r: -r["rank"])
    only = api.get(f"{W}/search", params={"q": "zebra", "type": "Thread", "limit": 1}).json()
    assert only == [{"id": thread["id"], "type": "Thread", "match": "Zebra questions", "rank": only[0]["rank"], "metadata": {"name": "Zebra questions", "project_id": project["id"], "project_name": "Zebra Research"}}]
    assert api.get(f"{W}/search", params={"q": "zebra", "type": "Bogus"}).status_code == 400


def test_tool_loop_across_interactions(api: httpx.Client, thread: dict[str, Any]) -> None:
    tid = thread["id"]
    tool = {"name": "magic_function", "description": "Apply a magic function.", "inputSchema": {"type": "object", "properties": {"input": {"type": "integer"}}, "required": ["input"]}}
    asked = api.post(f"{W}/thread/{tid}/interaction", json={"pgpt": {"messages": [user("What is magic_function(3)?")], "tools": [tool]}}).json()
    use = asked["assistant_output"]["content"][0]
    assert asked["assistant_output"]["stop_reason"] == "tool_use" and use["input"] == {"input": 3}
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use["id"], "content": [{"type": "text", "text": "5"}]}]}
    answered = api.post(f"{W}/thread/{tid}/interaction", json={"pgpt": {"messages": [result], "tools": [tool]}}).json()
    assert answered["user_input"] == result
    assert texts(answered["assistant_output"]) == "The result of magic_function is 5."
