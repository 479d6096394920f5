"""ChatZylon against the bytes a real server sent (``../shared/zylon-api/captures``).

Every captured message answer goes through ``invoke`` and every captured stream
through ``stream``, over real HTTP on loopback (:class:`tests.replay.ReplayServer`),
and must neither fail nor lose a block; a stream's summed chunks must equal what the
complete answer gives, and the stream/non-stream twins must agree. Then the mappings
the captures show: citations on the clean text and their sources, server tools never
pending calls, signed thinking replayed, documents converted by the server, and every
captured error raised as the typed error holding the server's explanation.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from langchain_zylon import ChatZylon
from langchain_zylon._codec import to_ai_message
from tests.core.real_captures import CAPTURES, accumulate, error_names, error_of, events, load, stream_bytes
from tests.replay import Capture, ReplayServer, capture_names
from zylon_core import APIStatusError, ServerStreamError
from zylon_core._answers import collect_sources
from zylon_core._citations import parse_citations
from zylon_core.models import MessageOutput

MESSAGES = capture_names("message")
STREAMS = capture_names("stream")
ERROR_STREAMS = {"err_unknown_model_stream", "B_msg_tool_auto_stream", "C_msg_image_client_shape_stream"}
ANSWER_STREAMS = [name for name in STREAMS if name not in ERROR_STREAMS]
TWINS = [(s, s[: -len("_stream")]) for s in STREAMS if s.endswith("_stream") and s[: -len("_stream")] in MESSAGES]
ERRORS = error_names() if MESSAGES else []
# The request a capture answered, when it is recorded under another name.
REQUEST_OF = {"C_async_stream": "C_async_create", "async_stream": "async_create"}
TOKEN = "replay-token-not-a-secret"


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture
def server(shared_api: Any, replay: ReplayServer) -> ReplayServer:
    """The module's replay server, with nothing queued or recorded yet."""
    replay.queue.clear()
    replay.requests.clear()
    return replay


def response_only(name: str) -> Capture:
    """A capture whose recorded request need not parse (err_malformed_json's is not JSON)."""
    meta = load(name, "meta")
    headers = {k.lower(): v for k, v in meta.get("response_headers", {}).items() if k.lower() in ("content-type",)}
    return Capture(name, int(meta["status"]), headers, (CAPTURES / f"{name}.response.json").read_bytes(), None)


def request_of(name: str) -> dict[str, Any]:
    request = Capture.load(REQUEST_OF.get(name, name)).request
    return request if isinstance(request, dict) else {}


def tools_of(name: str) -> list[dict[str, Any]]:
    return list(request_of(name).get("tools") or ())


def client_tools(name: str) -> frozenset[str]:
    return frozenset(t["name"] for t in tools_of(name) if not t.get("type"))


def model(server: ReplayServer, name: str, **fields: Any) -> Any:
    """ChatZylon configured as the captured request was (thinking, citations, tools)."""
    request = request_of(name)
    system = request.get("system") if isinstance(request.get("system"), dict) else {}
    if request.get("thinking"):
        fields.setdefault("thinking", True)
    if (system.get("citations") or {}).get("enabled"):
        fields.setdefault("citations", True)
    llm = ChatZylon(base_url=server.base_url, api_key=TOKEN, max_retries=0, **fields)
    return llm.bind_tools(tools_of(name)) if tools_of(name) else llm


