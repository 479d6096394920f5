"""ZylonGPT's request bodies, modelled the way the real server (PrivateGPT, pydantic) models
them, so that a bad body fails with the very items the real server answers.

What the captures show (``zylon-api/captures``) and these models reproduce:

* a message's ``content`` is ``Union[str, list[<tagged union of 31 block classes>]]``:
  a bad block yields two items, ``('body', 'messages', i, 'content', 'str')`` "Input should
  be a valid string" and one at ``(..., 'list[tagged-union[TextBlock,ImageBlock,...]]', j,
  ...)``. The class names (and their order) are the server's: pydantic builds that
  location from them. ``file`` and ``video`` are not among the tags.
* a ``thinking`` block needs its ``signature``; ``tool_result.content`` may be a string.
* roles are ``system``, ``user``, ``assistant`` (``tool`` is a ``literal_error``);
  ``temperature`` and ``top_p`` are ``<= 1``; ``system.extensions`` only ``zylon``
  (``enum``); ``stream`` is a lax bool (``"yes"`` is true); ``inputSchema`` and
  ``input_schema`` are both accepted; unknown top-level fields are ignored (the real
  server ignores them; nested models are assumed to do the same, pydantic's default).
* the body-level rules are model validators, so they report ``value_error`` at
  ``('body',)``: "Messages cannot be empty" (also for a system-only list), "Message content
  cannot be empty: role='user' content=''", duplicate tool names, a ``tool_choice`` naming
  a tool not offered, ``json_schema`` with tools, a ``tool_result`` for an unknown id.
* embeddings take ``Union[str, list[str]]``; chunk search is a plain union of
  ``SemanticSearch``, ``KeywordSearch``, ``HybridSearch`` (items per branch).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Block(BaseModel):
    # Blocks keep what they do not know (timestamps, cache_control, caller...): a client
    # replays the server's own blocks as history.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _block(name: str, tag: str, fields: dict[str, Any] | None = None) -> type[BaseModel]:
    """A block class named ``name`` (the server's class name) for ``type == tag``."""
    annotations: dict[str, Any] = {"type": Literal[tag]}
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__}
    for key, (annotation, default) in (fields or {}).items():
        annotations[key] = annotation
        if default is not ...:
            namespace[key] = default
    return type(name, (_Block,), namespace)


class TextBlock(_Block):
    type: Literal["text"]
    text: str = ""
    citations: list[dict[str, Any]] | None = None


class ThinkingBlock(_Block):
    type: Literal["thinking"]
    thinking: str = ""
    # Required by the real server: a thinking block replayed without it is a 400
    # (cap:client_C_thinking_history_no_signature).
    signature: str
    citations: list[dict[str, Any]] | None = None


class ToolUseBlock(_Block):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


class ServerToolUseBlock(_Block):
    type: Literal["server_tool_use"]
    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


class ImageBlock(_Block):
    # Both shapes pass the schema: the client's {data, mime_type} and Anthropic's {source}.
    type: Literal["image"]
    data: str | None = None
    mime_type: str | None = None
    source: dict[str, Any] | None = None


class DocumentBlock(_Block):
    type: Literal["document"]
    source: dict[str, Any]
    title: str | None = None
    context: str | None = None


class ToolResultBlock(_Block):
    type: Literal["tool_result"]
    tool_use_id: str
    content: Union[str, list[dict[str, Any]]]
    is_error: bool | None = None


class ServerToolResultBlock(_Block):
    type: Literal["server_tool_result"]
    tool_use_id: str
    content: Union[str, list[dict[str, Any]]]
    is_error: bool | None = None


