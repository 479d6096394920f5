"""Zylon content blocks: the typed parts every message is made of.

Reading never fails on a block ``type``: the known types get their typed model and any
other type an :class:`UnknownBlock` that keeps every field and goes back on the wire
unchanged (the server adds block types over time). Unknown *fields* are kept on every
model (``extra="allow"``) for the same reason. What a server accepts as *input* is
checked separately, before a request: :func:`zylon_core.models.check_input_blocks`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, Discriminator, Field, Tag, TypeAdapter, model_validator

from .base import ZylonModel
from .sources import (
    ChunkSource,
    DocMetadata,
    OtherSource,
    Source,
    SourceDocument,
    SourceMetadata,
    WebsiteSource,
    source_kind,
)

__all__ = [
    "BLOCK_TYPES",
    "AudioBlock",
    "BinaryBlock",
    "ChunkSource",
    "Citation",
    "ContentBlock",
    "DocMetadata",
    "DocumentBase64Source",
    "DocumentBlock",
    "DocumentContentSource",
    "DocumentSource",
    "DocumentTextSource",
    "DocumentUrlSource",
    "FileBlock",
    "ImageBlock",
    "MediaSource",
    "OtherDocumentSource",
    "OtherSource",
    "RedactedThinkingBlock",
    "SearchResultBlock",
    "ServerToolResultBlock",
    "ServerToolUseBlock",
    "Source",
    "SourceBlock",
    "SourceDocument",
    "SourceMetadata",
    "TextBlock",
    "ThinkingBlock",
    "TldrBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "UnknownBlock",
    "WebsiteSource",
    "ZylonModel",
    "check_block_type",
    "parse_block",
    "parse_blocks",
    "source_kind",
]

logger = logging.getLogger("zylon_core")

# The Workspace schema's block types (``ai.zylon.koala.model.message.ContentBlock``).
BLOCK_TYPES = (
    "text",
    "image",
    "audio",
    "binary",
    "file",
    "source",
    "tldr",
    "thinking",
    "tool_use",
    "tool_result",
)


class _Block(ZylonModel):
    start_timestamp: str | None = None
    stop_timestamp: str | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class Citation(ZylonModel):
    """A text block's citation. ``index`` is the 0-based position of the cited source in
    the tool's result; ``id`` is the source's ``metadata.shorter_id``; ``source_id`` its
    ``id``. A digit string ``index`` (the Workspace schema types it as a string) becomes
    an int; any other string moves to ``index_text`` so nothing is lost."""

    id: str | None = None
    index: int | None = None
    artifact_id: str | None = None
    source_id: str | None = None
    correlation_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _index_as_int(cls, data: Any) -> Any:
        if isinstance(data, dict):
            index = data.get("index")
            if isinstance(index, str):
                stripped = index.strip()
                if stripped.isdigit():
                    return {**data, "index": int(stripped)}
                return {**data, "index": None, "index_text": index}
        return data


class TextBlock(_Block):
    type: Literal["text"] = "text"
    text: str = ""
    citations: list[Citation] | None = None


class MediaSource(ZylonModel):
    """An Anthropic-shape media source: ``{type: base64, media_type, data}``,
    ``{type: url, url}`` or ``{type: file, file_id}``."""

    type: str | None = None
    media_type: str | None = None
    data: str | None = None
    url: str | None = None


class _Media(_Block):
    """Image or audio in either shape: the client's ``{data, mime_type}`` (``data`` is
    base64 or a URL) or Anthropic's ``{source: {...}}``."""

    data: str | None = None
    mime_type: str | None = None
    source: MediaSource | None = None

    @model_validator(mode="after")
    def _data_or_source(self) -> Any:
        if self.data is None and self.source is None:
            raise ValueError(f"an {self.type} block needs 'data' (with 'mime_type') or a 'source'")  # type: ignore[attr-defined]
        return self


class ImageBlock(_Media):
    type: Literal["image"] = "image"


class AudioBlock(_Media):
    type: Literal["audio"] = "audio"


class BinaryBlock(_Block):
    type: Literal["binary"] = "binary"
    data: str
    mime_type: str
    filename: str | None = None


class FileBlock(_Block):
    """The Workspace schema's ``file`` block. ZylonGPT refuses it as input: send
    ``binary`` (Workspace) or ``document`` (ZylonGPT) instead."""

    type: Literal["file"] = "file"
    content: str
    content_type: str | None = None
    doc_metadata: DocMetadata | None = None