def summed(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def comparable(content: Any) -> Any:
    """Streamed content without what only a stream has (block positions, the JSON text
    of tool inputs)."""
    if isinstance(content, str):
        return content
    return [{k: v for k, v in b.items() if k not in ("index", "partial_json")} for b in content]


def answer_of(name: str) -> MessageOutput:
    return MessageOutput.model_validate(load(name))


def kinds(blocks: list[Any]) -> list[str]:
    """The block types an answer holds, empty text blocks aside (they say nothing)."""
    return [b.type for b in blocks if not (b.type == "text" and not b.text)]


def clean_text(message: MessageOutput) -> str:
    return "".join(parse_citations(b.text)[0] for b in message.content if b.type == "text")


def check_nothing_lost(ai: AIMessage, answer: MessageOutput, tools: frozenset[str]) -> None:
    if isinstance(ai.content, str):
        assert set(kinds(answer.content)) <= {"text"}
    else:
        assert [b["type"] for b in ai.content] == kinds(answer.content)
    assert ai.text == clean_text(answer)
    calls = {b.id: b for b in answer.content if b.type == "tool_use"}
    assert all(call["id"] in calls and call["name"] in tools for call in ai.tool_calls)
    assert ai.response_metadata.get("sources") == (collect_sources(answer.content) or None)
    signatures = [b.signature for b in answer.content if b.type == "thinking"]
    assert [b.get("signature") for b in ai.content if isinstance(b, dict) and b["type"] == "thinking"] == signatures


# -- every capture ----------------------------------------------------------------------


@pytest.mark.parametrize("name", MESSAGES)
def test_every_captured_answer_through_invoke(name: str, server: ReplayServer) -> None:
    server.play(name)
    ai = model(server, name).invoke("question")
    answer = answer_of(name)
    check_nothing_lost(ai, answer, client_tools(name))
    assert ai.response_metadata["id"] == answer.id and ai.response_metadata["model_provider"] == "zylon"
    assert [r["path"] for r in server.requests] == ["/api/v1/app/chat"]


@pytest.mark.parametrize("name", ANSWER_STREAMS)
def test_every_captured_stream_sums_to_its_complete_answer(name: str, server: ReplayServer) -> None:
    server.play(name)
    chunks = list(model(server, name).stream("question"))
    full = summed(chunks)
    answer, _ = accumulate(events(stream_bytes(name)))
    expected = to_ai_message(answer, model_name="default", client_tools=client_tools(name))
    if isinstance(expected.content, str) and isinstance(full.content, list):
        # A rich request (tools, thinking, citations) streams blocks even for a text-only answer.
        assert comparable(full.content) == [{"type": "text", "text": expected.content}]
    else:
        assert comparable(full.content) == expected.content
    check_nothing_lost(full, answer, client_tools(name))
    assert full.tool_calls == expected.tool_calls and full.additional_kwargs == expected.additional_kwargs
    assert full.usage_metadata == expected.usage_metadata
    for key in ("id", "stop_reason", "sources"):
        assert full.response_metadata.get(key) == expected.response_metadata.get(key), key
    assert chunks[-1].chunk_position == "last" and not any(c.chunk_position for c in chunks[:-1])
    assert server.bodies()[0]["stream"] is True


def shape(message: AIMessage) -> list[Any]:
    """What two answers to the same request share (ids, timestamps and correlation ids
    differ between two runs)."""
    out: list[Any] = []
    for block in [message.content] if isinstance(message.content, str) else message.content:
        if isinstance(block, str):
            out.append(("text", block))
        elif block["type"] == "text":
            cited = [(a.get("id"), a.get("cited_text"), a.get("start_index"), (a.get("extras") or {}).get("source_id")) for a in block.get("annotations") or ()]
            out.append(("text", block["text"], cited))
        elif block["type"] == "thinking":
            out.append(("thinking", block["thinking"], bool(block.get("signature"))))
        elif block["type"] in ("tool_use", "server_tool_use"):
            out.append((block["type"], block["name"], json.dumps(block["input"], sort_keys=True)))
        elif block["type"] == "server_tool_result":
            content = block["content"]
            inner = content if isinstance(content, str) else [(b["type"], b.get("text"), [s.get("id") for s in b.get("sources") or ()]) for b in content]
            out.append((block["type"], block.get("is_error"), json.dumps(inner)))
        else:
            out.append((block["type"], json.dumps({k: v for k, v in block.items() if k not in ("index", "tool_use_id")}, sort_keys=True)))
    return out


def types(message: AIMessage) -> list[str]:
    if isinstance(message.content, str):
        return ["text"] if message.content else []
    return [b["type"] for b in message.content]


@pytest.mark.parametrize(("stream", "whole"), TWINS)
def test_stream_and_non_stream_twins_agree(stream: str, whole: str, server: ReplayServer) -> None:
    server.play(stream, whole)
    llm = model(server, whole)
    full = summed(list(llm.stream("question")))
    ai = llm.invoke("question")
    assert types(full) == types(ai)
    asked, twin_asked = dict(request_of(stream)), dict(request_of(whole))
    asked.pop("stream", None)
    if asked == twin_asked:  # two captures (msg_text, msg_tool_result_blocks) asked other things
        assert full.text == ai.text
        if isinstance(ai.content, list) and isinstance(full.content, list):
            assert shape(full) == shape(ai)
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [(c["name"], c["args"]) for c in ai.tool_calls]
    assert [s.get("id") for s in full.response_metadata.get("sources") or ()] == [s.get("id") for s in ai.response_metadata.get("sources") or ()]
    assert full.response_metadata["stop_reason"] == ai.response_metadata["stop_reason"]


@pytest.mark.parametrize("name", ERRORS)
def test_every_captured_error_is_the_typed_error_with_the_servers_explanation(name: str, server: ReplayServer) -> None:
    expected = error_of(name)
    explanation = str(expected).split(" failed: ", 1)[1]
    assert explanation and "Invalid Request Error" not in explanation
    server.play(response_only(name))
    with pytest.raises(APIStatusError) as caught:
        ChatZylon(base_url=server.base_url, api_key=TOKEN, max_retries=0).invoke("question")
    assert isinstance(caught.value, type(expected)) and caught.value.status_code == expected.status_code
    assert str(caught.value) == f"{expected.status_code}: POST /api/v1/app/chat failed: {explanation}"
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "code", "said"),
    [
        ("err_unknown_model_stream", None, "Model 'no-such-model' not found"),
        ("B_msg_tool_auto_stream", None, "'ChoiceDeltaToolCall' object has no attribute 'tool_id'"),
        ("C_msg_image_client_shape_stream", "INVALID_REQUEST_IMAGE_SUPPORT_ERROR", "The LLM does not support images"),
    ],
)
def test_a_stream_error_event_is_a_server_stream_error(name: str, code: str | None, said: str, server: ReplayServer) -> None:
    server.play(name)
    with pytest.raises(ServerStreamError, match=said) as caught:
        list(model(server, name).stream("question"))
    if code:
        assert caught.value.code == code


