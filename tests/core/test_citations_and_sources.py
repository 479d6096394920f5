"""Citations and sources (fidelity.md sections 2 and 3): the inline markup, parsed whole
and stripped from a stream piece by piece; integer indexes; sources tagged ``object``
and nested in server tool results; each citation resolved to what it cites."""

from __future__ import annotations

import random

import pytest

from tests.core.real_captures import accumulate, events, load, stream_bytes
from zylon_core._answers import collect_sources, flat_sources
from zylon_core._citations import CitationResolver, CitationStripper, citation_sections, parse_citations
from zylon_core.models import ChunkSearchResponse, ChunkSource, Citation, MessageOutput, OtherSource, SourceBlock, parse_block

# The exact text of C_msg_rag_zylon's answer.
ANSWER = (
    "Revenue grew 20% in Q3 <citation id='IK79' index='0' artifact_id='doc_alpha' "
    "source_id='22bff1e3-b1b0-478d-8ffe-3d49e8aacd94' correlation_id='291160f8-affc-484c-9850-427f873b0901'></citation> "
    "<citation id='GA3Q' index='1' artifact_id='doc_alpha' source_id='bf43fd2e-9d6a-43f9-aaa3-db732b465698' "
    "correlation_id='291160f8-affc-484c-9850-427f873b0901'></citation>."
)
CLEAN = "Revenue grew 20% in Q3."
IK79 = Citation(id="IK79", index=0, artifact_id="doc_alpha", source_id="22bff1e3-b1b0-478d-8ffe-3d49e8aacd94", correlation_id="291160f8-affc-484c-9850-427f873b0901")
GA3Q = Citation(id="GA3Q", index=1, artifact_id="doc_alpha", source_id="bf43fd2e-9d6a-43f9-aaa3-db732b465698", correlation_id="291160f8-affc-484c-9850-427f873b0901")
SOURCE_IDS = ["22bff1e3-b1b0-478d-8ffe-3d49e8aacd94", "bf43fd2e-9d6a-43f9-aaa3-db732b465698"]
CHUNK_TEXTS = [
    "# Alpha report\n\nRevenue grew 20% in Q3, driven by new enterprise leads.\n\n",
    "## Risks\n\nSupply chain delays may slow Q4 deliveries.\n\n",
]


# -- the markup -------------------------------------------------------------------------------


def test_the_real_markup_parses_into_clean_text_and_marks():
    clean, marks = parse_citations(ANSWER)
    assert clean == CLEAN
    assert [m.citation for m in marks] == [IK79, GA3Q]
    assert all(isinstance(m.citation.index, int) for m in marks)
    # Both cite the sentence before them; the markup and the blank before it are gone.
    assert [(m.start, m.end) for m in marks] == [(0, 22), (0, 22)]
    assert clean[marks[0].start : marks[0].end] == "Revenue grew 20% in Q3"
    first, second = ANSWER.index("<citation"), ANSWER.rindex("<citation")
    assert [m.markup for m in marks] == [ANSWER[first : ANSWER.index("</citation>") + 11], ANSWER[second:-1]]


@pytest.mark.parametrize(
    "text",
    [
        'Revenue grew 20% in Q3 <citation id="IK79" index="0" artifact_id="doc_alpha"></citation>.',
        "Revenue grew 20% in Q3 <citation id='IK79' index='0' artifact_id='doc_alpha'/>.",
        "Revenue grew 20% in Q3 <citation id=\"IK79\" index='0' artifact_id=\"doc_alpha\" />.",
        "Revenue grew 20% in Q3\t<citation  id = 'IK79'  index='0' artifact_id='doc_alpha' >  </citation >.",
    ],
)
def test_double_quoted_and_self_closing_variants(text):
    clean, marks = parse_citations(text)
    assert clean == CLEAN
    assert [m.citation.model_dump(exclude_none=True) for m in marks] == [{"id": "IK79", "index": 0, "artifact_id": "doc_alpha"}]


def test_text_that_is_not_markup_stays():
    text = "a < b, <cite>x</cite>, <citation broken> and <citations id='1'></citations>  "
    assert parse_citations(text) == (text, [])


def test_marks_cite_their_own_sentence_and_attributes_beyond_the_known_ones_are_kept():
    clean, marks = parse_citations("First fact <citation id='A' index='3' page='7'></citation>. Second fact.\nThird <citation id='B'/>")
    assert clean == "First fact. Second fact.\nThird"
    assert [clean[m.start : m.end] for m in marks] == ["First fact", "Third"]
    assert marks[0].citation.index == 3 and marks[0].citation.model_extra == {"page": "7"}


