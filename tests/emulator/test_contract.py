"""Every documented request body for an endpoint the emulator serves is accepted, and the
answers have the documented keys (and the OpenAPI documents' required fields).

Placeholders (``{threadID}``, ``{artifactID}``, ``{collectionID}``,
``<BASE64_IMAGE_DATA>``) are replaced by ids created here and by a valid base64 image. The
docs describe a model that reads images, so the emulator here takes them
(``image_input=True``; the captured servers refuse them, see test_gpt_errors).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.conftest import example_names, load_example
from tests.emulator.conftest import G, W, client_for, events_of, new_document, new_project, new_thread, rebuild
from zylon_core.emulator.testing import run_emulator

PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

# example -> (method, path template, what the answer is)
SERVED: dict[str, tuple[str, str, str]] = {
    "chat.01.request.json": ("POST", f"{W}/chat", "message"),
    "chat.03.request.json": ("POST", f"{W}/chat/validate", "no_content"),
    "threads.17.request.json": ("POST", f"{W}/chat", "message"),
    "threads.19.request.json": ("POST", f"{W}/chat/validate", "no_content"),
    "interactions.01.request.json": ("POST", f"{W}/thread/{{threadID}}/interaction", "interaction"),
    "threads.01.request.json": ("POST", f"{W}/thread/{{threadID}}/interaction", "interaction"),
    "threads.04.request.json": ("POST", f"{W}/thread/{{threadID}}/interaction", "interaction"),
    "threads.05.request.json": ("POST", f"{W}/project/{{projectID}}/thread", "thread"),
    "threads.08.request.json": ("PUT", f"{W}/thread/{{threadID}}", "thread"),
    "threads.09.request.json": ("PUT", f"{W}/thread/{{threadID}}", "thread"),
    "projects.01.request.json": ("POST", f"{W}/project", "project"),
    "projects.05.request.json": ("PUT", f"{W}/project/{{projectID}}", "project"),
    "projects.07.request.json": ("PATCH", f"{W}/project/{{projectID}}", "project"),
    "projects.17.request.json": ("PATCH", f"{W}/project/{{projectID}}", "project"),
    "projects.19.request.json": ("POST", f"{W}/project/{{projectID}}/chat", "project_chat"),
    "messages.01.request.json": ("POST", f"{G}/messages", "gpt_message"),
    "messages.02.request.json": ("POST", f"{G}/messages", "gpt_message"),
    "messages.04.request.json": ("POST", f"{G}/messages/validate", "validation"),
    "messages.06.request.json": ("POST", f"{G}/messages", "gpt_message"),
    "messages.08.request.json": ("POST", f"{G}/messages", "gpt_message"),
    "messages.10.request.json": ("POST", f"{G}/messages", "gpt_message"),
    "messages.12.request.json": ("POST", f"{G}/messages", "gpt_stream"),
    "messages.16.request.json": ("POST", f"{G}/messages", "gpt_message"),
    "async-messages.01.request.json": ("POST", f"{G}/messages", "gpt_message"),
    "custom-tools.01.request.json": ("POST", f"{G}/messages/validate", "validation"),
    "embeddings.01.request.json": ("POST", f"{G}/embeddings", "embeddings"),
    "embeddings.03.request.json": ("POST", f"{G}/embeddings", "embeddings"),
    "gpt-artifacts.01.request.json": ("POST", f"{G}/artifacts/ingest", "ingest"),
    "gpt-artifacts.11.request.json": ("POST", f"{G}/artifacts/content", "content"),
    "gpt-artifacts.13.request.json": ("POST", f"{G}/artifacts/chunked-content", "content"),
    "gpt-artifacts.15.request.json": ("POST", f"{G}/artifacts/delete", "null"),
    "workspace-artifacts.39.request.json": ("PUT", f"{W}/project/{{projectID}}/artifact/bulk", "bulk"),
    "workspace-artifacts.41.request.json": ("DELETE", f"{W}/project/{{projectID}}/artifact/bulk", "bulk"),
    "workspace-artifacts.27.request.json": ("PUT", f"{W}/project/{{projectID}}/artifact/{{artifactID}}", "artifact"),
}
for _n in (3, 5, 7, 9, 11, 13, 15, 17, 19, 21):
    SERVED[f"workspace-artifacts.{_n:02d}.request.json"] = ("POST", f"{W}/project/{{projectID}}/artifact", "artifact")

NOT_SERVED = {
    "gpt-artifacts.03.request.json": "async ingestion (/artifacts/ingest/async)",
    "gpt-artifacts.04.request.json": "async ingestion (/artifacts/ingest/async)",
    "gpt-artifacts.05.request.json": "async ingestion (/artifacts/ingest/async)",
    "gpt-artifacts.17.request.json": "async deletion (/artifacts/delete/async)",
    "projects.13.request.json": "project ownership transfer",
}


@pytest.fixture(scope="module")
def docs_server() -> Iterator[Any]:
    with run_emulator(image_input=True) as server:
        yield server


@pytest.fixture
def api(docs_server: Any) -> Iterator[httpx.Client]:
    with client_for(docs_server) as client:
        yield client


@pytest.fixture(scope="module")
def ids(docs_server: Any) -> Iterator[dict[str, str]]:
    with client_for(docs_server) as api:
        project = new_project(api, "Contract")
        document = new_document(api, project["id"], "Q1 Support Summary", "Ticket volume rose 12% week-over-week.\n\nBilling issues drove 38% of cases.")
        thread = new_thread(api, project["id"], "Weekly Support Brief")
        api.post(f"{G}/artifacts/ingest", json={"collection": "contract", "artifact": "contract_doc", "input": {"type": "text", "value": "x"}})
        yield {
            "projectID": project["id"],
            "threadID": thread["id"],
            "artifactID": document["id"],
            "collectionID": "contract",
        }


def fill(value: Any, ids: dict[str, str]) -> Any:
    text = json.dumps(value)
    for key, real in ids.items():
        text = text.replace("{" + key + "}", real)
    return json.loads(text.replace("<BASE64_IMAGE_DATA>", PIXEL))


def schema(shared: Path, document: str, name: str) -> dict[str, Any]:
    return json.loads((shared / document).read_text())["components"]["schemas"][name]


def test_every_request_example_is_classified(shared_api: Path) -> None:
    names = set(example_names("*.request.json"))
    assert names, "no request examples found"
    assert names == set(SERVED) | set(NOT_SERVED), "a new request example needs an entry in SERVED or NOT_SERVED"


def doc_ids(api: httpx.Client, project_id: str) -> dict[str, str]:
    """Fresh artifacts for the bulk examples' literal ids."""
    document = new_document(api, project_id, "Bulk doc", "Bulk.")
    folder = api.post(f"{W}/project/{project_id}/artifact", json={"type": "Folder", "name": "Q1", "props": {}}).json()
    link = api.post(f"{W}/project/{project_id}/artifact", json={"type": "Link", "name": "L", "props": {"original_artifact_id": document["id"]}}).json()
    return {"artifact_doc_q1": document["id"], "artifact_folder_q1": folder["id"], "artifact_link_q1": link["id"]}


