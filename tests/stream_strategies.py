"""Hypothesis strategies for Zylon event streams, for the property tests that prove a
fast path gives what the general path gives: text split anywhere (citation markup,
blanks, ``<``, surrogate halves, empty pieces), deltas with and without a start, keyed
by ``index`` and/or ``block_id``, citations listed on deltas, thinking and tool blocks
between text blocks, a synthetic block replacing a streamed text block."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

MARKUP = "<citation id='IK79' index='0' artifact_id='doc_a' source_id='s1'></citation>"
CITATION = {"id": "IK79", "index": 0, "artifact_id": "doc_a", "source_id": "s1"}

# Pieces of text: plain words, blanks that markup could follow, halves of markup, a
# lone "<", a surrogate pair split in two, nothing at all.
PIECES = st.one_of(
    st.sampled_from([" tok", "word", " ", "\t", ". ", "\n", "<", "a < b", "", "é", "\ud83d", "\ude00", MARKUP]),
    st.integers(0, len(MARKUP)).map(lambda cut: MARKUP[:cut]),
    st.integers(0, len(MARKUP)).map(lambda cut: MARKUP[cut:] + " more"),
    st.text(alphabet="ab .<>\n", max_size=8),
)


@st.composite
def text_block(draw: Any) -> dict[str, Any]:
    return {
        "kind": "text",
        "start": draw(st.sampled_from([None, "", "Hello "])),  # None: no content_block_start
        "pieces": draw(st.lists(PIECES, max_size=25)),
        "cited": draw(st.sets(st.integers(0, 24), max_size=2)),  # pieces whose delta lists a citation
        "synthetic": draw(st.none() | st.sampled_from(["whole text", "cited <citation id='IK79'/> text"])),
    }


OTHER_BLOCKS = st.sampled_from(
    [
        {"kind": "thinking", "pieces": ["Hmm", " ok"]},
        {"kind": "tool_use", "pieces": ['{"a":', " 1}"]},
        {"kind": "server_tool_use", "pieces": ['{"query": "q"}']},
        {"kind": "source"},
    ]
)


@st.composite
def streams(draw: Any) -> list[dict[str, Any]]:
    """The events of one answer."""
    blocks = draw(st.lists(st.one_of(text_block(), text_block(), OTHER_BLOCKS), min_size=1, max_size=4))
    keyed = draw(st.sampled_from(["index", "block_id", "both"]))
    events: list[dict[str, Any]] = [{"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}}]
    for position, block in enumerate(blocks):
        key: dict[str, Any] = {}
        if keyed in ("index", "both"):
            key["index"] = position
        if keyed in ("block_id", "both"):
            key["block_id"] = f"b{position}"
        kind = block["kind"]
        if kind == "text":
            if block["start"] is not None:
                events.append({"type": "content_block_start", **key, "content_block": {"type": "text", "text": block["start"]}})
            for number, piece in enumerate(block["pieces"]):
                delta: dict[str, Any] = {"type": "text_delta", "text": piece}
                if number in block["cited"]:
                    delta["citations"] = [CITATION]
                events.append({"type": "content_block_delta", **key, "delta": delta})
            if block["synthetic"] is not None:
                events.append({"type": "content_block_synthetic", **key, "block": {"type": "text", "text": block["synthetic"]}})
                events.append({"type": "content_block_delta", **key, "delta": {"type": "text_delta", "text": " after"}})
        elif kind == "thinking":
            events.append({"type": "content_block_start", **key, "content_block": {"type": "thinking", "thinking": "", "signature": "sig"}})
            for piece in block["pieces"]:
                events.append({"type": "content_block_delta", **key, "delta": {"type": "thinking_delta", "thinking": piece}})
        elif kind in ("tool_use", "server_tool_use"):
            start = {"type": kind, "id": f"tool_{position}", "name": "search" if kind == "server_tool_use" else "add", "input": {}}
            events.append({"type": "content_block_start", **key, "content_block": start})
            for piece in block["pieces"]:
                events.append({"type": "content_block_delta", **key, "delta": {"type": "input_json_delta", "partial_json": piece}})
        else:
            source = {"type": "context.chunk", "id": "s1", "text": "cited text", "document": {"artifact": "doc_a"}}
            events.append({"type": "content_block_start", **key, "content_block": {"type": "source", "sources": [source]}})
        events.append({"type": "content_block_stop", **key})
    events.append({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}})
    events.append({"type": "message_stop"})
    return events


STOPS = st.sampled_from([(), ("tok w",), ("<",)])
