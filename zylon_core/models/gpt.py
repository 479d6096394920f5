"""ZylonGPT (``/api/gpt/v1``) payloads: embeddings and chunk search."""

from __future__ import annotations

import logging
from typing import Any, Literal, Union

from pydantic import Field

from .base import ZylonModel

logger = logging.getLogger("zylon_core")


class EmbeddingsBody(ZylonModel):
    input: Union[str, list[str]]


class Embedding(ZylonModel):
    index: int
    object: str | None = None
    embedding: list[float]


class EmbeddingsResponse(ZylonModel):
    object: str | None = None
    model: str | None = None
    data: list[Embedding] = Field(default_factory=list)

    def vectors(self) -> list[list[float]]:
        """The embeddings in input order: by ``index`` when the indexes are exactly
        ``0..n-1`` (in any order), else in list order. ZylonGPT gives equal vectors the
        index of the first one (three equal vectors come as ``0, 0, 0``) and lists the
        items in input order, so a repeated index is no error."""
        indexes = [item.index for item in self.data]
        if indexes == list(range(len(indexes))):
            return [item.embedding for item in self.data]
        if sorted(indexes) == list(range(len(indexes))):
            return [item.embedding for item in sorted(self.data, key=lambda e: e.index)]
        logger.debug("embeddings response repeats indexes %s; keeping its list order", indexes[:10])
        return [item.embedding for item in self.data]


class ContextFilter(ZylonModel):
    collection: str | None = None
    artifacts: list[str] | None = None
    metadata_filter: list[dict[str, Any]] | None = None


class SemanticSearch(ZylonModel):
    type: Literal["semantic_search"] = "semantic_search"
    text: str
    context_filter: ContextFilter
    limit: int | None = None
    score_threshold: float | None = None
    expand: bool | None = None


class IngestedDoc(ZylonModel):
    object: str | None = None
    artifact: str | None = None
    doc_metadata: dict[str, Any] | None = None


class Chunk(ZylonModel):
    object: str | None = None
    id: str | None = None
    score: float | None = None
    document: IngestedDoc | None = None
    text: str = ""
    content_type: str | None = None
    previous_texts: list[str] | None = None
    next_texts: list[str] | None = None


class ChunkSearchResponse(ZylonModel):
    object: str | None = None
    model: str | None = None
    data: list[Chunk] = Field(default_factory=list)