def test_the_capture_tables(shared_api: Any) -> None:
    assert len(MESSAGES) == 34 and len(ANSWER_STREAMS) == 30 and len(TWINS) == 19 and len(ERRORS) >= 40


# -- what the captures show ------------------------------------------------------------


@pytest.mark.parametrize("name", ["C_msg_rag_zylon", "C_msg_rag_zylon_stream"])
def test_a_cited_search_answer(name: str, server: ReplayServer) -> None:
    server.play(name)
    llm = model(server, name)
    ai = summed(list(llm.stream("How did revenue do?"))) if name.endswith("_stream") else llm.invoke("How did revenue do?")
    assert ai.tool_calls == [] and not getattr(ai, "tool_call_chunks", None)
    use, result, text = (b for b in ai.content if b["type"] != "text" or "annotations" in b)
    assert (use["type"], use["name"], use["input"]) == ("server_tool_use", "search", {"query": "How did revenue do?", "artifacts": None})
    assert result["type"] == "server_tool_result" and result["tool_use_id"] == use["id"]
    sources = ai.response_metadata["sources"]
    assert [s["id"] for s in sources] == ["22bff1e3-b1b0-478d-8ffe-3d49e8aacd94", "bf43fd2e-9d6a-43f9-aaa3-db732b465698"]
    assert [s["metadata"]["shorter_id"] for s in sources] == ["IK79", "GA3Q"] and ai.additional_kwargs["sources"] == sources
    assert text["text"] == "Revenue grew 20% in Q3." and "<citation id='IK79'" in text["raw_text"]
    first, second = text["annotations"]
    assert [(a["id"], a["extras"]["index"], a["extras"]["source_id"]) for a in (first, second)] == [
        ("IK79", 0, sources[0]["id"]),
        ("GA3Q", 1, sources[1]["id"]),
    ]
    assert first["cited_text"] == sources[0]["text"] and second["cited_text"] == sources[1]["text"]
    assert first["title"] == "alpha.md" and text["text"][first["start_index"] : first["end_index"]] == "Revenue grew 20% in Q3"
    assert [b["type"] for b in ai.content_blocks if b["type"] != "text"] == ["server_tool_call", "server_tool_result"]


