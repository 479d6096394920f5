"""Workspace (and ZylonGPT) chat payloads: requests, messages, interactions, threads."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar, Union

from pydantic import Field

from .blocks import ContentBlock, ZylonModel

Role = Literal["system", "user", "assistant", "tool"]
AgentType = Literal["Default", "ProjectDeepResearch"]
InteractionState = Literal["Processing", "Completed", "Error"]
ThreadVisibility = Literal["Public", "Private"]

BUILTIN_TOOL_TYPES = (
    "semantic_search_v1",
    "file_semantic_search_v1",
    "tabular_analysis_v1",
    "database_query_v1",
    "web_search_v1",
    "web_extract_v1",
    "list_project_files_v1",
)


class MessageInput(ZylonModel):
    """One message of a request or of a stored history. Any block type parses (history
    read back from a server can hold anything); what a server accepts as input is
    checked before sending, by :func:`zylon_core.models.check_input_blocks`."""

    role: Role
    # ZylonGPT accepts a bare string; the Workspace always sends a block list.
    content: Union[str, list[ContentBlock]]
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")


class ToolInputSchema(ZylonModel):
    type: str | None = None
    properties: dict[str, Any] | None = None
    required: list[str] | None = None


class Tool(ZylonModel):
    """A custom tool ``{name, description, inputSchema}`` or a built-in ``{name, type,
    context?}`` (``context``: the tool's own ``tool_context`` items)."""

    name: str
    type: str | None = None
    description: str | None = None
    inputSchema: ToolInputSchema | None = None
    context: list[dict[str, Any]] | None = None


class ToolChoice(ZylonModel):
    type: Literal["auto", "any", "none", "tool"] = "auto"
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class ResponseFormat(ZylonModel):
    type: Literal["text", "json_schema"]
    json_schema: dict[str, Any] | None = None


class Citations(ZylonModel):
    enabled: bool | None = None
    known_citations: list[dict[str, Any]] | None = None


class System(ZylonModel):
    use_default_prompt: bool | None = None
    text: str | None = None
    citations: Citations | None = None
    extensions: list[str] | None = None


class Thinking(ZylonModel):
    """``{"enabled": true}``: the form both APIs honour (Anthropic's ``{"type": "enabled"}``
    is accepted by ZylonGPT and ignored)."""

    enabled: bool | None = None


class OutputConfig(ZylonModel):
    """ZylonGPT only: ``{"effort": "low" | "medium" | "high" | "max" | "xhigh"}`` (enables
    thinking server side, for a model whose card lists the level)."""

    effort: str | None = None


class ChatRequest(ZylonModel):
    """``ai.zylon.koala.privategpt.ChatRequest`` (also ZylonGPT's ``ChatBody``; the fields
    marked ZylonGPT only are never set for a Workspace route)."""

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
    stop_sequences: list[str] | None = None  # ZylonGPT only
    output_config: OutputConfig | None = None  # ZylonGPT only


class ProjectChatDTO(ZylonModel):
    artifact_ids: list[str] | None = None
    all_artifacts: bool | None = None
    pgpt: ChatRequest


class CreateInteractionDTO(ZylonModel):
    thread_id: str | None = None
    all_artifacts: bool | None = None
    artifact_ids: list[str] | None = None
    pgpt: ChatRequest | None = None
    agent: AgentType | None = None


class Usage(ZylonModel):
    input_tokens: int | None = None
    output_tokens: int | None = None


class ErrorDetail(ZylonModel):
    type: str | None = None
    message: str | None = None


class MessageOutput(ZylonModel):
    """An assistant message. One-shot chat sends only ``{id, role, content}``;
    ZylonGPT adds ``type``, ``model``, ``stop_reason``, ``stop_sequence``, ``usage``."""

    id: str | None = None
    type: str | None = None
    role: str | None = None
    created: float | None = None
    model: str | None = None
    # Two vocabularies meet here: end_turn/max_tokens/... and stop/error/cancelled.
    stop_reason: str | None = None
    stop_sequence: str | None = None
    content: list[ContentBlock] = Field(default_factory=list)
    usage: Usage | None = None
    errors: list[ErrorDetail] | None = None


class Interaction(ZylonModel):
    """``InteractionDTO``. The docs' own examples omit fields the schema calls required
    (``user_input``, ``project_id``, ``created_at``), so only ``id`` and ``state`` are."""

    id: str
    state: InteractionState
    project_id: str | None = None
    thread_id: str | None = None
    user_input: MessageInput | None = None
    assistant_output: MessageOutput | None = None
    artifact_ids: list[str] | None = None
    all_artifacts: bool | None = None
    created_at: str | float | None = None  # a number before Zylon 1.50 (history/)
    created_by: dict[str, Any] | None = None
    pgpt: ChatRequest | None = None


class CreateThreadDTO(ZylonModel):
    name: str
    visibility: ThreadVisibility


class UpdateThreadDTO(ZylonModel):
    name: str | None = None
    visibility: ThreadVisibility | None = None


class Thread(ZylonModel):
    id: str
    name: str | None = None
    visibility: str | None = None
    state: str | None = None
    project_id: str | None = None
    created_at: str | float | None = None  # a number before Zylon 1.50


class ChatValidationResult(ZylonModel):
    valid: bool = False
    errors: list[Any] | None = None


T = TypeVar("T")


class Page(ZylonModel, Generic[T]):
    """The list envelope every paginated endpoint returns."""

    data: list[T] = Field(default_factory=list)
    has_next_page: bool = False
    has_previous_page: bool = False
    total_count: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None
