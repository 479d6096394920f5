"""ZylonGPT (``/api/gpt/v1``) payloads: embeddings and chunk search."""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import Field

from .blocks import ZylonModel


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
        """Embeddings in input order (the server's ``index``, not its list order)."""
        return [item.embedding for item in sorted(self.data, key=lambda e: e.index)]


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
