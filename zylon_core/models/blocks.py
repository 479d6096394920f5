"""Zylon content blocks: the typed parts every message is made of.

Blocks are discriminated on ``type``. Unknown *fields* are kept (``extra="allow"``)
so a newer server never loses data on a round trip; an unknown block *type* is a
clear ``ValueError`` naming it.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter

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


class ZylonModel(BaseModel):
    """Base for every payload model: unknown fields are kept, aliases accepted."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    _has_type: ClassVar[bool] = False  # set per class: looking it up per instance costs ~1 us

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._has_type = "type" in cls.model_fields

    def model_post_init(self, context: Any, /) -> None:
        # A discriminator is always part of the wire form, even when left at its default.
        if self._has_type and self.type is not None:  # type: ignore[attr-defined]
            self.__pydantic_fields_set__.add("type")

    def to_json_dict(self) -> dict[str, Any]:
        """The wire form: only fields that were set, by alias."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class _Block(ZylonModel):
    start_timestamp: str | None = None
    stop_timestamp: str | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class Citation(ZylonModel):
    id: str | None = None
    index: str | None = None
    artifact_id: str | None = None
    source_id: str | None = None
    correlation_id: str | None = None


class DocMetadata(ZylonModel):
    file_name: str | None = None
    file_type: str | None = None


class SourceDocument(ZylonModel):
    object: str | None = None
    artifact: str | None = None
    doc_metadata: dict[str, Any] | None = None


class SourceMetadata(ZylonModel):
    title: str | None = None
    page: float | None = None
    shorter_id: str | None = None


class ChunkSource(ZylonModel):
    type: Literal["context.chunk"] = "context.chunk"
    id: str | None = None
    score: float | None = None
    document: SourceDocument | None = None
    text: str | None = None
    content_type: str | None = None
    previous_texts: list[str] | None = None
    next_texts: list[str] | None = None
    metadata: SourceMetadata | None = None


class WebsiteSource(ZylonModel):
    type: Literal["context.website"] = "context.website"
    id: str | None = None
    url: str
    favicon_url: str | None = None
    title: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    content_type: str | None = None
    content: str | None = None


class OtherSource(ZylonModel):
    """A source kind this client does not know yet: kept as it came."""

    type: str


def _source_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in ("context.chunk", "context.website") else "other"


Source = Annotated[
    Union[
        Annotated[ChunkSource, Tag("context.chunk")],
        Annotated[WebsiteSource, Tag("context.website")],
        Annotated[OtherSource, Tag("other")],
    ],
    Discriminator(_source_tag),
]


class TextBlock(_Block):
    type: Literal["text"] = "text"
    text: str = ""
    citations: list[Citation] | None = None


class ImageBlock(_Block):
    type: Literal["image"] = "image"
    data: str
    mime_type: str | None = None


class AudioBlock(_Block):
    type: Literal["audio"] = "audio"
    data: str
    mime_type: str | None = None


class BinaryBlock(_Block):
    type: Literal["binary"] = "binary"
    data: str
    mime_type: str
    filename: str | None = None


class FileBlock(_Block):
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
    type: Literal["thinking"] = "thinking"
    thinking: str = ""
    citations: list[Citation] | None = None


class ToolUseBlock(_Block):
    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


class ToolResultBlock(_Block):
    type: Literal["tool_result"] = "tool_result"
    tool_use_id: str
    content: list[ContentBlock] = Field(default_factory=list)
    is_error: bool | None = None


ContentBlock = Annotated[
    Union[
        TextBlock,
        ImageBlock,
        AudioBlock,
        BinaryBlock,
        FileBlock,
        SourceBlock,
        TldrBlock,
        ThinkingBlock,
        ToolUseBlock,
        ToolResultBlock,
    ],
    Field(discriminator="type"),
]

for _model in (TldrBlock, ToolResultBlock):
    _model.model_rebuild()

_BLOCK_ADAPTER: TypeAdapter[Any] = TypeAdapter(ContentBlock)


def check_block_type(data: Any, where: str = "content block") -> str:
    """Name the problem with a block's ``type`` before pydantic gives a vaguer one."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be an object with a 'type', got {type(data).__name__}")
    kind = data.get("type")
    if kind not in BLOCK_TYPES:
        raise ValueError(
            f"unknown Zylon {where} type {kind!r}; expected one of: {', '.join(BLOCK_TYPES)}"
        )
    return kind


def parse_block(data: Any) -> Any:
    """Parse one block dict into its typed model (ValueError naming an unknown type)."""
    if isinstance(data, BaseModel):
        return data
    check_block_type(data)
    return _BLOCK_ADAPTER.validate_python(data)


def parse_blocks(items: list[Any]) -> list[Any]:
    return [parse_block(item) for item in items]
