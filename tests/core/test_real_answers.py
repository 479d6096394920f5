"""The real server's answers through the client: every captured message response through
the models, every captured stream through EventParser + StreamAccumulator (whole and in
random byte pieces), the stream/non-stream twins against each other, and what
fidelity.md (sections 1, 3, 4, 13) says the client must read out of them."""

from __future__ import annotations

import copy
import json

import pytest

from tests.core.real_captures import (
    CAPTURES,
    accumulate,
    error_of,
    events,
    load,
    message_names,
    names,
    stream_bytes,
)
from zylon_core import ServerStreamError
from zylon_core._answers import final_stop_reason, pending_tool_uses, server_tool_calls, server_tool_ids, usage_counts
from zylon_core._citations import parse_citations
from zylon_core.models import (
    MessageInput,
    MessageOutput,
    ServerToolResultBlock,
    ServerToolUseBlock,
    ThinkingBlock,
    UnknownBlock,
    check_input_blocks,
)

MESSAGES = message_names()
STREAMS = names(".stream.sse")
ERROR_STREAMS = {"err_unknown_model_stream", "B_msg_tool_auto_stream", "C_msg_image_client_shape_stream"}
ANSWER_STREAMS = sorted(set(STREAMS) - ERROR_STREAMS)
TWINS = [(s, s[: -len("_stream")]) for s in STREAMS if s.endswith("_stream") and s[: -len("_stream")] in MESSAGES]


def test_every_capture_is_in_the_tables(shared_api):
    assert len(MESSAGES) == 34 and len(STREAMS) == 33 and len(TWINS) == 19
    assert ERROR_STREAMS <= set(STREAMS)


def wire(message: MessageOutput) -> list[dict]:
    return [b.to_json_dict() for b in message.content]


def shape(message: MessageOutput) -> list[tuple]:
    """What must agree between two answers to the same request (ids, timestamps and the
    per-request correlation id inside citation markup may differ)."""
    out: list[tuple] = []
    for block in wire(message):
        kind = block["type"]
        if kind == "text":
            cited = [(c.get("id"), c.get("index"), c.get("source_id")) for c in block.get("citations") or ()]
            out.append((kind, parse_citations(block["text"])[0], cited))
        elif kind == "thinking":
            out.append((kind, block["thinking"], bool(block.get("signature"))))
        elif kind in ("tool_use", "server_tool_use"):
            out.append((kind, block["name"], json.dumps(block["input"], sort_keys=True)))
        elif kind == "server_tool_result":
            content = block["content"]
            inner = content if isinstance(content, str) else [(b["type"], b.get("text"), [s.get("id") for s in b.get("sources") or ()]) for b in content]
            out.append((kind, block.get("is_error"), json.dumps(inner)))
        else:
            out.append((kind, json.dumps(block, sort_keys=True)))
    return out


# -- every message, every stream -----------------------------------------------------------


@pytest.mark.parametrize("name", MESSAGES)
def test_every_message_response_parses_and_round_trips(name, shared_api):
    body = load(name)
    message = MessageOutput.model_validate(body)
    assert [b.type for b in message.content] == [b["type"] for b in body["content"]]
    # Every block type the server produced has its typed model, and goes back as it came.
    assert not [b for b in message.content if isinstance(b, UnknownBlock)]
    assert wire(message) == body["content"]


@pytest.mark.parametrize("name", ANSWER_STREAMS)
def test_every_stream_accumulates_with_no_block_lost(name, shared_api):
    evts = events(stream_bytes(name))
    message, deltas = accumulate(evts)
    started = [e["content_block"]["type"] for e in evts if e["type"] == "content_block_start"]
    assert [b.type for b in message.content] == started
    for position, block in enumerate(message.content):
        if block.type == "text":  # the text deltas make up the final text
            assert "".join(d.text for d in deltas if d.index == position and d.kind == "text") == block.text
        if block.type == "server_tool_use":  # never taken for a call the caller must run
            assert {d.kind for d in deltas if d.index == position} <= {"server_tool_use", "server_input_json"}
    assert not pending_tool_uses([b for b in wire(message) if b["type"] != "tool_use"])


@pytest.mark.parametrize("name", STREAMS)
def test_streams_read_in_random_byte_pieces_give_the_same_answer(name, shared_api):
    data = stream_bytes(name)
    whole = events(data)
    for seed in range(4):
        assert events(data, seed) == whole
    if name in ERROR_STREAMS:
        return
    message, deltas = accumulate(whole)
    again, again_deltas = accumulate(events(data, seed=99))
    assert wire(again) == wire(message)
    assert [(d.kind, d.index, d.text) for d in again_deltas] == [(d.kind, d.index, d.text) for d in deltas]


def test_feeding_a_real_stream_leaves_its_events_untouched(shared_api):
    evts = events(stream_bytes("C_msg_rag_zylon_thinking_stream"))
    before = copy.deepcopy(evts)
    first, _ = accumulate(evts)
    second, _ = accumulate(evts)
    assert evts == before and wire(first) == wire(second)


