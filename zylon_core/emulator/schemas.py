"""The request bodies the emulator accepts: its own pydantic models of Zylon's schemas.

Written from the published OpenAPI documents (the Workspace's
``ai.zylon.koala.privategpt.ChatRequest``, ``ProjectChatDTO``, ``CreateInteractionDTO``,
``CreateThreadDTO``, ``CreateProjectDTO``, ``CreateArtifactDTO``...; ZylonGPT's
``ChatBody``, ``EmbeddingsBody``, ``SemanticSearch``, ``IngestBody``...) and kept apart
from the client's models in ``zylon_core.models`` on purpose: the emulator is what the
client is checked against, so a mistake the two shared would never show.

A server refuses what it does not know: every model forbids unknown fields, because an
unknown field in a request is almost always a client codec bug (``input_schema`` for
``inputSchema``, a framework's ``name`` on a message...). Only documents that are
free-form by nature keep them: JSON Schemas (a tool's ``inputSchema``), metadata, and
the server-produced sources and citations a client may echo back in its history.

One chat request model serves both APIs, so it takes the union of the two documents:
a message's ``content`` may be a string (ZylonGPT) or a block list (Workspace), its
``role`` any of the Workspace's four, ``tool_choice.type`` also ``any``, and ``model``
(ZylonGPT only) is allowed. The semantic checks the types cannot express (tool names,
media data, ``max_tokens >= 1``...) live in :mod:`.validation`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

# ``ContentBlock``'s discriminator values.
BLOCK_TYPES = ("text", "image", "audio", "binary", "file", "source", "tldr", "thinking", "tool_use", "tool_result")
# The ``*_v1`` tool types the server runs itself (a custom tool has no ``type``).
BUILTIN_TOOL_TYPES = (
    "semantic_search_v1",
    "file_semantic_search_v1",
    "tabular_analysis_v1",
    "database_query_v1",
    "web_search_v1",
    "web_extract_v1",
    "list_project_files_v1",
)
# ``ArtifactType``, plus "Analysis", which the docs' examples use and the enum lacks.
ARTIFACT_TYPES = (
    "InlineText",
    "Document",
    "Folder",
    "Summary",
    "Composition",
    "SmartDoc",
    "Link",
    "BulkQA",
    "ReadAndExtract",
    "SqlDatabase",
    "McpServer",
    "Analysis",
)


class Body(BaseModel):
    """A request body (or part of one): unknown fields are refused."""

    # populate_by_name: ``meta`` is accepted for ``_meta`` (pydantic cannot name a field
    # with a leading underscore, so the wire name is an alias).
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        """The body as sent: only the fields it set, by their wire names, JSON values."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class FreeForm(Body):
    """A part whose unknown fields are legitimate (schemas, metadata, echoed sources)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _tagged(kinds: dict[str, type[BaseModel]], default: str | None = None) -> Any:
    """A union discriminated on ``type``.

    The tags read ``"<type> ..."`` rather than the bare type because pydantic puts the
    tag into an error's location, and a bare ``text`` there could not be told from the
    text block's ``text`` field when the location is turned into a dotted path.
    """

    def kind(value: Any) -> str | None:
        found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        return f"<{found}>" if found in kinds else (f"<{default}>" if default else None)

    choices = tuple(Annotated[model, Tag(f"<{name}>")] for name, model in kinds.items())
    return Annotated[Union[choices], Discriminator(kind)]  # type: ignore[valid-type]


# -- content blocks (``ai.zylon.koala.model.message.ContentBlock``) ---------------------------


class Citation(FreeForm):  # PGPTCitation
    id: str | None = None
    index: str | None = None
    artifact_id: str | None = None
    source_id: str | None = None
    correlation_id: str | None = None


class DocMetadata(FreeForm):  # PGPTSource.DocMetadata
    file_name: str | None = None
    file_type: str | None = None


class SourceDocument(FreeForm):  # PGPTSource.Document
    object: str | None = None
    artifact: str | None = None
    doc_metadata: dict[str, Any] | None = None


class SourceMetadata(FreeForm):  # PGPTSource.SourceMetadata
    title: str | None = None
    page: float | None = None
    shorter_id: str | None = None


class ChunkSource(FreeForm):  # context.chunk
    type: Literal["context.chunk"] = "context.chunk"
    id: str | None = None
    score: float | None = None
    document: SourceDocument | None = None
    text: str | None = None
    content_type: str | None = None
    previous_texts: list[str] | None = None
    next_texts: list[str] | None = None
    metadata: SourceMetadata | None = None


class WebsiteSource(FreeForm):  # context.website
    type: Literal["context.website"] = "context.website"
    id: str | None = None
    url: str
    favicon_url: str | None = None
    title: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    content_type: str | None = None
    content: str | None = None


class OtherSource(FreeForm):
    """A source kind the schema does not list: taken as it comes."""

    type: str


Source = _tagged({"context.chunk": ChunkSource, "context.website": WebsiteSource, "other": OtherSource}, default="other")


class _Block(Body):
    # Any block may carry these.
    start_timestamp: str | None = None
    stop_timestamp: str | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


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
    sources: list[Source] = Field(default_factory=list)  # type: ignore[valid-type]


class TldrBlock(_Block):
    type: Literal["tldr"] = "tldr"
    content: list[ContentBlock]  # type: ignore[valid-type]


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
    content: list[ContentBlock] = Field(default_factory=list)  # type: ignore[valid-type]
    is_error: bool | None = None


ContentBlock = _tagged(
    {
        "text": TextBlock,
        "image": ImageBlock,
        "audio": AudioBlock,
        "binary": BinaryBlock,
        "file": FileBlock,
        "source": SourceBlock,
        "tldr": TldrBlock,
        "thinking": ThinkingBlock,
        "tool_use": ToolUseBlock,
        "tool_result": ToolResultBlock,
    }
)
TldrBlock.model_rebuild()
ToolResultBlock.model_rebuild()


# -- the chat request (Workspace ``ChatRequest``, ZylonGPT ``ChatBody``) ----------------------


class MessageInput(Body):
    role: Literal["system", "user", "assistant", "tool"]
    content: Union[str, list[ContentBlock]]  # type: ignore[valid-type]
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class ToolInputSchema(FreeForm):
    """A JSON Schema: any keyword is allowed; these three are typed."""

    type: str | None = None
    properties: dict[str, Any] | None = None
    required: list[str] | None = None


class Tool(Body):
    """A custom tool ``{name, description, inputSchema}`` or a built-in ``{name, type}``."""

    name: str
    type: str | None = None
    description: str | None = None
    inputSchema: ToolInputSchema | None = None
    # ZylonGPT's ToolSpec: what a built-in tool works on (``ingested_artifact`` filters).
    context: Any = None


class ToolChoice(Body):
    type: Literal["auto", "any", "none", "tool"] = "auto"
    name: str | None = None
    disable_parallel_tool_use: bool | None = None
    # ZylonGPT's ``eager``/``lazy``: accepted as sent, the emulator validates one way.
    validation_mode: Any = None


class ResponseFormat(Body):
    type: Literal["text", "json_schema"]
    json_schema: dict[str, Any] | None = None


class Citations(Body):
    enabled: bool | None = None
    known_citations: list[dict[str, Any]] | None = None


class System(Body):
    use_default_prompt: bool | None = None
    text: str | None = None
    citations: Citations | None = None
    extensions: list[str] | None = None


class Thinking(Body):
    enabled: bool | None = None


class ChatRequest(Body):
    model: str | None = None  # ZylonGPT only
    messages: list[MessageInput] = Field(default_factory=list)
    stream: bool | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    mcp_servers: list[dict[str, Any]] | None = None
    response_format: ResponseFormat | None = None
    system: System | None = None
    thinking: Thinking | None = None
    priority: float | None = None
    seed: int | None = None
    min_p: float | None = None
    top_p: float | None = None
    temperature: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    max_tokens: int | None = None
    correlation_id: str | None = None
    tool_context: list[dict[str, Any]] | None = None


# -- Workspace: project chat, interactions, threads -------------------------------------------


class ProjectChatDTO(Body):
    artifact_ids: list[str] | None = None
    all_artifacts: bool | None = None
    pgpt: ChatRequest


class CreateInteractionDTO(Body):
    thread_id: str | None = None
    all_artifacts: bool | None = None
    artifact_ids: list[str] | None = None
    # Optional in the schema; the emulator answers 400 naming it when it is missing.
    pgpt: ChatRequest | None = None
    agent: Literal["Default", "ProjectDeepResearch"] | None = None


ThreadVisibility = Literal["Public", "Private"]


class CreateThreadDTO(Body):
    name: str
    visibility: ThreadVisibility


class UpdateThreadDTO(Body):
    name: str | None = None
    visibility: ThreadVisibility | None = None


# -- Workspace: projects and artifacts ---------------------------------------------------------

ProjectVisibility = Literal["Public", "Private"]
MemberRole = Literal["Viewer", "Commenter", "Editor", "Admin", "Owner"]
ArtifactType = Literal[ARTIFACT_TYPES]  # type: ignore[valid-type]
ArtifactSource = Literal["User", "SharePoint", "Confluence", "Claromentis", "FileSystem", "Mock"]


class CreateProjectBody(Body):
    name: str
    goal: str | None = None
    # A number (epoch seconds) in CreateProjectDTO, a string in UpdateProjectDTO: both taken.
    deadline: Union[float, str, None] = None
    visibility: ProjectVisibility | None = None


class UpdateProjectBody(Body):
    name: str | None = None
    goal: str | None = None
    deadline: Union[float, str, None] = None
    default_member_role: MemberRole | None = None
    default_role_enabled: bool | None = None
    visibility: ProjectVisibility | None = None
    project_context: str | None = None
    answer_context: str | None = None
    is_pinned: bool | None = None  # in the docs' examples, not in the schema


class CreateArtifactBody(Body):
    type: ArtifactType
    source: ArtifactSource | None = None
    name: str
    parent_id: str | None = None
    integration_id: str | None = None
    external_url: str | None = None
    description: str | None = None
    raw_content: str | None = None
    keep_file_after_ingestion: bool | None = None
    props: dict[str, Any]
    private_props: dict[str, Any] | None = None
    ws_auto_select: bool | None = None


class UpdateArtifactBody(Body):
    name: str | None = None
    parent_id: str | None = None
    reset_parent_id: bool | None = None
    external_url: str | None = None
    props: dict[str, Any] | None = None
    private_props: dict[str, Any] | None = None
    description: str | None = None
    content: str | None = None
    plain_text_content: str | None = None
    ws_auto_select: bool | None = None


# -- ZylonGPT: embeddings, chunk search, ingestion ----------------------------------------------


class EmbeddingsBody(Body):
    input: Union[str, list[str]]


class ContextFilter(Body):
    collection: str | None = None
    artifacts: list[str] | None = None
    metadata_filter: list[dict[str, Any]] | None = None


class SemanticSearch(Body):
    type: Literal["semantic_search"] = "semantic_search"
    text: str
    context_filter: ContextFilter
    limit: int | None = None
    score_threshold: float | None = None
    expand: bool | None = None


class IngestInput(Body):  # TextArtifact, FileArtifact (base64) or UriArtifact
    type: Literal["text", "file", "uri"] = "text"
    value: str


class IngestBody(Body):
    artifact: str = Field(min_length=1, max_length=255)
    collection: str = Field(default="pgpt_collection", min_length=1, max_length=255)
    input: IngestInput
    metadata: dict[str, Any] | None = None


class DeleteIngestedBody(Body):
    artifact: str
    collection: str = "pgpt_collection"