_ANY: tuple[Any, Any] = (Any, None)
# The real server's accepted block tags, in its order (cap:err_unknown_block_type), with
# the classes pydantic names in the error location. Two distinct classes share the name
# CodeExecutionToolResultErrorBlock, as on the server.
BLOCK_CLASSES: tuple[type[BaseModel], ...] = (
    TextBlock,
    ImageBlock,
    _block("AudioBlock", "audio", {"data": (str, ...), "mime_type": (str, ...)}),
    _block("BinaryBlock", "binary", {"data": (str, ...), "mime_type": (str, ...), "filename": (Union[str, None], None)}),
    _block("LocalResourceBlock", "local_resource"),
    _block("ResourceLinkBlock", "resource_link", {"uri": (str, ...), "name": (str, ...)}),
    _block("ResourceBlock", "resource", {"resource": _ANY}),
    _block("SourceBlock", "source", {"sources": (list, ...)}),
    ThinkingBlock,
    _block("RedactedThinkingBlock", "redacted_thinking", {"data": _ANY}),
    ToolUseBlock,
    ServerToolUseBlock,
    _block("ContainerUploadBlock", "container_upload"),
    DocumentBlock,
    _block("SearchResultBlock", "search_result"),
    _block("MidConvSystemBlock", "mid_conv_system"),
    _block("TLDRBlock", "tldr", {"content": _ANY}),
    _block("BashCodeExecutionResultBlock", "bash_code_execution_result"),
    _block("CodeExecutionToolResultErrorBlock", "bash_code_execution_tool_result_error"),
    _block("CodeExecutionToolResultErrorBlock", "text_editor_code_execution_tool_result_error"),
    _block("TextEditorCodeExecutionViewResultBlock", "text_editor_code_execution_view_result"),
    _block("TextEditorCodeExecutionCreateResultBlock", "text_editor_code_execution_create_result"),
    _block("TextEditorCodeExecutionStrReplaceResultBlock", "text_editor_code_execution_str_replace_result"),
    _block("WebSearchResultBlock", "web_search_result"),
    _block("WebFetchResultBlock", "web_fetch_result"),
    ToolResultBlock,
    ServerToolResultBlock,
    _block("BashCodeExecutionToolResultBlock", "bash_code_execution_tool_result"),
    _block("TextEditorCodeExecutionToolResultBlock", "text_editor_code_execution_tool_result"),
    _block("WebSearchToolResultBlock", "web_search_tool_result"),
    _block("WebFetchToolResultBlock", "web_fetch_tool_result"),
)
BLOCK_TAGS: tuple[str, ...] = tuple(c.model_fields["type"].annotation.__args__[0] for c in BLOCK_CLASSES)  # type: ignore[union-attr]

ContentBlock = Annotated[Union[BLOCK_CLASSES], Field(discriminator="type")]  # type: ignore[valid-type]


class MessageInput(_Model):
    role: Literal["system", "user", "assistant"] = "user"
    content: Union[str, list[ContentBlock]]  # pyright: ignore[reportInvalidTypeForm]


class ToolSpecBody(_Model):
    """A tool. Its field order is the server's: the duplicate-names error prints the list."""

    name: str
    type: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] | None = Field(default=None, alias="inputSchema")
    context: list[dict[str, Any]] | None = None
    defer_loading: bool = False
    instructions: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _either_schema_spelling(cls, data: Any) -> Any:
        if isinstance(data, dict) and "input_schema" in data and "inputSchema" not in data:
            data = {**data, "inputSchema": data["input_schema"]}
            del data["input_schema"]
        return data


class ToolChoice(_Model):
    # str() of this model is part of the server's error message: keep the field order.
    type: Literal["auto", "any", "none", "tool"] = "auto"
    name: str | None = None
    disable_parallel_tool_use: bool = False
    validation_mode: Literal["eager", "lazy"] = "lazy"


class ResponseFormat(_Model):
    type: Literal["text", "json_schema"] = "text"
    json_schema: dict[str, Any] | None = None


class SystemExtension(str, Enum):
    zylon = "zylon"


class Citations(_Model):
    enabled: bool = False
    known_citations: list[dict[str, Any]] | None = None


class System(_Model):
    use_default_prompt: bool = False
    text: str | None = None
    citations: Citations = Field(default_factory=Citations)
    extensions: list[SystemExtension] = Field(default_factory=list)


class Thinking(_Model):
    # Anthropic's {"type": "enabled", "budget_tokens": N} is accepted and does nothing
    # (only ``enabled`` is in the server's schema).
    enabled: bool = False


def system_object(value: Any) -> Any:
    """``system`` as the server takes it: a string, an object, or a list mixing objects and
    Anthropic text blocks, folded into one object (texts joined by a newline)."""
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        texts: list[str] = []
        for item in value:
            if not isinstance(item, dict):
                return value  # let the model report it
            if item.get("text") is not None:
                texts.append(str(item["text"]))
            merged.update({k: v for k, v in item.items() if k not in ("type", "text")})
        if texts:
            merged["text"] = "\n".join(texts)
        return merged
    return value


