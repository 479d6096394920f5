"""ZylonGPT ``/messages``: answers and streams shaped like the real server's captures
(fidelity §1-§6, §13, §17, P2.1). Each test sends a captured request (or one like it)
and compares the keys, value types and event order with the captured answer."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import httpx
import pytest

from tests.emulator.conftest import G, assert_events_like, assert_shape, client_for, comparable, events_of, ingest, rebuild, texts
from zylon_core.emulator.testing import run_emulator

CITATION = re.compile(r"<citation id='([A-Z0-9]{4})' index='(\d+)' artifact_id='([^']*)' source_id='([^']*)' correlation_id='([0-9a-f-]{36})'></citation>")
HEX32 = r"[0-9a-f]{32}"


@pytest.fixture(scope="module")
def gpt(captures: Any) -> Iterator[httpx.Client]:
    """The session's kind of emulator, with the captures' documents in collection 'capture'."""
    with run_emulator() as server, client_for(server) as client:
        for name in ("C_ingest_text_a", "ingest_file_b"):
            assert client.post(f"{G}/artifacts/ingest", json=captures(name).request).status_code == 200
        yield client


def post(client: httpx.Client, body: dict[str, Any], **extra: Any) -> Any:
    response = client.post(f"{G}/messages", json={**body, **extra})
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("text/event-stream"):
        return events_of(response.text)
    return response.json()


def test_text_answer(gpt: httpx.Client, captures: Any) -> None:
    real = captures("C_msg_text")
    ours = post(gpt, real.request)
    assert_shape(ours, real.response)
    assert (ours["model"], ours["stop_reason"], ours["stop_sequence"], ours["container"]) == ("private-gpt", "end_turn", None, None)
    assert re.fullmatch(f"msg_{HEX32}", ours["id"])
    assert texts(ours) == 'You said: "Hello there".'


def test_text_stream(gpt: httpx.Client, captures: Any) -> None:
    real = captures("C_msg_text_stream")
    ours = post(gpt, real.request)
    assert_events_like(ours, real.events)
    assert [e["type"] for e in ours][:2] == ["message_start", "content_block_start"] and ours[-2:] == [ours[-2], {"type": "message_stop"}]
    assert ours[0]["message"]["usage"] == {"input_tokens": 0, "output_tokens": 0}  # always zeros at the start
    delta = ours[-2]
    assert delta["type"] == "message_delta" and delta["delta"] == {"stop_reason": "end_turn"}
    assert set(delta["usage"]) == {"input_tokens", "output_tokens"} and delta["usage"]["output_tokens"] > 0
    plain = post(gpt, {**real.request, "stream": False})
    assert comparable(rebuild(ours)["content"]) == comparable(plain["content"])


def test_thinking_has_a_signature(gpt: httpx.Client, captures: Any) -> None:
    real = captures("C_msg_thinking")
    ours = post(gpt, real.request)
    assert_shape(ours, real.response)
    thinking = ours["content"][0]
    assert [b["type"] for b in ours["content"]] == ["thinking", "text"]
    assert re.fullmatch(f"sig_{HEX32}", thinking["signature"]) and thinking["citations"] == []
    streamed = post(gpt, captures("C_msg_thinking_stream").request)
    assert_events_like(streamed, captures("C_msg_thinking_stream").events)
    start = next(e for e in streamed if e["type"] == "content_block_start")
    assert start["content_block"]["thinking"] == "" and re.fullmatch(f"sig_{HEX32}", start["content_block"]["signature"])
    assert not any(e.get("delta", {}).get("type") == "signature_delta" for e in streamed)
    effort = post(gpt, captures("msg_thinking_effort").request | {"model": "default"})
    assert effort["content"][0]["type"] == "thinking"
    anthropic_shape = post(gpt, captures("msg_thinking_anthropic_shape").request | {"model": "default"})
    assert [b["type"] for b in anthropic_shape["content"]] == ["text"]  # accepted, not honoured


def test_history_thinking_needs_its_signature(gpt: httpx.Client, captures: Any) -> None:
    unsigned = captures("client_C_thinking_history_no_signature").request
    assert gpt.post(f"{G}/messages", json=unsigned).status_code == 400
    signed = json.loads(json.dumps(unsigned))
    signed["messages"][1]["content"][0]["signature"] = "sig_" + "0" * 32
    assert post(gpt, signed)["content"][0]["type"] == "thinking"


WEATHER = [{"role": "user", "content": "What is the weather in Paris?"}]


def test_custom_tool_call(gpt: httpx.Client, captures: Any) -> None:
    real = captures("C_msg_tool_auto")  # a scripted model: its prompt is just "Paris"
    ours = post(gpt, {**real.request, "messages": WEATHER})
    assert_shape(ours, real.response)
    use = ours["content"][0]
    assert (use["type"], use["name"], use["input"], ours["stop_reason"]) == ("tool_use", "get_weather", {"city": "Paris"}, "tool_use")
    assert re.fullmatch(f"tool_{HEX32}", use["id"]) and use["caller"] is None


def test_tool_input_streams_as_the_real_server_does(gpt: httpx.Client, captures: Any) -> None:
    real = captures("C_msg_tool_auto_stream")
    ours = post(gpt, {**real.request, "messages": WEATHER})
    assert_events_like(ours, real.events)
    deltas = [e["delta"] for e in ours if e.get("delta", {}).get("type") == "input_json_delta"]
    assert [d["partial_json"] for d in deltas] == ["", "", '{"city": "Paris"}']
    assert all(d["partial_json_obj"] == {"city": "Paris"} for d in deltas)
    assert rebuild(ours)["content"][0]["input"] == {"city": "Paris"} and rebuild(ours)["stop_reason"] == "tool_use"


def test_builtin_search_is_a_server_tool_with_nested_sources_and_citations(gpt: httpx.Client, captures: Any) -> None:
    real = captures("C_msg_rag_zylon")
    ours = post(gpt, real.request)
    assert [b["type"] for b in ours["content"]] == ["server_tool_use", "server_tool_result", "text"]
    assert_shape(ours, real.response)
    use, result, answer = ours["content"]
    assert re.fullmatch(f"srvtoolu_{HEX32}", use["id"]) and use["name"] == "search"
    assert use["input"] == {"query": "How did revenue do?", "artifacts": None}
    assert result["tool_use_id"] == use["id"] and result["is_error"] is False
    assert [b["type"] for b in result["content"]] == ["source", "text"]
    sources = result["content"][0]["sources"]
    assert sources and all(s["object"] == "context.chunk" and "type" not in s for s in sources)
    assert all(s["document"]["artifact"] == "doc_alpha" for s in sources)  # the tool's context names it
    assert result["content"][1]["text"].startswith(f"Citation identifier [{sources[0]['metadata']['shorter_id']}]\n---\nContent:\n")
    assert "stop_timestamp" not in answer  # the last text of a search answer, as captured
    marks = CITATION.findall(answer["text"])
    assert [(c["id"], str(c["index"]), c["artifact_id"], c["source_id"]) for c in answer["citations"]] == [m[:4] for m in marks]
    assert [c["index"] for c in answer["citations"]] == list(range(len(sources)))
    for citation, source in zip(answer["citations"], sources, strict=True):
        assert citation["source_id"] == source["id"] and citation["id"] == source["metadata"]["shorter_id"]


def test_without_the_zylon_extension_the_result_holds_only_text(gpt: httpx.Client, captures: Any) -> None:
    real = captures("C_msg_rag_anthropic")
    ours = post(gpt, real.request)
    assert_shape(ours, real.response)
    result = ours["content"][1]
    assert [b["type"] for b in result["content"]] == ["text"] and ours["content"][2]["citations"]


@pytest.mark.parametrize("name", ["C_msg_rag_zylon_stream", "C_msg_rag_anthropic_stream", "C_msg_rag_tool_context_stream", "C_msg_rag_zylon_thinking_stream"])
def test_search_streams(name: str, gpt: httpx.Client, captures: Any) -> None:
    real = captures(name)
    ours = post(gpt, real.request)
    assert_events_like(ours, real.events)
    starts = [e for e in ours if e["type"] == "content_block_start"]
    stops = {e["index"] for e in ours if e["type"] == "content_block_stop"}
    assert starts[-1]["content_block"]["type"] == "text" and starts[-1]["index"] not in stops  # no stop, as captured
    assert ours[-2]["type"] == "message_delta" and ours[-1]["type"] == "message_stop"
    cited = [e["delta"] for e in ours if e.get("delta", {}).get("citations")]
    assert cited and all(len(d["citations"]) == 1 and len(CITATION.findall(d["text"])) == 1 for d in cited)
    rebuilt = rebuild(ours)
    result = next(b for b in rebuilt["content"] if b["type"] == "server_tool_result")
    assert ("source" in [b["type"] for b in result["content"]]) == ("zylon" in json.dumps(real.request.get("system")))
    plain = post(gpt, {**real.request, "stream": False})
    assert comparable(rebuilt["content"]) == comparable(plain["content"])


def test_a_failing_builtin_tool_gives_a_string_error_result(gpt: httpx.Client, captures: Any) -> None:
    real = captures("msg_rag_zylon")  # the real tool failed: string content, is_error true
    body = {**real.request, "model": "default", "tools": [{"name": "search", "type": "semantic_search_v1"}]}  # no tool_context
    ours = post(gpt, body)
    result = next(b for b in ours["content"] if b["type"] == "server_tool_result")
    real_result = next(b for b in real.response["content"] if b["type"] == "server_tool_result")
    assert_shape(result, real_result)
    assert result["is_error"] is True and isinstance(result["content"], str) and "tool_context" in result["content"]


@pytest.mark.parametrize(("name", "said"), [("msg_document_text", "The meeting is on Friday."), ("msg_binary_legacy", "hello binary")])
def test_documents_are_converted_by_a_server_tool(name: str, said: str, gpt: httpx.Client, captures: Any) -> None:
    real = captures(name)
    ours = post(gpt, {**real.request, "model": "default"})
    assert_shape(ours, real.response, loose=frozenset({"input_tokens", "output_tokens"}))
    assert [b["type"] for b in ours["content"]] == ["server_tool_use", "server_tool_result", "text"]
    use, result, answer = ours["content"]
    assert use["name"] == "document_preprocessing" and use["input"] == real.response["content"][0]["input"]
    assert result["content"][0]["text"] == "Converted document 1 of 1." and said in answer["text"]


@pytest.mark.parametrize("name", ["C_msg_document_zylon_stream", "msg_document_base64_stream"])
def test_document_streams_send_the_conversion_whole(name: str, gpt: httpx.Client, captures: Any) -> None:
    real = captures(name)
    ours = post(gpt, {**real.request, "model": "default"})
    assert_events_like(ours, captures("C_msg_document_zylon_stream").events)
    start = next(e for e in ours if e["type"] == "content_block_start")
    assert start["content_block"]["name"] == "document_preprocessing" and start["content_block"]["input"]["index"] == 0
    assert not any(e["type"] == "content_block_delta" and e["index"] == start["index"] for e in ours)
    assert "Budget: 42k EUR" in texts(rebuild(ours)) or "The meeting is on Friday." in texts(rebuild(ours))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("msg_tool_result_string", "18C and sunny"),
        ("msg_tool_result_blocks", "18C\nsunny"),
        ("msg_tool_result_error_flag", "reported an error: service down"),
        ("msg_tool_result_in_assistant", "Thanks, and tomorrow?"),
    ],
)
def test_tool_results_as_strings_or_blocks_in_either_placement(name: str, expected: str, gpt: httpx.Client, captures: Any) -> None:
    answer = post(gpt, {**captures(name).request, "model": "default"})
    assert expected in texts(answer)


def test_server_blocks_replayed_as_history_are_accepted(gpt: httpx.Client, captures: Any) -> None:
    earlier = post(gpt, captures("C_msg_rag_zylon").request)
    history = [
        {"role": "user", "content": "How did revenue do?"},
        {"role": "assistant", "content": earlier["content"] + [{"type": "redacted_thinking", "data": "opaque"}]},
        {"role": "user", "content": [{"type": "search_result", "source": "x", "title": "t", "content": []}, {"type": "text", "text": "And risks?"}]},
    ]
    assert "And risks?" in texts(post(gpt, {"messages": history}))


def test_request_forms_the_real_server_takes(gpt: httpx.Client, captures: Any) -> None:
    assert post(gpt, captures("msg_unknown_top_level_field").request | {"model": "default"})["content"]
    assert post(gpt, captures("msg_system_list").request | {"model": "default"})["content"]
    assert post(gpt, captures("msg_system_string").request | {"model": "default"})["content"]
    assert post(gpt, captures("msg_tool_client_inputSchema_stream").request | {"model": "default"})[-1] == {"type": "message_stop"}
    lax = captures("err_stream_not_bool")
    assert lax.events and post(gpt, lax.request | {"model": "default"})[0]["type"] == "message_start"  # "yes" is true
    structured = post(gpt, captures("msg_response_format_json_schema").request | {"model": "default"})
    assert set(json.loads(texts(structured))) == {"name"}


def test_stop_sequences_are_honoured(gpt: httpx.Client) -> None:
    answer = post(gpt, {"messages": [{"role": "user", "content": "alpha beta gamma"}], "stop_sequences": ["gamma"]})
    assert (answer["stop_reason"], answer["stop_sequence"]) == ("stop_sequence", "gamma")
    assert texts(answer) == 'You said: "alpha beta '
    streamed = post(gpt, {"messages": [{"role": "user", "content": "alpha beta gamma"}], "stop_sequences": ["gamma"], "stream": True})
    assert rebuild(streamed)["stop_reason"] == "stop_sequence" and texts(rebuild(streamed)) == texts(answer)


def test_profile_a_streams_like_the_mock_server(captures: Any) -> None:
    with run_emulator(stream_profile="A") as server, client_for(server) as client:
        text = post(client, {"messages": [{"role": "user", "content": "Hello there"}], "stream": True})
        assert_events_like(text, captures("msg_text_stream").events)
        assert text[-2] == {"type": "message_delta", "delta": {}, "usage": {}}
        plain = post(client, {"messages": [{"role": "user", "content": "Hello there"}]})
        assert_shape(plain, captures("msg_text").response)
        assert plain["usage"]["input_tokens"] is None and plain["usage"]["output_tokens"] is None
        ingest(client, "capture", "doc_alpha", "Revenue grew 20% in Q3.")
        rag = post(client, captures("C_msg_rag_zylon_stream").request)
        inputs = [e["delta"]["partial_json"] for e in rag if e.get("delta", {}).get("type") == "input_json_delta"]
        assert inputs == ["", '{"query": "How did revenue do?", "artifacts": null}']  # one empty delta, then the JSON
        # The mock's tool failed (a string result) and it cited nothing: compare the rest.
        comparable_events = [
            e for e in rag
            if e.get("content_block", {}).get("type") != "server_tool_result" and not e.get("delta", {}).get("citations")
        ]
        assert_events_like(comparable_events, captures("msg_rag_zylon_stream").events, loose=frozenset({"query"}))
        assert {e["index"] for e in rag if e["type"] == "content_block_start"} == {e["index"] for e in rag if e["type"] == "content_block_stop"}


def test_profile_a_interleaves_a_call_and_the_text_after_it() -> None:
    from zylon_core.emulator.sse import build_events

    content = [
        {"type": "tool_use", "id": "tool_1", "name": "get_weather", "input": {"query": None}},
        {"type": "text", "text": "one two"},
    ]
    events = build_events({"id": "msg_x", "type": "message", "role": "assistant", "model": "m"}, content, "end_turn", None, profile="A").events
    order = [(e["type"], e.get("index"), e.get("delta", {}).get("partial_json")) for e in events[1:-2]]
    assert order == [
        ("content_block_start", 0, None),
        ("content_block_delta", 0, ""),
        ("content_block_start", 1, None),
        ("content_block_delta", 1, None),
        ("content_block_delta", 1, None),
        ("content_block_delta", 0, '{"query": null}'),
        ("content_block_stop", 0, None),
        ("content_block_stop", 1, None),
    ]


def test_anthropic_sdk_can_use_the_emulator(emulator: Any) -> None:
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(base_url=f"{emulator.base_url}/api/gpt", api_key="k", max_retries=0)
    message = client.messages.create(model="default", max_tokens=100, messages=[{"role": "user", "content": "/deltas 5"}])
    assert message.content[0].text == "tok0 tok1 tok2 tok3 tok4" and message.usage.output_tokens == 5
    with client.messages.stream(model="default", max_tokens=100, messages=[{"role": "user", "content": "/deltas 6"}]) as stream:
        deltas = sum(1 for event in stream if event.type == "content_block_delta")
        final = stream.get_final_message()
    assert deltas == 6 and final.content[0].text == "tok0 tok1 tok2 tok3 tok4 tok5" and final.stop_reason == "end_turn"
