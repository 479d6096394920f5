"""Streams (fidelity §13): both Workspace shapes rebuild the non-streamed answer;
interactions Processing/stream/cancel; a cut stream stores what it delivered."""

from __future__ import annotations

import json
from typing import Any, Iterator

import httpx
import pytest

from tests.emulator.conftest import (
    G,
    W,
    client_for,
    comparable,
    events_of,
    new_document,
    new_project,
    new_thread,
    rebuild,
    texts,
    user,
)
from zylon_core.emulator.engine import EngineInput, generate
from zylon_core.emulator.sse import build_events, closing_events
from zylon_core.emulator.state import EmulatorState
from zylon_core.emulator.testing import run_emulator

JOKE = {
    "type": "object",
    "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}},
    "required": ["setup", "punchline"],
}
MAGIC = {
    "name": "magic_function",
    "description": "Apply a magic function to an input.",
    "inputSchema": {"type": "object", "properties": {"input": {"type": "integer"}}, "required": ["input"]},
}

# (name, request extras, user text, needs a project with a document)
KINDS = [
    ("text", {}, "Hello there, how are you?", False),
    ("thinking", {"thinking": {"enabled": True}}, "Plan the week", False),
    ("max_tokens", {"max_tokens": 3}, "one two three four five", False),
    ("tool_use", {"tools": [MAGIC]}, "What is the value of magic_function(3)? Use the tool.", False),
    ("json", {"response_format": {"type": "json_schema", "json_schema": JOKE}}, "Tell me a joke about cats.", False),
    ("deltas", {}, "/deltas 12", False),
    ("builtin_search", {"tools": [{"name": "semantic_search", "type": "semantic_search_v1"}]}, "How are invoices paid?", True),
    ("citations", {"system": {"citations": {"enabled": True}}}, "How are invoices paid?", True),
]


@pytest.fixture(scope="module")
def minimal_server() -> Iterator[Any]:
    with run_emulator(stream_shape="minimal") as server:
        yield server


@pytest.fixture(params=["full", "minimal"])
def shaped(request: pytest.FixtureRequest, emulator: Any, minimal_server: Any) -> Iterator[tuple[str, httpx.Client]]:
    server = emulator if request.param == "full" else minimal_server
    with client_for(server) as client:
        yield request.param, client