class ChatBody(_Model):
    model: str | None = None
    stream: bool = False
    messages: list[MessageInput]
    tools: list[ToolSpecBody] | None = None
    tool_choice: ToolChoice | None = None
    tool_context: list[dict[str, Any]] | None = None
    mcp_servers: list[dict[str, Any]] | None = None
    response_format: ResponseFormat | None = None
    system: System | None = None
    thinking: Thinking | None = None
    output_config: dict[str, Any] | None = None
    stop_sequences: list[str] | None = None
    priority: float | None = None
    seed: int | None = None
    min_p: float | None = None
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    temperature: float | None = Field(default=None, ge=0.0, le=1.0)
    top_k: int | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    correlation_id: str | None = None

    @field_validator("system", mode="before")
    @classmethod
    def _system_forms(cls, value: Any) -> Any:
        return system_object(value)

    @model_validator(mode="after")
    def _body_rules(self, info: ValidationInfo) -> "ChatBody":
        if not [m for m in self.messages if m.role != "system"]:
            raise ValueError("Messages cannot be empty")
        for message in self.messages:
            if message.content == "" or message.content == []:
                raise ValueError(f"Message content cannot be empty: role={message.role!r} content={message.content!r}")
        tools = self.tools or []
        names = [t.name for t in tools]
        if len(set(names)) != len(names):
            raise ValueError(f"Duplicate tool names found in the tools list. Provided tools: {tools!r} Unique tool names: {set(names)!r}")
        choice = self.tool_choice
        if choice is not None and choice.type == "tool" and choice.name not in names:
            raise ValueError(f"Tool choice '{choice}' is not in the provided tools.")
        if self.response_format is not None and self.response_format.type == "json_schema" and tools:
            raise ValueError("Tools are not supported when response_format is set to json_schema")
        # A Workspace thread's earlier turns (kept by the server) are part of the conversation.
        seen: set[str] = set((info.context or {}).get("tool_use_ids", ()))
        for message in self.messages:
            if isinstance(message.content, str):
                continue
            for block in message.content:
                kind = getattr(block, "type", None)
                if kind in ("tool_use", "server_tool_use"):
                    seen.add(getattr(block, "id", ""))
                elif kind in ("tool_result", "server_tool_result") and getattr(block, "tool_use_id", "") not in seen:
                    raise ValueError(f"Tool result block references an unknown tool use ID: {getattr(block, 'tool_use_id', '')}")
        return self

    @property
    def thinking_enabled(self) -> bool:
        effort = (self.output_config or {}).get("effort")
        return bool(self.thinking and self.thinking.enabled) or bool(effort)

    @property
    def citations_enabled(self) -> bool:
        return bool(self.system and self.system.citations.enabled)

    @property
    def zylon_extension(self) -> bool:
        return bool(self.system and SystemExtension.zylon in self.system.extensions)


# -- embeddings, chunk search, artifacts ----------------------------------------------------------


class EmbeddingsBody(_Model):
    input: Union[str, list[str]]
    model: str | None = None


class ContextFilter(_Model):
    collection: str = "pgpt_collection"
    artifacts: list[str] | None = None
    metadata_filter: list[dict[str, Any]] | None = None


class SemanticSearch(_Model):
    type: Literal["semantic_search"] = "semantic_search"
    text: str
    context_filter: ContextFilter
    limit: int = Field(default=10, ge=1)
    score_threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    expand: bool = False


class KeywordSearch(_Model):
    type: Literal["keywords_search"]
    keywords: list[str]
    context_filter: ContextFilter
    limit: int = Field(default=10, ge=1, le=100)


class HybridSearch(_Model):
    type: Literal["hybrid_search"]
    keywords: list[str]
    context_filter: ContextFilter
    limit: int = Field(default=10, ge=1, le=100)


# The chunk-search body: the server validates a plain (smart) union of the three kinds,
# so a bad body gets items for every branch, located by class name.
SearchBody = Union[SemanticSearch, KeywordSearch, HybridSearch]


class IngestInputText(_Model):
    type: Literal["text"]
    value: str


class IngestInputFile(_Model):
    type: Literal["file"]
    value: str

    @field_validator("value")
    @classmethod
    def _base64(cls, value: str) -> str:
        import base64
        import binascii

        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("File input requires valid base64 encoded content") from None
        return value


class IngestInputUri(_Model):
    type: Literal["uri"]
    value: str


class IngestBody(_Model):
    artifact: str = Field(min_length=1, max_length=255)
    collection: str = Field(default="pgpt_collection", min_length=1, max_length=255)
    input: Annotated[Union[IngestInputText, IngestInputFile, IngestInputUri], Field(discriminator="type")]
    metadata: dict[str, Any] | None = None


class DeleteIngestedBody(_Model):
    # ``collection`` is required despite the documented default (cap:artifacts_delete_gamma).
    artifact: str
    collection: str


class ContentBody(_Model):
    context_filter: ContextFilter
    format: Literal["markdown", "object"] = "markdown"
    max_tokens: int | None = Field(default=None, ge=1)


class CountTokensBody(_Model):
    model: str | None = None
    messages: list[MessageInput]
    system: System | None = None
    tools: list[ToolSpecBody] | None = None

    @field_validator("system", mode="before")
    @classmethod
    def _system_forms(cls, value: Any) -> Any:
        return system_object(value)


class CompleteBody(_Model):
    prompt: str
    model: str | None = None
    max_tokens_to_sample: int | None = None
