"""Artifact requests as ``docs/.../workspace-api/content/artifacts.mdx`` describes them
(fidelity §9): the multipart upload byte for byte, the JSON creates of the documented
examples, bulk update/delete, private props, download in both documented answer forms,
sync and the linked-artifacts check."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP

import httpx
import pytest

from tests.conftest import example_names, load_example
from tests.core.mock_server import BASE, MockServer, json_response, sse_response
from zylon_core import APIStatusError, ConflictError
from zylon_core._api_artifacts import MAX_UPLOAD_BYTES
from zylon_core._resources_artifacts import ArtifactSyncError

PROJECT = "proj_7a5c3e1b9d2f4a6c"
ARTIFACTS = f"/api/v1/app/project/{PROJECT}/artifact"
CONTENT = b"Ticket volume rose 12% week-over-week. Billing issues drove 38% of cases.\nThanks!"


def created(request: httpx.Request) -> httpx.Response:
    return json_response(200, load_example("workspace-artifacts.02.response.json"))


def parts(request: httpx.Request) -> list[tuple[str | None, str | None, str | None, bytes]]:
    """(name, filename, content type, payload) of each multipart part, in order."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content)
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_filename(),
            part.get("content-type"),
            part.get_payload(decode=True) or b"",
        )
        for part in message.iter_parts()
    ]


def test_document_upload_is_the_documented_multipart():
    server = MockServer({("POST", ARTIFACTS): created})
    with server.client() as client:
        artifact = client.artifacts.upload(PROJECT, CONTENT, name="Q1 Support Summary", file_name="q1-support-summary.txt")
    assert artifact.props == {"file_name": "q1-support-summary.txt", "content_type": "text/plain", "content_length": 79}
    (request,) = server.requests
    boundary = request.headers["content-type"].split("boundary=", 1)[1]
    props = json.dumps({"file_name": "q1-support-summary.txt", "content_type": "text/plain", "content_length": len(CONTENT)})
    expected = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nDocument\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\nUser\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nQ1 Support Summary\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="props"\r\nContent-Type: application/json\r\n\r\n{props}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="fileData"; filename="q1-support-summary.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n"
    ).encode() + CONTENT + f"\r\n--{boundary}--\r\n".encode()
    assert request.content == expected
    assert request.headers["content-type"] == f"multipart/form-data; boundary={boundary}"


def test_props_part_holds_the_exact_byte_count_and_caller_metadata():
    server = MockServer({("POST", ARTIFACTS): created})
    data = "Résumé: ünïcode counts in bytes".encode()
    with server.client() as client:
        client.artifacts.upload(PROJECT, data, file_name="notes.md", props={"metadata": {"team": "support"}})
        client.artifacts.upload(PROJECT, data, file_name="notes.md", props={"metadata": {"team": "support"}})
    first, second = server.requests
    assert first.content == second.content  # deterministic boundary: a retry resends the same bytes
    (_, _, _, _), (_, _, _, _), (_, _, _, _), props, file = parts(first)
    assert props[:3] == ("props", None, "application/json")
    assert json.loads(props[3]) == {
        "metadata": {"team": "support"},
        "file_name": "notes.md",
        "content_type": "text/markdown",
        "content_length": len(data),
    }
    assert len(data) != len(data.decode())  # bytes, not characters
    assert file == ("fileData", "notes.md", "text/markdown", data)


@pytest.mark.parametrize(
    "props",
    [{"content_length": 3}, {"file_name": "other.txt"}, {"content_type": "application/pdf"}],
)
def test_caller_props_cannot_override_what_the_file_says(props):
    server = MockServer({("POST", ARTIFACTS): created})
    with server.client() as client, pytest.raises(ValueError, match=f"props\\['{next(iter(props))}'\\]"):
        client.artifacts.upload(PROJECT, CONTENT, file_name="a.txt", props=props)
    assert server.requests == []


def test_an_upload_above_250_mb_is_refused_before_sending(monkeypatch):
    assert MAX_UPLOAD_BYTES == 250 * 1024 * 1024
    monkeypatch.setattr("zylon_core._api_artifacts.MAX_UPLOAD_BYTES", 10)
    server = MockServer({("POST", ARTIFACTS): created})
    with server.client() as client:
        with pytest.raises(ValueError, match="up to 250 MB"):
            client.artifacts.upload(PROJECT, b"x" * 11, file_name="big.bin")
        client.artifacts.upload(PROJECT, b"x" * 10, file_name="ok.bin")
    assert len(server.requests) == 1