def test_the_real_stream_pieces_strip_as_the_whole_text_does(shared_api):
    evts = events(stream_bytes("C_msg_rag_zylon_stream"))
    pieces = [e["delta"]["text"] for e in evts if e["type"] == "content_block_delta" and e["index"] == 3]
    stripper, shown, marks = CitationStripper(), [], []
    for piece in pieces:
        text, found = stripper.feed(piece)
        shown.append(text)
        marks += found
    rest, found = stripper.flush()
    assert "".join(shown) + rest == CLEAN and stripper.length == len(CLEAN)
    assert not any("<" in s for s in shown)
    assert [(m.citation.id, m.citation.index) for m in marks + found] == [("IK79", 0), ("GA3Q", 1)]


def test_markup_cut_anywhere_is_held_back_until_it_closes():
    clean, marks = parse_citations(ANSWER)
    rng = random.Random(7)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(ANSWER)), rng.randint(1, 40)))
        stripper, shown, found = CitationStripper(), [], []
        for piece in (ANSWER[a:b] for a, b in zip([0, *cuts], [*cuts, len(ANSWER)], strict=True)):
            text, new = stripper.feed(piece)
            assert "<" not in text  # no half of an element is ever shown
            shown.append(text)
            found += new
        text, new = stripper.flush()
        assert "".join(shown) + text == clean
        assert [(m.citation, m.start, m.end) for m in found + new] == [(m.citation, m.start, m.end) for m in marks]


def test_a_long_text_fed_word_by_word_keeps_its_offsets():
    """The stripper keeps only the end of the clean text (a cited sentence's start is
    looked for there); offsets still count from the start of the whole text."""
    text = "".join(f"Fact {i} is true. " for i in range(2000)) + "The last fact <citation id='Z9' index='4'></citation>. More words."
    clean, marks = parse_citations(text)
    stripper, shown, found = CitationStripper(), [], []
    for word in text.split(" "):
        piece, new = stripper.feed(word + " ")
        shown.append(piece)
        found += new
    rest, new = stripper.flush()
    assert "".join(shown) + rest == clean + " " and stripper.length == len(clean) + 1
    (mark,) = found + new
    assert (mark.start, mark.end) == (marks[0].start, marks[0].end) and clean[mark.start : mark.end] == "The last fact"


def test_an_element_that_never_closes_is_given_back_at_the_end():
    stripper = CitationStripper()
    assert stripper.feed("Done <citation id='X' ind") == ("Done", [])
    assert stripper.flush() == (" <citation id='X' ind", [])


# -- integer index and correlation id ------------------------------------------------------------


@pytest.mark.parametrize("raw, index, extra", [(0, 0, None), ("1", 1, None), (" 12 ", 12, None), (None, None, None), ("first", None, "first")])
def test_citation_index_is_an_int(raw, index, extra):
    citation = Citation.model_validate({"id": "X", "index": raw})
    assert citation.index == index
    assert (citation.model_extra or {}).get("index_text") == extra  # a non-number is kept, not lost


def test_streamed_and_whole_answers_carry_the_same_two_citations(shared_api):
    whole = MessageOutput.model_validate(load("C_msg_rag_zylon")).content[3]
    streamed, deltas = accumulate(events(stream_bytes("C_msg_rag_zylon_stream")))
    expected = [(c.id, c.index, c.source_id) for c in (IK79, GA3Q)]
    assert [(c.id, c.index, c.source_id) for c in whole.citations] == expected
    assert [(c.id, c.index, c.source_id) for c in streamed.content[3].citations] == expected
    # Each of the two deltas carrying markup carries its own citation only.
    assert [[c["id"] for c in d.citations] for d in deltas if d.citations] == [["IK79"], ["GA3Q"]]


def test_async_citations_carry_the_async_message_id_as_correlation_id(shared_api):
    message, _ = accumulate(events(stream_bytes("C_async_stream")))
    _, marks = parse_citations(message.content[-1].text)
    assert {m.citation.correlation_id for m in marks} == {load("C_async_create")["message_id"]}


# -- sources ------------------------------------------------------------------------------------


def zylon_answer(name: str) -> MessageOutput:
    return accumulate(events(stream_bytes(name)))[0] if name.endswith("_stream") else MessageOutput.model_validate(load(name))


@pytest.mark.parametrize("name", ["C_msg_rag_zylon", "C_msg_rag_zylon_stream", "C_msg_rag_zylon_thinking_stream", "C_msg_rag_tool_context_stream", "C_async_stream"])
def test_sources_nested_in_the_server_tool_result_are_collected(name, shared_api):
    message = zylon_answer(name)
    sources = collect_sources(message.content)
    assert [s["id"] for s in sources] == SOURCE_IDS
    assert [s["metadata"]["shorter_id"] for s in sources] == ["IK79", "GA3Q"]
    assert {s["document"]["doc_metadata"]["file_name"] for s in sources} == {"alpha.md"}
    assert all(s["object"] == "context.chunk" and "type" not in s for s in sources)  # as the server tagged them
    assert flat_sources([b.to_json_dict() for b in message.content]) == []  # none at the top level
    typed = [s for b in message.content if b.type == "server_tool_result" for i in b.content if isinstance(i, SourceBlock) for s in i.sources]
    assert all(isinstance(s, ChunkSource) and s.type == "context.chunk" and s.score is not None for s in typed)
    assert [s.metadata.shorter_id for s in typed if s.metadata] == ["IK79", "GA3Q"]