class SourceBlock(_Block):
    type: Literal["source"] = "source"
    sources: list[Source] = Field(default_factory=list)


class TldrBlock(_Block):
    type: Literal["tldr"] = "tldr"
    content: list[ContentBlock]


class ThinkingBlock(_Block):
    """Model reasoning. ``signature`` (``sig_`` + 32 hex) must go back with the block
    when it is replayed as history: ZylonGPT answers 400 without it."""

    type: Literal["thinking"] = "thinking"
    thinking: str = ""
    signature: str | None = None
    citations: list[Citation] | None = None


class RedactedThinkingBlock(_Block):
    """Reasoning the server keeps opaque; replayed untouched."""

    type: Literal["redacted_thinking"] = "redacted_thinking"
    data: str = ""


class ToolUseBlock(_Block):
    """A call of a client-side tool: the caller runs it and answers with ``tool_result``."""

    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


class ToolResultBlock(_Block):
    type: Literal["tool_result"] = "tool_result"
    tool_use_id: str
    content: Union[str, list[ContentBlock]] = Field(default_factory=list)
    is_error: bool | None = None


class ServerToolUseBlock(_Block):
    """A tool the server ran itself (built-in search, ``document_preprocessing``...);
    never a call for the caller to run. Its result is a ``server_tool_result``."""

    type: Literal["server_tool_use"] = "server_tool_use"
    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


class ServerToolResultBlock(_Block):
    """What a server tool returned: a string (often with ``is_error``) or blocks (a
    ``source`` block with the chunks found, a ``text`` block listing them)."""

    type: Literal["server_tool_result"] = "server_tool_result"
    tool_use_id: str
    content: Union[str, list[ContentBlock]] = Field(default_factory=list)
    is_error: bool | None = None


class DocumentTextSource(ZylonModel):
    type: Literal["text"] = "text"
    media_type: str | None = None
    data: str


class DocumentBase64Source(ZylonModel):
    type: Literal["base64"] = "base64"
    media_type: str | None = None
    data: str


class DocumentUrlSource(ZylonModel):
    type: Literal["url"] = "url"
    url: str


class DocumentContentSource(ZylonModel):
    type: Literal["content"] = "content"
    content: Union[str, list[ContentBlock]] = Field(default_factory=list)


class OtherDocumentSource(ZylonModel):
    """A document source kind this client does not know yet: kept as it came."""

    type: str | None = None


_DOCUMENT_SOURCE_TYPES = frozenset({"text", "base64", "url", "content"})


def _document_source_tag(value: Any) -> str:
    if isinstance(value, OtherDocumentSource):
        return "other"
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in _DOCUMENT_SOURCE_TYPES else "other"


DocumentSource = Annotated[
    Union[
        Annotated[DocumentTextSource, Tag("text")],
        Annotated[DocumentBase64Source, Tag("base64")],
        Annotated[DocumentUrlSource, Tag("url")],
        Annotated[DocumentContentSource, Tag("content")],
        Annotated[OtherDocumentSource, Tag("other")],
    ],
    Discriminator(_document_source_tag),
]


class DocumentBlock(_Block):
    """An input document (ZylonGPT): ``source`` is ``text``/``base64`` (``media_type``,
    ``data``), ``url`` or ``content``; ``title`` names it (the file name)."""

    type: Literal["document"] = "document"
    source: DocumentSource
    title: str | None = None
    context: str | None = None
    citations: Any = None


class SearchResultBlock(_Block):
    type: Literal["search_result"] = "search_result"
    source: str | None = None
    title: str | None = None
    content: list[ContentBlock] = Field(default_factory=list)
    citations: Any = None


class UnknownBlock(ZylonModel):
    """A block of a type this client does not know: every field kept as it came, so
    it goes back on the wire unchanged (``to_json_dict()``). Its fields read as
    attributes, as pydantic gives extra fields."""

    type: str

    if TYPE_CHECKING:
        # What pydantic does at run time for extra fields, told to type checkers: code
        # that narrows a block on ``block.type == "text"`` may then read ``block.text``.
        def __getattr__(self, name: str) -> Any: ...


