"""A Zylon text block's citations as LangChain ``citation`` annotations (pure).

ZylonGPT writes each citation inline (``<citation id='IK79' index='0' ...></citation>``
after what it cites) and lists it in the block's ``citations``. The message text is the
clean text (the markup removed, :mod:`zylon_core._citations`); each citation becomes a
LangChain standard annotation::

    {"type": "citation", "id": "IK79", "title": "alpha.md", "cited_text": "<the chunk>",
     "start_index": 0, "end_index": 22,
     "extras": {"index": 0, "artifact_id": "doc_alpha", "source_id": "22bff1e3-...",
                "correlation_id": "..."}}

``start_index``/``end_index`` are offsets into the clean text (the sentence the markup
followed); ``cited_text``/``title``/``url`` come from the source the citation points at
(:class:`~zylon_core._citations.CitationResolver`: the source's id, its ``shorter_id``,
or the search tool's ``Citation identifier`` text). A listed citation with no markup in
the text has no offsets. The Zylon ``index`` stays in ``extras``: at the top level of a
streamed list item LangChain would take it for a stream position and merge two
citations into one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from zylon_core._citations import CitationMark, CitationResolver, parse_citations
from zylon_core.models import Citation

_OPENING = "<citation"


def annotation(citation: Citation | Mapping[str, Any], resolver: CitationResolver | None, span: tuple[int, int] | None = None) -> dict[str, Any]:
    """One citation (a markup mark's, or a listed one) as a standard annotation."""
    if not isinstance(citation, Citation):
        citation = Citation.model_validate(dict(citation))
    out: dict[str, Any] = {"type": "citation"}
    if citation.id:
        out["id"] = citation.id
    cited = resolver.resolve(citation) if resolver is not None else None
    if cited is not None:
        source = cited.source or {}
        if isinstance(source.get("url"), str):
            out["url"] = source["url"]
        if cited.title:
            out["title"] = cited.title
        if cited.text:
            out["cited_text"] = cited.text
    if span is not None:
        out["start_index"], out["end_index"] = span
    extras = {k: v for k, v in citation.model_dump(mode="json", exclude_none=True).items() if k != "id"}
    if extras:
        out["extras"] = extras
    return out


def _key(citation: Citation | Mapping[str, Any]) -> tuple[Any, Any]:
    if isinstance(citation, Citation):
        return citation.id, citation.source_id
    return citation.get("id"), citation.get("source_id")


def unmatched(listed: Iterable[Any], marked: Iterable[Citation]) -> list[Any]:
    """The listed citations no markup element stands for (each element matches one)."""
    left = Counter(_key(c) for c in marked)
    out = []
    for citation in listed:
        key = _key(citation)
        if left[key] > 0:
            left[key] -= 1
        else:
            out.append(citation)
    return out


def mark_annotations(marks: Iterable[CitationMark], resolver: CitationResolver | None) -> list[dict[str, Any]]:
    return [annotation(m.citation, resolver, (m.start, m.end)) for m in marks]


def text_block(block: Mapping[str, Any], resolver: CitationResolver | None) -> dict[str, Any]:
    """A wire text block as LangChain content: ``{"type": "text", "text": <clean>}``,
    with ``annotations`` when it cites and ``raw_text`` (the server's text, markup
    included) when that differs."""
    raw = block.get("text") or ""
    clean, marks = parse_citations(raw) if _OPENING in raw else (raw, [])
    out: dict[str, Any] = {"type": "text", "text": clean}
    annotations = mark_annotations(marks, resolver)
    annotations += [annotation(c, resolver) for c in unmatched(block.get("citations") or (), (m.citation for m in marks))]
    if annotations:
        out["annotations"] = annotations
    if clean != raw:
        out["raw_text"] = raw
    return out
