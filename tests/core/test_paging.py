"""Paging (fidelity §18): page numbers or ``next_cursor`` (sent back as ``after``),
``page_order=ASC`` for a thread's history, and no loop whatever the server says."""

from __future__ import annotations

import httpx
import pytest

from tests.core.mock_server import MockServer, json_response
from zylon_core import APIError
from zylon_core._memory import chronological, thread_turns
from zylon_core.models import Interaction

P, T = "proj_1", "thread_1"
THREADS = ("GET", f"/api/v1/app/project/{P}/thread")
HISTORY = ("GET", f"/api/v1/app/thread/{T}/interaction")


def page(ids: list[str], *, more: bool, cursor: str | None = None) -> dict:
    body = {"data": [{"id": i, "name": i} for i in ids], "has_next_page": more, "has_previous_page": False}
    if cursor is not None:
        body["next_cursor"] = cursor
    return body


def test_pages_by_number():
    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        return json_response(200, page([f"t{number}a", f"t{number}b"], more=number < 3))

    server = MockServer({THREADS: answer})
    with server.client() as client:
        assert [t.id for t in client.threads.iter_all(P, page_size=2)] == ["t1a", "t1b", "t2a", "t2b", "t3a", "t3b"]
    assert [dict(r.url.params) for r in server.requests] == [{"page_size": "2", "page": str(n)} for n in (1, 2, 3)]


def test_follows_next_cursor_as_after():
    pages = {None: page(["a", "b"], more=True, cursor="c1"), "c1": page(["c", "d"], more=True, cursor="c2"), "c2": page(["e"], more=False)}

    def answer(request: httpx.Request) -> httpx.Response:
        return json_response(200, pages[request.url.params.get("after")])

    server = MockServer({THREADS: answer})
    with server.client() as client:
        assert [t.id for t in client.threads.iter_all(P, page_size=2)] == ["a", "b", "c", "d", "e"]
    assert [dict(r.url.params) for r in server.requests] == [
        {"page_size": "2", "page": "1"},
        {"page_size": "2", "after": "c1"},
        {"page_size": "2", "after": "c2"},
    ]


def test_a_cursor_that_comes_back_ends_with_an_error():
    pages = {None: page(["a"], more=True, cursor="c1"), "c1": page(["b"], more=True, cursor="c1")}
    server = MockServer({THREADS: lambda r: json_response(200, pages[r.url.params.get("after")])})
    with server.client() as client, pytest.raises(APIError, match="cursor 'c1' again"):
        list(client.threads.iter_all(P, page_size=1))
    assert len(server.requests) == 2


def test_a_server_ignoring_page_ends_with_an_error_not_a_loop():
    server = MockServer({THREADS: json_response(200, page(["a", "b"], more=True))})
    with server.client() as client, pytest.raises(APIError, match="repeats an earlier page"):
        list(client.threads.iter_all(P, page_size=2))
    assert len(server.requests) == 2


def test_more_without_a_cursor_after_cursor_paging_is_an_error():
    pages = {None: page(["a"], more=True, cursor="c1"), "c1": page(["b"], more=True)}
    server = MockServer({THREADS: lambda r: json_response(200, pages[r.url.params.get("after")])})
    with server.client() as client, pytest.raises(APIError, match="no next_cursor"):
        list(client.threads.iter_all(P, page_size=1))


def test_an_empty_page_ends_the_walk():
    server = MockServer({THREADS: [json_response(200, page(["a"], more=True)), json_response(200, page([], more=True))]})
    with server.client() as client:
        assert [t.id for t in client.threads.iter_all(P, page_size=1)] == ["a"]
    assert len(server.requests) == 2


def interaction(iid: str, created_at: object) -> dict:
    return {"id": iid, "state": "Completed", "created_at": created_at, "user_input": {"role": "user", "content": [{"type": "text", "text": iid}]}}


def test_thread_history_asks_for_ascending_order_and_sorts_by_created_at():
    newest_first = {
        "data": [interaction("i3", "2026-02-08T14:41:10Z"), interaction("i2", "2026-02-08T14:40:00.25+00:00"), interaction("i1", "2026-02-08T14:40:00.1Z")],
        "has_next_page": False,
        "has_previous_page": False,
    }
    server = MockServer({HISTORY: json_response(200, newest_first)})
    with server.client() as client:
        turns = client.run(thread_turns(client.api, T, page_size=20))
        listed = list(client.interactions.iter_all(T, page_size=20))
    assert [t.interaction_id for t in turns] == ["i1", "i2", "i3"]
    assert [i.id for i in listed] == ["i3", "i2", "i1"]  # the resource gives the server's order
    for request in server.requests:
        assert dict(request.url.params) == {"page_size": "20", "page": "1", "page_order": "ASC"}


def test_chronological_keeps_the_server_order_when_a_time_is_missing_or_unreadable():
    a = Interaction.model_validate(interaction("a", "2026-02-08T14:41:10Z"))
    b = Interaction.model_validate(interaction("b", None))
    c = Interaction.model_validate(interaction("c", "yesterday"))
    assert [i.id for i in chronological([a, b])] == ["a", "b"]
    assert [i.id for i in chronological([a, c])] == ["a", "c"]
    earlier = Interaction.model_validate(interaction("e", "2026-02-08T14:41:09.999999999Z"))
    assert [i.id for i in chronological([a, earlier])] == ["e", "a"]


def test_chronological_reads_epoch_numbers():
    # Servers of 2025-08 send created_at as a number (the model must accept it to get here).
    first, second = Interaction.model_construct(id="x", created_at=1739023965), Interaction.model_construct(id="y", created_at=1739023964000)
    assert [i.id for i in chronological([first, second])] == ["y", "x"]
