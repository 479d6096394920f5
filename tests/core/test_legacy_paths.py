"""Servers before Zylon 1.50 keep threads and interactions under
``/project/{projectId}/...`` (fidelity §16, ``history/workspace.2025-08-13*.json``): the
legacy path layout, chosen by ``paths`` or detected on a 404 when the project is known."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.core.mock_server import BASE, MockServer, json_response, sse_response
from zylon_core import ConfigurationError, NotFoundError, Route, ZylonSettings
from zylon_core._api import Endpoints, PageQuery
from zylon_core._memory import clear_thread, thread_turns
from zylon_core.models import ChatRequest, CreateInteractionDTO, MessageInput, TextBlock

P, T, I = "proj_1", "thread_1", "inter_1"
W = "/api/v1/app"
REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="Hello")])])
STREAM = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","role":"assistant","content":[]}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi there"}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def endpoints(paths: str) -> Endpoints:
    return Endpoints(ZylonSettings.resolve(base_url=BASE, api_token="t", paths=paths))


def test_the_two_layouts_side_by_side():
    current, legacy = endpoints("current"), endpoints("legacy")
    query = PageQuery(page=2, page_size=10, order="ASC")
    dto = CreateInteractionDTO(pgpt=REQUEST)
    pairs = [
        (current.thread_get(T, P), legacy.thread_get(T, P), f"/thread/{T}", f"/project/{P}/thread/{T}"),
        (current.thread_update(T, name="x", project_id=P), legacy.thread_update(T, name="x", project_id=P), f"/thread/{T}", f"/project/{P}/thread/{T}"),
        (current.thread_delete(T, P), legacy.thread_delete(T, P), f"/thread/{T}", f"/project/{P}/thread/{T}"),
        (current.interaction_create(T, dto, P), legacy.interaction_create(T, dto, P), f"/thread/{T}/interaction", f"/project/{P}/interaction"),
        (current.interaction_get(I, P), legacy.interaction_get(I, P), f"/interaction/{I}", f"/project/{P}/interaction/{I}"),
        (current.interaction_delete(I, P), legacy.interaction_delete(I, P), f"/interaction/{I}", f"/project/{P}/interaction/{I}"),
        (current.interaction_cancel(I, P), legacy.interaction_cancel(I, P), f"/interaction/{I}/cancel", f"/project/{P}/interaction/{I}/cancel"),
        (current.interaction_stream(I, P), legacy.interaction_stream(I, P), f"/interaction/{I}/stream", f"/project/{P}/interaction/{I}/stream"),
        (current.interaction_page(T, query, P), legacy.interaction_page(T, query, P), f"/thread/{T}/interaction", f"/project/{P}/interaction"),
    ]
    for now, before, now_path, before_path in pairs:
        assert (now.method, now.url) == (before.method, f"{BASE}{W}{now_path}")
        assert before.url == f"{BASE}{W}{before_path}"
    # Unchanged in both: creating and listing threads.
    assert current.thread_create(P, "n").url == legacy.thread_create(P, "n").url == f"{BASE}{W}/project/{P}/thread"
    assert legacy.interaction_create(T, dto, P).json["thread_id"] == T
    assert legacy.interaction_page(T, query, P).params == {"page": 2, "page_size": 10, "page_order": "ASC", "threadId": T}


def test_legacy_thread_work_without_a_project_id_says_which_version_and_what_to_pass():
    with pytest.raises(ConfigurationError, match=r"before Zylon 1\.50.*pass project_id"):
        endpoints("legacy").interaction_get(I)
    server = MockServer()
    with server.client(paths="legacy") as client:
        with pytest.raises(ConfigurationError, match="project_id"):
            client.run_turn(Route.create(thread_id=T), REQUEST)
        with pytest.raises(ConfigurationError, match="project_id"):
            client.run(thread_turns(client.api, T))
    assert server.requests == []


def legacy_server() -> MockServer:
    """A 2025-08 server: only the project-scoped thread routes exist."""
    return MockServer(
        {
            ("POST", f"{W}/project/{P}/interaction"): json_response(201, {"id": I, "thread_id": T, "project_id": P, "state": "Processing", "created_at": "2025-08-01T10:00:00Z"}),
            ("GET", f"{W}/project/{P}/interaction/{I}/stream"): sse_response(STREAM),
            ("GET", f"{W}/project/{P}/interaction"): json_response(
                200,
                {
                    "data": [
                        {"id": "inter_b", "state": "Completed", "created_at": "2025-08-01T10:05:00Z", "user_input": {"role": "user", "content": [{"type": "text", "text": "second"}]}},
                        {"id": "inter_a", "state": "Completed", "created_at": "2025-08-01T10:00:00.5Z", "user_input": {"role": "user", "content": [{"type": "text", "text": "first"}]}},
                    ],
                    "has_next_page": False,
                    "has_previous_page": False,
                },
            ),
            ("DELETE", f"{W}/project/{P}/interaction/inter_a"): httpx.Response(204),
            ("DELETE", f"{W}/project/{P}/interaction/inter_b"): httpx.Response(204),
        }
    )


def test_auto_detects_a_legacy_server_on_a_404_and_remembers_it():
    server = legacy_server()
    with server.client() as client:
        first = client.run_turn(Route.create(thread_id=T, project_id=P), REQUEST)
        second = client.run_turn(Route.create(thread_id=T, project_id=P), REQUEST)
        assert client.api.detected_layout == "legacy"
    assert first.message.content[0].text == second.message.content[0].text == "Hi there"
    assert (first.interaction_id, first.thread_id) == (I, T)
    assert server.paths() == [
        f"POST {W}/thread/{T}/interaction",  # 404: this server has no such route
        f"POST {W}/project/{P}/interaction",
        f"GET {W}/project/{P}/interaction/{I}/stream",
        f"POST {W}/project/{P}/interaction",  # remembered: straight to the legacy path
        f"GET {W}/project/{P}/interaction/{I}/stream",
    ]
    assert server.bodies()[1]["thread_id"] == T and server.bodies()[1]["pgpt"] == REQUEST.to_json_dict()


async def test_async_detection_and_a_legacy_history():
    server = legacy_server()
    async with server.aclient() as client:
        result = await client.run_turn(Route.create(thread_id=T, project_id=P), REQUEST)
        turns = await client.run(thread_turns(client.api, T, project_id=P))
    assert result.message.content[0].text == "Hi there"
    assert [t.interaction_id for t in turns] == ["inter_a", "inter_b"]  # sorted by created_at
    listing = server.requests[-1]
    assert listing.url.path == f"{W}/project/{P}/interaction"
    assert dict(listing.url.params) == {"page_size": "50", "page": "1", "page_order": "ASC", "threadId": T}


def test_memory_plans_detect_and_clear_on_the_legacy_layout():
    server = legacy_server()
    with server.client() as client:
        deleted = client.run(clear_thread(client.api, T, project_id=P))
    assert [t.interaction_id for t in deleted] == ["inter_a", "inter_b"]
    assert server.paths() == [
        f"GET {W}/thread/{T}/interaction",
        f"GET {W}/project/{P}/interaction",
        f"DELETE {W}/project/{P}/interaction/inter_a",
        f"DELETE {W}/project/{P}/interaction/inter_b",
    ]


def test_a_thread_missing_on_both_layouts_is_the_first_not_found_and_nothing_is_remembered():
    server = MockServer()  # every route 404
    with server.client() as client:
        with pytest.raises(NotFoundError, match=f"/thread/{T}/interaction"):
            client.run_turn(Route.create(thread_id=T, project_id=P), REQUEST)
        assert client.api.detected_layout is None
    assert server.paths() == [f"POST {W}/thread/{T}/interaction", f"POST {W}/project/{P}/interaction"]


def test_without_a_project_id_a_404_says_how_to_reach_an_older_server():
    server = MockServer()
    with server.client() as client, pytest.raises(NotFoundError, match="older than Zylon 1.50.*pass project_id"):
        client.run_turn(Route.create(thread_id=T), REQUEST)
    assert len(server.requests) == 1


def test_a_current_server_is_remembered_and_its_404s_are_not_retried():
    ok = {"id": I, "state": "Completed", "assistant_output": {"role": "assistant", "content": [{"type": "text", "text": "done"}]}}
    server = MockServer({("POST", f"{W}/thread/{T}/interaction"): json_response(201, ok)})
    with server.client() as client:
        client.run_turn(Route.create(thread_id=T, project_id=P), REQUEST)
        assert client.api.detected_layout == "current"
        with pytest.raises(NotFoundError):
            client.threads.get("thread_gone", project_id=P)
    assert server.paths()[-1] == f"GET {W}/thread/thread_gone" and len(server.requests) == 2


def test_paths_current_never_tries_the_legacy_layout():
    server = MockServer()
    with server.client(paths="current") as client, pytest.raises(NotFoundError):
        client.interactions.get(I, project_id=P)
    assert len(server.requests) == 1


def test_resources_take_the_project_id():
    server = legacy_server()
    with server.client(paths="legacy") as client:
        page = client.interactions.list(T, project_id=P)
        client.interactions.delete("inter_a", project_id=P)
    assert [i.id for i in page.data] == ["inter_b", "inter_a"]  # one page, as the server sent it
    assert server.paths() == [f"GET {W}/project/{P}/interaction", f"DELETE {W}/project/{P}/interaction/inter_a"]


def test_an_abandoned_legacy_stream_is_cancelled_on_the_legacy_path():
    long_stream = STREAM.replace('event: message_stop\ndata: {"type":"message_stop"}\n\n', "") + "".join(
        f'event: content_block_delta\ndata: {{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":" {n}"}}}}\n\n'
        for n in range(3)
    )
    server = legacy_server()
    server.routes[("GET", f"{W}/project/{P}/interaction/{I}/stream")] = sse_response(long_stream)
    server.routes[("POST", f"{W}/project/{P}/interaction/{I}/cancel")] = httpx.Response(204)
    with server.client(paths="legacy") as client:
        stream = client.stream_turn(Route.create(thread_id=T, project_id=P), REQUEST)
        assert next(d for d in stream if d.text)
        stream.close()
    assert server.paths()[-1] == f"POST {W}/project/{P}/interaction/{I}/cancel"


def test_langchain_history_passes_its_project_id():
    from langchain_zylon import ZylonChatMessageHistory
    from tests.conftest import TEST_TOKEN

    server = legacy_server()
    history = ZylonChatMessageHistory(T, project_id=P, base_url=BASE, api_key=TEST_TOKEN)
    history._current()._client = server.client()
    assert [m.content for m in history.messages] == ["first", "second"]
    assert server.paths()[-1] == f"GET {W}/project/{P}/interaction"
    assert json.loads(history.model_dump_json())["project_id"] == P
