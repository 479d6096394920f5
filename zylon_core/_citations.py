"""Inline citations: the markup ZylonGPT writes into an answer's text, and the sources
they point at. Pure functions, no I/O.

With ``system.citations.enabled``, a text block cites its sources inline, each element
whole inside one text delta when streamed::

    Revenue grew 20% in Q3 <citation id='IK79' index='0' artifact_id='doc_alpha'
    source_id='22bff1e3-...' correlation_id='291160f8-...'></citation>.

(single-quoted attributes, in that order, an empty element; double quotes and
``<citation .../>`` are read too). :func:`parse_citations` gives the text without the
markup and a :class:`CitationMark` per element; :class:`CitationStripper` does the same
for a stream, piece by piece; :class:`CitationResolver` finds what a citation cites: the
source whose ``id`` is its ``source_id``, else whose ``metadata.shorter_id`` is its
``id``, else the ``Citation identifier [ID]`` section of a tool result's text (the only
trace of the sources without the ``zylon`` extension).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping

from pydantic import BaseModel

from ._answers import collect_sources, result_blocks
from .models import ChatRequest, Citation, System

__all__ = [
    "CitationMark",
    "CitationResolver",
    "CitationStripper",
    "CitedSource",
    "citation_sections",
    "parse_citations",
    "with_sources_extension",
]

SOURCES_EXTENSION = "zylon"

_ATTR = r"""\s+[A-Za-z_][\w-]*\s*=\s*(?:'[^']*'|"[^"]*")"""
_MARKUP = re.compile(rf"<citation((?:{_ATTR})*)\s*(?:/>|>\s*</citation\s*>)")
_ATTRS = re.compile(r"""([A-Za-z_][\w-]*)\s*=\s*(?:'([^']*)'|"([^"]*)")""")
_OPENING = "<citation"
# An unfinished element longer than this is not markup after all: emitted as it came.
_MAX_MARKUP = 2000
_BLANK = " \t"  # what may stand between the cited text and its markup, dropped with it
_WINDOW = 4000  # how far back a cited sentence's start is looked for
_BOUNDARY = re.compile(r"""[.!?]["')\]]*\s+|\n""")
_SECTION = re.compile(
    r"Citation identifier \[(?P<id>[^\]\n]+)\][ \t]*\n-{3,}[ \t]*\nContent:[ \t]*\n(?P<text>.*?)(?=\n===[^\n]*(?:\n|\Z)|\Z)",
    re.DOTALL,
)


@dataclass(frozen=True)
class CitationMark:
    """One citation element found in a text. ``citation`` holds its attributes
    (``id``, ``index`` as an int, ``artifact_id``, ``source_id``, ``correlation_id``,
    others as extras). ``end`` is where it stood in the clean text and ``start`` the
    start of that sentence: ``clean[start:end]`` is the text it cites."""

    citation: Citation
    start: int
    end: int
    markup: str


