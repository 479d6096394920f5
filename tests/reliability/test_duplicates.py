"""No duplicate creates: a request that creates something is sent again only when it
cannot have reached the server (the connection could not be made) or when the server
refused it before acting on it (408, 429, 503, 529). Once the server may have seen it
(a reset after the request arrived, a 500/502/504, an answer cut off half-way) the
caller gets the error, and the server holds the turn once. Requests that are safe to
repeat are still retried after those.

Every call builder says which it is (``Call.idempotent``); the table below is the
contract, and a builder added later must be added to it.
"""

from __future__ import annotations

import inspect
import socket
from typing import Any, Callable

import httpx
import pytest
from langchain_core import exceptions as lc_errors
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import FaultServer, forward, half, reset, respond
from tests.reliability.support import HEADERS, TOKEN, new_thread
from zylon_core import APIConnectionError, InternalServerError, Route, ZylonClient, ZylonSettings
from zylon_core._api import Endpoints, PageQuery
from zylon_core._transport import Call
from zylon_core.models import ChatRequest, ContextFilter, CreateInteractionDTO, MessageInput, ProjectChatDTO, TextBlock
from zylon_core.models.ingest import IngestBody, IngestInput

REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])
INTERACTION = {"id": "inter_1", "thread_id": "t1", "state": "Completed",
               "assistant_output": {"id": "m", "role": "assistant", "content": [{"type": "text", "text": "the whole answer"}]}}
THREAD = {"id": "thread_1", "name": "t", "visibility": "Private"}

# builder -> (how to build its call, whether resending it is safe)
BUILDERS: dict[str, tuple[Callable[[Endpoints], Call[Any]], bool]] = {
    "chat": (lambda api: api.chat(REQUEST), False),
    "chat_validate": (lambda api: api.chat_validate(REQUEST), True),
    "project_chat": (lambda api: api.project_chat("p1", ProjectChatDTO(pgpt=REQUEST)), False),
    "thread_create": (lambda api: api.thread_create("p1", "t"), False),
    "thread_get": (lambda api: api.thread_get("t1"), True),
    "thread_update": (lambda api: api.thread_update("t1", name="n"), True),
    "thread_delete": (lambda api: api.thread_delete("t1"), True),
    "thread_page": (lambda api: api.thread_page("p1", PageQuery()), True),
    "interaction_create": (lambda api: api.interaction_create("t1", CreateInteractionDTO(pgpt=REQUEST)), False),
    "interaction_get": (lambda api: api.interaction_get("i1"), True),
    "interaction_delete": (lambda api: api.interaction_delete("i1"), True),
    "interaction_cancel": (lambda api: api.interaction_cancel("i1"), True),  # a second cancel changes nothing
    "interaction_stream": (lambda api: api.interaction_stream("i1"), True),
    "interaction_page": (lambda api: api.interaction_page("t1", PageQuery()), True),
    "project_create": (lambda api: api.project_create("p"), False),
    "project_get": (lambda api: api.project_get("p1"), True),
    "project_delete": (lambda api: api.project_delete("p1"), True),
    "user_projects": (lambda api: api.user_projects("u1", PageQuery()), True),
    "models": (lambda api: api.models(), True),
    "search": (lambda api: api.search("what"), True),
    "me": (lambda api: api.me(), True),
    "health": (lambda api: api.health(), True),
    "messages_validate": (lambda api: api.messages_validate(REQUEST), True),
    "messages": (lambda api: api.messages(REQUEST), False),  # a turn: the answer would be generated twice
    "messages_count_tokens": (lambda api: api.messages_count_tokens(REQUEST), True),
    "model_get": (lambda api: api.model_get("m1"), True),
    "background_create": (lambda api: api.background_create(REQUEST), False),  # would run the turn twice
    "background_status": (lambda api: api.background_status("b1"), True),
    "background_stream": (lambda api: api.background_stream("b1"), True),  # replays, changes nothing
    "background_cancel": (lambda api: api.background_cancel("b1"), True),  # a second cancel changes nothing
    "background_delete": (lambda api: api.background_delete("b1"), True),
    "embeddings": (lambda api: api.embeddings("hi"), True),
    "chunk_search": (lambda api: api.chunk_search("hi"), True),
    "artifact_create": (lambda api: api.artifact_create("p1", {"type": "Folder", "name": "f"}), False),
    "artifact_upload": (lambda api: api.artifact_upload("p1", b"x", file_name="a.txt"), False),
    "artifact_document": (lambda api: api.artifact_document("p1", "n", "text"), False),
    "artifact_get": (lambda api: api.artifact_get("p1", "a1"), True),
    "artifact_page": (lambda api: api.artifact_page("p1", PageQuery(), {}), True),
    "artifact_update": (lambda api: api.artifact_update("p1", "a1", name="n"), True),
    "artifact_bulk_update": (lambda api: api.artifact_bulk_update("p1", {"a1": {"name": "n"}}), True),
    "artifact_delete": (lambda api: api.artifact_delete("p1", "a1"), True),
    "artifact_bulk_delete": (lambda api: api.artifact_bulk_delete("p1", ["a1"]), True),
    "artifact_private": (lambda api: api.artifact_private("p1", "a1"), True),
    "artifact_parsed_content": (lambda api: api.artifact_parsed_content("p1", "a1"), True),
    "artifact_download": (lambda api: api.artifact_download("p1", "a1"), True),
    "presigned_get": (lambda api: api.presigned_get("https://storage.example/x"), True),
    "artifact_sync": (lambda api: api.artifact_sync("p1", "a1"), False),
    "is_safe_to_modify": (lambda api: api.is_safe_to_modify(project_id="p1"), True),
    # ZylonGPT collections
    "ingest": (lambda api: api.ingest(IngestBody(artifact="a1", collection="c1", input=IngestInput(type="text", value="x"))), False),
    "ingested_list": (lambda api: api.ingested_list("c1"), True),
    "ingested_metadata": (lambda api: api.ingested_metadata("c1"), True),
    "ingested_delete": (lambda api: api.ingested_delete("c1", "a1"), True),  # deleting twice: the same state
    "ingested_content": (lambda api: api.ingested_content(ContextFilter(collection="c1")), True),
    "ingested_chunked_content": (lambda api: api.ingested_chunked_content(ContextFilter(collection="c1")), True),
}


