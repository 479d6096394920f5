"""The accumulator against streams a server should not send but might: wrong JSON types,
a second answer, split surrogate pairs, unknown delta types; and the rules for usage,
stop reasons, tool inputs and thinking signatures (fidelity.md section 13)."""

from __future__ import annotations

import json

import pytest

from zylon_core import ServerStreamError, StreamAccumulator, StreamError

START = {"type": "message_start", "message": {"id": "m1", "role": "assistant", "content": [], "usage": {"input_tokens": 0, "output_tokens": 0}}}
STOP = {"type": "message_stop"}


def text_start(index=0, text=""):
    return {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": text}}


def text_delta(text, index=0):
    return {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}


def run(events):
    accumulator = StreamAccumulator()
    deltas = [d for d in (accumulator.feed(e) for e in events) if d is not None]
    return accumulator.finish(), deltas


# -- malformed events -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "event, named",
    [
        ({"type": "content_block_delta", "index": 0, "delta": "x"}, "content_block_delta"),
        ({"type": "content_block_start", "index": 1, "content_block": None}, "content_block_start"),
        ({"type": "content_block_start", "index": 1, "content_block": {"text": "no type"}}, "content_block_start"),
        ({"type": "content_block_delta", "index": [0], "delta": {"type": "text_delta", "text": "x"}}, "content_block_delta"),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}}, "content_block_delta"),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 0}}, "content_block_delta"),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": ["x"]}}, "content_block_delta"),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": {"t": "x"}}}, "content_block_delta"),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x", "citations": "IK79"}}, "content_block_delta"),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": ["x"]}}, "content_block_delta"),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json_obj": [1]}}, "content_block_delta"),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "source_delta", "sources": {"id": "c"}}}, "content_block_delta"),
        ({"type": "message_delta", "delta": "end_turn"}, "message_delta"),
        ({"type": "message_delta", "delta": {}, "usage": [1, 2]}, "message_delta"),
        ({"type": "content_block_synthetic", "block_id": "b", "block": "text"}, "content_block_synthetic"),
    ],
)
def test_wrong_json_types_are_a_stream_error_naming_the_event(event, named):
    accumulator = StreamAccumulator()
    accumulator.feed(START)
    accumulator.feed(text_start())
    with pytest.raises(StreamError, match=f"malformed Zylon stream event '{named}'") as caught:
        accumulator.feed(event)
    assert not isinstance(caught.value, ServerStreamError)


@pytest.mark.parametrize(
    "first",
    [
        {"type": "message_start", "message": "m"},
        {"type": "message_start", "message": {"id": "m", "content": [{"type": "text", "text": 7}]}},
        {"type": "message_start", "message": {"id": "m", "content": "text"}},
        {"type": "message_start", "message": {"id": "m", "usage": 12}},
    ],
)
def test_a_malformed_message_start_is_a_stream_error(first):
    with pytest.raises(StreamError, match="malformed Zylon stream event 'message_start'"):
        StreamAccumulator().feed(first)


def test_an_event_that_is_not_an_object_is_a_stream_error():
    with pytest.raises(StreamError, match="malformed Zylon stream event"):
        StreamAccumulator().feed(["message_start"])  # type: ignore[arg-type]


def test_a_second_message_start_is_an_error_not_a_doubled_answer():
    accumulator = StreamAccumulator()
    for event in (START, text_start(), text_delta("first answer")):
        accumulator.feed(event)
    with pytest.raises(StreamError, match="second message_start"):
        accumulator.feed(START)


def test_blocks_that_do_not_make_a_message_are_a_stream_error_at_the_end():
    events = [START, {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "name": "f"}}, STOP]
    with pytest.raises(StreamError, match=r"not a valid message: content\.0\..*id: Field required"):
        run(events)


# -- text -------------------------------------------------------------------------------------


def test_surrogate_halves_split_across_deltas_are_joined():
    message, deltas = run([START, text_start(), text_delta("smile \ud83d"), text_delta("\ude00 ok"), STOP])
    assert message.content[0].text == "smile \U0001f600 ok"
    assert [d.text for d in deltas] == ["smile ", "\U0001f600 ok"]
    message.content[0].text.encode("utf-8")  # nothing lone left to fail on


