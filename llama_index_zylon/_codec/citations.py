"""Zylon citations and sources → LlamaIndex ``CitationBlock`` s (pure).

A cited answer's text holds inline markup (``<citation id='IK79' index='0' ...>
</citation>``) and its text blocks a ``citations`` list. The message gets the text
without the markup, and one ``CitationBlock`` per citation, right after the text it
belongs to: ``cited_content`` is the cited chunk's text, ``source`` the artifact id (a
web page's URL), ``title`` the file name (or page title), and
``additional_location_info`` ``{"start_index", "end_index"}`` (where the cited sentence
stands in ``message.content``) and ``"index"`` (the citation's position in the search
result). Citations are resolved with :class:`zylon_core._citations.CitationResolver`:
by source id, shorter id, or the ``Citation identifier`` sections of the search tool's
text (the only trace of the chunks without the ``zylon`` extension).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from llama_index.core.base.llms.types import CitationBlock, TextBlock

from zylon_core._citations import CitationMark, CitedSource
from zylon_core.models import Citation


def source_origin(source: Mapping[str, Any]) -> str:
    """Where a Zylon source comes from: its artifact id (a web page: its URL)."""
    if (source.get("type") or source.get("object")) == "context.website":
        return str(source.get("url") or source.get("id") or "")
    document = source.get("document") or {}
    metadata = source.get("metadata") or {}
    return str(document.get("artifact") or metadata.get("artifact_id") or source.get("artifact_id") or source.get("id") or "")


def source_citation_block(source: Mapping[str, Any], location: Mapping[str, int] | None = None) -> CitationBlock:
    """A ``CitationBlock`` for one Zylon source: its text, origin and title."""
    origin = source_origin(source)
    location = dict(location or {})
    if (source.get("type") or source.get("object")) == "context.website":
        text = source.get("content") or source.get("description") or source.get("title") or origin
        title = source.get("title") or origin
    else:
        document = source.get("document") or {}
        metadata = source.get("metadata") or {}
        text = source.get("text") or ""
        title = (document.get("doc_metadata") or {}).get("file_name") or metadata.get("file_name") or metadata.get("title") or origin
        if isinstance(metadata.get("page"), (int, float)):
            location.setdefault("page", int(metadata["page"]))
    return CitationBlock(
        cited_content=TextBlock(text=str(text)),
        source=origin,
        title=str(title),
        additional_location_info=location,
    )


def pair_citations(
    marks: list[CitationMark], listed: Iterable[Any]
) -> list[tuple[Citation, int | None, int | None]]:
    """A text block's citations with their offsets in its clean text: each markup
    element (whose entry in the block's ``citations`` list it takes the place of), then
    the listed citations no markup showed (no offsets)."""
    remaining = [c if isinstance(c, Citation) else Citation.model_validate(dict(c)) for c in listed]
    out: list[tuple[Citation, int | None, int | None]] = []
    for mark in marks:
        cited = mark.citation
        key = (cited.id, cited.index, cited.source_id)
        for position, candidate in enumerate(remaining):
            if (candidate.id, candidate.index, candidate.source_id) == key:
                del remaining[position]
                break
        out.append((cited, mark.start, mark.end))
    out.extend((citation, None, None) for citation in remaining)
    return out


def citation_block(
    citation: Citation, start: int | None, end: int | None, found: CitedSource | None
) -> tuple[CitationBlock, dict[str, Any]]:
    """``(CitationBlock, entry for additional_kwargs["citations"])`` for a citation and
    what it cites (``CitationResolver.resolve``). ``start``/``end``: where the cited
    sentence stands in ``message.content`` (``None``: unknown)."""
    location: dict[str, int] = {}
    entry = citation.to_json_dict()
    if start is not None and end is not None:
        location.update(start_index=start, end_index=end)
        entry.update(start_index=start, end_index=end)
    if citation.index is not None:
        location["index"] = citation.index
    if found is not None and found.source is not None:
        return source_citation_block(found.source, location), entry
    origin = citation.artifact_id or citation.source_id or citation.id or ""
    block = CitationBlock(
        cited_content=TextBlock(text=found.text if found is not None and found.text is not None else ""),
        source=origin,
        title=(found.title if found is not None and found.title else origin),
        additional_location_info=location,
    )
    return block, entry