@pytest.mark.parametrize("name", sorted(SERVED))
def test_request_example_is_accepted(name: str, api: httpx.Client, ids: dict[str, str], shared_api: Path) -> None:
    method, template, kind = SERVED[name]
    body = fill(load_example(name), ids)
    if name == "gpt-artifacts.15.request.json":  # delete what the fixture ingested, once
        body = {"collection": "contract", "artifact": "contract_doc"}
        api.post(f"{G}/artifacts/ingest", json={**body, "input": {"type": "text", "value": "again"}})
    if kind == "bulk":
        body = json.loads(_replace(json.dumps(body), doc_ids(api, ids["projectID"])))
    response = api.request(method, fill(template, ids), json=body)
    assert response.status_code in (200, 201, 204), f"{name}: {response.status_code} {response.text}"
    answer = response.json() if kind not in ("gpt_stream", "no_content") else None
    if kind in ("message", "project_chat"):
        message = answer["assistant_output"] if kind == "project_chat" else answer
        if kind == "project_chat":
            assert answer["state"] == "Completed" and answer["id"].startswith("inter_")
        assert message["role"] == "assistant" and message["content"]
        assert {"id", "role", "created", "model", "stop_reason", "content", "usage"} <= set(message)
    elif kind == "gpt_message":
        assert answer["type"] == "message" and answer["stop_reason"] in ("end_turn", "max_tokens", "tool_use")
        assert answer["usage"]["input_tokens"]
        if name == "messages.06.request.json":
            assert answer["content"][-1]["text"] == "Ada"
        if name == "messages.10.request.json":
            assert set(json.loads(answer["content"][-1]["text"])) == {"status", "next_step"}
    elif kind == "gpt_stream":
        assert response.headers["content-type"].startswith("text/event-stream")
        assert rebuild(events_of(response.text))["content"]
    elif kind == "no_content":
        assert response.status_code == 204 and response.content == b""
    elif kind == "validation":
        assert answer == {"valid": True, "errors": None}
    elif kind == "interaction":
        assert response.status_code == 201
        assert answer["state"] == "Completed" and answer["assistant_output"]["content"]
        required = schema(shared_api, "workspace.openapi.json", "ai.zylon.backend.server.app.project.interaction.InteractionDTO")["required"]
        assert set(required) <= set(answer)
        if name == "threads.04.request.json":  # image + thinking + citations over all artifacts
            kinds = [b["type"] for b in answer["assistant_output"]["content"]]
            assert kinds[0] == "thinking" and "server_tool_result" in kinds
    elif kind == "thread":
        assert answer["name"] == "Weekly Support Brief"
    elif kind == "project":
        required = schema(shared_api, "workspace.openapi.json", "ai.zylon.backend.server.app.project.ProjectDTO")["required"]
        assert set(required) <= set(answer)
    elif kind == "artifact":
        required = schema(shared_api, "workspace.openapi.json", "ai.zylon.backend.server.app.project.artifact.ArtifactDTO")["required"]
        assert set(required) <= set(answer), set(required) - set(answer)
        enums = {
            "type": schema(shared_api, "workspace.openapi.json", "ai.zylon.backend.server.app.project.artifact.ArtifactType")["enum"] + ["Analysis"],
            "state": schema(shared_api, "workspace.openapi.json", "ai.zylon.backend.server.app.project.artifact.ArtifactState")["enum"],
            "ingest_status": schema(shared_api, "workspace.openapi.json", "ai.zylon.backend.server.app.project.artifact.ArtifactIngestStatus")["enum"],
        }
        assert all(answer[key] in allowed for key, allowed in enums.items())
        assert "private_props" not in answer
    elif kind == "bulk":
        assert isinstance(answer, list) and answer and all("id" in a for a in answer)
    elif kind == "embeddings":
        expected = body["input"] if isinstance(body["input"], list) else [body["input"]]
        assert answer["object"] == "list" and len(answer["data"]) == len(expected)
    elif kind == "ingest":
        assert answer["object"] == "list" and answer["data"][0]["object"] == "ingest.document"
    elif kind == "content":
        assert answer["data"] and all({"artifact_id", "content"} <= set(d) for d in answer["data"])
    elif kind == "null":
        assert answer is None


def _replace(text: str, mapping: dict[str, str]) -> str:
    for old, new in mapping.items():
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("name", ["chat.02.response.json", "threads.18.response.json", "messages.03.response.json", "messages.07.response.json"])
def test_our_answers_have_the_documented_keys(name: str, api: httpx.Client) -> None:
    documented = set(load_example(name))
    if name.startswith("messages"):
        ours = api.post(f"{G}/messages", json={"messages": [{"role": "user", "content": "hi"}]}).json()
    else:
        ours = api.post(f"{W}/chat", json={"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}).json()
    assert documented <= set(ours)


def test_documented_interaction_answers_have_our_keys(api: httpx.Client, ids: dict[str, str]) -> None:
    documented = load_example("interactions.02.response.json")
    ours = api.post(f"{W}/thread/{ids['threadID']}/interaction", json=fill(load_example("interactions.01.request.json"), ids)).json()
    assert set(documented) - {"created_by"} <= set(ours)
    assert set(documented["assistant_output"]) <= set(ours["assistant_output"])
