"""The pure codec, offline: a Zylon stream's deltas → the partial LlamaIndex messages
(documented streams, tool arguments, server tools, thinking signatures, citation markup
split across deltas) and the chunks built from them."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import CitationBlock, ThinkingBlock, ToolCallBlock

from llama_index_zylon._codec.outputs import decode_output
from llama_index_zylon._codec.responses import final_chunk, stream_chunk
from llama_index_zylon._codec.streaming import StreamState
from tests.conftest import SHARED_API, example_names, parse_sse_text
from zylon_core import Route, ServerStreamError, StreamAccumulator, TurnResult, decode_event

CHAT_STREAMS = [n for n in example_names("*.stream.sse") if not n.startswith("workspace-artifacts")]


def stream_events(name):
    text = (SHARED_API / "examples" / name).read_text()
    return [e for e in (decode_event(event, data) for event, data in parse_sse_text(text)) if e is not None]


def run_stream(events, server_tool_names=()):
    accumulator = StreamAccumulator()
    state = StreamState(frozenset(server_tool_names))
    snapshots = []
    for event in events:
        delta = accumulator.feed(event)
        if delta is not None:
            state.feed(delta)
            snapshots.append((delta, state.message()))
        if accumulator.done:
            break
    return decode_output(accumulator.finish(), server_tool_names=server_tool_names), snapshots


def test_documented_streams_are_all_covered(shared_api):
    assert set(CHAT_STREAMS) == {
        "async-messages.04.stream.sse",
        "interactions.08.stream.sse",
        "messages.13.stream.sse",
        "threads.16.stream.sse",
    }


@pytest.mark.parametrize("name", [n for n in CHAT_STREAMS if n != "async-messages.04.stream.sse"])
def test_documented_stream_partials_end_equal_to_the_final_message(name, shared_api):
    final, snapshots = run_stream(stream_events(name))
    assert snapshots, "the stream produced no deltas"
    assert snapshots[-1][1].content == final.message.content
    assert "".join(d.text for d, _ in snapshots if d.kind == "text") == final.message.content
    assert final.message.content in ("Focus fast daily", "• Ticket volume rose 12%")


def test_documented_error_stream_raises(shared_api):
    with pytest.raises(ServerStreamError, match=r"\(api_error\): <AioRpcError.*failed to connect"):
        run_stream(stream_events("async-messages.04.stream.sse"))


def _tool_stream(pieces, extra_blocks=()):
    events = [{"type": "message_start", "message": {"id": "m1", "role": "assistant", "content": []}}]
    for index, (call_id, name, parts) in enumerate(pieces):
        events.append({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": call_id, "name": name, "input": {}}})
        for part in parts:
            events.append({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": part}})
        events.append({"type": "content_block_stop", "index": index})
    for offset, block in enumerate(extra_blocks, start=len(pieces)):
        events.append({"type": "content_block_synthetic", "index": offset, "block": block})
    events.append({"type": "message_delta", "delta": {"stop_reason": "tool_use"}})
    events.append({"type": "message_stop"})
    return events


def test_streamed_tool_arguments_accumulate_into_the_partial_tool_calls():
    events = _tool_stream([("t1", "add", ['{"a": ', "12", ', "b": 3', "0}"]), ("t2", "mul", ['{"x": 2}'])])
    final, snapshots = run_stream(events)
    seen = [
        [(b.tool_call_id, b.tool_kwargs) for b in message.blocks if isinstance(b, ToolCallBlock)]
        for _, message in snapshots
    ]
    assert ("t1", {"a": 12}) in seen[2] or ("t1", {"a": 12}) in seen[1]
    assert seen[-1] == [("t1", {"a": 12, "b": 30}), ("t2", {"x": 2})]
    assert [(b.tool_call_id, b.tool_kwargs) for b in final.message.blocks] == seen[-1]


def test_streamed_server_tool_stops_being_a_pending_call_once_answered():
    result = {"type": "tool_result", "tool_use_id": "s1", "content": [{"type": "text", "text": "3 hits"}]}
    final, snapshots = run_stream(_tool_stream([("s1", "search", ['{"query": "q"}'])], [result]))
    pending = [m for _, m in snapshots if any(isinstance(b, ToolCallBlock) for b in m.blocks)]
    assert pending, "before its result arrives, the call looks pending"
    last = snapshots[-1][1]
    assert not any(isinstance(b, ToolCallBlock) for b in last.blocks)
    assert last.additional_kwargs["server_tool_calls"][0]["result"][0]["text"] == "3 hits"
    assert final.message.additional_kwargs["server_tool_calls"] == last.additional_kwargs["server_tool_calls"]


def test_streamed_thinking_sources_and_text():
    events = [
        {"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me "}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "think."}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "source_delta", "sources": [{"type": "context.chunk", "id": "c", "text": "t", "document": {"artifact": "a"}}]}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "Answer."}},
        {"type": "message_stop"},
    ]
    final, snapshots = run_stream(events)
    assert [d.kind for d, _ in snapshots] == ["thinking", "thinking", "source", "text"]
    last = snapshots[-1][1]
    assert [type(b).__name__ for b in last.blocks] == ["ThinkingBlock", "CitationBlock", "TextBlock"]
    assert last.blocks[0].content == "Let me think."
    assert [type(b).__name__ for b in final.message.blocks] == ["ThinkingBlock", "CitationBlock", "TextBlock"]
    assert final.message.additional_kwargs["sources"][0]["id"] == "c"


def _text_stream(*pieces, citations=None):
    """A stream of one text block in ``pieces`` (``citations``: piece index → citations)."""
    events = [{"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}}]
    events.append({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    for position, piece in enumerate(pieces):
        delta = {"type": "text_delta", "text": piece}
        if citations and position in citations:
            delta["citations"] = citations[position]
        events.append({"type": "content_block_delta", "index": 0, "delta": delta})
    events += [{"type": "message_delta", "delta": {"stop_reason": "end_turn"}}, {"type": "message_stop"}]
    return events


MARKUP = "<citation id='IK79' index='0' artifact_id='doc_a' source_id='s1' correlation_id='c'></citation>"


def chunks_of(events, server_tool_names=frozenset()):
    """The chunks Zylon.stream_chat makes of ``events``: one per delta, then the final one."""
    accumulator = StreamAccumulator()
    state = StreamState(server_tool_names)
    chunks = [stream_chunk(state, d) for d in (accumulator.feed(e) for e in events) if d is not None]
    result = TurnResult(accumulator.finish(), Route.create())
    return chunks + [final_chunk(state, result, server_tool_names)]


def test_markup_split_across_deltas_never_shows_and_the_deltas_add_up():
    cut = [f"Revenue grew 20% in Q3 {MARKUP[:10]}", MARKUP[10:40], MARKUP[40:] + ". Next", " sentence "]
    chunks = chunks_of(_text_stream(*cut, citations={2: [{"id": "IK79", "index": 0, "artifact_id": "doc_a", "source_id": "s1"}]}))
    assert [c.delta for c in chunks] == ["Revenue grew 20% in Q3", "", ". Next", " sentence", " "]
    assert all("<" not in (c.message.content or "") for c in chunks)
    final = chunks[-1].message
    assert final.content == "Revenue grew 20% in Q3. Next sentence " == "".join(c.delta for c in chunks)
    (citation,) = [b for b in final.blocks if isinstance(b, CitationBlock)]
    assert citation.source == "doc_a" and citation.additional_location_info == {"start_index": 0, "end_index": 22, "index": 0}
    assert [b.additional_location_info for b in chunks[2].message.blocks if isinstance(b, CitationBlock)] == [citation.additional_location_info]


def test_a_second_text_block_starts_on_a_new_line_in_the_deltas_too():
    events = _text_stream("Let me look. ")
    events[-2:-2] = [
        {"type": "content_block_start", "index": 1, "content_block": {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "", "partial_json_obj": {"query": "q"}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"query": "q"}'}},
        {"type": "content_block_start", "index": 2, "content_block": {"type": "server_tool_result", "tool_use_id": "srvtoolu_1", "content": "no hits", "is_error": True}},
        {"type": "content_block_start", "index": 3, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 3, "delta": {"type": "text_delta", "text": "Nothing."}},
    ]
    chunks = chunks_of(events)
    final = chunks[-1].message
    assert final.content == "Let me look. \nNothing." == "".join(c.delta for c in chunks)
    assert not [b for c in chunks for b in c.message.blocks if isinstance(b, ToolCallBlock)], "a server tool is never a pending call"
    seen = [c.message.additional_kwargs.get("server_tool_calls") for c in chunks]
    assert {"id": "srvtoolu_1", "name": "search", "input": {"query": "q"}, "result": None, "is_error": None} in seen[2]
    assert final.additional_kwargs["server_tool_calls"] == [{"id": "srvtoolu_1", "name": "search", "input": {"query": "q"}, "result": "no hits", "is_error": True}]
    assert chunks[-2].message.blocks == final.blocks


def test_the_signature_arrives_with_the_thinking_start():
    events = [
        {"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": "sig_1", "citations": []}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm."}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "4"}},
        {"type": "message_stop"},
    ]
    chunks = chunks_of(events)
    assert [c.additional_kwargs.get("thinking_delta") for c in chunks[:2]] == ["", "Hmm."]
    for chunk in chunks:
        (thinking,) = [b for b in chunk.message.blocks if isinstance(b, ThinkingBlock)]
        assert thinking.additional_information == {"signature": "sig_1"}
    assert chunks[-1].message.content == "4" and chunks[-1].delta == ""


def test_stream_state_never_changes_what_the_accumulator_holds():
    """Deltas may carry the accumulator's own dicts: building partial messages must not
    alter them (this once doubled every streamed source)."""
    source = {"type": "context.chunk", "id": "c1", "text": "t", "document": {"artifact": "a"}}
    events = [
        {"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "source", "sources": []}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "source_delta", "sources": [source]}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "source_delta", "sources": [{**source, "id": "c2"}]}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_stop"},
    ]
    final, snapshots = run_stream(events)
    assert [s["id"] for s in final.message.additional_kwargs["sources"]] == ["c1", "c2"]
    assert [s["id"] for s in snapshots[-1][1].additional_kwargs["sources"]] == ["c1", "c2"]