@pytest.mark.parametrize("stream_name, name", TWINS)
def test_stream_and_non_stream_twins_agree(stream_name, name, shared_api):
    streamed, _ = accumulate(events(stream_bytes(stream_name)))
    whole = MessageOutput.model_validate(load(name))
    assert [b.type for b in streamed.content] == [b.type for b in whole.content]
    assert usage_counts(streamed.usage) == usage_counts(whole.usage)
    request, twin_request = load(stream_name, "request"), load(name, "request")
    request.pop("stream", None)
    twin_request.pop("stream", None)
    if request == twin_request:  # two captures (msg_text, msg_tool_result_blocks) asked other things
        assert shape(streamed) == shape(whole)


# -- section 1: server tools, documents, unknown blocks ----------------------------------------

RAG = ["text", "server_tool_use", "server_tool_result", "text"]


@pytest.mark.parametrize("kind", ["response", "stream"])
def test_rag_answer_is_a_server_tool_call_not_a_pending_one(kind, shared_api):
    if kind == "response":
        message, deltas = MessageOutput.model_validate(load("C_msg_rag_zylon")), []
    else:
        message, deltas = accumulate(events(stream_bytes("C_msg_rag_zylon_stream")))
    assert [b.type for b in message.content] == RAG
    blocks = wire(message)
    assert pending_tool_uses(blocks) == []
    (call,) = server_tool_calls(message.content)
    assert call["name"] == "search" and call["is_error"] is False
    assert call["input"] == {"query": "How did revenue do?", "artifacts": None}
    assert call["id"].startswith("srvtoolu_") and call["id"] in server_tool_ids(blocks)
    assert [b["type"] for b in call["result"]] == ["source", "text"]
    assert isinstance(message.content[1], ServerToolUseBlock) and isinstance(message.content[2], ServerToolResultBlock)
    if kind == "stream":
        starts = [d for d in deltas if d.kind == "server_tool_use"]
        assert [d.block["name"] for d in starts] == ["search"] and starts[0].index == 1
        assert not [d for d in deltas if d.kind in ("tool_use", "input_json")]
        pieces = [d for d in deltas if d.kind == "server_input_json"]
        assert pieces and all(d.block is not None and d.block["name"] == "search" for d in pieces)
        assert "".join(d.text for d in pieces) == '{"query": "How did revenue do?", "artifacts": null}'


def test_a_failed_server_tool_has_a_string_result(shared_api):
    message = MessageOutput.model_validate(load("msg_rag_zylon"))
    (call,) = server_tool_calls(message.content)
    assert call["is_error"] is True and isinstance(call["result"], str)
    assert "missing 1 required positional argument: 'query'" in call["result"]
    streamed, _ = accumulate(events(stream_bytes("msg_rag_zylon_stream")))
    assert server_tool_calls(streamed.content)[0]["result"] == call["result"]


@pytest.mark.parametrize(
    "name, title",
    [("msg_document_text", "notes.txt"), ("msg_binary_legacy", "b.txt"), ("C_msg_document_zylon_stream", "notes.txt"), ("msg_document_base64_stream", "budget.txt")],
)
def test_document_inputs_come_back_as_document_preprocessing(name, title, shared_api):
    if name.endswith("_stream"):
        message, deltas = accumulate(events(stream_bytes(name)))
        # The input is whole in content_block_start; no argument delta follows.
        assert [d.kind for d in deltas if d.index == 0] == ["server_tool_use"]
    else:
        message = MessageOutput.model_validate(load(name))
    (call,) = server_tool_calls(message.content)
    assert call["name"] == "document_preprocessing"
    assert call["input"] == {"type": "document", "index": 0, "name": title}
    assert [b["text"] for b in call["result"]] == ["Converted document 1 of 1."]
    assert message.content[-1].type == "text" and message.content[-1].text


def test_an_unknown_block_type_survives_parsing_and_the_round_trip(shared_api):
    body = load("C_msg_text")
    upload = {"type": "container_upload", "file_id": "file_01", "cache_control": None, "_meta": {"k": [1, 2]}}
    body["content"].insert(0, upload)
    message = MessageOutput.model_validate(body)
    assert isinstance(message.content[0], UnknownBlock) and message.content[0].file_id == "file_01"
    assert message.to_json_dict()["content"] == body["content"]
    # History holding it parses too; sending it is the input check's business.
    MessageInput.model_validate({"role": "assistant", "content": body["content"]})
    check_input_blocks([{"role": "assistant", "content": body["content"]}], "gpt")  # an accepted ZylonGPT tag


# -- section 4: thinking signatures --------------------------------------------------------------


@pytest.mark.parametrize("name", ["C_msg_thinking", "B_msg_thinking"])
def test_thinking_signature_is_read(name, shared_api):
    block = MessageOutput.model_validate(load(name)).content[0]
    assert isinstance(block, ThinkingBlock) and block.signature and block.signature.startswith("sig_")