class CitationStripper:
    """Strips citation markup from a text that arrives in pieces.

    :meth:`feed` takes the next piece and returns the clean text that can be shown now
    and the marks found; an unfinished ``<citation`` (and the blanks before it, which
    go with the markup) is held back until it closes. :meth:`flush` returns what is
    still held once the text is complete (an element that never closed, as it came).
    Offsets in the marks count from the start of the whole clean text (``length``
    characters so far). Of the clean text only its end is kept (what a cited
    sentence's start is looked for in): a long answer is not held twice.
    """

    __slots__ = ("_pending", "_parts", "_size", "_length")

    def __init__(self) -> None:
        self._pending = ""  # raw text not emitted yet
        # The end of the clean text (all of it while shorter than _WINDOW), as the pieces
        # emitted: one string grown piece by piece would be copied every time.
        self._parts: list[str] = []
        self._size = 0  # characters in _parts
        self._length = 0  # characters emitted in all

    @property
    def pending(self) -> bool:
        """Whether text is held back (:meth:`flush` gives it)."""
        return bool(self._pending)

    @property
    def length(self) -> int:
        """How many characters of clean text were emitted so far."""
        return self._length

    def feed(self, piece: str) -> tuple[str, list[CitationMark]]:
        buffer = self._pending + piece if self._pending else piece
        if "<" not in buffer:
            # No markup can be here; blanks at the end wait, they may precede one.
            shown = buffer.rstrip(_BLANK)
            self._pending = buffer[len(shown) :]
            if shown:
                self._emit(shown)
            return shown, []
        return self._scan(buffer, final=False)

    def plain(self, piece: str) -> bool:
        """Take ``piece`` as clean text to show as it is, when it is plainly that:
        nothing held back before it, no ``<`` in it, no blank at its end (which markup
        could follow) and not empty. What :meth:`feed` would do with it, without
        splitting it: True, and ``piece`` is the clean text. False, and nothing changed:
        :meth:`feed` it."""
        if self._pending or not piece or "<" in piece or piece[-1] in _BLANK:
            return False
        self._emit(piece)
        return True

    def flush(self) -> tuple[str, list[CitationMark]]:
        buffer, self._pending = self._pending, ""
        return self._scan(buffer, final=True) if buffer else ("", [])

    def _emit(self, piece: str) -> None:
        if piece:
            self._parts.append(piece)
            self._length += len(piece)
            self._size += len(piece)
            if self._size >= 2 * _WINDOW and len(self._parts) > 1:
                # Keep the last _WINDOW characters (at least): all _recent looks at.
                recent = "".join(self._parts)[-_WINDOW:]
                self._parts = [recent]
                self._size = len(recent)

    def _recent(self) -> str:
        """The end of the clean text, as much as a sentence start is looked for in."""
        recent = "".join(self._parts)
        self._parts = [recent] if recent else []
        return recent

    def _scan(self, buffer: str, final: bool) -> tuple[str, list[CitationMark]]:
        out: list[str] = []
        marks: list[CitationMark] = []
        at = 0
        for match in _MARKUP.finditer(buffer):
            out.append(buffer[at : match.start()].rstrip(_BLANK))
            self._emit(out[-1])
            end = self._length
            recent = self._recent()
            start = end - len(recent) + _sentence_start(recent, len(recent))
            marks.append(CitationMark(_citation(match.group(1)), start, end, match.group(0)))
            at = match.end()
        tail = buffer[at:]
        hold = len(tail) if final else _hold_from(tail)
        out.append(tail[:hold])
        self._emit(out[-1])
        self._pending = tail[hold:]
        return "".join(out), marks


def parse_citations(text: str) -> tuple[str, list[CitationMark]]:
    """``text`` without its citation markup (and the blanks just before each element),
    and one :class:`CitationMark` per element, in order."""
    stripper = CitationStripper()
    clean, marks = stripper.feed(text)
    rest, more = stripper.flush()
    return clean + rest, marks + more


def _hold_from(tail: str) -> int:
    """Where the part of ``tail`` that may still become (or precede) markup begins."""
    hold = len(tail)
    start = tail.find("<")
    while start >= 0:
        rest = tail[start:]
        if _OPENING.startswith(rest) or (
            rest.startswith(_OPENING)
            and len(rest) < _MAX_MARKUP
            and (len(rest) == len(_OPENING) or rest[len(_OPENING)] in " \t\r\n/>")
        ):
            hold = start
            break
        start = tail.find("<", start + 1)
    return len(tail[:hold].rstrip(_BLANK))


def _citation(attributes: str) -> Citation:
    values = {name: html.unescape(a if a or not b else b) for name, a, b in _ATTRS.findall(attributes)}
    return Citation.model_validate(values)


def _sentence_start(text: str, end: int) -> int:
    window = max(0, end - _WINDOW)
    start = window
    for match in _BOUNDARY.finditer(text, window, end):
        start = match.end()
    while start < end and text[start].isspace():
        start += 1
    return start