_TYPED_BLOCKS: dict[str, type[ZylonModel]] = {
    model.model_fields["type"].default: model
    for model in (
        TextBlock,
        ImageBlock,
        AudioBlock,
        BinaryBlock,
        FileBlock,
        SourceBlock,
        TldrBlock,
        ThinkingBlock,
        RedactedThinkingBlock,
        ToolUseBlock,
        ToolResultBlock,
        ServerToolUseBlock,
        ServerToolResultBlock,
        DocumentBlock,
        SearchResultBlock,
    )
}
_seen_unknown: set[str] = set()


def _block_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
    elif isinstance(value, UnknownBlock):
        return "unknown"
    else:
        kind = getattr(value, "type", None)
    if kind in _TYPED_BLOCKS:
        return kind
    if not isinstance(kind, str):
        return None  # no type at all: pydantic names the missing tag
    if kind not in _seen_unknown:
        _seen_unknown.add(kind)
        logger.debug("keeping a Zylon content block of unknown type %r as it came", kind)
    return "unknown"


if TYPE_CHECKING:
    # For type checkers, the known blocks only: ``block.type == "text"`` then narrows a
    # block to TextBlock. At run time a type this client does not know is an
    # UnknownBlock, which such code meets in the ``else`` of its type checks.
    ContentBlock = Union[
        TextBlock,
        ImageBlock,
        AudioBlock,
        BinaryBlock,
        FileBlock,
        SourceBlock,
        TldrBlock,
        ThinkingBlock,
        RedactedThinkingBlock,
        ToolUseBlock,
        ToolResultBlock,
        ServerToolUseBlock,
        ServerToolResultBlock,
        DocumentBlock,
        SearchResultBlock,
    ]
else:
    ContentBlock = Annotated[
        Union[
            Annotated[TextBlock, Tag("text")],
            Annotated[ImageBlock, Tag("image")],
            Annotated[AudioBlock, Tag("audio")],
            Annotated[BinaryBlock, Tag("binary")],
            Annotated[FileBlock, Tag("file")],
            Annotated[SourceBlock, Tag("source")],
            Annotated[TldrBlock, Tag("tldr")],
            Annotated[ThinkingBlock, Tag("thinking")],
            Annotated[RedactedThinkingBlock, Tag("redacted_thinking")],
            Annotated[ToolUseBlock, Tag("tool_use")],
            Annotated[ToolResultBlock, Tag("tool_result")],
            Annotated[ServerToolUseBlock, Tag("server_tool_use")],
            Annotated[ServerToolResultBlock, Tag("server_tool_result")],
            Annotated[DocumentBlock, Tag("document")],
            Annotated[SearchResultBlock, Tag("search_result")],
            Annotated[UnknownBlock, Tag("unknown")],
        ],
        Discriminator(
            _block_tag,
            custom_error_type="invalid_block",
            custom_error_message="a content block must be an object with a string 'type'",
        ),
    ]

for _model in (TldrBlock, ToolResultBlock, ServerToolResultBlock, DocumentContentSource, DocumentBlock, SearchResultBlock):
    _model.model_rebuild()

_BLOCK_ADAPTER: TypeAdapter[Any] = TypeAdapter(ContentBlock)


def check_block_type(data: Any, where: str = "content block") -> str:
    """``data``'s type, if it is one of the Workspace schema's block types
    (:data:`BLOCK_TYPES`); else a ``ValueError`` naming it. For checking a request
    against what a server accepts, use :func:`zylon_core.models.check_input_blocks`."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be an object with a 'type', got {type(data).__name__}")
    kind = data.get("type")
    if kind not in BLOCK_TYPES:
        raise ValueError(f"unknown Zylon {where} type {kind!r}; expected one of: {', '.join(BLOCK_TYPES)}")
    return kind


def parse_block(data: Any) -> Any:
    """One block dict as its typed model (an :class:`UnknownBlock` for a type this
    client does not know). ``ValueError`` if it is not an object with a string ``type``."""
    if isinstance(data, BaseModel):
        return data
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ValueError(
            f"a Zylon content block must be an object with a string 'type', got {_describe(data)}"
        )
    return _BLOCK_ADAPTER.validate_python(data)


def parse_blocks(items: list[Any]) -> list[Any]:
    return [parse_block(item) for item in items]


def _describe(data: Any) -> str:
    if isinstance(data, dict):
        return f"an object with type {data.get('type')!r}"
    return type(data).__name__