@pytest.mark.parametrize("name", ["C_msg_thinking_stream", "B_msg_thinking_stream", "C_msg_rag_zylon_thinking_stream", "C_msg_tool_thinking_stream"])
def test_streamed_thinking_signature_arrives_on_a_delta_and_in_the_answer(name, shared_api):
    evts = events(stream_bytes(name))
    sent = [e["content_block"]["signature"] for e in evts if e["type"] == "content_block_start" and e["content_block"]["type"] == "thinking"]
    message, deltas = accumulate(evts)
    assert sent and len(set(sent)) == len(sent)
    assert [d.block["signature"] for d in deltas if d.kind == "thinking" and d.block] == sent
    assert [b.signature for b in message.content if isinstance(b, ThinkingBlock)] == sent


def test_a_signed_thinking_answer_replays_as_the_history_the_server_wanted(shared_api):
    answer = MessageOutput.model_validate(load("C_msg_thinking"))
    history = [
        MessageInput(role="user", content=[{"type": "text", "text": "2+2?"}]),  # type: ignore[list-item]
        MessageInput(role="assistant", content=answer.content),
        MessageInput(role="user", content=[{"type": "text", "text": "and 3+3?"}]),  # type: ignore[list-item]
    ]
    sent = [m.to_json_dict() for m in history]
    check_input_blocks(sent, "gpt")
    refused = load("client_C_thinking_history_no_signature", "request")["messages"]
    replayed = [{"role": m["role"], "content": [{k: v for k, v in b.items() if k in ("type", "text", "thinking", "signature")} for b in m["content"]]} for m in sent]
    refused[1]["content"][0]["signature"] = answer.content[0].signature  # the same shape, plus the signature
    assert replayed == refused


# -- section 13: stream quirks ---------------------------------------------------------------------


def test_placeholder_usage_is_no_usage(shared_api):
    message, _ = accumulate(events(stream_bytes("msg_text_stream")))
    assert message.usage is None and usage_counts(message.usage) is None
    real, _ = accumulate(events(stream_bytes("C_msg_text_stream")))
    assert usage_counts(real.usage) == (20, 9, 29)


def test_missing_stop_reason_reads_from_what_the_answer_holds(shared_api):
    tool, _ = accumulate(events(stream_bytes("msg_tool_auto_stream")))
    assert tool.stop_reason is None
    assert final_stop_reason(tool.stop_reason, bool(pending_tool_uses(wire(tool)))) == "tool_use"
    text, _ = accumulate(events(stream_bytes("msg_text_stream")))
    assert final_stop_reason(text.stop_reason, bool(pending_tool_uses(wire(text)))) == "end_turn"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("C_msg_tool_auto_stream", {"city": "Paris"}),  # "" + object twice, then the whole JSON
        ("msg_tool_auto_stream", {"query": None}),  # one "" piece, the JSON after the interleaved text
        ("msg_tool_tool_stream", {"query": None}),
    ],
)
def test_tool_input_from_its_pieces(name, expected, shared_api):
    message, deltas = accumulate(events(stream_bytes(name)))
    (call,) = [b for b in message.content if b.type == "tool_use"]
    assert call.input == expected
    position = message.content.index(call)
    pieces = [d for d in deltas if d.index == position and d.kind == "input_json"]
    assert all(d.text or d.block["input"] for d in pieces)  # no empty delta without an object
    assert json.loads("".join(d.text for d in pieces)) == expected


@pytest.mark.parametrize("name", ["C_msg_rag_zylon_stream", "C_async_stream", "C_msg_rag_anthropic_stream", "C_msg_rag_tool_context_stream", "C_msg_rag_zylon_thinking_stream"])
def test_a_last_block_without_content_block_stop_is_complete(name, shared_api):
    evts = events(stream_bytes(name))
    last = [e for e in evts if e["type"] == "content_block_start"][-1]["block_id"]
    assert not [e for e in evts if e["type"] == "content_block_stop" and e["block_id"] == last]
    message, _ = accumulate(evts)
    assert message.content[-1].type == "text" and message.content[-1].text.endswith("</citation>.")


@pytest.mark.parametrize(
    "stream_name, twin, code",
    [
        ("err_unknown_model_stream", "err_unknown_model", "INVALID_REQUEST_ERROR"),
        ("B_msg_tool_auto_stream", "B_msg_tool_auto", "API_ERROR"),
        ("C_msg_image_client_shape_stream", "msg_image_client_shape", "INVALID_REQUEST_IMAGE_SUPPORT_ERROR"),
    ],
)
def test_error_streams_explain_like_their_non_stream_twin(stream_name, twin, code, shared_api):
    evts = events(stream_bytes(stream_name))
    assert not [e for e in evts if e["type"] == "message_stop"]
    with pytest.raises(ServerStreamError) as caught:
        accumulate(evts)
    explanation = load(twin)["error"]["detail"]["explanation"]
    assert explanation in str(caught.value) and explanation in str(error_of(twin))
    error = [e for e in evts if e["type"] == "error"][0]
    assert caught.value.code == code and caught.value.error_type == error["error"]["type"]
    assert caught.value.request_id == error["request_id"] and caught.value.body == error


def test_captures_folder_is_the_one_read(shared_api):
    assert CAPTURES == shared_api / "captures" and CAPTURES.is_dir()