# -- resolving ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CitedSource:
    """What a citation cites. ``source`` is the source (wire form) when the answer holds
    it; ``text`` the cited chunk's text; ``title`` its file name or page title; ``via``
    how it was found."""

    citation: Citation
    source: dict[str, Any] | None
    text: str | None
    title: str | None
    via: Literal["source_id", "shorter_id", "id", "tool_text"]


def citation_sections(text: str) -> dict[str, str]:
    """The ``Citation identifier [ID]\\n---\\nContent:\\n...\\n===`` sections of a search
    tool's result text, by id."""
    return {m.group("id").strip(): m.group("text") for m in _SECTION.finditer(text)}


class CitationResolver:
    """Resolves the citations of one answer (its blocks, wire dicts or models)."""

    def __init__(self, blocks: Iterable[Any]) -> None:
        wire = [b.model_dump(mode="json", by_alias=True, exclude_unset=True) if isinstance(b, BaseModel) else b for b in blocks]
        self.sources = collect_sources(wire)
        self._by_id = {s["id"]: s for s in self.sources if s.get("id") is not None}
        self._by_short: dict[str, dict[str, Any]] = {}
        for source in self.sources:
            short = (source.get("metadata") or {}).get("shorter_id")
            if short is not None:
                self._by_short.setdefault(short, source)
        self.sections: dict[str, str] = {}
        for block in wire:
            if block.get("type") in ("server_tool_result", "tool_result"):
                for inner in result_blocks(block.get("content")):
                    if isinstance(inner, Mapping) and inner.get("type") == "text" and inner.get("text"):
                        for key, value in citation_sections(inner["text"]).items():
                            self.sections.setdefault(key, value)

    def resolve(self, citation: Citation | Mapping[str, Any]) -> CitedSource | None:
        """What ``citation`` cites, or ``None`` when the answer holds nothing for it."""
        if not isinstance(citation, Citation):
            citation = Citation.model_validate(dict(citation))
        source_id, short = citation.source_id, citation.id
        if source_id is not None and source_id in self._by_id:
            return _cited(citation, self._by_id[source_id], "source_id")
        if short is not None and short in self._by_short:
            return _cited(citation, self._by_short[short], "shorter_id")
        if short is not None and short in self._by_id:
            return _cited(citation, self._by_id[short], "id")
        if short is not None and short in self.sections:
            return CitedSource(citation, None, self.sections[short], None, "tool_text")
        return None


def _cited(citation: Citation, source: dict[str, Any], via: Any) -> CitedSource:
    return CitedSource(citation, source, source.get("text") or source.get("content"), _title(source), via)


def _title(source: Mapping[str, Any]) -> str | None:
    document = source.get("document") or {}
    metadata = source.get("metadata") or {}
    for value in (
        (document.get("doc_metadata") or {}).get("file_name"),
        metadata.get("file_name"),
        metadata.get("title"),
        source.get("title"),
        source.get("url"),
    ):
        if isinstance(value, str) and value:
            return value
    return None


# -- asking for the sources ------------------------------------------------------------------


def with_sources_extension(request: ChatRequest, *, searches: bool = False) -> ChatRequest:
    """``request`` asking for the sources of its answer (``system.extensions: ["zylon"]``)
    when the answer may cite or search: citations are enabled, or ``searches`` (a
    built-in search tool is bound). Without the extension ZylonGPT's search result holds
    only its text, so a citation points at a ``Citation identifier`` section and no
    chunk, artifact or file name comes back (captures C_msg_rag_zylon vs
    C_msg_rag_anthropic). Otherwise, or when the extension is there, ``request`` itself."""
    system = request.system
    cites = bool(system and system.citations and system.citations.enabled)
    if not (cites or searches) or (system and SOURCES_EXTENSION in (system.extensions or ())):
        return request
    extensions = [*((system.extensions or []) if system else []), SOURCES_EXTENSION]
    updated = system.model_copy(update={"extensions": extensions}) if system else System(extensions=extensions)
    updated.__pydantic_fields_set__.add("extensions")
    return request.model_copy(update={"system": updated})
