"""The real server's answers through ``Zylon``, over real HTTP: every captured message
answer and stream (``../shared/zylon-api/captures``) is served by a replay server on
loopback to ``chat`` / ``stream_chat``, which must not fail nor lose a block; streams end
on what their non-streamed twins give; errors raise the typed error with the server's
explanation; and the mappings of ADAPTER_BRIEF (citations, server tools, sources,
signed thinking, documents) hold on the captures that show them."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_zylon import Zylon
from llama_index_zylon._codec import ZYLON_BLOCKS, to_zylon_messages
from tests.core.real_captures import accumulate, error_names, error_of, events, load, stream_bytes
from tests.llama_index.conftest import PNG
from tests.replay import Capture, ReplayServer, capture_names
from zylon_core import ServerStreamError
from zylon_core._citations import parse_citations
from zylon_core.errors import APIStatusError

MESSAGES = capture_names("message")
STREAMS = capture_names("stream")
ERROR_STREAMS = ["B_msg_tool_auto_stream", "C_msg_image_client_shape_stream", "err_unknown_model_stream"]
ANSWER_STREAMS = [s for s in STREAMS if s not in ERROR_STREAMS]
# Twins that answered the same request (two captures asked other things: see the core tests).
TWINS = [
    (s, s[: -len("_stream")])
    for s in STREAMS
    if s.endswith("_stream") and s[: -len("_stream")] in MESSAGES
    and {**load(s, "request"), "stream": None} == {**load(s[: -len("_stream")], "request"), "stream": None}
] if MESSAGES else []
ERRORS = error_names() if MESSAGES else []
HI = [ChatMessage(role="user", content="hi")]


@pytest.fixture(scope="module")
def replay_server(shared_api):
    with ReplayServer() as server:
        yield server


@pytest.fixture
def replay(replay_server):
    """The module's replay server, with nothing queued or recorded yet."""
    return replay_server.reset()


def zylon(server: ReplayServer, **fields: Any) -> Zylon:
    # No retries: a replay serves each capture once.
    return Zylon(base_url=server.base_url, api_token="replay-token", max_retries=0, **fields)


def chat(name: str, server: ReplayServer, messages: list[ChatMessage] = HI) -> ChatResponse:
    return zylon(server.play(name)).chat(messages)


def stream(name: str, server: ReplayServer) -> list[ChatResponse]:
    return list(zylon(server.play(name)).stream_chat(HI))


def wire_content(name: str) -> list[dict[str, Any]]:
    """The answer's blocks as the server sent them (a stream's, accumulated by the core)."""
    if not Capture.load(name).is_stream:
        return load(name)["content"]
    message, _ = accumulate(events(stream_bytes(name)))
    return [block.to_json_dict() for block in message.content]


def replayed_types(response: ChatResponse) -> list[str]:
    """The block types the message goes back as, when sent as history."""
    _, (sent,) = to_zylon_messages([response.message])
    return [b["type"] for b in sent.to_json_dict()["content"]]


def answer_types(wire: list[dict[str, Any]]) -> list[str]:
    # An empty text block carries nothing: it is not part of the message.
    return [b["type"] for b in wire if b["type"] != "text" or b.get("text") or b.get("citations")] or ["text"]


def result_shape(result: Any) -> Any:
    """A server tool's result, but for the chunks' scores (which vary between runs)."""
    if not isinstance(result, list):
        return result
    return [(b["type"], b.get("text"), [x.get("id") for x in b.get("sources") or ()]) for b in result]


def essence(response: ChatResponse, strip: bool = False) -> dict[str, Any]:
    """What two answers to one request share (ids, signatures, timestamps and the
    per-request correlation id differ)."""
    message = response.message
    kwargs = message.additional_kwargs
    blocks = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            blocks.append(("text", block.text.rstrip() if strip else block.text))
        elif isinstance(block, ThinkingBlock):
            blocks.append(("thinking", block.content, bool(block.additional_information.get("signature"))))
        elif isinstance(block, ToolCallBlock):
            blocks.append(("tool_call", block.tool_name, block.tool_kwargs))
        elif isinstance(block, CitationBlock):
            blocks.append(("citation", block.source, block.title, block.cited_content.text, block.additional_location_info))
        else:
            blocks.append((type(block).__name__,))
    calls = [(c["name"], c["input"], c["is_error"], result_shape(c["result"])) for c in kwargs.get("server_tool_calls", [])]
    return {
        "blocks": blocks,
        "server_tool_calls": calls,
        "sources": [s.get("id") for s in kwargs.get("sources", [])],
        "citations": [(c.get("id"), c.get("index"), c.get("source_id"), c.get("start_index")) for c in kwargs.get("citations", [])],
        "kept": [(r["position"], r["block"]["type"]) for r in kwargs.get(ZYLON_BLOCKS, [])],
    }