def test_text_documents_are_documented_uploads(tmp_path):
    server = MockServer({("POST", ARTIFACTS): created})
    path = tmp_path / "handbook.csv"
    path.write_bytes(b"a,b\n1,2\n")
    with server.client() as client:
        client.artifacts.create_document(PROJECT, "Q1 notes", "Billing issues drove 38%.")
        client.artifacts.add_texts(PROJECT, ["alpha", "beta"], wait=False)
        client.artifacts.add_files(PROJECT, [path], wait=False)
    for request in server.requests:
        by_name = {p[0]: p for p in parts(request)}
        assert by_name["type"][3] == b"Document" and by_name["name"][3]
        props = json.loads(by_name["props"][3])
        assert by_name["props"][2] == "application/json"
        name, file_name, content_type, payload = by_name["fileData"]
        assert props == {"file_name": file_name, "content_type": content_type, "content_length": len(payload)}
    assert [json.loads(dict((p[0], p) for p in parts(r))["props"][3])["file_name"] for r in server.requests] == [
        "Q1 notes.txt",
        "document-1.txt",
        "document-2.txt",
        "handbook.csv",
    ]


@pytest.mark.parametrize("name", [n for n in example_names("workspace-artifacts.*.request.json") if n not in ("workspace-artifacts.27.request.json", "workspace-artifacts.39.request.json", "workspace-artifacts.41.request.json")])
def test_json_creates_send_the_documented_body(name):
    body = load_example(name)
    server = MockServer({("POST", ARTIFACTS): created})
    with server.client() as client:
        client.artifacts.create(PROJECT, body)
    assert server.bodies() == [body]


def test_a_json_create_needs_a_name_and_always_sends_props():
    server = MockServer({("POST", ARTIFACTS): created})
    with server.client() as client:
        with pytest.raises(ValueError, match="needs a non-empty name"):
            client.artifacts.create(PROJECT, {"type": "Folder"})
        client.artifacts.create(PROJECT, {"type": "Folder", "name": "Q1"})
    assert server.bodies() == [{"type": "Folder", "name": "Q1", "props": {}}]


def test_update_sends_the_documented_body():
    body = load_example("workspace-artifacts.27.request.json")
    server = MockServer({("PUT", f"{ARTIFACTS}/artifact_doc_q1"): json_response(200, load_example("workspace-artifacts.28.response.json"))})
    with server.client() as client:
        updated = client.artifacts.update(PROJECT, "artifact_doc_q1", body)
    assert server.bodies() == [body] and updated.name == "Q1 Support Summary (final)"


def test_bulk_update_and_delete():
    server = MockServer(
        {
            ("PUT", f"{ARTIFACTS}/bulk"): json_response(200, load_example("workspace-artifacts.40.response.json")),
            ("DELETE", f"{ARTIFACTS}/bulk"): [json_response(200, load_example("workspace-artifacts.42.response.json")), httpx.Response(204)],
        }
    )
    update = {"parent_id": "artifact_folder_q1", "reset_parent_id": False, "description": "Moved into Q1 folder."}
    with server.client() as client:
        updated = client.artifacts.bulk_update(PROJECT, {"artifact_doc_q1": update})
        deleted = client.artifacts.bulk_delete(PROJECT, ["artifact_doc_q1", "artifact_link_q1"])
        silent = client.artifacts.bulk_delete(PROJECT, ["artifact_doc_q2"])
        with pytest.raises(ValueError, match="non-empty list"):
            client.artifacts.bulk_delete(PROJECT, "artifact_doc_q1")
    assert [(a.id, a.parent_id) for a in updated] == [("artifact_doc_q1", "artifact_folder_q1")]
    assert [(a.id, a.state) for a in deleted] == [("artifact_doc_q1", "Deleted"), ("artifact_link_q1", "Deleted")]
    assert [(a.id, a.state) for a in silent] == [("artifact_doc_q2", "Deleted")]
    assert server.paths() == [f"PUT {ARTIFACTS}/bulk", f"DELETE {ARTIFACTS}/bulk", f"DELETE {ARTIFACTS}/bulk"]
    assert server.bodies()[:2] == [load_example("workspace-artifacts.39.request.json"), load_example("workspace-artifacts.41.request.json")]
    assert server.requests[1].headers["content-type"] == "application/json"


