"""Sources: the chunks and web pages an answer's ``source`` blocks hold.

ZylonGPT tags a source with ``"object": "context.chunk"``; the Workspace schema (and its
docs) with ``"type": "context.chunk"``. Both are accepted and whichever key came is what
goes back on the wire. No key the real server omits is required, and ``score`` has no
upper bound (the server sends ``1.0000001093922488``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Tag

from .base import ZylonModel


class DocMetadata(ZylonModel):
    file_name: str | None = None
    file_type: str | None = None


class SourceDocument(ZylonModel):
    object: str | None = None
    artifact: str | None = None
    doc_metadata: dict[str, Any] | None = None


class SourceMetadata(ZylonModel):
    """A chunk's ``metadata``: ``shorter_id`` is what a citation's ``id`` names;
    ``abs_idx``/``rel_idx`` place the chunk in its document."""

    title: str | None = None
    page: float | None = None
    shorter_id: str | None = None
    abs_idx: int | None = None
    rel_idx: int | None = None
    score: float | None = None
    file_name: str | None = None
    artifact_id: str | None = None
    collection: str | None = None


class _Tagged(ZylonModel):
    """A source whose kind is named by ``type`` (Workspace) or ``object`` (ZylonGPT)."""

    object: str | None = None

    def model_post_init(self, context: Any, /) -> None:
        # ``type`` has a default so that code can read the kind, but it goes on the wire
        # only when it came in (or when nothing named the kind, as for a new source).
        if "object" not in self.__pydantic_fields_set__:
            self.__pydantic_fields_set__.add("type")


class ChunkSource(_Tagged):
    type: Literal["context.chunk"] = "context.chunk"
    object: Literal["context.chunk"] | None = None
    id: str | None = None
    score: float | None = None
    document: SourceDocument | None = None
    text: str | None = None
    content_type: str | None = None
    previous_texts: list[str] | None = None
    next_texts: list[str] | None = None
    metadata: SourceMetadata | None = None


class WebsiteSource(_Tagged):
    type: Literal["context.website"] = "context.website"
    object: Literal["context.website"] | None = None
    id: str | None = None
    url: str | None = None
    favicon_url: str | None = None
    title: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    content_type: str | None = None
    content: str | None = None


class OtherSource(ZylonModel):
    """A source kind this client does not know yet: kept as it came."""

    type: str | None = None
    object: str | None = None


def source_kind(value: Any) -> str | None:
    """A source's kind (``context.chunk``...), from ``type`` or ``object``."""
    if isinstance(value, dict):
        return value.get("type") or value.get("object")
    return getattr(value, "type", None) or getattr(value, "object", None)


def _source_tag(value: Any) -> str:
    kind = source_kind(value)
    if isinstance(value, OtherSource):
        return "other"
    return kind if kind in ("context.chunk", "context.website") else "other"


Source = Annotated[
    Union[
        Annotated[ChunkSource, Tag("context.chunk")],
        Annotated[WebsiteSource, Tag("context.website")],
        Annotated[OtherSource, Tag("other")],
    ],
    Discriminator(_source_tag),
]