@pytest.mark.parametrize("name", ["C_msg_rag_anthropic", "C_msg_rag_anthropic_stream"])
def test_without_the_zylon_extension_citations_cite_the_tool_text(name: str, server: ReplayServer) -> None:
    server.play(name)
    llm = model(server, name)
    ai = summed(list(llm.stream("q"))) if name.endswith("_stream") else llm.invoke("q")
    assert "sources" not in ai.response_metadata and ai.tool_calls == []
    annotations = [a for b in ai.content if b["type"] == "text" for a in b.get("annotations") or ()]
    assert [a["id"] for a in annotations] == ["IK79", "GA3Q"]
    assert annotations[0]["cited_text"].startswith("# Alpha report") and "title" not in annotations[0]
    # The request asked for the sources all the same (ChatZylon does with citations).
    assert server.bodies()[0]["system"]["extensions"] == ["zylon"]


def test_a_failed_search_is_an_error_result_not_a_call(server: ReplayServer) -> None:
    server.play("msg_rag_zylon")
    ai = model(server, "msg_rag_zylon").invoke("q")
    result = next(b for b in ai.content if b["type"] == "server_tool_result")
    assert result["is_error"] is True and "missing 1 required positional argument" in result["content"]
    standard = next(b for b in ai.content_blocks if b["type"] == "server_tool_result")
    assert standard["status"] == "error" and standard["output"] == result["content"]
    assert ai.tool_calls == [] and ai.response_metadata["stop_reason"] == "end_turn"


@pytest.mark.parametrize("name", ["C_msg_thinking", "B_msg_thinking", "C_msg_thinking_stream", "B_msg_thinking_stream"])
def test_signed_thinking_is_kept_and_replayed(name: str, server: ReplayServer) -> None:
    refused = Capture.load("client_C_thinking_history_no_signature").request
    first, _, second = refused["messages"]
    server.play(name, "C_msg_text")
    llm = model(server, name)
    question = HumanMessage(first["content"][0]["text"])
    ai = summed(list(llm.stream([question]))) if name.endswith("_stream") else llm.invoke([question])
    thinking = next(b for b in ai.content if b["type"] == "thinking")
    assert thinking["signature"].startswith("sig_") and thinking["thinking"]
    assert ai.content_blocks[0]["extras"] == {"signature": thinking["signature"]}
    llm.invoke([question, ai, HumanMessage(second["content"][0]["text"])])
    sent = server.bodies()[1]["messages"]
    # The request the server refused, plus the signature it asked for.
    assert sent[0] == first and sent[2] == second
    assert sent[1]["content"][0] == {"type": "thinking", "thinking": thinking["thinking"], "signature": thinking["signature"]}


def test_two_signed_thinking_blocks_around_a_search(server: ReplayServer) -> None:
    server.play("C_msg_rag_zylon_thinking_stream")
    full = summed(list(model(server, "C_msg_rag_zylon_thinking_stream").stream("q")))
    thinking = [b for b in full.content if b["type"] == "thinking"]
    assert len(thinking) == 2 and len({b["signature"] for b in thinking}) == 2
    assert [b["type"] for b in full.content_blocks if b["type"] != "text"] == ["reasoning", "server_tool_call", "server_tool_result", "reasoning"]