def test_private_props_and_linked_check():
    server = MockServer(
        {
            ("GET", f"{ARTIFACTS}/artifact_sql/private"): json_response(200, load_example("workspace-artifacts.32.response.json")),
            ("GET", "/api/v1/app/resource/is-safe-to-modify"): json_response(200, load_example("workspace-artifacts.44.response.json")),
        }
    )
    with server.client() as client:
        assert client.artifacts.private(PROJECT, "artifact_sql") == {"connection_string": "postgresql://readonly:***@db.example.com:5432/sales"}
        check = client.artifacts.is_safe_to_modify(project_id=PROJECT, artifact_id="artifact_doc_q1")
    assert check.has_linked_artifacts is False
    assert dict(server.requests[1].url.params) == {"project_id": PROJECT, "artifact_id": "artifact_doc_q1"}


def test_download_as_raw_content():
    text = "Ticket volume rose 12% week-over-week. Billing issues drove 38% of cases."
    server = MockServer({("GET", f"{ARTIFACTS}/artifact_doc_q1/download"): httpx.Response(200, text=text, headers={"content-type": "text/plain"})})
    with server.client() as client:
        assert client.artifacts.download(PROJECT, "artifact_doc_q1") == text.encode()
    assert len(server.requests) == 1


def test_download_through_a_presigned_url_sends_no_token():
    url = "https://storage.example.net/bucket/q1.pdf?X-Amz-Signature=abc&X-Amz-Expires=300"
    server = MockServer(
        {
            ("GET", f"{ARTIFACTS}/artifact_doc_q1/download"): httpx.Response(200, text=url + "\n", headers={"content-type": "text/plain; charset=utf-8"}),
            ("GET", "/bucket/q1.pdf"): httpx.Response(200, content=b"%PDF-1.7 ...", headers={"content-type": "application/pdf"}),
        }
    )
    with server.client() as client:
        assert client.artifacts.download(PROJECT, "artifact_doc_q1") == b"%PDF-1.7 ..."
    first, second = server.requests
    assert first.headers["authorization"].startswith("Bearer ") and first.url.host == "zylon.example.com"
    assert str(second.url) == url
    assert "authorization" not in second.headers and "x-org" not in second.headers


def test_a_binary_download_is_not_mistaken_for_a_url():
    server = MockServer({("GET", f"{ARTIFACTS}/a1/download"): httpx.Response(200, content=b"https://x.example", headers={"content-type": "application/octet-stream"})})
    with server.client() as client:
        assert client.artifacts.download(PROJECT, "a1") == b"https://x.example"


async def test_async_download_through_a_presigned_url():
    server = MockServer(
        {
            ("GET", f"{ARTIFACTS}/a1/download"): httpx.Response(200, text="https://storage.example.net/k", headers={"content-type": "text/plain"}),
            ("GET", "/k"): httpx.Response(200, content=b"raw"),
        }
    )
    async with server.aclient() as client:
        assert await client.artifacts.download(PROJECT, "a1") == b"raw"
    assert "authorization" not in server.requests[1].headers


def test_sync_yields_the_documented_events(shared_api):
    stream = (shared_api / "examples" / "workspace-artifacts.38.stream.sse").read_text()
    server = MockServer({("POST", f"{ARTIFACTS}/artifact_doc_q1/sync"): sse_response(stream)})
    with server.client() as client:
        events = list(client.artifacts.sync(PROJECT, "artifact_doc_q1"))
    assert [e["type"] for e in events] == ["sync_started", "sync_progress", "sync_completed"]
    assert events[1]["progress"] == 0.42
    assert server.requests[0].content == b"" and server.requests[0].headers["accept"] == "text/event-stream"


def test_sync_error_raises_and_409_is_not_retried(slept):
    failing = 'event: sync_started\ndata: {"current_artifact_count":1}\n\nevent: sync_error\ndata: {"message":"SharePoint refused the credentials"}\n\n'
    server = MockServer(
        {
            ("POST", f"{ARTIFACTS}/a1/sync"): sse_response(failing),
            ("POST", f"{ARTIFACTS}/a2/sync"): json_response(409, {"message": "artifact already processing"}),
        }
    )
    with server.client(max_retries=3) as client:
        with pytest.raises(ArtifactSyncError, match="SharePoint refused the credentials"):
            list(client.artifacts.sync(PROJECT, "a1"))
        with pytest.raises(ConflictError, match="already processing"):
            list(client.artifacts.sync(PROJECT, "a2"))
    assert server.paths().count(f"POST {ARTIFACTS}/a2/sync") == 1 and slept == []


def test_unreadable_bulk_answer_is_an_error():
    server = MockServer({("PUT", f"{ARTIFACTS}/bulk"): json_response(200, {"unexpected": True})})
    with server.client() as client, pytest.raises(APIStatusError, match="could not read"):
        client.artifacts.bulk_update(PROJECT, {"a1": {"name": "x"}})
    assert str(server.requests[0].url) == f"{BASE}{ARTIFACTS}/bulk"