def api() -> Endpoints:
    return Endpoints(ZylonSettings.resolve(base_url="http://zylon.invalid", api_token=TOKEN, paths="current"))


def test_every_call_builder_is_in_the_table():
    builders = {
        name
        for name, member in inspect.getmembers(Endpoints, inspect.isfunction)
        if not name.startswith("_") and str(inspect.signature(member).return_annotation).startswith("Call[")
    }
    assert builders == set(BUILDERS), f"classify these builders: {sorted(builders ^ set(BUILDERS))}"


@pytest.mark.parametrize("name", BUILDERS)
def test_each_builder_says_whether_resending_it_is_safe(name):
    build, safe = BUILDERS[name]
    call = build(api())
    assert call.idempotent is safe, f"{name}: {call.method} {call.path}"


# -- through the core client, against the fault server -------------------------------------


def client_for(server: FaultServer, **kw: Any) -> ZylonClient:
    return ZylonClient(ZylonSettings.resolve(base_url=server.base_url, api_token=TOKEN, max_retries=2, **kw))


CREATES: dict[str, Callable[[ZylonClient], Any]] = {
    "chat": lambda c: c.chat.create(REQUEST),
    "interaction": lambda c: c.interactions.create("t1", CreateInteractionDTO(pgpt=REQUEST)),
    "thread": lambda c: c.threads.create("p1", "t"),
    "project": lambda c: c.projects.create("p"),
    "upload": lambda c: c.artifacts.upload("p1", b"data", file_name="a.txt"),
}


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", CREATES)
def test_a_created_answer_cut_off_half_way_is_an_error_and_not_resent(server, slept, name):
    """201 Created with half a body, then a reset: the server acted; sending it again
    would create it twice."""
    server.play(half(201, INTERACTION), respond(201, INTERACTION))
    with pytest.raises(APIConnectionError, match="not sent again") as caught:
        CREATES[name](client_for(server))
    assert len(server.requests) == 1 and slept == []
    assert "may have acted on it" in str(caught.value)


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", CREATES)
def test_a_reset_after_a_create_arrived_is_not_resent(server, slept, name):
    server.play(reset(), respond(201, INTERACTION))
    with pytest.raises(APIConnectionError, match="not sent again"):
        CREATES[name](client_for(server))
    assert len(server.requests) == 1


