"""A block's raw text read from the stream's accumulator instead of kept twice
(:class:`BlockText` over :class:`OpenBlock`): the same text as keeping every piece,
whatever else grows or replaces the accumulator's block. Pure, no I/O."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from zylon_core import StreamAccumulator
from zylon_core._stream_parts import BlockText, OpenBlock, open_block

PIECES = st.text(alphabet="ab <.\n\ud83d\ude00", max_size=6)

# What happens to the source block between two pieces a BlockText is given.
OPS = st.lists(
    st.tuples(st.sampled_from(["delta", "delta", "delta", "foreign", "replace", "whole", "empty"]), PIECES),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(initial=PIECES, ops=OPS)
def test_block_text_reads_the_same_text_as_it_was_given(initial, ops):
    block = open_block({"type": "text", "text": initial})
    shared = BlockText(block)
    kept = BlockText()
    given_text: list[str] = []
    if initial:  # the accumulator emits a start's text as the first delta
        shared.add(initial), kept.add(initial), given_text.append(initial)
    for op, piece in ops:
        if op == "delta":  # the accumulator appends, then the adapter gets the delta
            block.add(piece)
        elif op == "foreign":  # another kind of delta grows the same block
            block.add(piece)
            continue
        elif op == "replace":  # a synthetic block replaces it: a new object
            block = open_block({"type": "text", "text": piece})
            continue
        elif op == "empty":
            piece = ""
        # "whole": text given to the adapter that never went through the block
        shared.add(piece)
        kept.add(piece)
        given_text.append(piece)
        assert shared.text() == kept.text() == "".join(given_text)
        assert shared.length == len("".join(given_text))
    assert shared.text() == "".join(given_text)


def test_block_text_keeps_no_copy_while_the_block_holds_its_text():
    block = OpenBlock({"type": "text"})
    shared = BlockText(block)
    for i in range(1000):
        piece = f" tok{i}"  # the accumulator hands on the very string it appended
        block.add(piece)
        shared.add(piece)
    assert shared.text() == "".join(f" tok{i}" for i in range(1000))
    assert shared._parts == [] and shared._joined == ""  # read from the block
    block.add("!")  # grown by something else: kept from here on
    shared.add(" more")
    assert shared.text() == "".join(f" tok{i}" for i in range(1000)) + " more"
    assert shared._source is None


# -- the accumulator's blocks: their length is their text's -----------------------------------


def _events(blocks: list[tuple[str, list[str], str | None]]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}}]
    for index, (kind, pieces, replacement) in enumerate(blocks):
        key = {"index": index, "block_id": f"b{index}"}
        start = {"type": kind, kind: pieces[0] if pieces else ""}
        events.append({"type": "content_block_start", **key, "content_block": start})
        delta_type = "text_delta" if kind == "text" else "thinking_delta"
        for piece in pieces[1:]:
            events.append({"type": "content_block_delta", **key, "delta": {"type": delta_type, kind: piece}})
        if replacement is not None:
            events.append({"type": "content_block_synthetic", **key, "block": {"type": "text", "text": replacement}})
            events.append({"type": "content_block_delta", **key, "delta": {"type": "text_delta", "text": "after"}})
        events.append({"type": "content_block_stop", **key})
    events.append({"type": "message_delta", "delta": {"stop_reason": "end_turn"}})
    events.append({"type": "message_stop"})
    return events


BLOCKS = st.lists(
    st.tuples(st.sampled_from(["text", "thinking"]), st.lists(PIECES, min_size=1, max_size=8), st.none() | PIECES),
    min_size=1,
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(blocks=BLOCKS, stop=st.sampled_from([(), ("b<",), ("\n",)]))
def test_a_block_text_fed_the_text_deltas_gives_what_they_add_up_to(blocks, stop):
    accumulator = StreamAccumulator(stop)
    shared: dict[int, BlockText] = {}
    given_text: dict[int, list[str]] = {}
    for event in _events(blocks):
        delta = accumulator.feed(event)
        if delta is not None and delta.kind == "text":
            if delta.index not in shared:
                shared[delta.index] = BlockText(accumulator.blocks[delta.index])
            shared[delta.index].add(delta.text)
            given_text.setdefault(delta.index, []).append(delta.text)
        for opened in accumulator.blocks:
            assert opened.length == len(opened.text())
        if accumulator.done:
            break
    for index, text in shared.items():
        assert text.text() == "".join(given_text[index])
