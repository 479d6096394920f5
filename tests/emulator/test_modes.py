"""The emulator's other servers (fidelity §15, §16, §3): an older Workspace (paths before
Zylon 1.50), a Workspace-only token, and sources tagged the current Workspace document's way."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.conftest import G, W, client_for, events_of, new_document, new_project, new_thread, rebuild, texts, user
from tests.emulator.test_workspace import kotlin
from zylon_core.emulator.testing import run_emulator


def test_legacy_paths_serve_threads_and_interactions_under_the_project() -> None:
    with run_emulator(paths="legacy") as server, client_for(server) as client:
        pid = new_project(client)["id"]
        thread = new_thread(client, pid)
        assert isinstance(thread["created_at"], float)  # a number on the older server
        base = f"{W}/project/{pid}"
        assert client.get(f"{base}/thread/{thread['id']}").json()["id"] == thread["id"]
        created = client.post(f"{base}/interaction", json={"thread_id": thread["id"], "pgpt": {"messages": [user("My name is Ada.")]}})
        assert created.status_code == 201 and isinstance(created.json()["created_at"], float)
        second = client.post(f"{base}/interaction", json={"thread_id": thread["id"], "pgpt": {"messages": [user("What is my name?")], "stream": True}}).json()
        assert second["state"] == "Processing"
        streamed = rebuild(events_of(client.get(f"{base}/interaction/{second['id']}/stream").text))
        assert texts(streamed) == "Your name is Ada. This is turn 2 of this thread."
        listed = client.get(f"{base}/interaction", params={"threadId": thread["id"]}).json()
        assert [i["id"] for i in listed["data"]] == [created.json()["id"], second["id"]]
        assert client.get(f"{base}/interaction/{second['id']}").json()["state"] == "Completed"
        assert "threadId" in kotlin(client.get(f"{base}/interaction"), 400)
        assert "thread_id" in kotlin(client.post(f"{base}/interaction", json={"pgpt": {"messages": [user("x")]}}), 400)
        for path in (f"{W}/thread/{thread['id']}", f"{W}/thread/{thread['id']}/interaction", f"{W}/interaction/{second['id']}"):
            assert "no such endpoint" in kotlin(client.get(path), 404)  # the new paths do not exist yet
        other = new_project(client)["id"]
        kotlin(client.get(f"{W}/project/{other}/thread/{thread['id']}"), 404)
        assert isinstance(client.get(f"{W}/me").json()["created_at"], float)
        third = client.post(f"{base}/interaction", json={"thread_id": thread["id"], "pgpt": {"messages": [user("x")], "stream": True}}).json()
        assert client.post(f"{base}/interaction/{third['id']}/cancel").status_code == 204
        assert client.delete(f"{base}/thread/{thread['id']}").json()["state"] == "Deleted"


def test_both_path_sets_during_a_transition() -> None:
    with run_emulator(paths="both") as server, client_for(server) as client:
        pid = new_project(client)["id"]
        thread = new_thread(client, pid)
        assert client.get(f"{W}/thread/{thread['id']}").status_code == 200
        assert client.get(f"{W}/project/{pid}/thread/{thread['id']}").status_code == 200
        assert isinstance(thread["created_at"], str)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", f"{G}/messages"), ("POST", f"{G}/messages/validate"), ("POST", f"{G}/embeddings"), ("GET", f"{G}/models"), ("POST", f"{G}/primitives/search")],
)
def test_a_workspace_token_does_not_reach_zylongpt(method: str, path: str) -> None:
    with run_emulator(token_kind="workspace") as server, client_for(server) as client:
        response = client.request(method, path, json={"messages": [{"role": "user", "content": "hi"}]})
        assert response.status_code == 401 and response.json() == {"detail": "Unauthorized"}
        assert client.post(f"{W}/chat", json={"messages": [user("hi")]}).status_code == 200  # the Workspace still answers


def test_sources_keyed_by_type_for_the_workspace_document() -> None:
    with run_emulator(source_key="type") as server, client_for(server) as client:
        pid = new_project(client)["id"]
        new_document(client, pid, "Invoices", "Invoices are paid within 30 days.")
        pgpt = {"messages": [user("How are invoices paid?")], "system": {"extensions": ["zylon"]}}
        answer = client.post(f"{W}/project/{pid}/chat", json={"all_artifacts": True, "pgpt": pgpt}).json()["assistant_output"]
        source = answer["content"][1]["content"][0]["sources"][0]
        assert source["type"] == "context.chunk" and "object" not in source


def test_the_default_token_reaches_both(emulator: Any) -> None:
    with httpx.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer t"}) as raw:
        assert raw.get(f"{G}/models").status_code == 200