def test_the_capture_tables(shared_api):
    assert len(MESSAGES) == 34 and len(ANSWER_STREAMS) == 30 and set(ERROR_STREAMS) <= set(STREAMS)
    assert len(TWINS) == 17 and len(ERRORS) >= 40


# -- every answer, every stream ------------------------------------------------------------------


@pytest.mark.parametrize("name", MESSAGES)
def test_every_captured_answer_is_read_with_no_block_lost(name, replay):
    response = chat(name, replay)
    wire = wire_content(name)
    assert response.message.role == "assistant"
    # Every block goes back as history, in its place: the text clean, the rest as it came.
    assert replayed_types(response) == answer_types(wire)
    raw = "\n".join(b["text"] for b in wire if b["type"] == "text" and b["text"])
    assert response.message.content == parse_citations(raw)[0]
    assert response.message.additional_kwargs.get("raw_text", response.message.content) == raw
    assert replay.requests[0]["path"] == "/api/v1/app/chat" and "stream" not in replay.bodies()[0]


@pytest.mark.parametrize("name", ANSWER_STREAMS)
def test_every_captured_stream_is_read_with_no_block_lost(name, replay):
    chunks = stream(name, replay)
    final = chunks[-1]
    assert replayed_types(final) == answer_types(wire_content(name))
    assert "".join(c.delta or "" for c in chunks) == (final.message.content or "")
    # The message built from the deltas already is the final one (but for blanks at the
    # end of the text, held back while citation markup could still follow them).
    assert (final.delta or "").strip() == ""
    assert essence(chunks[-2], strip=True) == essence(final, strip=True)
    assert not [b for c in chunks for b in c.message.blocks if isinstance(b, ToolCallBlock) and b.tool_name in ("search", "document_preprocessing")]
    assert replay.bodies()[0]["stream"] is True


@pytest.mark.parametrize("stream_name, name", TWINS)
def test_a_stream_ends_on_what_its_twin_answers(stream_name, name, replay):
    chunks = stream(stream_name, replay)
    whole = chat(name, replay)
    assert essence(chunks[-1]) == essence(whole)
    assert chunks[-1].additional_kwargs["stop_reason"] == whole.additional_kwargs["stop_reason"]
    assert "".join(c.delta or "" for c in chunks) == whole.message.content


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ERRORS)
def test_every_captured_error_raises_the_typed_error_with_the_explanation(name, replay):
    expected = error_of(name)
    with pytest.raises(APIStatusError) as caught:
        chat(name, replay)
    assert type(caught.value) is type(expected) and caught.value.status_code == expected.status_code
    explanation = expected.message.split(" failed: ", 1)[1]
    assert caught.value.message == f"POST /api/v1/app/chat failed: {explanation}"
    assert caught.value.code == expected.code and "replay-token" not in str(caught.value)


@pytest.mark.parametrize(
    "name, twin",
    [("err_unknown_model_stream", "err_unknown_model"), ("B_msg_tool_auto_stream", "B_msg_tool_auto"), ("C_msg_image_client_shape_stream", "msg_image_client_shape")],
)
def test_an_error_event_raises_with_the_explanation(name, twin, replay):
    with pytest.raises(ServerStreamError) as caught:
        stream(name, replay)
    assert load(twin)["error"]["detail"]["explanation"] in str(caught.value)


def test_an_unsupported_image_reaches_the_user_as_the_server_explains_it(replay):
    message = ChatMessage(role="user", blocks=[TextBlock(text="What is this?"), ImageBlock(image=PNG)])
    with pytest.raises(APIStatusError, match="The LLM does not support images, but the message contains image blocks."):
        chat("msg_image_client_shape", replay, [message])
    with pytest.raises(ServerStreamError) as caught:
        stream("C_msg_image_client_shape_stream", replay)
    assert caught.value.code == "INVALID_REQUEST_IMAGE_SUPPORT_ERROR"


