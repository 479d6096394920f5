"""Streams: both shapes rebuild the non-streamed answer; interactions Processing/stream/cancel."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import httpx
import pytest

from tests.conftest import TEST_TOKEN
from tests.emulator.conftest import G, W, accumulate, client_for, events_of, new_document, new_project, new_thread, texts, user
from zylon_core import AsyncZylonClient, Route, StreamAccumulator, ZylonClient
from zylon_core.emulator.engine import EngineInput, generate
from zylon_core.emulator.sse import build_events, closing_events
from zylon_core.emulator.state import EmulatorState
from zylon_core.emulator.testing import run_emulator
from zylon_core.errors import StreamError
from zylon_core.models import ChatRequest, Interaction, MessageInput, MessageOutput, TextBlock, parse_block

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


def comparable(message: MessageOutput | dict[str, Any]) -> list[dict[str, Any]]:
    """Content with tool ids replaced by their order (each call makes new ids)."""
    data = message.model_dump(mode="json", by_alias=True) if isinstance(message, MessageOutput) else message
    ids: dict[str, str] = {}
    content = []
    for block in MessageOutput.model_validate(data).model_dump(mode="json", by_alias=True)["content"]:
        for key in ("id", "tool_use_id"):
            if block.get(key) and str(block[key]).startswith("toolu_"):
                block[key] = ids.setdefault(block[key], f"tool-{len(ids)}")
        content.append(block)
    return content


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

    plain = MessageOutput.model_validate(client.post(path, json=body(False)).json())
    streamed_response = client.post(path, json=body(True))
    assert streamed_response.headers["content-type"].startswith("text/event-stream")
    streamed = accumulate(streamed_response.text)
    assert comparable(streamed) == comparable(plain)
    assert plain.content, "every kind of answer has content"
    events = events_of(streamed_response.text)
    if shape == "full":
        assert streamed.stop_reason == plain.stop_reason
        assert streamed.usage == plain.usage
        assert streamed.model == plain.model
        assert all("block_id" in e and "index" in e for e in events if e["type"].startswith("content_block"))
    else:
        assert {e["type"] for e in events} <= {"message_start", "content_block_delta", "content_block_synthetic", "message_stop"}
        assert all("index" not in e for e in events if e["type"] == "content_block_delta")
        assert streamed.stop_reason is None
    if kind == "deltas":
        text_deltas = [e for e in events if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"]
        assert len(text_deltas) == 12
    if kind == "tool_use":
        assert plain.stop_reason == "tool_use"
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
    streamed = accumulate(client.get(f"{W}/interaction/{created['id']}/stream").text)
    stored = Interaction.model_validate(client.get(f"{W}/interaction/{created['id']}").json())
    assert stored.state == "Completed" and stored.assistant_output is not None
    if shape == "full":
        assert streamed == stored.assistant_output  # the very same message: id, created, model, usage...
    else:
        assert streamed.content == stored.assistant_output.content and streamed.id == stored.assistant_output.id


def test_gpt_messages_stream_rebuilds_the_answer(api: httpx.Client) -> None:
    for extras, text in [({}, "Give a tagline."), ({"tools": [MAGIC]}, "magic_function(4)"), ({"thinking": {"enabled": True}}, "Think")]:
        body = {"model": "default", "max_tokens": 32, "messages": [{"role": "user", "content": text}], **extras}
        plain = MessageOutput.model_validate(api.post(f"{G}/messages", json=body).json())
        streamed = accumulate(api.post(f"{G}/messages", json={**body, "stream": True}).text)
        assert comparable(streamed) == comparable(plain)
        assert (streamed.type, streamed.stop_reason, streamed.stop_sequence, streamed.usage) == (
            "message", plain.stop_reason, None, plain.usage,
        )


def test_ping_events_do_not_change_the_answer() -> None:
    with run_emulator(ping=True) as server, client_for(server) as client:
        response = client.post(f"{W}/chat", json={"stream": True, "messages": [user("/deltas 25")]})
        events = events_of(response.text)
        assert sum(e["type"] == "ping" for e in events) >= 3
        assert texts(accumulate(response.text)) == " ".join(f"tok{i}" for i in range(25))


def test_workspace_stop_reason_style() -> None:
    with run_emulator(stop_reason_style="workspace") as server, client_for(server) as client:
        plain = client.post(f"{W}/chat", json={"messages": [user("hi")]}).json()
        assert plain["stop_reason"] == "stop"
        streamed = accumulate(client.post(f"{W}/chat", json={"stream": True, "messages": [user("hi")]}).text)
        assert streamed.stop_reason == "stop"
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
    streamed = accumulate(first.text)
    stored = Interaction.model_validate(api.get(f"{W}/interaction/{created['id']}").json())
    assert stored.state == "Completed" and stored.assistant_output is not None
    assert comparable(streamed) == comparable(stored.assistant_output)
    assert texts(streamed) == 'You said: "Tell me about streams". This is turn 1 of this thread.'
    replay = accumulate(api.get(f"{W}/interaction/{created['id']}/stream").text)
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
    assert again.status_code == 409 and "already Completed" in again.json()["message"]
    replay = accumulate(api.get(f"{W}/interaction/{created['id']}/stream").text)
    assert replay.stop_reason == "cancelled" and replay.content == []
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
        partial = accumulate("\n".join(lines))
        assert partial.stop_reason == "cancelled"
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
        streamed = accumulate(client.get(f"{W}/interaction/{second['id']}/stream").text)
        assert texts(streamed) == "Your name is Ada. This is turn 2 of this thread."


# -- the core clients against the emulator ---------------------------------------------------------


def test_core_client_thread_turns(emulator: Any, api: httpx.Client, thread: dict[str, Any]) -> None:
    route = Route.create(thread_id=thread["id"])
    with ZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        first = client.run_turn(route, ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="My name is Lin.")])]))
        assert first.interaction_id and first.thread_id == thread["id"]
        history = [
            MessageInput(role="user", content=[TextBlock(text="My name is Lin.")]),
            MessageInput(role="assistant", content=first.message.content),
            MessageInput(role="user", content=[TextBlock(text="What is my name?")]),
        ]
        stream = client.stream_turn(route, ChatRequest(messages=history))
        deltas = list(stream)
        assert stream.result is not None
        assert "".join(d.text for d in deltas if d.kind == "text") == "Your name is Lin. This is turn 2 of this thread."
        assert stream.result.stop_reason == "end_turn"
    sent = [r for r in emulator.requests if r["path"] == f"{W}/thread/{thread['id']}/interaction" and r["method"] == "POST"]
    assert [len(r["json"]["pgpt"]["messages"]) for r in sent[-2:]] == [1, 1]
    assert all("authorization" not in r["headers"] for r in emulator.requests)


async def test_async_core_client_chat_and_project(emulator: Any, api: httpx.Client) -> None:
    project = new_project(api)
    new_document(api, project["id"], "Refunds", "Refunds are processed within five business days.")
    async with AsyncZylonClient(base_url=emulator.base_url, api_token=TEST_TOKEN) as client:
        one_shot = await client.run_turn(Route.create(), ChatRequest(messages=[MessageInput(role="user", content="What is 6 * 7?")]))
        assert texts(one_shot.message) == "6 * 7 = 42."
        request = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="How fast are refunds processed?")])])
        deltas = [d async for d in client.stream_turn(Route.create(project_id=project["id"], all_artifacts=True), request)]
        assert re.search(r"five business days", "".join(d.text for d in deltas if d.kind == "text"))


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
        generate(EngineInput(messages=said("invoices reminder"), tools=[{"name": "s", "type": "semantic_search_v1"}], tool_search=search)),
        generate(EngineInput(messages=said("What is magic_function(3)?"), tools=[MAGIC])),
    ]


@pytest.mark.parametrize("shape", ["full", "minimal"])
@pytest.mark.parametrize("ping", [False, True])
def test_a_cut_stream_stores_what_its_events_delivered(shape: str, ping: bool) -> None:
    """At every cut, the answer a cancel stores is the one a client accumulating the
    events written so far (and the closing events) rebuilds, except a tool call whose
    arguments were cut short, which is kept with an empty input."""
    cut_tool_calls = 0
    for output in _answers():
        head = {"id": "msg_cut", "role": "assistant", "model": "default"}
        stream = build_events(head, output.content, output.stop_reason, output.usage, shape=shape, pieces=output.pieces, ping=ping)
        for count in range(len(stream.events) + 1):
            sent = stream.events[:count]
            accumulator = StreamAccumulator()
            for event in sent + closing_events(sent, "cancelled", shape):
                accumulator.feed(json.loads(json.dumps(event)))
            # Read the way the client reads it (a citation's digit-string index is an int).
            stored = [parse_block(block).to_json_dict() for block in stream.content_sent(count)]
            try:
                rebuilt = [block.to_json_dict() for block in accumulator.finish().content]
            except StreamError:  # the client cannot read half a tool input either
                assert stored[-1]["type"] == "tool_use" and stored[-1]["input"] == {}
                cut_tool_calls += 1
                continue
            assert stored == rebuilt, (count, stored, rebuilt)
        assert stream.content_sent(len(stream.events)) == output.content
    # Only the full shape streams tool inputs in pieces; the minimal one sends blocks whole.
    assert (cut_tool_calls > 0) == (shape == "full")