@pytest.mark.fault("loud")
@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("name", ["interaction", "upload"])
def test_a_5xx_after_a_create_is_not_resent(server, slept, name, status):
    server.play(respond(status, {"message": f"upstream {status}"}), respond(201, INTERACTION))
    with pytest.raises(InternalServerError, match=f"upstream {status}"):
        CREATES[name](client_for(server))
    assert len(server.requests) == 1


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("status", [408, 429, 503, 529])
@pytest.mark.parametrize("name", ["interaction", "thread"])
def test_a_create_refused_before_the_server_acted_is_resent(server, slept, name, status):
    server.play(respond(status, {"message": "not now"}), respond(201, {**INTERACTION, **THREAD} if name == "thread" else INTERACTION))
    CREATES[name](client_for(server))
    assert len(server.requests) == 2 and len(slept) == 1


@pytest.mark.fault("recovered")
def test_a_create_that_could_not_connect_is_resent(monkeypatch):
    """Nothing listened on the port (connection refused): the request cannot have
    reached a server, so it is sent again, once the server is up (during the back-off)."""
    placeholder = socket.socket()
    placeholder.bind(("127.0.0.1", 0))  # bound, not listening: connecting is refused
    port = placeholder.getsockname()[1]
    started: list[FaultServer] = []

    def start_the_server(seconds: float) -> None:
        placeholder.close()
        server = FaultServer(port=port).__enter__()
        server.play(respond(201, INTERACTION))
        started.append(server)

    monkeypatch.setattr("zylon_core._transport._sleep", start_the_server)
    client = ZylonClient(base_url=f"http://127.0.0.1:{port}", api_token=TOKEN, max_retries=2)
    try:
        assert CREATES["interaction"](client).id == "inter_1"
        assert len(started) == 1 and len(started[0].requests) == 1
    finally:
        for server in started:
            server.__exit__(None, None, None)


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("cut", ["half", "reset"])
def test_a_read_cut_off_half_way_is_resent(server, slept, cut):
    server.play(half(200, THREAD) if cut == "half" else reset(), respond(200, THREAD))
    assert client_for(server).threads.get("thread_1").id == "thread_1"
    assert len(server.requests) == 2


# -- the thread holds the turn once (the emulator behind a proxy that cuts answers) ---------


def interactions_of(base_url: str, thread_id: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=base_url, headers=HEADERS, timeout=10) as api_client:
        return api_client.get(f"/api/v1/app/thread/{thread_id}/interaction").json()["data"]


TURNS: dict[str, Callable[[str, str], Any]] = {
    "core run_turn": lambda url, t: client_for_url(url).run_turn(Route.create(thread_id=t), REQUEST),
    "ChatZylon.invoke": lambda url, t: ChatZylon(base_url=url, api_token=TOKEN, thread_id=t).invoke([HumanMessage("hi")]),
    "Zylon.chat": lambda url, t: Zylon(base_url=url, api_token=TOKEN, thread_id=t).chat([ChatMessage(role="user", content="hi")]),
}


def client_for_url(url: str) -> ZylonClient:
    return ZylonClient(base_url=url, api_token=TOKEN, max_retries=2)


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", TURNS)
def test_the_thread_holds_a_turn_cut_off_after_it_was_created_once(emulator, slept, name):
    thread_id = new_thread(emulator.base_url)
    with FaultServer() as proxy:
        proxy.play(forward(emulator.base_url, cut_after=40), forward(emulator.base_url))
        with pytest.raises((APIConnectionError, lc_errors.ModelConnectionError), match="not sent again"):
            TURNS[name](proxy.base_url, thread_id)
        assert [r[0] for r in proxy.requests] == ["POST"]
    stored = interactions_of(emulator.base_url, thread_id)
    assert len(stored) == 1 and stored[0]["user_input"]["content"][0]["text"] == "hi"


@pytest.mark.fault("recovered")
@pytest.mark.parametrize("name", TURNS)
def test_a_turn_refused_then_accepted_is_stored_once(emulator, slept, name):
    thread_id = new_thread(emulator.base_url)
    with FaultServer() as proxy:
        proxy.play(respond(503, {"error": {"type": "overloaded_error", "message": "busy"}}), forward(emulator.base_url))
        TURNS[name](proxy.base_url, thread_id)
        assert [r[0] for r in proxy.requests] == ["POST", "POST"]
    assert len(interactions_of(emulator.base_url, thread_id)) == 1
