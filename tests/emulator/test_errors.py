"""Auth (401), validation (400), unknown ids (404) in each API's shape (fidelity §12, §15,
§17): ZylonGPT's envelope for chat bodies (also inside a Workspace request's ``pgpt``),
the Workspace's Kotlin ``{type, status, message}`` for the rest."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.conftest import HEADERS, G, W, user
from tests.emulator.test_workspace import kotlin
from zylon_core.emulator.testing import run_emulator


def test_workspace_needs_a_bearer_token_and_x_org(emulator: Any) -> None:
    body = {"messages": [user("hi")]}
    with httpx.Client(base_url=emulator.base_url) as raw:
        assert "Authorization" in kotlin(raw.post(f"{W}/chat", json=body, headers={"x-org": "default"}), 401)
        assert "x-org" in kotlin(raw.post(f"{W}/chat", json=body, headers={"Authorization": "Bearer t"}), 401)
        kotlin(raw.post(f"{W}/chat", json=body, headers={"Authorization": "Basic abc", "x-org": "default"}), 401)
        kotlin(raw.post(f"{W}/chat", json=body, headers={"x-api-key": "t", "x-org": "default"}), 401)
        kotlin(raw.get(f"{W}/project/whatever", headers={"x-org": "o"}), 401)


def test_gpt_accepts_x_api_key_and_needs_no_org(emulator: Any) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(base_url=emulator.base_url) as raw:
        assert raw.post(f"{G}/messages", json=body, headers={"x-api-key": "k"}).status_code == 200
        assert raw.post(f"{G}/messages", json=body, headers={"Authorization": "Bearer k"}).status_code == 200
        refused = raw.post(f"{G}/messages", json=body)
        assert refused.status_code == 401 and set(refused.json()) == {"detail"}


def test_token_option_restricts_the_token() -> None:
    with run_emulator(token="right") as server, httpx.Client(base_url=server.base_url) as raw:
        body = {"messages": [user("hi")]}
        assert "invalid API token" in kotlin(raw.post(f"{W}/chat", json=body, headers={"Authorization": "Bearer wrong", "x-org": "o"}), 401)
        assert raw.post(f"{W}/chat", json=body, headers={"Authorization": "Bearer right", "x-org": "o"}).status_code == 200
        assert all("authorization" not in r["headers"] for r in server.requests)
        server.clear_requests()
        assert server.requests == []


TEXT = {"type": "text", "text": "hi"}
UNION = "list[tagged-union[TextBlock,ImageBlock,AudioBlock,BinaryBlock,LocalResourceBlock,ResourceLinkBlock,ResourceBlock,SourceBlock,ThinkingBlock,RedactedThinkingBlock,ToolUseBlock,ServerToolUseBlock,ContainerUploadBlock,DocumentBlock,SearchResultBlock,MidConvSystemBlock,TLDRBlock,BashCodeExecutionResultBlock,CodeExecutionToolResultErrorBlock,CodeExecutionToolResultErrorBlock,TextEditorCodeExecutionViewResultBlock,TextEditorCodeExecutionCreateResultBlock,TextEditorCodeExecutionStrReplaceResultBlock,WebSearchResultBlock,WebFetchResultBlock,ToolResultBlock,ServerToolResultBlock,BashCodeExecutionToolResultBlock,TextEditorCodeExecutionToolResultBlock,WebSearchToolResultBlock,WebFetchToolResultBlock]]"


@pytest.mark.parametrize(
    ("body", "items"),
    [
        (
            {"messages": [{"role": "user", "content": [{"type": "txt", "text": "hi"}]}]},
            [("string_type", "('body', 'messages', 0, 'content', 'str')"), ("union_tag_invalid", f"('body', 'messages', 0, 'content', '{UNION}', 0)")],
        ),
        (
            {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
            [("string_type", "('body', 'messages', 0, 'content', 'str')"), ("union_tag_not_found", f"('body', 'messages', 0, 'content', '{UNION}', 0)")],
        ),
        ({"messages": [{"role": "tool", "content": [TEXT]}]}, [("literal_error", "('body', 'messages', 0, 'role')")]),
        ({"messages": [user("hi")], "tool_choice": {"type": "sometimes"}}, [("literal_error", "('body', 'tool_choice', 'type')")]),
        ({"messages": [user("hi")], "tools": [{"name": "a"}], "tool_choice": {"type": "tool", "name": "b"}}, [("value_error", "('body',)")]),
        ({"messages": [user("hi")], "tools": [{"name": "a"}, {"name": "a"}]}, [("value_error", "('body',)")]),
        ({"messages": [user("hi")], "temperature": "hot"}, [("float_parsing", "('body', 'temperature')")]),
        ({"messages": [user("hi")], "temperature": 1.01}, [("less_than_equal", "('body', 'temperature')")]),
        ({"messages": [user("hi")], "top_p": -0.1}, [("greater_than_equal", "('body', 'top_p')")]),
        ({"messages": [user("hi")], "max_tokens": 0}, [("greater_than_equal", "('body', 'max_tokens')")]),
        ({"messages": []}, [("value_error", "('body',)")]),
        ({"messages": [user("hi")], "system": {"extensions": ["zylon", "x"]}}, [("enum", "('body', 'system', 'extensions', 1)")]),
        (
            {"messages": [{"role": "user", "content": [{"type": "tool_use", "name": "x", "input": {}}]}]},
            [("string_type", "('body', 'messages', 0, 'content', 'str')"), ("missing", f"('body', 'messages', 0, 'content', '{UNION}', 0, 'tool_use', 'id')")],
        ),
        ({"messages": [user("hi"), {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]}]}, [("value_error", "('body',)")]),
        ({"messages": [user("hi")], "response_format": {"type": "json_schema", "json_schema": {}}, "tools": [{"name": "a"}]}, [("value_error", "('body',)")]),
    ],
)
def test_chat_body_errors_are_the_zylongpt_envelope(api: httpx.Client, body: dict[str, Any], items: list[tuple[str, str]]) -> None:
    for path in (f"{W}/chat", f"{G}/messages"):
        response = api.post(path, json=body)
        assert response.status_code == 400, (path, response.text)
        error = response.json()
        assert error["error"]["detail"]["explanation"] == error["detail"]
        assert [(i["type"], i["loc"]) for i in error["detail"]] == items


def test_what_the_real_server_accepts_is_accepted(api: httpx.Client) -> None:
    for body in [
        {"messages": [{"content": [TEXT]}]},  # role defaults to user
        {"messages": [{"role": "user", "name": "example_user", "content": [TEXT]}]},  # unknown fields are ignored
        {"messages": [user("hi")], "tools": [{"name": "t", "input_schema": {"type": "object"}}]},
        {"messages": [user("hi")], "tools": [{"name": "t", "inputSchema": {"type": "object"}}], "tool_choice": {"type": "any"}},
        {"messages": [user("hi")], "system": {"txt": "x"}, "frobnicate": True},
        {"messages": [{"role": "user", "content": [{"type": "tool_use", "id": "t1", "name": "x", "input": {}}]}, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}]},
    ]:
        assert api.post(f"{W}/chat", json=body).status_code == 200, body


def test_interaction_wrapper_and_pgpt_errors(api: httpx.Client, thread: dict[str, Any]) -> None:
    path = f"{W}/thread/{thread['id']}/interaction"
    assert "agent" in kotlin(api.post(path, json={"agent": "Smart", "pgpt": {"messages": [user("hi")]}}), 400)
    assert "pgpt" in kotlin(api.post(path, json={"all_artifacts": True}), 400)
    assert "thread_id" in kotlin(api.post(path, json={"thread_id": "thread_other", "pgpt": {"messages": [user("hi")]}}), 400)
    assert "extra" in kotlin(api.post(path, json={"pgpt": {"messages": [user("hi")]}, "extra": 1}), 400)
    bad_block = api.post(path, json={"pgpt": {"messages": [{"role": "user", "content": [{"type": "picture"}]}]}})
    assert bad_block.status_code == 400 and bad_block.json()["detail"][1]["type"] == "union_tag_invalid"


def test_other_workspace_bodies(api: httpx.Client, project: dict[str, Any]) -> None:
    pid = project["id"]
    assert "visibility" in kotlin(api.post(f"{W}/project/{pid}/thread", json={"name": "x"}), 400)
    assert "name" in kotlin(api.post(f"{W}/project", json={"goal": "x"}), 400)
    assert "type" in kotlin(api.post(f"{W}/project/{pid}/artifact", json={"type": "Movie", "name": "m", "props": {}}), 400)
    assert "props.content" in kotlin(api.post(f"{W}/project/{pid}/artifact", json={"type": "InlineText", "name": "m", "props": {}}), 400)
    assert "not valid JSON" in kotlin(api.post(f"{W}/project", content=b"{nope", headers={"content-type": "application/json"}), 400)
    kotlin(api.post(f"{W}/project", json=[1, 2]), 400)
    assert "page" in kotlin(api.get(f"{W}/project/{pid}/thread", params={"page": 0}), 400)


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
        ("GET", f"{W}/project/{project['id']}/artifact/artifact_nope/download"),
        ("DELETE", f"{W}/project/{project['id']}/artifact/artifact_nope"),
    ]:
        response = api.request(method, path, json={"name": "x", "visibility": "Private"} if method in ("POST", "PUT") else None)
        assert "not found" in kotlin(response, 404), (method, path)
    assert "no such endpoint" in kotlin(api.get("/api/v1/app/nothing-here"), 404)
    kotlin(api.patch(f"{W}/chat", json={}), 405)


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
    for name, value in [("stream_shape", "tiny"), ("stop_reason_style", "openai"), ("stream_profile", "B"), ("paths", "old"), ("token_kind", "x"), ("paging", "x")]:
        with pytest.raises(ValueError, match=name):
            EmulatorOptions.build(**{name: value})
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
