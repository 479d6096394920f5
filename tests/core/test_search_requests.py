"""The Workspace search (fidelity §10): ``types`` and ``type`` both sent, the documented
bounds checked before any request, the bare list read and filtered by type."""

from __future__ import annotations

import pytest

from tests.conftest import load_example
from tests.core.mock_server import MockServer, json_response
from zylon_core import APIStatusError

SEARCH = ("GET", "/api/v1/app/search")


def test_types_and_type_are_both_sent():
    server = MockServer({SEARCH: json_response(200, load_example("workspace-search.02.response.json"))})
    with server.client() as client:
        results = client.search.query("support summary", types=["Artifact", "ArtifactContent"], limit=5)
    assert [(r.id, r.type, r.rank) for r in results] == [
        ("artifact_2b4d6f8a1c3e5a7b", "Artifact", 0.91),
        ("content_8f1a3d5c7b9e", "ArtifactContent", 0.84),
    ]
    assert results[1].metadata == {
        "name": "Q1 Support Summary",
        "type": "Document",
        "project_id": "proj_7a5c3e1b9d2f4a6c",
        "project_name": "Customer Insights",
    }
    params = dict(server.requests[0].url.params)
    assert params == {"q": "support summary", "types": "Artifact,ArtifactContent", "type": "Artifact,ArtifactContent", "limit": "5"}


def test_results_of_other_types_are_dropped():
    # A server that ignores the filter answers everything: only the asked types come back.
    server = MockServer({SEARCH: json_response(200, load_example("workspace-search.02.response.json"))})
    with server.client() as client:
        assert [r.type for r in client.search.query("support summary", types="ArtifactContent")] == ["ArtifactContent"]
        assert len(client.search.query("support summary")) == 2  # no types: everything, nothing sent
    assert "types" not in server.requests[1].url.params and "limit" not in server.requests[1].url.params


def test_the_query_is_trimmed_and_a_thread_search_parses():
    server = MockServer({SEARCH: json_response(200, load_example("workspace-search.04.response.json"))})
    with server.client() as client:
        (thread,) = client.search.query("  weekly brief  ", types=["Thread"], limit=5)
    assert (thread.id, thread.match, (thread.metadata or {})["project_name"]) == ("thread_3f2a1c4d5b6e7f8a", "Weekly Support Brief", "Customer Insights")
    assert server.requests[0].url.params["q"] == "weekly brief"


@pytest.mark.parametrize(
    ("text", "options", "problem"),
    [
        ("ab", {}, "3 to 80 characters, got 2"),
        ("   ab   ", {}, "got 2"),
        ("x" * 81, {}, "got 81"),
        ("", {}, "got 0"),
        ("support", {"limit": 1}, "limit must be an integer >= 2"),
        ("support", {"limit": 0}, "limit must be"),
        ("support", {"limit": 2.5}, "limit must be"),
        ("support", {"limit": True}, "limit must be"),
        ("support", {"types": ["File"]}, "unknown search type"),
        ("support", {"types": ["artifact"]}, "unknown search type"),
    ],
)
def test_what_the_server_refuses_is_refused_before_sending(text, options, problem):
    server = MockServer({SEARCH: json_response(200, [])})
    with server.client() as client, pytest.raises(ValueError, match=problem):
        client.search.query(text, **options)
    assert server.requests == []


def test_the_limits_themselves_are_accepted():
    server = MockServer({SEARCH: json_response(200, [])})
    with server.client() as client:
        assert client.search.query("abc", limit=2) == []
        assert client.search.query("y" * 80) == []
    assert len(server.requests) == 2


def test_a_non_list_answer_is_an_error():
    with MockServer({SEARCH: json_response(200, {"data": []})}).client() as client, pytest.raises(APIStatusError, match="could not read"):
        client.search.query("support")


async def test_async_search():
    server = MockServer({SEARCH: json_response(200, load_example("workspace-search.02.response.json"))})
    async with server.aclient() as client:
        results = await client.search.query("support", types=["Artifact"])
    assert [r.id for r in results] == ["artifact_2b4d6f8a1c3e5a7b"]
