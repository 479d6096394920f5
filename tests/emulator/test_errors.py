"""Auth (401), validation (400 naming the field), unknown ids (404)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.conftest import HEADERS, G, W, user
from zylon_core.emulator.testing import run_emulator


def test_workspace_needs_a_bearer_token_and_x_org(emulator: Any) -> None:
    body = {"messages": [user("hi")]}
    with httpx.Client(base_url=emulator.base_url) as raw:
        no_token = raw.post(f"{W}/chat", json=body, headers={"x-org": "default"})
        assert no_token.status_code == 401
        assert [e["field"] for e in no_token.json()["errors"]] == ["header.Authorization"]
        no_org = raw.post(f"{W}/chat", json=body, headers={"Authorization": "Bearer t"})
        assert no_org.status_code == 401 and "x-org" in no_org.json()["message"]
        not_bearer = raw.post(f"{W}/chat", json=body, headers={"Authorization": "Basic abc", "x-org": "default"})
        assert not_bearer.status_code == 401
        api_key_only = raw.post(f"{W}/chat", json=body, headers={"x-api-key": "t", "x-org": "default"})
        assert api_key_only.status_code == 401
        assert raw.get(f"{W}/project/whatever", headers={"x-org": "o"}).status_code == 401


def test_gpt_accepts_x_api_key_and_needs_no_org(emulator: Any) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(base_url=emulator.base_url) as raw:
        assert raw.post(f"{G}/messages", json=body, headers={"x-api-key": "k"}).status_code == 200
        assert raw.post(f"{G}/messages", json=body, headers={"Authorization": "Bearer k"}).status_code == 200
        assert raw.post(f"{G}/messages", json=body).status_code == 401
        assert raw.get("/api/health").json()["status"] == "ok"


def test_token_option_restricts_the_token() -> None:
    with run_emulator(token="right") as server, httpx.Client(base_url=server.base_url) as raw:
        body = {"messages": [user("hi")]}
        wrong = raw.post(f"{W}/chat", json=body, headers={"Authorization": "Bearer wrong", "x-org": "o"})
        assert wrong.status_code == 401 and "invalid API token" in wrong.json()["message"]
        assert raw.post(f"{W}/chat", json=body, headers={"Authorization": "Bearer right", "x-org": "o"}).status_code == 200
        assert all("authorization" not in r["headers"] for r in server.requests)
        server.clear_requests()
        assert server.requests == []


def fields_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"].startswith("invalid request body")
    return [e["field"] for e in body["errors"]]


TEXT = {"type": "text", "text": "hi"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"messages": [{"role": "user", "content": [{"type": "txt", "text": "hi"}]}]}, "messages[0].content[0].type", "'txt'"),
        ({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}, "messages[0].content[0].type", "missing"),
        ({"messages": [{"content": [TEXT]}]}, "messages[0].role", "required"),
        ({"messages": [{"role": "robot", "content": [TEXT]}]}, "messages[0].role", "'user'"),
        ({"messages": [{"role": "user", "name": "example_user", "content": [TEXT]}]}, "messages[0].name", "unknown field"),
        ({"messages": [user("hi")], "tools": [{"name": "t", "input_schema": {"type": "object"}}]}, "tools[0].input_schema", "unknown field 'tools[0].input_schema'"),
        ({"messages": [user("hi")], "tool_choice": {"type": "sometimes"}}, "tool_choice.type", "'auto'"),
        ({"messages": [user("hi")], "tools": [{"name": "s", "type": "semantic_search_v9"}]}, "tools[0].type", "semantic_search_v1"),
        ({"messages": [user("hi")], "tools": [{"name": "a"}], "tool_choice": {"type": "tool", "name": "b"}}, "tool_choice.name", "not in the provided tools"),
        ({"messages": [user("hi")], "response_format": {"type": "json_schema"}}, "response_format.json_schema", "required"),
        ({"messages": [user("hi")], "temperature": "hot"}, "temperature", "number"),
        ({"messages": [user("hi")], "max_tokens": 0}, "max_tokens", ">= 1"),
        ({"messages": []}, "messages", "at least one"),
        ({"messages": [user("hi")], "system": {"txt": "x"}}, "system.txt", "unknown field"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image", "data": "<BASE64_IMAGE_DATA>", "mime_type": "image/png"}]}]},
            "messages[0].content[0].data",
            "base64",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "bogus"}]}]}]},
            "messages[0].content[0].content[0].type",
            "'bogus'",
        ),
        ({"messages": [{"role": "user", "content": [{"type": "tool_use", "name": "x", "input": {}}]}]}, "messages[0].content[0].id", "required"),
    ],
)
def test_chat_body_errors_name_the_field(api: httpx.Client, body: dict[str, Any], field: str, words: str) -> None:
    response = api.post(f"{W}/chat", json=body)
    assert field in fields_of(response)
    error = next(e for e in response.json()["errors"] if e["field"] == field)
    assert words.lower() in error["message"].lower()


def test_interaction_errors_are_prefixed_with_pgpt(api: httpx.Client, thread: dict[str, Any]) -> None:
    path = f"{W}/thread/{thread['id']}/interaction"
    bad_block = {"pgpt": {"messages": [{"role": "user", "content": [{"type": "picture"}]}]}}
    assert fields_of(api.post(path, json=bad_block)) == ["pgpt.messages[0].content[0].type"]
    typo = {"pgpt": {"messages": [user("hi")], "tools": [{"name": "t", "input_schema": {}}]}}
    response = api.post(path, json=typo)
    assert fields_of(response) == ["pgpt.tools[0].input_schema"]
    assert "unknown field 'pgpt.tools[0].input_schema'" in response.json()["message"]
    assert fields_of(api.post(path, json={"agent": "Smart", "pgpt": {"messages": [user("hi")]}})) == ["agent"]
    assert fields_of(api.post(path, json={"all_artifacts": True})) == ["pgpt"]
    assert fields_of(api.post(path, json={"thread_id": "thread_other", "pgpt": {"messages": [user("hi")]}})) == ["thread_id"]
    assert fields_of(api.post(path, json={"pgpt": {"messages": [user("hi")]}, "extra": 1})) == ["extra"]


def test_other_bodies(api: httpx.Client, project: dict[str, Any]) -> None:
    assert fields_of(api.post(f"{W}/project/{project['id']}/thread", json={"name": "x"})) == ["visibility"]
    assert fields_of(api.post(f"{W}/project", json={"goal": "x"})) == ["name"]
    assert fields_of(api.post(f"{W}/project/{project['id']}/artifact", json={"type": "Movie", "name": "m", "props": {}})) == ["type"]
    assert fields_of(api.post(f"{W}/project/{project['id']}/artifact", json={"type": "InlineText", "name": "m", "props": {}})) == ["props.content"]
    not_json = api.post(f"{W}/chat", content=b"{nope", headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["message"]
    assert api.post(f"{W}/chat", json=[1, 2]).status_code == 400
    assert fields_of(api.get(f"{W}/project/{project['id']}/thread", params={"page_size": "lots"})) == ["page_size"]
    assert fields_of(api.get(f"{W}/project/{project['id']}/thread", params={"page": 0})) == ["page"]
    assert fields_of(api.post(f"{G}/embeddings", json={"inputs": ["x"]})) == ["input", "inputs"]
    assert fields_of(api.post(f"{G}/primitives/search", json={"text": "x", "context_filter": {}, "type": "keywords_search"})) == ["type"]


def test_unknown_ids_are_404(api: httpx.Client, project: dict[str, Any]) -> None:
    for method, path in [
        ("GET", f"{W}/thread/thread_nope"),
        ("PUT", f"{W}/thread/thread_nope"),
        ("DELETE", f"{W}/thread/thread_nope"),
        ("GET", f"{W}/thread/thread_nope/interaction"),
        ("POST", f"{W}/thread/thread_nope/interaction"),
        ("GET", f"{W}/interaction/inter_nope"),
        ("DELETE", f"{W}/interaction/inter_nope"),
        ("GET", f"{W}/interaction/inter_nope/stream"),
        ("POST", f"{W}/interaction/inter_nope/cancel"),
        ("GET", f"{W}/project/proj_nope"),
        ("POST", f"{W}/project/proj_nope/thread"),
        ("POST", f"{W}/project/proj_nope/chat"),
        ("GET", f"{W}/project/{project['id']}/artifact/artifact_nope"),
        ("GET", f"{W}/project/{project['id']}/artifact/artifact_nope/parsed-content"),
        ("DELETE", f"{W}/project/{project['id']}/artifact/artifact_nope"),
    ]:
        response = api.request(method, path, json={"name": "x", "visibility": "Private"} if method in ("POST", "PUT") else None)
        assert response.status_code == 404, (method, path, response.text)
        assert "not found" in response.json()["message"]
    unknown = api.get("/api/v1/app/nothing-here")
    assert unknown.status_code == 404 and "no such endpoint" in unknown.json()["message"]
    assert api.patch(f"{W}/chat", json={}).status_code == 405


def test_gpt_validate(api: httpx.Client) -> None:
    ok = api.post(f"{G}/messages/validate", json={"model": "default", "messages": [{"role": "user", "content": "hi"}]})
    assert ok.status_code == 200 and ok.json() == {"valid": True, "errors": None}
    bad = api.post(f"{G}/messages/validate", json={"messages": [{"role": "user", "content": "hi"}], "tools": [{"name": "x", "input_schema": {}}]})
    assert bad.status_code == 400
    assert bad.json()["valid"] is False and bad.json()["errors"] == ["tools[0].input_schema: unknown field 'tools[0].input_schema'"]


def test_headers_are_recorded_without_credentials(emulator: Any) -> None:
    with httpx.Client(base_url=emulator.base_url, headers={**HEADERS, "x-api-key": "secret"}) as client:
        client.post(f"{W}/chat", json={"messages": [user("record me")]}, params={"q": "1"})
    recorded = next(r for r in reversed(emulator.requests) if r["json"] == {"messages": [user("record me")]})
    assert recorded["method"] == "POST" and recorded["path"] == f"{W}/chat" and recorded["query"] == {"q": "1"}
    assert recorded["headers"]["x-org"] == "default"
    assert "authorization" not in recorded["headers"] and "x-api-key" not in recorded["headers"]


def test_options_are_checked() -> None:
    from zylon_core.emulator import EmulatorOptions, create_app

    with pytest.raises(TypeError, match="stream_shap"):
        create_app(stream_shap="full")
    with pytest.raises(ValueError, match="stream_shape"):
        EmulatorOptions.build(stream_shape="tiny")
    with pytest.raises(ValueError, match="stop_reason_style"):
        EmulatorOptions.build(stop_reason_style="openai")
    base = EmulatorOptions.build(ping=True)
    assert EmulatorOptions.build(base, stream_delay=0.5) == EmulatorOptions(ping=True, stream_delay=0.5)


async def test_in_process_app_with_asgi_transport() -> None:
    from zylon_core.emulator import create_app

    app = create_app(stream_shape="minimal")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator", headers=HEADERS) as client:
        answer = await client.post(f"{W}/chat", json={"messages": [user("in process")]})
        assert answer.json()["content"][0]["text"] == 'You said: "in process".'
        stream = await client.post(f"{W}/chat", json={"stream": True, "messages": [user("/deltas 3")]})
        assert stream.text.count("event: content_block_delta") == 3
    assert app.state.emulator.state.requests[-1]["json"]["stream"] is True
