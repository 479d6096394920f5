"""Zylon stream deltas → AIMessageChunks, offline: the documented streams, each delta
kind, and a property: summing the chunks gives the message the complete answer gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessageChunk

from langchain_zylon._codec import ChunkBuilder, to_ai_message
from langchain_zylon._codec.outputs import sources_of
from tests.conftest import SHARED_API, example_names, parse_sse_text
from zylon_core import ServerStreamError, StreamAccumulator, decode_event
from zylon_core._streaming import StreamDelta

STREAMS = [name for page in ("interactions", "threads", "chat", "messages") for name in example_names(f"{page}.*.stream.sse")]


def run(events: list[dict[str, Any]], *, rich: bool = False, client_tools: frozenset[str] | None = frozenset()):
    """Feed events as the client does; returns (chunks, final message)."""
    accumulator = StreamAccumulator()
    builder = ChunkBuilder(rich=rich, client_tools=client_tools)
    chunks: list[AIMessageChunk] = []
    for event in events:
        delta = accumulator.feed(event)
        if delta is not None:
            chunk = builder.chunk(delta)
            if chunk is not None:
                chunks.append(chunk)
        if accumulator.done:
            break
    message = accumulator.finish()
    chunks.append(builder.last(message, model_name="cfg", sources=sources_of(message)))
    return chunks, message


def total(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def sse_events(name: str) -> list[dict[str, Any]]:
    text = (SHARED_API / "examples" / name).read_text()
    return [e for e in (decode_event(event, data) for event, data in parse_sse_text(text)) if e is not None]


def test_documented_streams_found(shared_api):
    assert STREAMS, "no documented streams found"


@pytest.mark.parametrize("name", STREAMS)
def test_documented_stream(name):
    chunks, message = run(sse_events(name))
    full = total(chunks)
    expected = to_ai_message(message, model_name="cfg", client_tools=frozenset())
    assert full.text == expected.text and full.text
    assert isinstance(full.content, str)  # a plain request streams strings
    assert chunks[-1].chunk_position == "last"
    assert full.response_metadata["id"] == message.id
    assert full.response_metadata["model_name"] == expected.response_metadata["model_name"]
    assert full.response_metadata["stop_reason"] == expected.response_metadata["stop_reason"] == "end_turn"
    assert full.usage_metadata == expected.usage_metadata
    assert sum(1 for c in chunks if c.usage_metadata) <= 1
    assert sum(1 for c in chunks if c.response_metadata.get("model_name")) == 1


def test_documented_error_stream_raises(shared_api):
    with pytest.raises(ServerStreamError, match=r"\(api_error\): <AioRpcError.*failed to connect"):
        run(sse_events("async-messages.04.stream.sse"))


# -- synthetic streams, each delta kind ----------------------------------------------


def ev_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "block_id": f"b{index}", "content_block": block}


def ev_delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "block_id": f"b{index}", "delta": delta}


def ev_stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index, "block_id": f"b{index}"}


def envelope(*body: dict[str, Any], stop_reason: str = "end_turn", usage: dict[str, int] | None = None) -> list[dict[str, Any]]:
    return [
        {"type": "message_start", "message": {"id": "msg_s", "role": "assistant", "content": [], "model": "private-gpt"}},
        *body,
        {"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": usage or {"input_tokens": 10, "output_tokens": 5}},
        {"type": "message_stop"},
    ]


TOOL_STREAM = envelope(
    ev_start(0, {"type": "text", "text": ""}),
    ev_delta(0, {"type": "text_delta", "text": "Adding."}),
    ev_stop(0),
    ev_start(1, {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {}}),
    ev_delta(1, {"type": "input_json_delta", "partial_json": '{"a": 1,'}),
    ev_delta(1, {"type": "input_json_delta", "partial_json": ' "b": 2}'}),
    ev_stop(1),
    stop_reason="tool_use",
)


def test_tool_call_chunks_carry_the_block_index():
    chunks, message = run(TOOL_STREAM, rich=True, client_tools=frozenset({"add"}))
    call_chunks = [tc for c in chunks for tc in c.tool_call_chunks]
    assert call_chunks[0] == {"type": "tool_call_chunk", "name": "add", "args": "", "id": "toolu_1", "index": 1}
    assert [tc["args"] for tc in call_chunks[1:]] == ['{"a": 1,', ' "b": 2}']
    assert all(tc["index"] == 1 for tc in call_chunks)
    full = total(chunks)
    assert full.tool_calls == [{"name": "add", "args": {"a": 1, "b": 2}, "id": "toolu_1", "type": "tool_call"}]
    assert full.tool_calls == to_ai_message(message, model_name="m", client_tools=frozenset({"add"})).tool_calls
    assert full.text == "Adding."
    assert [b["type"] for b in full.content_blocks] == ["text", "tool_call"]
    assert full.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    assert full.response_metadata["stop_reason"] == "tool_use"


def test_streaming_chunk_translates_to_tool_call_chunk():
    chunks, _ = run(TOOL_STREAM, rich=True, client_tools=frozenset({"add"}))
    first_call = next(c for c in chunks if c.tool_call_chunks)
    assert first_call.content_blocks == [{"type": "tool_call_chunk", "id": "toolu_1", "name": "add", "args": "", "index": 1}]


def test_server_tool_with_result_is_not_a_call_and_switches_to_blocks():
    events = envelope(
        ev_start(0, {"type": "tool_use", "id": "s1", "name": "semantic_search", "input": {}}),
        ev_delta(0, {"type": "input_json_delta", "partial_json": '{"query": "billing"}'}),
        ev_stop(0),
        {"type": "content_block_synthetic", "index": 1, "block_id": "b1", "block": {"type": "tool_result", "tool_use_id": "s1", "content": [{"type": "text", "text": "5 passages"}]}},
        ev_start(2, {"type": "source", "sources": []}),
        ev_delta(2, {"type": "source_delta", "sources": [{"type": "context.chunk", "id": "c1", "text": "Billing up"}]}),
        ev_stop(2),
        ev_start(3, {"type": "text", "text": ""}),
        ev_delta(3, {"type": "text_delta", "text": "Billing is up."}),
        ev_stop(3),
    )
    chunks, message = run(events, rich=False, client_tools=frozenset())
    full = total(chunks)
    assert full.tool_calls == [] and not full.tool_call_chunks
    assert full.text == "Billing is up."
    assert [b["type"] for b in full.content] == ["tool_use", "tool_result", "source", "text"]
    assert full.content[0]["partial_json"] == '{"query": "billing"}'
    assert [b["type"] for b in full.content_blocks] == ["server_tool_call", "server_tool_result", "non_standard", "text"]
    assert full.content_blocks[0]["args"] == {"query": "billing"}
    assert full.additional_kwargs["sources"] == [{"type": "context.chunk", "id": "c1", "text": "Billing up"}]
    assert full.response_metadata["sources"] == full.additional_kwargs["sources"]
    assert full.text == to_ai_message(message, model_name="m", client_tools=frozenset()).text


def test_thinking_streams_as_reasoning():
    events = envelope(
        ev_start(0, {"type": "thinking", "thinking": ""}),
        ev_delta(0, {"type": "thinking_delta", "thinking": "Let me "}),
        ev_delta(0, {"type": "thinking_delta", "thinking": "think."}),
        ev_stop(0),
        ev_start(1, {"type": "text", "text": ""}),
        ev_delta(1, {"type": "text_delta", "text": "Done."}),
        ev_stop(1),
    )
    chunks, message = run(events, rich=True)
    full = total(chunks)
    assert full.additional_kwargs["reasoning_content"] == "Let me think."
    assert full.content == [{"type": "thinking", "thinking": "Let me think.", "index": 0}, {"type": "text", "text": "Done.", "index": 1}]
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "text"]
    assert to_ai_message(message, model_name="m").additional_kwargs["reasoning_content"] == "Let me think."


def test_text_with_citations_and_tldr():
    events = envelope(
        ev_start(0, {"type": "text", "text": ""}),
        ev_delta(0, {"type": "text_delta", "text": "Fell 8% ", "citations": [{"source_id": "c1"}]}),
        ev_delta(0, {"type": "text_delta", "text": "[1]."}),
        ev_stop(0),
        ev_start(1, {"type": "tldr", "content": []}),
        ev_delta(1, {"type": "tldr_delta", "tldr": {"type": "text", "text": "Backlog down"}}),
        ev_stop(1),
    )
    chunks, message = run(events, rich=True)
    full = total(chunks)
    assert full.content[0] == {"type": "text", "text": "Fell 8% [1].", "index": 0, "annotations": [{"type": "citation", "extras": {"source_id": "c1"}}]}
    assert full.additional_kwargs["tldr"] == "Backlog down"
    assert comparable(full.content) == to_ai_message(message, model_name="m").content


def comparable(content: Any) -> Any:
    """Streamed content without what only a stream has: block positions and the JSON
    text of tool inputs."""
    if isinstance(content, str):
        return content
    return [{k: v for k, v in b.items() if k not in ("index", "partial_json")} for b in content]


SOURCE = {"object": "context.chunk", "id": "chunk-1", "text": "Revenue grew 20% in Q3.", "document": {"doc_metadata": {"file_name": "alpha.md"}}, "metadata": {"shorter_id": "IK79"}}
MARKUP = "<citation id='IK79' index='0' artifact_id='doc_alpha' source_id='chunk-1' correlation_id='cor-1'></citation>"
RAG_STREAM = envelope(
    ev_start(0, {"type": "thinking", "thinking": "", "signature": "sig_0123", "citations": []}),
    ev_delta(0, {"type": "thinking_delta", "thinking": "Search first."}),
    ev_start(1, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {}}),
    ev_delta(1, {"type": "input_json_delta", "partial_json": "", "partial_json_obj": {"query": "revenue", "artifacts": None}}),
    ev_delta(1, {"type": "input_json_delta", "partial_json": "", "partial_json_obj": {"query": "revenue", "artifacts": None}}),
    ev_delta(1, {"type": "input_json_delta", "partial_json": '{"query": "revenue", "artifacts": null}', "partial_json_obj": {"query": "revenue", "artifacts": None}}),
    ev_stop(1),
    ev_start(2, {"type": "server_tool_result", "tool_use_id": "srvtoolu_1", "is_error": False, "content": [{"type": "source", "sources": [SOURCE]}, {"type": "text", "text": "Citation identifier [IK79]\n---\nContent:\nRevenue grew 20% in Q3.\n\n==="}]}),
    ev_stop(2),
    ev_start(3, {"type": "text", "text": ""}),
    ev_delta(3, {"type": "text_delta", "text": "Revenue grew "}),
    ev_delta(3, {"type": "text_delta", "text": "20% in Q3 " + MARKUP + " ", "citations": [{"id": "IK79", "index": 0, "artifact_id": "doc_alpha", "source_id": "chunk-1"}]}),
    ev_delta(3, {"type": "text_delta", "text": "again. "}),
    # the last block ends without content_block_stop, as on the real server
)


def test_a_cited_search_answer_streams_as_its_complete_twin():
    chunks, message = run(RAG_STREAM, rich=True, client_tools=frozenset())
    full = total(chunks)
    expected = to_ai_message(message, model_name="cfg", client_tools=frozenset())
    # Never a client tool call, and the server tool's name is not merged twice ("searchsearch").
    assert not any(c.tool_call_chunks for c in chunks) and full.tool_calls == []
    assert comparable(full.content) == expected.content
    assert full.content[1]["name"] == "search" and full.content[1]["input"] == {"query": "revenue", "artifacts": None}
    text = full.content[3]
    assert text["text"] == "Revenue grew 20% in Q3 again. " and text["raw_text"] == message.content[3].text
    (cited,) = text["annotations"]
    assert cited["cited_text"] == SOURCE["text"] and cited["title"] == "alpha.md"
    assert text["text"][cited["start_index"] : cited["end_index"]] == "Revenue grew 20% in Q3"
    assert full.content[0] == {"type": "thinking", "thinking": "Search first.", "signature": "sig_0123", "index": 0}
    assert full.additional_kwargs == expected.additional_kwargs
    assert full.additional_kwargs["sources"] == [SOURCE] == full.response_metadata["sources"]
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "server_tool_call", "server_tool_result", "text"]
    assert _same_blocks(full.content_blocks, expected.content_blocks)


def _same_blocks(streamed: list[Any], whole: list[Any]) -> bool:
    return [{k: v for k, v in b.items() if k != "index"} for b in streamed] == whole


def test_server_tool_chunks_translate_to_server_tool_call_chunks():
    chunks, _ = run(RAG_STREAM, rich=True, client_tools=frozenset())
    server = [c for c in chunks[:-1] if any(b.get("type") == "server_tool_use" for b in c.content)]
    translated = [b for c in server for b in c.content_blocks]
    assert translated == [
        {"type": "server_tool_call_chunk", "args": "", "id": "srvtoolu_1", "name": "search", "index": 1},
        {"type": "server_tool_call_chunk", "args": '{"query": "revenue", "artifacts": null}', "index": 1},
    ]
    # Summed as LangChain's v1 streaming does (each chunk translated first).
    v1 = [AIMessageChunk(content=c.content_blocks, response_metadata={"output_version": "v1"}, chunk_position=c.chunk_position) for c in chunks]
    assert [b for b in total(v1).content if b["type"] == "server_tool_call"] == [
        {"type": "server_tool_call", "args": {"query": "revenue", "artifacts": None}, "id": "srvtoolu_1", "name": "search", "index": 1}
    ]


def test_a_document_conversion_has_its_input_in_the_start():
    events = envelope(
        ev_start(0, {"type": "server_tool_use", "id": "srvtoolu_d", "name": "document_preprocessing", "input": {"type": "document", "index": 0, "name": "notes.txt"}}),
        ev_stop(0),
        ev_start(1, {"type": "server_tool_result", "tool_use_id": "srvtoolu_d", "content": [{"type": "text", "text": "Converted document 1 of 1."}], "is_error": False}),
        ev_stop(1),
        ev_start(2, {"type": "text", "text": ""}),
        ev_delta(2, {"type": "text_delta", "text": "Friday."}),
    )
    chunks, message = run(events, rich=False, client_tools=frozenset())
    full = total(chunks)
    assert comparable(full.content) == to_ai_message(message, model_name="m").content
    assert full.content[0]["input"] == {"type": "document", "index": 0, "name": "notes.txt"}


def test_blanks_before_possible_markup_wait_for_the_next_piece():
    events = envelope(
        ev_start(0, {"type": "text", "text": ""}),
        ev_delta(0, {"type": "text_delta", "text": "a "}),
        ev_delta(0, {"type": "text_delta", "text": "b "}),
    )
    chunks, message = run(events)
    assert [c.content for c in chunks] == ["a", " b", " "]
    assert total(chunks).content == to_ai_message(message, model_name="m").content == "a b "


def test_workspace_shape_without_index_or_start():
    events = [
        {"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "lo"}},
        {"type": "content_block_delta", "delta": {"type": "input_json_delta", "partial_json": '{"x": 1}'}},
        {"type": "message_stop"},
    ]
    chunks, _ = run(events, rich=False, client_tools=None)
    full = total(chunks)
    assert full.text == "Hello"
    # Arguments with no tool_use start still open a tool call (id from the accumulator).
    assert len(full.tool_calls) == 1 and full.tool_calls[0]["args"] == {"x": 1}


def test_plain_chunks_are_strings_and_last_chunk_has_usage_only_once():
    chunks, _ = run(envelope(ev_start(0, {"type": "text", "text": ""}), ev_delta(0, {"type": "text_delta", "text": "a"}), ev_delta(0, {"type": "text_delta", "text": "b"})))
    assert [c.content for c in chunks] == ["a", "b", ""]
    assert [c.usage_metadata is not None for c in chunks] == [False, False, True]
    assert chunks[-1].chunk_position == "last" and chunks[0].chunk_position is None


def test_minimal_workspace_shape_with_a_synthetic_tool_use():
    """The Workspace docs' shape: key-less deltas, other blocks whole, no stop reason."""
    events = [
        {"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}},
        {"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "Hmm."}},
        {"type": "content_block_synthetic", "block_id": "b1", "block": {"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 2}}},
        {"type": "message_stop"},
    ]
    chunks, message = run(events, rich=False, client_tools=frozenset({"add"}))
    full = total(chunks)
    assert full.tool_calls == [{"name": "add", "args": {"a": 2}, "id": "t1", "type": "tool_call"}]
    assert full.additional_kwargs["reasoning_content"] == "Hmm."
    assert full.response_metadata["stop_reason"] == "tool_use"
    assert to_ai_message(message, model_name="m", client_tools=frozenset({"add"})).response_metadata["stop_reason"] == "tool_use"


def test_whole_tool_use_block_streams_its_input_at_once():
    builder = ChunkBuilder(rich=True, client_tools=frozenset({"f"}))
    chunk = builder.chunk(StreamDelta("block", 0, block={"type": "tool_use", "id": "t", "name": "f", "input": {"k": "v"}}))
    assert chunk.tool_call_chunks == [{"type": "tool_call_chunk", "name": "f", "args": '{"k": "v"}', "id": "t", "index": 0}]


# -- property: stream == complete answer ----------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)
BLOCK = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, TEXT),
    st.builds(lambda t, u: {"type": "text", "text": f"{t} {MARKUP} {u}"}, TEXT, TEXT),
    st.builds(lambda t: {"type": "thinking", "thinking": t}, TEXT),
    st.builds(lambda t: {"type": "thinking", "thinking": t, "signature": "sig_1"}, TEXT),
    st.builds(lambda a: {"type": "server_tool_use", "name": "search", "input": a}, st.dictionaries(st.sampled_from(["query"]), TEXT, max_size=1)),
    st.builds(lambda n, a: {"type": "tool_use", "name": n, "input": a}, st.sampled_from(["add", "search"]), st.dictionaries(st.sampled_from(["a", "b", "q"]), st.integers(-5, 5), max_size=3)),
    st.builds(lambda u: {"type": "source", "sources": [{"type": "context.website", "url": f"https://x/{u}"}]}, st.integers(0, 9)),
)


def pieces(text: str, cuts: int) -> list[str]:
    size = max(1, len(text) // (cuts + 1))
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_of(blocks: list[dict[str, Any]], cuts: int) -> list[dict[str, Any]]:
    body = []
    for i, block in enumerate(blocks):
        kind = block["type"]
        if kind == "text":
            body += [ev_start(i, {"type": "text", "text": ""}), *[ev_delta(i, {"type": "text_delta", "text": p}) for p in pieces(block["text"], cuts)]]
        elif kind == "thinking":
            start = {"type": "thinking", "thinking": "", **({"signature": block["signature"]} if "signature" in block else {})}
            body += [ev_start(i, start), *[ev_delta(i, {"type": "thinking_delta", "thinking": p}) for p in pieces(block["thinking"], cuts)]]
        elif kind in ("tool_use", "server_tool_use"):
            body += [ev_start(i, {"type": kind, "id": f"t{i}", "name": block["name"], "input": {}}), *[ev_delta(i, {"type": "input_json_delta", "partial_json": p}) for p in pieces(json.dumps(block["input"]), cuts)]]
        else:
            body += [ev_start(i, {"type": "source", "sources": []}), ev_delta(i, {"type": "source_delta", "sources": block["sources"]})]
        body.append(ev_stop(i))
    return envelope(*body)


@settings(max_examples=60, deadline=None)
@given(blocks=st.lists(BLOCK, min_size=1, max_size=5), cuts=st.integers(0, 3), rich=st.booleans())
def test_summed_chunks_match_the_complete_answer(blocks, cuts, rich):
    chunks, message = run(stream_of(blocks, cuts), rich=rich, client_tools=frozenset({"add"}))
    full = total(chunks)
    expected = to_ai_message(message, model_name="cfg", client_tools=frozenset({"add"}))
    assert full.text == expected.text
    assert full.tool_calls == expected.tool_calls
    assert full.additional_kwargs.get("reasoning_content") == expected.additional_kwargs.get("reasoning_content")
    assert full.additional_kwargs.get("sources") == expected.additional_kwargs.get("sources")
    assert full.response_metadata.get("sources") == expected.response_metadata.get("sources")
    assert full.usage_metadata == expected.usage_metadata
    assert [b["type"] for b in full.content_blocks if b["type"] != "text"] == [b["type"] for b in expected.content_blocks if b["type"] != "text"]
    if rich and isinstance(expected.content, list):
        assert comparable(full.content) == expected.content


def test_a_new_text_block_releases_what_the_earlier_one_held():
    events = envelope(
        ev_start(0, {"type": "text", "text": ""}),
        ev_delta(0, {"type": "text_delta", "text": "I will search. "}),
        ev_start(1, {"type": "text", "text": ""}),
        ev_delta(1, {"type": "text_delta", "text": "Found it."}),
    )
    chunks, message = run(events)
    assert [c.content for c in chunks] == ["I will search.", " Found it.", ""]
    assert total(chunks).content == to_ai_message(message, model_name="m").content == "I will search. Found it."
    chunks, message = run(events, rich=True)
    assert chunks[1].content == [{"type": "text", "text": " ", "index": 0}, {"type": "text", "text": "Found it.", "index": 1}]
    assert comparable(total(chunks).content) == [{"type": "text", "text": "I will search. "}, {"type": "text", "text": "Found it."}]
