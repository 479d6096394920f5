"""What the LangChain and LlamaIndex retrieval adapters share: search parameters, how a
chunk's metadata is laid out, and how a framework document is named when it becomes a
project artifact. Framework-free.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional, Sequence

from .models import Chunk

# Metadata keys a retriever adds to each result (besides the document's own metadata).
RESULT_KEYS = ("artifact_id", "chunk_id", "score", "collection", "previous_texts", "next_texts")


@dataclass(frozen=True)
class SearchParams:
    """One chunk search: ``semantic_search`` over ``collection`` / ``artifact_ids``."""

    k: int = 4
    collection: Optional[str] = None
    artifact_ids: Optional[tuple[str, ...]] = None
    score_threshold: Optional[float] = None
    expand: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"k must be a positive integer, got {self.k!r}")
        if self.score_threshold is not None and not 0.0 <= self.score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be between 0 and 1, got {self.score_threshold!r}")
        if self.artifact_ids is not None and not isinstance(self.artifact_ids, tuple):
            object.__setattr__(self, "artifact_ids", tuple(self.artifact_ids))

    OVERRIDABLE = ("k", "collection", "artifact_ids", "score_threshold", "expand")

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
        """Keyword arguments of ``client.chunks.search``."""
        return {
            "collection": self.collection,
            "artifacts": list(self.artifact_ids) if self.artifact_ids is not None else None,
            "limit": self.k,
            "score_threshold": self.score_threshold,
            "expand": True if self.expand else None,
        }


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