def rebuild_minimal(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer a ``minimal`` stream delivers: key-less deltas extend the last block of
    their kind, ``content_block_synthetic`` blocks come whole."""
    message: dict[str, Any] = {}
    content: list[dict[str, Any]] = []
    for event in events:
        if event["type"] == "message_start":
            message = dict(event["message"])
        elif event["type"] == "content_block_synthetic":
            content.append(event["block"])
        elif event["type"] == "content_block_delta":
            delta = event["delta"]
            kind, key = ("text", "text") if delta["type"] == "text_delta" else ("thinking", "thinking")
            if not content or content[-1]["type"] != kind or content[-1].get("_closed"):
                content.append({"type": kind, key: ""})
            content[-1][key] += delta[key]
            if delta.get("citations"):
                content[-1].setdefault("citations", []).extend(delta["citations"])
    message["content"] = content
    return message


def delivered(events: list[dict[str, Any]], shape: str) -> dict[str, Any]:
    return rebuild(events) if shape == "full" else rebuild_minimal(events)


def same_content(streamed: dict[str, Any], plain: dict[str, Any]) -> None:
    ours = comparable(streamed["content"])
    theirs = comparable(plain["content"])
    # A minimal stream has no stamps and sends thinking without its signature.
    for block in ours + theirs:
        block.pop("signature", None)
        if block.get("type") == "thinking" and block.get("citations") == []:
            del block["citations"]
    assert ours == theirs


def chat_route(client: httpx.Client, needs_project: bool) -> tuple[str, dict[str, Any]]:
    if not needs_project:
        return f"{W}/chat", {}
    project = new_project(client)
    new_document(client, project["id"], "Invoices", "Invoices are paid by bank transfer within 30 days.\n\nLate invoices get a reminder.")
    return f"{W}/project/{project['id']}/chat", {"all_artifacts": True}


@pytest.mark.parametrize(("kind", "extras", "text", "needs_project"), KINDS, ids=[k[0] for k in KINDS])
def test_workspace_stream_rebuilds_the_answer(shaped: tuple[str, httpx.Client], kind: str, extras: dict[str, Any], text: str, needs_project: bool) -> None:
    shape, client = shaped
    path, wrapper = chat_route(client, needs_project)
    pgpt = {"messages": [user(text)], **extras}

    def body(stream: bool) -> dict[str, Any]:
        request = {**pgpt, "stream": stream}
        return {**wrapper, "pgpt": request} if wrapper else request

    plain = client.post(path, json=body(False)).json()
    if wrapper:  # project chat answers an interaction
        plain = plain["assistant_output"]
        streamed_response = client.get(f"{W}/interaction/{client.post(path, json=body(True)).json()['id']}/stream")
    else:
        streamed_response = client.post(path, json=body(True))
    assert streamed_response.headers["content-type"].startswith("text/event-stream")
    events = events_of(streamed_response.text)
    streamed = delivered(events, shape)
    same_content(streamed, plain)
    assert plain["content"], "every kind of answer has content"
    if shape == "full":
        assert streamed["stop_reason"] == plain["stop_reason"]
        assert streamed["usage"] == plain["usage"]
        assert streamed["model"] == plain["model"]
        assert all("block_id" in e and "index" in e for e in events if e["type"].startswith("content_block"))
    else:
        assert {e["type"] for e in events} <= {"message_start", "content_block_delta", "content_block_synthetic", "message_stop"}
        assert all("index" not in e for e in events if e["type"] == "content_block_delta")
        assert "stop_reason" not in streamed
    if kind == "deltas":
        text_deltas = [e for e in events if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"]
        assert len(text_deltas) == 12
    if kind == "tool_use":
        assert plain["stop_reason"] == "tool_use"
        assert any(e.get("delta", {}).get("type") == "input_json_delta" for e in events) == (shape == "full")


@pytest.mark.parametrize(("kind", "extras", "text", "needs_project"), KINDS, ids=[k[0] for k in KINDS])
def test_interaction_stream_rebuilds_the_stored_answer(shaped: tuple[str, httpx.Client], kind: str, extras: dict[str, Any], text: str, needs_project: bool) -> None:
    shape, client = shaped
    project = new_project(client)
    if needs_project:
        new_document(client, project["id"], "Invoices", "Invoices are paid by bank transfer within 30 days.")
    thread = new_thread(client, project["id"])
    body = {"all_artifacts": needs_project, "pgpt": {"messages": [user(text)], "stream": True, **extras}}
    created = client.post(f"{W}/thread/{thread['id']}/interaction", json=body).json()
    assert created["state"] == "Processing"
    streamed = delivered(events_of(client.get(f"{W}/interaction/{created['id']}/stream").text), shape)
    stored = client.get(f"{W}/interaction/{created['id']}").json()
    assert stored["state"] == "Completed" and stored["assistant_output"]
    output = stored["assistant_output"]
    if shape == "full":  # the very same message: id, created, model, usage, blocks and their stamps
        assert {k: v for k, v in streamed.items() if k != "content"} == {k: v for k, v in output.items() if k != "content"}
        assert [{k: v for k, v in b.items()} for b in streamed["content"]] == output["content"]
    else:
        same_content(streamed, output)
        assert streamed["id"] == output["id"]


def test_gpt_messages_stream_rebuilds_the_answer(api: httpx.Client) -> None:
    for extras, text in [({}, "Give a tagline."), ({"tools": [MAGIC]}, "magic_function(4)"), ({"thinking": {"enabled": True}}, "Think")]:
        body = {"model": "default", "max_tokens": 32, "messages": [{"role": "user", "content": text}], **extras}
        plain = api.post(f"{G}/messages", json=body).json()
        streamed = rebuild(events_of(api.post(f"{G}/messages", json={**body, "stream": True}).text))
        assert comparable(streamed["content"]) == comparable(plain["content"])
        assert (streamed["type"], streamed["stop_reason"]) == ("message", plain["stop_reason"])
        assert streamed["usage"] == {k: plain["usage"][k] for k in ("input_tokens", "output_tokens")}


def test_ping_events_do_not_change_the_answer() -> None:
    with run_emulator(ping=True) as server, client_for(server) as client:
        response = client.post(f"{W}/chat", json={"stream": True, "messages": [user("/deltas 25")]})
        events = events_of(response.text)
        assert sum(e["type"] == "ping" for e in events) >= 3
        assert texts(rebuild([e for e in events if e["type"] != "ping"])) == " ".join(f"tok{i}" for i in range(25))


def test_workspace_stop_reason_style() -> None:
    with run_emulator(stop_reason_style="workspace") as server, client_for(server) as client:
        plain = client.post(f"{W}/chat", json={"messages": [user("hi")]}).json()
        assert plain["stop_reason"] == "stop"
        streamed = rebuild(events_of(client.post(f"{W}/chat", json={"stream": True, "messages": [user("hi")]}).text))
        assert streamed["stop_reason"] == "stop"
        gpt = client.post(f"{G}/messages", json={"messages": [{"role": "user", "content": "hi"}]}).json()
        assert gpt["stop_reason"] == "end_turn"


# -- interactions ----------------------------------------------------------------------------


def create(client: httpx.Client, thread_id: str, text: str, stream: bool = True) -> dict[str, Any]:
    response = client.post(f"{W}/thread/{thread_id}/interaction", json={"pgpt": {"messages": [user(text)], "stream": stream}})
    assert response.status_code == 201, response.text
    return response.json()


def test_streamed_interaction_is_processing_until_streamed(api: httpx.Client, thread: dict[str, Any]) -> None:
    created = create(api, thread["id"], "Tell me about streams")
    assert created["state"] == "Processing" and "assistant_output" not in created
    assert api.get(f"{W}/interaction/{created['id']}").json()["state"] == "Processing"
    first = api.get(f"{W}/interaction/{created['id']}/stream")
    assert first.headers["content-type"].startswith("text/event-stream")
    streamed = rebuild(events_of(first.text))
    stored = api.get(f"{W}/interaction/{created['id']}").json()
    assert stored["state"] == "Completed" and stored["assistant_output"]
    assert comparable(streamed["content"]) == comparable(stored["assistant_output"]["content"])
    assert texts(streamed) == 'You said: "Tell me about streams". This is turn 1 of this thread.'
    replay = rebuild(events_of(api.get(f"{W}/interaction/{created['id']}/stream").text))
    assert replay == streamed
    assert api.post(f"{W}/interaction/{created['id']}/cancel").status_code == 409


def test_cancel_before_streaming(api: httpx.Client, thread: dict[str, Any]) -> None:
    created = create(api, thread["id"], "Never mind")
    cancel = api.post(f"{W}/interaction/{created['id']}/cancel")
    assert cancel.status_code == 204 and cancel.content == b""
    stored = api.get(f"{W}/interaction/{created['id']}").json()
    assert stored["state"] == "Completed"
    assert stored["assistant_output"]["stop_reason"] == "cancelled" and stored["assistant_output"]["content"] == []
    again = api.post(f"{W}/interaction/{created['id']}/cancel")
    assert again.status_code == 409 and "already Completed" in again.json()["message"] and again.json()["type"] == "Conflict"
    replay = rebuild(events_of(api.get(f"{W}/interaction/{created['id']}/stream").text))
    assert replay["stop_reason"] == "cancelled" and replay["content"] == []
    assert api.post(f"{W}/interaction/inter_missing/cancel").status_code == 404


def test_cancel_while_streaming_stops_the_stream() -> None:
    with run_emulator(stream_delay=0.01) as server, client_for(server) as client:
        thread = new_thread(client, new_project(client)["id"])
        created = create(client, thread["id"], "/deltas 5000")
        lines: list[str] = []
        with client.stream("GET", f"{W}/interaction/{created['id']}/stream") as response:
            received = response.iter_lines()
            for line in received:
                lines.append(line)
                if '"text_delta"' in line:
                    with client_for(server) as other:
                        assert other.post(f"{W}/interaction/{created['id']}/cancel").status_code == 204
                    break
            lines.extend(received)
        partial = rebuild(events_of("\n".join(lines)))
        assert partial["stop_reason"] == "cancelled"
        text = texts(partial)
        assert text.startswith("tok0") and len(text.split()) < 5000
        stored = client.get(f"{W}/interaction/{created['id']}").json()
        assert stored["state"] == "Completed"
        assert stored["assistant_output"]["stop_reason"] == "cancelled"
        assert texts(stored["assistant_output"]) == text


def test_always_processing_and_minimal_interaction_streams() -> None:
    with run_emulator(always_processing=True, stream_shape="minimal") as server, client_for(server) as client:
        thread = new_thread(client, new_project(client)["id"])
        created = create(client, thread["id"], "My name is Ada.", stream=False)
        assert created["state"] == "Processing"
        events = events_of(client.get(f"{W}/interaction/{created['id']}/stream").text)
        assert [e["type"] for e in events][0] == "message_start" and events[-1]["type"] == "message_stop"
        second = create(client, thread["id"], "What is my name?", stream=False)
        streamed = rebuild_minimal(events_of(client.get(f"{W}/interaction/{second['id']}/stream").text))
        assert texts(streamed) == "Your name is Ada. This is turn 2 of this thread."


def test_cancel_after_the_client_left_the_stream() -> None:
    with run_emulator(stream_delay=0.01) as server, client_for(server) as client:
        thread = new_thread(client, new_project(client)["id"])
        created = create(client, thread["id"], "/deltas 5000")
        with client.stream("GET", f"{W}/interaction/{created['id']}/stream") as response:
            for line in response.iter_lines():
                if '"text_delta"' in line:
                    break
        assert client.post(f"{W}/interaction/{created['id']}/cancel").status_code == 204
        stored = client.get(f"{W}/interaction/{created['id']}").json()
        assert stored["state"] == "Completed" and stored["assistant_output"]["stop_reason"] == "cancelled"
        assert texts(stored["assistant_output"]).startswith("tok0")
        assert len(texts(stored["assistant_output"]).split()) < 5000


# -- what a cut-short stream delivered (no server) ---------------------------------------------


def _answers() -> list[Any]:
    state = EmulatorState(chunk_words=10)
    state.ingest("p", "doc", "Invoices are paid by bank transfer within 30 days.\n\nLate invoices get a reminder by email.", {}, name="Invoices")

    def search(query: str, limit: int) -> list[Any]:
        return state.search(query, collections=["p"], limit=limit, positive_only=True)

    def said(text: str) -> list[dict[str, Any]]:
        return [{"role": "user", "content": [{"type": "text", "text": text}]}]

    return [
        generate(EngineInput(messages=said("Plan the week, please, step by step"), thinking=True)),
        generate(EngineInput(messages=said("/deltas 9"))),
        generate(EngineInput(messages=said("How are invoices paid?"), search=search, citations=True)),
        generate(EngineInput(messages=said("invoices reminder"), tools=[{"name": "s", "type": "semantic_search_v1"}], tool_search=search, zylon=True)),
        generate(EngineInput(messages=said("What is magic_function(3)?"), tools=[MAGIC])),
        generate(EngineInput(messages=[{"role": "user", "content": [DOCUMENT, {"type": "text", "text": "When?"}]}], thinking=True)),
    ]


DOCUMENT = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The meeting is on Friday."}, "title": "notes.txt"}


@pytest.mark.parametrize("shape", ["full", "minimal"])
@pytest.mark.parametrize("profile", ["C", "A"])
@pytest.mark.parametrize("ping", [False, True])
def test_a_cut_stream_stores_what_its_events_delivered(shape: str, profile: str, ping: bool) -> None:
    """At every cut, the answer a cancel stores is the one a client accumulating the
    events written so far (and the closing events) rebuilds."""
    for output in _answers():
        head = {"id": "msg_cut", "role": "assistant", "model": "default"}
        stream = build_events(head, output.content, output.stop_reason, output.usage, shape=shape, profile=profile, pieces=output.pieces, ping=ping)
        for count in range(len(stream.events) + 1):
            sent = stream.events[:count]
            events = [json.loads(json.dumps(e)) for e in sent + closing_events(sent, "cancelled", shape)]
            events = [e for e in events if e["type"] != "ping"]
            if not events or events[0]["type"] != "message_start":
                events.insert(0, {"type": "message_start", "message": dict(head)})
            rebuilt = delivered(events, shape)["content"]
            stored = stream.content_sent(count)
            if shape == "full":
                assert comparable(stored) == comparable(rebuilt), (count, stored, rebuilt)
            else:
                assert [b.get("text") or b.get("thinking") or b.get("type") for b in stored] == [
                    b.get("text") or b.get("thinking") or b.get("type") for b in rebuilt
                ], (count, stored, rebuilt)
        assert stream.content_sent(len(stream.events)) == output.content
