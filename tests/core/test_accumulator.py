"""The stream accumulator, offline: documented streams and every shape the server may send."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED_API, example_names, parse_sse_text
from zylon_core import ServerStreamError, StreamAccumulator, StreamError, decode_event, normalize_stop_reason
from zylon_core._streaming import apply_stop_sequences
from zylon_core.models import MessageOutput


def run(events, stop=None):
    acc = StreamAccumulator(stop)
    deltas = []
    for event in events:
        delta = acc.feed(event)
        if delta is not None:
            deltas.append(delta)
        if acc.done:
            break
    tail = acc.flush()
    if tail is not None:
        deltas.append(tail)
    return acc.finish(), deltas


def sse_events(name):
    text = (SHARED_API / "examples" / name).read_text()
    return [decode_event(event, data) for event, data in parse_sse_text(text)]


CHAT_STREAMS = [n for n in example_names("*.stream.sse") if not n.startswith("workspace-artifacts")]

EXPECTED_TEXT = {
    "interactions.08.stream.sse": "• Ticket volume rose 12%",
    "threads.16.stream.sse": "• Ticket volume rose 12%",
    "messages.13.stream.sse": "Focus fast daily",
}


def test_all_documented_chat_streams_are_covered(shared_api):
    assert set(CHAT_STREAMS) == set(EXPECTED_TEXT) | {"async-messages.04.stream.sse"}


@pytest.mark.parametrize("name", sorted(EXPECTED_TEXT))
def test_documented_stream_accumulates_to_the_final_message(name, shared_api):
    message, deltas = run(sse_events(name))
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == EXPECTED_TEXT[name]
    assert "".join(d.text for d in deltas if d.kind == "text") == EXPECTED_TEXT[name]
    assert message.role == "assistant" and message.id.startswith("msg_")


def test_full_shape_keeps_usage_from_top_level_message_delta(shared_api):
    message, _ = run(sse_events("messages.13.stream.sse"))
    assert message.usage.input_tokens == 90 and message.usage.output_tokens == 3
    assert message.stop_reason == "end_turn"
    assert message.content[0].stop_timestamp == "2026-02-06T13:18:37.417617Z"


def test_error_event_raises_even_though_message_stop_follows(shared_api):
    # The explanation is only in exception.message; error.message is just "Api Error".
    with pytest.raises(ServerStreamError, match=r"\(api_error\): <AioRpcError.*failed to connect to all addresses") as caught:
        run(sse_events("async-messages.04.stream.sse"))
    assert caught.value.error_type == "api_error"


def test_stream_without_message_stop_is_an_error():
    events = [
        {"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "half an ans"}},
    ]
    with pytest.raises(StreamError, match="before message_stop"):
        run(events)


def test_empty_stream_is_an_error():
    with pytest.raises(StreamError, match="no message_start"):
        run([])


START = {"type": "message_start", "message": {"id": "m1", "role": "assistant", "content": [], "model": "x"}}
STOP = {"type": "message_stop"}


def test_interleaved_blocks_by_block_id():
    events = [
        START,
        {"type": "content_block_start", "block_id": "a", "content_block": {"type": "thinking", "thinking": ""}},
        {"type": "content_block_start", "block_id": "b", "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "block_id": "a", "delta": {"type": "thinking_delta", "thinking": "hmm "}},
        {"type": "content_block_delta", "block_id": "b", "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "block_id": "a", "delta": {"type": "thinking_delta", "thinking": "ok"}},
        {"type": "content_block_delta", "block_id": "b", "delta": {"type": "text_delta", "text": "lo"}},
        {"type": "content_block_stop", "block_id": "a"},
        {"type": "content_block_stop", "block_id": "b"},
        {"type": "message_delta", "delta": {"stop_reason": "stop", "usage": {"input_tokens": 3, "output_tokens": 2}}},
        {"type": "done"},
        STOP,
    ]
    message, deltas = run(events)
    assert [(b.type, getattr(b, "thinking", None) or getattr(b, "text", None)) for b in message.content] == [
        ("thinking", "hmm ok"),
        ("text", "Hello"),
    ]
    assert [d.index for d in deltas if d.kind == "text"] == [1, 1]
    assert message.usage.output_tokens == 2
    assert normalize_stop_reason(message.stop_reason) == "end_turn"


def test_index_only_events_and_ping():
    events = [
        START,
        {"type": "ping"},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": "A"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "B"}},
        STOP,
    ]
    message, deltas = run(events)
    assert message.content[0].text == "AB"
    assert [d.text for d in deltas] == ["A", "B"]


def test_tool_use_arguments_accumulate_from_partial_json():
    events = [
        START,
        {"type": "content_block_start", "index": 0, "block_id": "t", "content_block": {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {}}},
        {"type": "content_block_delta", "index": 0, "block_id": "t", "delta": {"type": "input_json_delta", "partial_json": '{"a": 5,'}},
        {"type": "content_block_delta", "index": 0, "block_id": "t", "delta": {"type": "input_json_delta", "partial_json": ' "b": 7}'}},
        {"type": "content_block_stop", "index": 0, "block_id": "t"},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
        STOP,
    ]
    message, deltas = run(events)
    assert message.content[0].input == {"a": 5, "b": 7}
    assert [d.kind for d in deltas] == ["tool_use", "input_json", "input_json"]
    assert deltas[0].block["name"] == "add"


def test_tool_use_with_partial_json_obj_and_no_text():
    events = [
        START,
        {"type": "content_block_start", "block_id": "t", "content_block": {"type": "tool_use", "id": "toolu_1", "name": "s", "input": {}}},
        {"type": "content_block_delta", "block_id": "t", "delta": {"type": "input_json_delta", "partial_json_obj": {"query": "billing"}}},
        STOP,
    ]
    message, _ = run(events)
    assert message.content[0].input == {"query": "billing"}


def test_broken_tool_json_is_an_error():
    events = [
        START,
        {"type": "content_block_start", "block_id": "t", "content_block": {"type": "tool_use", "id": "x", "name": "add", "input": {}}},
        {"type": "content_block_delta", "block_id": "t", "delta": {"type": "input_json_delta", "partial_json": '{"a": '}},
        STOP,
    ]
    with pytest.raises(StreamError, match="not valid JSON"):
        run(events)


def test_sources_tldr_and_synthetic_blocks():
    chunk = {"type": "context.chunk", "id": "c1", "score": 0.9, "text": "t", "document": {"object": "artifact", "artifact": "a1"}}
    events = [
        START,
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Answer"}},
        {"type": "content_block_delta", "delta": {"type": "source_delta", "sources": [chunk]}},
        {"type": "content_block_delta", "delta": {"type": "source_delta", "sources": [{**chunk, "id": "c2"}]}},
        {"type": "content_block_delta", "delta": {"type": "tldr_delta", "tldr": {"type": "text", "text": "short"}}},
        {"type": "content_block_synthetic", "block_id": "r", "block": {"type": "tool_result", "tool_use_id": "x", "content": [{"type": "text", "text": "done"}]}},
        STOP,
    ]
    message, deltas = run(events)
    assert [b.type for b in message.content] == ["text", "source", "tldr", "tool_result"]
    assert [s.id for s in message.content[1].sources] == ["c1", "c2"]
    assert message.content[2].content[0].text == "short"
    assert [d.kind for d in deltas] == ["text", "source", "source", "block", "block"]


def test_synthetic_block_replaces_the_streamed_block_with_the_same_id():
    events = [
        START,
        {"type": "content_block_start", "block_id": "b", "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "block_id": "b", "delta": {"type": "text_delta", "text": "draft"}},
        {"type": "content_block_synthetic", "block_id": "b", "block": {"type": "text", "text": "final"}},
        STOP,
    ]
    message, _ = run(events)
    assert [b.text for b in message.content] == ["final"]


def test_usage_from_message_start_and_delta_merge():
    events = [
        {"type": "message_start", "message": {"id": "m", "content": [], "usage": {"input_tokens": 10}}},
        {"type": "message_delta", "delta": {"stop_reason": "max_tokens", "usage": {"output_tokens": 4}}},
        STOP,
    ]
    message, _ = run(events)
    assert (message.usage.input_tokens, message.usage.output_tokens) == (10, 4)
    assert message.stop_reason == "max_tokens"


def test_unknown_delta_type_is_kept_raw_on_its_block_and_logged(caplog):
    events = [
        START,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": "a"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "hologram_delta", "beam": 1}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "hologram_delta", "beam": 2}},
        STOP,
    ]
    with caplog.at_level("WARNING", logger="zylon_core"):
        message, deltas = run(events)
    assert message.content[0].text == "a"
    assert message.content[0].model_extra["unknown_deltas"] == [{"type": "hologram_delta", "beam": 1}]
    assert message.content[1].type == "hologram_delta"  # a delta with no block: kept on a block of its own
    assert message.content[1].to_json_dict() == {"type": "hologram_delta", "unknown_deltas": [{"type": "hologram_delta", "beam": 2}]}
    assert [d.kind for d in deltas] == ["text"]
    assert [r.getMessage() for r in caplog.records].count(
        "keeping Zylon stream deltas of unknown type 'hologram_delta' raw, in the block's 'unknown_deltas'"
    ) == 1


@pytest.mark.parametrize(
    "raw, expected",
    [("stop", "end_turn"), ("end_turn", "end_turn"), ("cancelled", "cancelled"), ("error", "error"),
     ("overloaded_error", "error"), ("tool_use", "tool_use"), ("max_tokens", "max_tokens"), (None, None)],
)
def test_both_stop_reason_vocabularies(raw, expected):
    assert normalize_stop_reason(raw) == expected


def text_stream(pieces):
    return [START, *({"type": "content_block_delta", "delta": {"type": "text_delta", "text": p}} for p in pieces), STOP]


@pytest.mark.parametrize(
    "pieces",
    [["Hello wor", "ld. STOP here"], ["Hello world. S", "T", "OP here"], ["Hello world. STOP here"]],
)
def test_stop_sequence_cuts_across_delta_boundaries(pieces):
    message, deltas = run(text_stream(pieces), stop=["STOP"])
    assert message.content[0].text == "Hello world. "
    assert "".join(d.text for d in deltas) == "Hello world. "
    assert message.stop_reason == "stop_sequence" and message.stop_sequence == "STOP"


def test_held_back_text_is_flushed_when_no_stop_sequence_matches():
    message, deltas = run(text_stream(["abc S", "T"]), stop=["STOP"])
    assert message.content[0].text == "abc ST"
    assert "".join(d.text for d in deltas) == "abc ST"
    assert message.stop_reason is None


def test_stop_sequences_on_a_complete_message():
    message = MessageOutput.model_validate({"content": [{"type": "text", "text": "one. two. three"}], "stop_reason": "end_turn"})
    cut = apply_stop_sequences(message, ["two", "."])
    assert cut.content[0].text == "one"
    assert (cut.stop_reason, cut.stop_sequence) == ("stop_sequence", ".")


@pytest.mark.parametrize("data", ["{not json", "[1, 2]"])
def test_malformed_event_data_is_a_stream_error(data):
    with pytest.raises(StreamError):
        decode_event("content_block_delta", data)


def test_event_name_fills_a_missing_type():
    assert decode_event("ping", "{}") == {"type": "ping"}
    assert decode_event("message", "") is None
    assert json.dumps(decode_event("x", '{"type": "message_stop"}')) == '{"type": "message_stop"}'


def test_feeding_does_not_mutate_the_callers_events():
    import copy

    events = [
        START,
        {"type": "content_block_start", "block_id": "s", "content_block": {"type": "source", "sources": [{"type": "context.chunk", "id": "c0"}]}},
        {"type": "content_block_delta", "block_id": "s", "delta": {"type": "source_delta", "sources": [{"type": "context.chunk", "id": "c1"}]}},
        STOP,
    ]
    before = copy.deepcopy(events)
    first, _ = run(events)
    second, _ = run(events)
    assert events == before
    assert [s.id for s in first.content[0].sources] == [s.id for s in second.content[0].sources] == ["c0", "c1"]