# -- citations, sources, server tools ----------------------------------------------------------------

REVENUE = "Revenue grew 20% in Q3."


@pytest.mark.parametrize("name", ["C_msg_rag_zylon", "C_msg_rag_zylon_stream", "C_msg_rag_tool_context_stream", "C_async_stream"])
def test_a_cited_answer_has_clean_text_citation_blocks_and_the_sources(name, replay):
    response = stream(name, replay)[-1] if name.endswith("_stream") else chat(name, replay)
    message = response.message
    assert message.content.endswith(REVENUE) and "<citation" not in message.content
    assert "<citation id='IK79' index='0'" in message.additional_kwargs["raw_text"]
    ik79, ga3q = [b for b in message.blocks if isinstance(b, CitationBlock)]
    assert (ik79.source, ik79.title, ga3q.title) == ("doc_alpha", "alpha.md", "alpha.md")
    assert ik79.cited_content.text.startswith("# Alpha report\n\nRevenue grew 20% in Q3")
    assert ga3q.cited_content.text.startswith("## Risks")
    start, end = ik79.additional_location_info["start_index"], ik79.additional_location_info["end_index"]
    assert message.content[start:end] == "Revenue grew 20% in Q3"
    assert (ik79.additional_location_info["index"], ga3q.additional_location_info["index"]) == (0, 1)
    sources = message.additional_kwargs["sources"]
    assert [s["id"] for s in sources] == ["22bff1e3-b1b0-478d-8ffe-3d49e8aacd94", "bf43fd2e-9d6a-43f9-aaa3-db732b465698"]
    assert [s["metadata"]["shorter_id"] for s in sources] == ["IK79", "GA3Q"]
    assert [c["source_id"] for c in message.additional_kwargs["citations"]] == [s["id"] for s in sources]
    (call,) = message.additional_kwargs["server_tool_calls"]
    assert call["name"] == "search" and call["is_error"] is False
    assert call["input"]["query"] == "How did revenue do?"
    assert [b["type"] for b in call["result"]] == ["source", "text"]
    assert not [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    assert response.additional_kwargs["stop_reason"] == "end_turn"


@pytest.mark.parametrize("name", ["C_msg_rag_anthropic", "C_msg_rag_anthropic_stream"])
def test_without_the_zylon_extension_citations_resolve_through_the_search_text(name, replay):
    response = stream(name, replay)[-1] if name.endswith("_stream") else chat(name, replay)
    message = response.message
    assert "sources" not in message.additional_kwargs
    ik79, ga3q = [b for b in message.blocks if isinstance(b, CitationBlock)]
    assert ik79.source == "doc_alpha" and ik79.cited_content.text.startswith("# Alpha report")
    assert ga3q.cited_content.text.startswith("## Risks")


def test_a_cited_answer_goes_back_as_clean_text_with_its_server_blocks(replay):
    answer = chat("C_msg_rag_zylon", replay).message
    _, (_, sent, _) = to_zylon_messages([*HI, answer, ChatMessage(role="user", content="and Q4?")])
    blocks = sent.to_json_dict()["content"]
    assert [b["type"] for b in blocks] == ["text", "server_tool_use", "server_tool_result", "text"]
    assert blocks[3] == {"type": "text", "text": REVENUE}
    original = load("C_msg_rag_zylon")["content"]
    assert blocks[1]["id"] == original[1]["id"] and blocks[2]["content"][0]["sources"][0]["id"] == original[2]["content"][0]["sources"][0]["id"]
    assert not [k for b in blocks for k in b if k.endswith("timestamp")]


@pytest.mark.parametrize("name", ["msg_rag_zylon", "msg_rag_zylon_stream"])
def test_a_failed_server_tool_keeps_its_string_result(name, replay):
    response = stream(name, replay)[-1] if name.endswith("_stream") else chat(name, replay)
    (call,) = response.message.additional_kwargs["server_tool_calls"]
    assert call["is_error"] is True and "missing 1 required positional argument: 'query'" in call["result"]
    assert not [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]


@pytest.mark.parametrize(
    "name, title",
    [("msg_document_text", "notes.txt"), ("msg_binary_legacy", "b.txt"), ("C_msg_document_zylon_stream", "notes.txt"), ("msg_document_base64_stream", "budget.txt")],
)
def test_document_conversion_is_a_server_tool_call(name, title, replay):
    response = stream(name, replay)[-1] if name.endswith("_stream") else chat(name, replay)
    (call,) = response.message.additional_kwargs["server_tool_calls"]
    assert call["name"] == "document_preprocessing" and call["input"] == {"type": "document", "index": 0, "name": title}
    assert [b["text"] for b in call["result"]] == ["Converted document 1 of 1."]
    assert response.message.content and not [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]


def test_a_document_block_is_sent_as_the_captured_binary_block(replay):
    document = DocumentBlock(data=b"hello binary", document_mimetype="text/plain", title="b.txt")
    chat("msg_binary_legacy", replay, [ChatMessage(role="user", blocks=[document, TextBlock(text="Read it")])])
    sent = replay.bodies()[0]["messages"][0]["content"]
    assert sent == load("msg_binary_legacy", "request")["messages"][0]["content"]
    assert base64.b64decode(sent[0]["data"]) == b"hello binary"


# -- tools -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["C_msg_tool_auto", "C_msg_tool_auto_stream", "C_msg_tool_thinking_stream", "msg_tool_auto_stream"])
def test_a_client_tool_call_is_a_tool_call_block(name, replay):
    response = stream(name, replay)[-1] if name.endswith("_stream") else chat(name, replay)
    (call,) = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    expected = {"city": "Paris"} if name.startswith("C_") else {"query": None}
    assert call.tool_name == "get_weather" and call.tool_kwargs == expected and call.tool_call_id.startswith("tool")
    assert response.additional_kwargs["stop_reason"] == "tool_use"
    assert "server_tool_calls" not in response.message.additional_kwargs


def test_a_tool_result_goes_as_blocks_to_the_workspace(replay):
    call = chat("C_msg_tool_auto", replay).message
    tool_id = next(b.tool_call_id for b in call.blocks if isinstance(b, ToolCallBlock))
    result = ChatMessage(role="tool", content="18C and sunny", additional_kwargs={"tool_call_id": tool_id})
    final = chat("C_msg_tool_result_string", replay, [*HI, call, result])
    assert final.message.content and final.additional_kwargs["stop_reason"] == "end_turn"
    sent = replay.bodies()[1]["messages"][-1]["content"]
    assert sent == [{"type": "tool_result", "tool_use_id": tool_id, "content": [{"type": "text", "text": "18C and sunny"}]}]


# -- thinking ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["C_msg_thinking", "B_msg_thinking", "C_msg_thinking_stream", "B_msg_thinking_stream", "C_msg_rag_zylon_thinking_stream"])
def test_thinking_keeps_its_signature(name, replay):
    response = stream(name, replay)[-1] if name.endswith("_stream") else chat(name, replay)
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    signatures = [b.additional_information["signature"] for b in thinking]
    sent = [b["signature"] for b in wire_content(name) if b["type"] == "thinking"]
    assert signatures == sent and all(s.startswith("sig_") for s in signatures)
    assert len(signatures) == (2 if "rag" in name else 1)


def test_a_signed_thinking_answer_goes_back_as_the_server_wants_it(replay):
    answer = chat("C_msg_thinking", replay).message
    messages = [ChatMessage(role="user", content="2+2?"), answer, ChatMessage(role="user", content="and 3+3?")]
    zylon(replay.play("C_msg_text")).chat(messages, thinking=True)
    sent = replay.bodies()[1]
    refused = load("client_C_thinking_history_no_signature", "request")
    refused["messages"][1]["content"][0]["signature"] = answer.blocks[0].additional_information["signature"]
    assert sent["messages"] == refused["messages"] and sent["thinking"] == refused["thinking"]


def test_an_unsigned_thinking_block_is_left_out_with_a_warning(replay, caplog):
    answer = ChatMessage(role="assistant", blocks=[ThinkingBlock(content="Let me think."), TextBlock(text="4")])
    with caplog.at_level("WARNING", logger="llama_index_zylon"):
        chat("C_msg_text", replay, [ChatMessage(role="user", content="2+2?"), answer, ChatMessage(role="user", content="and 3+3?")])
    assert replay.bodies()[0]["messages"][1]["content"] == [{"type": "text", "text": "4"}]
    (record,) = caplog.records
    assert "messages[1] (assistant)" in record.getMessage() and "signature" in record.getMessage()
