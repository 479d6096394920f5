"""Zylon's per-delta fast paths give what the general path gives: for any stream (see
``tests/stream_strategies.py``), a ``StreamState`` taking plain text deltas the short
way (and reading raw text from the accumulator's blocks), with ``stream_chunk``'s
direct chunks, makes the same ``ChatResponse`` s, and the same last one, as one sending
every delta through ``StreamState._feed`` and ``chunk_of`` (keeping its own raw text).
Pure, no I/O."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from llama_index_zylon._codec.responses import chunk_of, final_chunk, stream_chunk
from llama_index_zylon._codec.streaming import StreamState
from tests.stream_strategies import STOPS, streams
from zylon_core import Route, StreamAccumulator, TurnResult


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=streams(), stop=STOPS)
def test_plain_text_deltas_the_short_way_make_the_same_responses(events, stop):
    accumulator = StreamAccumulator(stop)
    blocks = accumulator.blocks
    fast = StreamState(frozenset({"search"}), source=lambda i: blocks[i] if 0 <= i < len(blocks) else None)
    general = StreamState(frozenset({"search"}))
    for event in events:
        delta = accumulator.feed(event)
        if delta is not None:
            assert stream_chunk(fast, delta) == chunk_of(general, delta, general._feed(delta))
        if accumulator.done:
            break
    tail = accumulator.flush()
    if tail is not None:
        assert stream_chunk(fast, tail) == chunk_of(general, tail, general._feed(tail))
    result = TurnResult(accumulator.finish(), Route.create())
    assert final_chunk(fast, result, frozenset({"search"})) == final_chunk(general, result, frozenset({"search"}))


def test_the_fast_path_is_taken_for_plain_text():
    accumulator = StreamAccumulator()
    general = []
    original = StreamState._feed

    class Counting(StreamState):
        def _feed(self, delta):
            general.append(delta)
            return original(self, delta)

    state = Counting(source=lambda i: accumulator.blocks[i])
    events = [{"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}}]
    events += [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": f" tok{i}"}} for i in range(50)]
    for event in events:
        delta = accumulator.feed(event)
        if delta is not None:
            stream_chunk(state, delta)
    assert len(general) == 1  # the first delta opens the block; the other 49 went the short way
    assert state._texts[0].raw_text._parts == []  # and their raw text was read from the accumulator
