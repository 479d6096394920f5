"""ChatZylon's per-delta fast path gives what the general path gives: for any stream
(text split anywhere, markup, blanks, surrogate halves, citations, other blocks between
text blocks, a synthetic block replacing a text block, stop sequences), a builder
taking plain text deltas the short way (and reading raw text from the accumulator's
blocks) makes the same chunks, and the same last chunk, as one sending every text
delta through the general code (and keeping its own raw text). Pure, no I/O."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from langchain_zylon._codec import ChunkBuilder
from tests.stream_strategies import STOPS, streams
from zylon_core import StreamAccumulator
from zylon_core._streaming import StreamDelta


def _general(builder: ChunkBuilder, delta: StreamDelta):
    if delta.kind == "text":
        return builder._text(delta.index, delta.text, delta.citations)
    return builder.chunk(delta)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=streams(), stop=STOPS, rich=...)
def test_plain_text_deltas_the_short_way_make_the_same_chunks(events, stop, rich: bool):
    accumulator = StreamAccumulator(stop)
    blocks = accumulator.blocks
    fast = ChunkBuilder(rich=rich, client_tools=frozenset({"add"}), source=lambda i: blocks[i] if 0 <= i < len(blocks) else None)
    general = ChunkBuilder(rich=rich, client_tools=frozenset({"add"}))
    for event in events:
        delta = accumulator.feed(event)
        if delta is not None:
            assert fast.chunk(delta) == _general(general, delta)
        if accumulator.done:
            break
    tail = accumulator.flush()
    if tail is not None:
        assert fast.chunk(tail) == _general(general, tail)
    message = accumulator.finish()
    assert fast.last(message, model_name="m") == general.last(message, model_name="m")


class _Counting(ChunkBuilder):
    __slots__ = ("general",)

    def _text(self, *args):
        self.general += 1
        return super()._text(*args)


def test_the_fast_path_is_taken_for_plain_text():
    accumulator = StreamAccumulator()
    builder = _Counting(source=lambda i: accumulator.blocks[i])
    builder.general = 0
    events = [{"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}}]
    events += [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": f" tok{i}"}} for i in range(50)]
    for event in events:
        delta = accumulator.feed(event)
        if delta is not None:
            builder.chunk(delta)
    assert builder.general == 1  # the first delta opens the block; the other 49 went the short way
    assert builder._texts[0].raw._parts == []  # and their raw text was read from the accumulator
