"""The core's per-delta short cuts give what the general code gives. Pure, no I/O.

* ``CitationStripper.plain`` takes a piece only when ``feed`` would show it as it is,
  and then leaves the stripper as ``feed`` would;
* the SSE parser decodes an event's JSON inline; ``decode_event`` (the general code)
  gives the same event, or the same error, for any payload;
* the stripper keeps only the end of the clean text, yet finds a cited sentence's start
  anywhere within the window, as parsing the whole text at once does.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.stream_strategies import MARKUP, PIECES
from zylon_core import StreamError
from zylon_core._citations import CitationStripper, parse_citations
from zylon_core._sse import EventParser, decode_event


@settings(max_examples=500, deadline=None)
@given(before=st.lists(PIECES, max_size=6), piece=PIECES)
def test_plain_takes_a_piece_only_as_feed_would_show_it(before, piece):
    stripper = CitationStripper()
    for earlier in before:
        stripper.feed(earlier)
    twin = copy.deepcopy(stripper)
    fed = twin.feed(piece)
    before_state = (stripper._pending, list(stripper._parts), stripper._length)
    if stripper.plain(piece):
        assert fed == (piece, [])
        assert (stripper._pending, stripper._parts, stripper._length) == (twin._pending, twin._parts, twin._length)
    else:  # nothing taken: feed it
        assert (stripper._pending, stripper._parts, stripper._length) == before_state


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["type", "a", "delta"]), inner, max_size=3),
    max_leaves=8,
)
PAYLOADS = st.one_of(
    JSON_VALUES.map(json.dumps),
    JSON_VALUES.map(lambda v: " " + json.dumps(v) + "  "),  # around it: not taken whole by the scanner
    st.sampled_from(["", "   ", "{", '{"a": 1} x', "[" * 5000 + "]" * 5000, "NaN", '{"type": "ping"}', "{}"]),
    st.text(alphabet='{}[]":, ab1', max_size=12),
)


def _general(name: str, payload: str):
    try:
        return decode_event(name, payload)
    except StreamError as exc:
        return ("error", str(exc))


@settings(max_examples=500, deadline=None)
@given(name=st.sampled_from(["", "message", "content_block_delta"]), payload=PAYLOADS)
def test_the_parser_decodes_an_event_as_decode_event_does(name, payload):
    text = (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"
    try:
        got = list(EventParser().feed(text))
    except StreamError as exc:
        got = [("error", str(exc))]
    expected = _general(name, payload)
    assert got == ([] if expected is None else [expected])


def test_a_cited_sentence_longer_than_the_window_starts_where_whole_parsing_says():
    # One sentence of ~12,000 characters (no boundary), cited at its end: its start is
    # looked for only in the last 4,000 characters, fed whole or word by word.
    text = "Intro. " + "word " * 2400 + "end <citation id='Z9' index='1'/> after. " + "More. " * 900 + "x " + MARKUP
    clean, marks = parse_citations(text)
    stripper, shown, found = CitationStripper(), [], []
    for word in text.split(" "):
        piece, new = stripper.feed(word + " ")
        shown.append(piece)
        found += new
    rest, new = stripper.flush()
    assert "".join(shown) + rest == clean + " "
    assert [(m.start, m.end) for m in found + new] == [(m.start, m.end) for m in marks]
    assert len(stripper._recent()) < 3 * 4000  # only the end of the clean text is kept


@pytest.mark.parametrize("piece", ["plain", "ends with a blank ", "has < in it", ""])
def test_plain_refuses_what_feed_would_change(piece):
    stripper = CitationStripper()
    taken = stripper.plain(piece)
    assert taken == (piece == "plain")