@pytest.mark.parametrize(
    ("name", "args"),
    [("C_msg_tool_auto", {"city": "Paris"}), ("C_msg_tool_auto_stream", {"city": "Paris"}), ("msg_tool_auto_stream", {"query": None}), ("msg_tool_client_inputSchema_stream", {"query": None})],
)
def test_client_tool_calls(name: str, args: dict[str, Any], server: ReplayServer) -> None:
    server.play(name)
    llm = model(server, name)
    if name.endswith("_stream"):
        chunks = list(llm.stream("q"))
        position = next(i for i, b in enumerate(accumulate(events(stream_bytes(name)))[0].content) if b.type == "tool_use")
        # The call's chunks carry its block position, also when text interleaves (Profile A).
        assert {tc["index"] for c in chunks for tc in c.tool_call_chunks} == {position}
        ai: AIMessage = summed(chunks)
    else:
        ai = llm.invoke("q")
    assert [(c["name"], c["args"]) for c in ai.tool_calls] == [("get_weather", args)]
    assert ai.response_metadata["stop_reason"] == "tool_use"


@pytest.mark.parametrize("name", ["msg_document_text", "msg_binary_legacy", "C_msg_document_zylon_stream", "msg_document_base64_stream"])
def test_a_document_is_converted_by_the_server(name: str, server: ReplayServer) -> None:
    request = request_of(name)
    document = request["messages"][0]["content"][0]
    server.play(name)
    llm = model(server, name)
    file = {"type": "file", "base64": document.get("data") or "VGhlIG1lZXRpbmcgaXMgb24gRnJpZGF5Lg==", "mime_type": "text/plain", "filename": "notes.txt"}
    message = [HumanMessage([file, {"type": "text", "text": "When?"}])]
    ai = summed(list(llm.stream(message))) if name.endswith("_stream") else llm.invoke(message)
    assert server.bodies()[0]["messages"][0]["content"][0] == {"type": "binary", "data": file["base64"], "mime_type": "text/plain", "filename": "notes.txt"}
    use, result = ai.content[0], ai.content[1]
    assert (use["type"], use["name"], use["input"]["type"], use["input"]["index"]) == ("server_tool_use", "document_preprocessing", "document", 0)
    assert result["type"] == "server_tool_result" and result["content"][0]["text"] == "Converted document 1 of 1."
    assert ai.tool_calls == [] and ai.text
    assert [b["type"] for b in ai.content_blocks][:2] == ["server_tool_call", "server_tool_result"]


def test_an_async_streams_citations_carry_its_message_id(server: ReplayServer) -> None:
    server.play("C_async_stream")
    full = summed(list(model(server, "C_async_stream").stream("q")))
    message_id = load("C_async_create")["message_id"]
    annotations = [a for b in full.content if b["type"] == "text" for a in b.get("annotations") or ()]
    assert annotations and {a["extras"]["correlation_id"] for a in annotations} == {message_id}


@pytest.mark.parametrize(("name", "usage"), [("msg_text_stream", None), ("C_msg_text_stream", {"input_tokens": 20, "output_tokens": 9, "total_tokens": 29})])
def test_placeholder_usage_is_no_usage(name: str, usage: Any, server: ReplayServer) -> None:
    server.play(name)
    chunks = list(model(server, name).stream("q"))
    assert chunks[-1].usage_metadata == usage and summed(chunks).usage_metadata == usage


def test_an_unknown_block_type_is_kept_and_replayed(server: ReplayServer) -> None:
    base = Capture.load("C_msg_text")
    body = json.loads(base.body)
    unknown = {"type": "container_upload", "file_id": "file_1", "start_timestamp": "2026-11-30T00:00:00Z"}
    body["content"].insert(0, unknown)
    server.play(Capture(base.name, base.status, base.headers, json.dumps(body).encode(), base.request), "C_msg_text")
    llm = ChatZylon(base_url=server.base_url, api_key=TOKEN, max_retries=0, model_kwargs={})
    ai = llm.invoke("q")
    assert ai.content[0] == {"type": "container_upload", "file_id": "file_1"}
    assert ai.content_blocks[0] == {"type": "non_standard", "value": {"type": "container_upload", "file_id": "file_1"}}
    # Sent back as it came; the Workspace's input check names it before any request.
    with pytest.raises(ValueError, match="does not accept a 'container_upload' content block"):
        llm.invoke([HumanMessage("q"), ai, HumanMessage("again")])
    assert len(server.requests) == 1