def test_surrogate_halves_through_the_json_of_real_events():
    raw = ['{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\\ud83d"}}', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\\ude00b"}}']
    message, deltas = run([START, text_start(), *(json.loads(r) for r in raw), STOP])
    assert message.content[0].text == "a\U0001f600b" and "".join(d.text for d in deltas) == "a\U0001f600b"


@pytest.mark.parametrize("pieces, expected", [(["end \ud83d"], "end \ufffd"), (["\ude00 start"], "\ufffd start"), (["mid \udc00 dle"], "mid \ufffd dle")])
def test_a_lone_surrogate_never_reaches_the_final_text(pieces, expected):
    message, _ = run([START, text_start(), *(text_delta(p) for p in pieces), STOP])
    assert message.content[0].text == expected


def test_thinking_surrogates_are_joined_too():
    events = [START, {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}]
    events += [{"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": t}} for t in ("hm \ud83e", "\udd14")]
    message, _ = run([*events, STOP])
    assert message.content[0].thinking == "hm \U0001f914"


def test_unknown_delta_types_are_kept_not_fatal():
    message, deltas = run([START, text_start(), text_delta("a"), {"type": "content_block_delta", "index": 0, "delta": {"type": "future_delta", "x": 1}}, text_delta("b"), STOP])
    assert message.content[0].text == "ab" and message.content[0].model_extra["unknown_deltas"] == [{"type": "future_delta", "x": 1}]
    assert [d.kind for d in deltas] == ["text", "text"]


def test_citations_delta_adds_one_citation():
    citation = {"id": "IK79", "index": 0}
    message, deltas = run([START, text_start(), text_delta("x"), {"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta", "citation": citation}}, STOP])
    assert [c.id for c in message.content[0].citations] == ["IK79"]
    assert deltas[-1].kind == "text" and deltas[-1].citations == [citation]


# -- usage and stop reason --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start_usage, delta_event, expected",
    [
        ({"input_tokens": 0, "output_tokens": 0}, {"type": "message_delta", "delta": {}, "usage": {}}, None),
        ({"input_tokens": 0, "output_tokens": 0}, {"type": "message_delta", "delta": {}, "usage": {"input_tokens": 20, "output_tokens": 9}}, (20, 9)),
        ({"input_tokens": 7, "output_tokens": 0}, {"type": "message_delta", "delta": {}, "usage": {"output_tokens": 3}}, (7, 3)),
        ({}, {"type": "message_delta", "delta": {"usage": {"input_tokens": 1, "output_tokens": 0}}, "usage": {"output_tokens": 2}}, (1, 2)),
        ({"input_tokens": 5}, {"type": "message_delta", "delta": {}, "usage": {"input_tokens": 0}}, (0, None)),
    ],
)
def test_message_start_zeros_are_placeholders(start_usage, delta_event, expected):
    start = {"type": "message_start", "message": {"id": "m", "content": [], "usage": start_usage}}
    message, _ = run([start, delta_event, STOP])
    if expected is None:
        assert message.usage is None
    else:
        assert (message.usage.input_tokens, message.usage.output_tokens) == expected


@pytest.mark.parametrize(
    "event, expected",
    [
        ({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "stop_reason": "end_turn"}, "tool_use"),
        ({"type": "message_delta", "delta": {}, "stop_reason": "max_tokens"}, "max_tokens"),
        ({"type": "message_delta", "delta": {"stop_reason": None}, "stop_reason": "refusal", "stop_sequence": "##"}, "refusal"),
        ({"type": "message_delta", "delta": {}}, None),
    ],
)
def test_stop_reason_from_the_delta_else_the_event(event, expected):
    message, _ = run([START, event, STOP])
    assert message.stop_reason == expected


# -- error events ---------------------------------------------------------------------------------


def test_an_error_event_first_raises_with_its_explanation():
    event = {"type": "error", "error": {"type": "invalid_request_error", "message": "Invalid Request Error", "detail": {"code": "INVALID_REQUEST_ERROR", "explanation": "Model 'x' not found."}}, "request_id": "r1"}
    with pytest.raises(ServerStreamError, match=r"\(invalid_request_error\): Model 'x' not found\.$") as caught:
        StreamAccumulator().feed(event)
    assert (caught.value.code, caught.value.request_id, caught.value.body) == ("INVALID_REQUEST_ERROR", "r1", event)


# -- tool inputs ------------------------------------------------------------------------------------


def tool(kind="tool_use", input_=None):
    block = {"type": kind, "id": "t1", "name": "search"}
    if input_ is not None:
        block["input"] = input_
    return {"type": "content_block_start", "index": 0, "block_id": "b", "content_block": block}


def piece(text=None, obj=None):
    delta = {"type": "input_json_delta"}
    if text is not None:
        delta["partial_json"] = text
    if obj is not None:
        delta["partial_json_obj"] = obj
    return {"type": "content_block_delta", "index": 0, "block_id": "b", "delta": delta}


