"""ZylonGPT artifact payloads (``/api/gpt/v1/artifacts/...``): ingestion, the list of a
collection, full and chunked content. Shapes as the captures show them
(``ingest_*``, ``artifacts_*`` in ``zylon-api/captures``)."""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import Field

from .base import ZylonModel
from .gpt import ContextFilter, IngestedDoc

IngestInputType = Literal["text", "file", "uri"]


class IngestInput(ZylonModel):
    """``{"type": "text" | "file" | "uri", "value"}``: the text itself, a base64 file, or
    a URL the server downloads."""

    type: IngestInputType
    value: str


class IngestBody(ZylonModel):
    """``POST /artifacts/ingest``: ``artifact`` (the id, 1 to 255 characters) in
    ``collection``; ``metadata`` must hold a ``file_name`` with an extension when given."""

    artifact: str
    collection: str
    input: IngestInput
    metadata: dict[str, Any] | None = None


class IngestResponse(ZylonModel):
    """The answer of ingest and of list: ``{"object": "list", "model", "data": [doc]}``."""

    object: str | None = None
    model: str | None = None
    data: list[IngestedDoc] = Field(default_factory=list)


class DeleteIngestedBody(ZylonModel):
    """``POST /artifacts/delete``: both fields are required by the server."""

    artifact: str
    collection: str


class ContentBody(ZylonModel):
    """``POST /artifacts/content`` and ``/artifacts/chunked-content``."""

    context_filter: ContextFilter
    format: Literal["markdown", "object"] | None = None
    max_tokens: int | None = None


class ArtifactContent(ZylonModel):
    """One artifact's content: markdown text, or (``format: "object"``) a node tree
    ``{"id", "type", "content", "children"}``."""

    artifact_id: str
    content: Union[str, dict[str, Any]]


class ContentResponse(ZylonModel):
    data: list[ArtifactContent] = Field(default_factory=list)


class ChunkedArtifactContent(ZylonModel):
    """One artifact's chat-ready blocks: a ``source`` block listing its chunks, then a
    ``text`` block with one ``Citation identifier [ID]`` section per chunk."""

    artifact_id: str
    content: list[dict[str, Any]] = Field(default_factory=list)


class ChunkedContentResponse(ZylonModel):
    data: list[ChunkedArtifactContent] = Field(default_factory=list)
