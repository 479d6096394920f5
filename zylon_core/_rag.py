"""What the LangChain and LlamaIndex retrieval adapters share: search parameters (and
the two retrieval modes), how a chunk's or a search hit's metadata is laid out, and how
a framework document is named when it becomes a project artifact. Framework-free.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional, Sequence

from .models import Chunk, SearchResult

# Metadata keys a retriever adds to each result (besides the document's own metadata).
RESULT_KEYS = ("artifact_id", "chunk_id", "score", "collection", "previous_texts", "next_texts")

WORKSPACE_SEARCH_LIMIT = 30
"""Hits asked of the Workspace search in project mode (its default; more when ``k`` is
larger): the search is organisation-wide and the project's hits are kept here."""
WORKSPACE_QUERY_MAX = 80


@dataclass(frozen=True)
class SearchParams:
    """One retrieval, in one of two modes:

    * ``"collection"`` (``collection`` given, or neither): ZylonGPT chunk search
      (``POST /api/gpt/v1/primitives/search``, a Gateway token) over ``collection`` (the
      server's default one when None), narrowed to ``artifact_ids`` and, when
      ``project_id`` is given too, to chunks whose ``project_id`` metadata is it;
    * ``"workspace"`` (``project_id`` without ``collection``): the Workspace search
      (``GET /api/v1/app/search?types=ArtifactContent``, a Workspace token suffices),
      keeping the hits of that project; the query is cut to 80 characters at a word
      boundary; ``artifact_ids`` and ``expand`` do not apply (a hit names its artifact,
      not its id, and has no neighbours).
    """

    k: int = 4
    collection: Optional[str] = None
    artifact_ids: Optional[tuple[str, ...]] = None
    score_threshold: Optional[float] = None
    expand: bool = False
    project_id: Optional[str] = None

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"k must be a positive integer, got {self.k!r}")
        if self.score_threshold is not None and not 0.0 <= self.score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be between 0 and 1, got {self.score_threshold!r}")
        if self.artifact_ids is not None and not isinstance(self.artifact_ids, tuple):
            object.__setattr__(self, "artifact_ids", tuple(self.artifact_ids))
        if self.mode == "workspace" and (self.artifact_ids is not None or self.expand):
            given = "artifact_ids" if self.artifact_ids is not None else "expand=True"
            raise ValueError(
                f"{given} needs a collection: with project_id alone the retriever uses the Workspace search, "
                "whose hits carry neither artifact ids nor neighbouring texts; pass collection=... "
                "(ZylonGPT chunk search, a Gateway token) to use it"
            )

    OVERRIDABLE = ("k", "collection", "artifact_ids", "score_threshold", "expand", "project_id")

    @property
    def mode(self) -> str:
        """``"workspace"`` (project_id without collection) or ``"collection"``."""
        return "workspace" if self.project_id is not None and self.collection is None else "collection"

    def with_overrides(self, overrides: Mapping[str, Any]) -> "SearchParams":
        """These parameters with per-call values (``retriever.invoke(q, k=2)``) applied."""
        unknown = set(overrides) - set(self.OVERRIDABLE)
        if unknown:
            raise TypeError(
                f"unexpected search argument(s) {', '.join(sorted(unknown))}; per-call arguments are: "
                f"{', '.join(self.OVERRIDABLE)}"
            )
        return replace(self, **dict(overrides)) if overrides else self

    def search_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``client.chunks.search`` (collection mode)."""
        metadata_filter = None
        if self.project_id is not None:
            metadata_filter = [{"key": "project_id", "operator": "==", "value": self.project_id}]
        return {
            "collection": self.collection,
            "artifacts": list(self.artifact_ids) if self.artifact_ids is not None else None,
            "metadata_filter": metadata_filter,
            "limit": self.k,
            "score_threshold": self.score_threshold,
            "expand": True if self.expand else None,
        }

    def workspace_kwargs(self, query: str) -> dict[str, Any]:
        """Arguments of ``client.search.query`` (workspace mode): the query cut to 80
        characters, ``types=["ArtifactContent"]`` and the number of hits to ask for."""
        return {
            "text": workspace_query(query),
            "types": ["ArtifactContent"],
            "limit": max(WORKSPACE_SEARCH_LIMIT, self.k),
        }

    def project_hits(self, hits: Sequence[SearchResult]) -> list[SearchResult]:
        """The hits of ``project_id`` scoring at least ``score_threshold``, at most ``k``."""
        kept = [
            hit
            for hit in hits
            if (hit.metadata or {}).get("project_id") == self.project_id
            and (self.score_threshold is None or (hit.rank is not None and hit.rank >= self.score_threshold))
        ]
        return kept[: self.k]


def workspace_query(text: str) -> str:
    """``text`` as a Workspace search query: whitespace runs as one space, and at most
    80 characters, cut at the last word boundary (the search takes 3 to 80)."""
    query = " ".join(text.split())
    if len(query) <= WORKSPACE_QUERY_MAX:
        return query
    cut = query[: WORKSPACE_QUERY_MAX + 1].rfind(" ")
    return query[:cut] if cut > 0 else query[:WORKSPACE_QUERY_MAX]


def hit_metadata(hit: SearchResult) -> dict[str, Any]:
    """A Workspace search hit's metadata: ``name`` (the artifact's), ``type`` (its
    artifact type), ``project_id``, ``project_name``, ``score`` (the hit's ``rank``),
    ``search_result_id`` and ``source`` (the artifact name, for tools citing it)."""
    metadata = dict(hit.metadata or {})
    result: dict[str, Any] = {
        key: metadata[key] for key in ("name", "type", "project_id", "project_name") if metadata.get(key) is not None
    }
    result["score"] = hit.rank
    result["search_result_id"] = hit.id
    result["source"] = metadata.get("name") or hit.id
    return result


def chunk_metadata(chunk: Chunk, *, expand: bool = False) -> dict[str, Any]:
    """A result's metadata: the document's own metadata (``file_name``, ``title``, ...),
    then ``artifact_id``, ``chunk_id``, ``score``, ``collection`` and, with ``expand``,
    ``previous_texts`` / ``next_texts``. ``source`` is the file name (or artifact id) for
    tools that cite ``metadata["source"]``."""
    document = chunk.document
    doc_metadata = dict((document.doc_metadata if document else None) or {})
    artifact_id = (document.artifact if document else None) or doc_metadata.get("artifact_id")
    metadata: dict[str, Any] = dict(doc_metadata)
    metadata.setdefault("source", doc_metadata.get("file_name") or artifact_id)
    metadata["artifact_id"] = artifact_id
    metadata["chunk_id"] = chunk.id
    metadata["score"] = chunk.score
    if doc_metadata.get("collection") is not None:
        metadata["collection"] = doc_metadata["collection"]
    if expand:
        metadata["previous_texts"] = list(chunk.previous_texts or [])
        metadata["next_texts"] = list(chunk.next_texts or [])
    return metadata


_NAME_KEYS = ("title", "name", "file_name", "filename")
_PATH_KEYS = ("source", "file_path", "path", "url")


def document_name(metadata: Mapping[str, Any] | None, position: int) -> str:
    """The artifact name for a framework document: its ``title`` / ``name`` /
    ``file_name``, else the last part of its ``source`` / ``file_path``, else
    ``document-{position + 1}``."""
    metadata = metadata or {}
    for key in _NAME_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    for key in _PATH_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            tail = os.path.basename(value.strip().rstrip("/\\"))
            if tail:
                return tail
    return f"document-{position + 1}"


def document_names(metadatas: Sequence[Mapping[str, Any] | None]) -> list[str]:
    return [document_name(metadata, position) for position, metadata in enumerate(metadatas)]