@pytest.mark.parametrize("kind, start_kind, piece_kind", [("tool_use", "tool_use", "input_json"), ("server_tool_use", "server_tool_use", "server_input_json")])
def test_tool_input_rules(kind, start_kind, piece_kind):
    # Objects replace each other; the joined JSON wins at the end.
    message, deltas = run([START, tool(kind, {}), piece("", {"q": "a"}), piece("", {"q": "ab"}), piece("", {}), piece('{"q": "abc"}', {"q": "abc"}), STOP])
    assert message.content[0].input == {"q": "abc"}
    assert [d.kind for d in deltas] == [start_kind, piece_kind, piece_kind, piece_kind]  # no delta for the empty piece
    assert [d.text for d in deltas[1:]] == ["", "", '{"q": "abc"}']
    # Only objects: the last one.
    message, _ = run([START, tool(kind), piece("", {"q": "a", "x": 1}), piece("", {"q": "b"}), STOP])
    assert message.content[0].input == {"q": "b"}
    # Broken JSON with an object to fall back on.
    message, _ = run([START, tool(kind), piece('{"q": ', {"q": "partial"}), STOP])
    assert message.content[0].input == {"q": "partial"}
    # Nothing but the start: the start's input (document_preprocessing).
    message, deltas = run([START, tool(kind, {"type": "document", "index": 0}), STOP])
    assert message.content[0].input == {"type": "document", "index": 0} and len(deltas) == 1
    # Broken JSON and nothing else: an error naming the tool.
    with pytest.raises(StreamError, match=f"{kind} 'search' arguments are not valid JSON"):
        run([START, tool(kind), piece('{"q": '), STOP])


def test_input_pieces_without_a_start_join_the_last_server_tool():
    events = [START, {"type": "content_block_start", "content_block": {"type": "server_tool_use", "id": "s1", "name": "search", "input": {}}}, {"type": "content_block_delta", "delta": {"type": "input_json_delta", "partial_json": '{"a": 1}'}}, STOP]
    message, deltas = run(events)
    assert [b.type for b in message.content] == ["server_tool_use"] and message.content[0].input == {"a": 1}
    assert [d.kind for d in deltas] == ["server_tool_use", "server_input_json"]


# -- thinking signature ----------------------------------------------------------------------------


def test_signature_from_the_start_and_from_a_signature_delta():
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": "sig_1", "citations": []}}
    events = [START, start, {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hm"}}]
    events.append({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "sig_2"}})
    message, deltas = run([*events, STOP])
    assert [(d.kind, d.text, d.block) for d in deltas] == [("thinking", "", {"signature": "sig_1"}), ("thinking", "hm", None), ("thinking", "", {"signature": "sig_2"})]
    assert message.content[0].signature == "sig_2" and message.content[0].thinking == "hm"


def test_whole_blocks_of_any_type_arrive_as_block_deltas():
    blocks = [
        {"type": "server_tool_result", "tool_use_id": "s1", "content": "failed", "is_error": True},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}, "title": "n.txt"},
        {"type": "container_upload", "file_id": "f1"},
    ]
    events = [START, *({"type": "content_block_start", "index": i, "content_block": b} for i, b in enumerate(blocks)), STOP]
    message, deltas = run(events)
    assert [d.kind for d in deltas] == ["block", "block", "block"]
    assert [b.to_json_dict() for b in message.content] == blocks


def test_text_beyond_ascii_passes_unchanged():
    pieces = ["héllo ", "日本語", "🙂", " ok\ue000", "end"]
    message, deltas = run([START, text_start(), *(text_delta(p) for p in pieces), STOP])
    assert [d.text for d in deltas] == pieces and message.content[0].text == "".join(pieces)


@pytest.mark.parametrize("bad", [True, 1.0, "1", -0.5])
@pytest.mark.parametrize("where", ["delta", "start"])
def test_an_index_that_is_not_an_integer_is_malformed_not_another_block(bad, where):
    # Two text blocks; then an event whose index only looks like 1 (True == 1 == 1.0 in
    # Python): merged into block 1 it would change the answer silently.
    events = [START, text_start(0, "a"), text_start(1, "b")]
    if where == "delta":
        events.append({"type": "content_block_delta", "index": bad, "delta": {"type": "text_delta", "text": "X"}})
    else:
        events.append({"type": "content_block_start", "index": bad, "content_block": {"type": "text", "text": "X"}})
    with pytest.raises(StreamError, match="index must be an integer"):
        run(events + [STOP])