@pytest.mark.parametrize("name", ["C_msg_rag_zylon", "C_msg_rag_zylon_stream", "C_async_stream"])
def test_citations_resolve_to_the_cited_chunks(name, shared_api):
    message = zylon_answer(name)
    resolver = CitationResolver(message.content)
    cited = [resolver.resolve(c) for c in message.content[-1].citations]
    assert [c.via for c in cited] == ["source_id", "source_id"]
    assert [c.text for c in cited] == CHUNK_TEXTS
    assert [c.title for c in cited] == ["alpha.md", "alpha.md"]
    assert [c.source["id"] for c in cited] == SOURCE_IDS
    # Without source_id, by the chunk's shorter_id.
    assert resolver.resolve({"id": "GA3Q"}).text == CHUNK_TEXTS[1]
    assert resolver.resolve({"id": "GA3Q"}).via == "shorter_id"
    assert resolver.resolve({"id": "NOPE", "source_id": "nope"}) is None


@pytest.mark.parametrize("name", ["C_msg_rag_anthropic", "C_msg_rag_anthropic_stream"])
def test_without_the_zylon_extension_citations_resolve_through_the_tool_text(name, shared_api):
    message = zylon_answer(name)
    assert collect_sources(message.content) == []
    resolver = CitationResolver(message.content)
    cited = [resolver.resolve(c) for c in message.content[-1].citations]
    assert [(c.via, c.source) for c in cited] == [("tool_text", None), ("tool_text", None)]
    assert [c.text for c in cited] == CHUNK_TEXTS
    _, marks = parse_citations(message.content[-1].text)  # the inline markup resolves the same way
    assert [resolver.resolve(m.citation).text for m in marks] == CHUNK_TEXTS


def test_citation_sections_of_a_tool_text():
    text = "Citation identifier [A1]\n---\nContent:\nfirst\n\n\n===\nCitation identifier [B2]\n---\nContent:\nsecond\n===\n"
    assert citation_sections(text) == {"A1": "first\n\n", "B2": "second"}


def test_sources_are_collected_in_order_once_each_from_every_place():
    chunk = {"object": "context.chunk", "id": "c1", "text": "one"}
    blocks = [
        {"type": "source", "sources": [{"type": "context.chunk", "id": "c0"}, chunk]},
        {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "source", "sources": [chunk, {"type": "context.website", "url": "u"}]}]},
        {"type": "server_tool_result", "tool_use_id": "s", "content": "failed", "is_error": True},
        {"type": "server_tool_result", "tool_use_id": "s2", "content": [{"type": "source", "sources": [{"id": "c2"}, {"url": "no id"}]}]},
    ]
    assert [s.get("id") for s in collect_sources(blocks)] == ["c0", "c1", None, "c2", None]
    assert collect_sources([parse_block(b) for b in blocks]) == collect_sources(blocks)


def test_every_real_chunk_list_parses_with_scores_above_one(shared_api):
    chunked = load("artifacts_chunked_content")
    for item in chunked["data"]:
        block = parse_block(item["content"][0])
        assert isinstance(block, SourceBlock) and block.sources
        assert all(isinstance(s, ChunkSource) and s.metadata and s.metadata.shorter_id for s in block.sources)
        assert block.to_json_dict() == item["content"][0]
    for name in ["search_semantic_collection", "search_semantic_artifacts", "search_semantic_metadata", "search_semantic_client_shape", "search_semantic_no_filter_fields"]:
        found = ChunkSearchResponse.model_validate(load(name))
        assert found.data and all(c.object == "context.chunk" for c in found.data)
    scores = [c.score for c in ChunkSearchResponse.model_validate(load("search_semantic_collection")).data]
    assert any(s is not None and s > 1 for s in scores)


def test_a_source_of_an_unknown_kind_keeps_whichever_key_named_it():
    block = parse_block({"type": "source", "sources": [{"object": "context.table", "rows": 3}, {"type": "context.video"}, {"id": "x"}]})
    assert all(isinstance(s, OtherSource) for s in block.sources)
    assert block.to_json_dict()["sources"] == [{"object": "context.table", "rows": 3}, {"type": "context.video"}, {"id": "x"}]
    # A new source built in code is tagged the Workspace way.
    assert ChunkSource(id="c").to_json_dict() == {"type": "context.chunk", "id": "c"}
