"""The Workspace request bodies the emulator accepts: its own pydantic models of the
Workspace's published schema (``ProjectChatDTO``, ``CreateInteractionDTO``,
``CreateThreadDTO``, ``CreateProjectDTO``, ``CreateArtifactDTO``...), kept apart from the
client's models in ``zylon_core.models`` on purpose: the emulator is what the client is
checked against, so a mistake the two shared would never show.

These wrappers refuse unknown fields (a misspelt ``artifact_ids`` would otherwise be
silently dropped). The chat request they carry in ``pgpt`` is forwarded to ZylonGPT by
the real Workspace, so it is validated by ZylonGPT's own models (:mod:`.gpt_schemas`)
and its problems are answered in ZylonGPT's envelope.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

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
# ``ArtifactType``, plus "Analysis" and "Skill", which the docs use and the enum lacks.
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
    "Skill",
)


class Body(BaseModel):
    """A request body (or part of one): unknown fields are refused."""

    # populate_by_name: ``meta`` is accepted for ``_meta`` (pydantic cannot name a field
    # with a leading underscore, so the wire name is an alias).
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        """The body as sent: only the fields it set, by their wire names, JSON values."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


# -- Workspace: project chat, interactions, threads -------------------------------------------


class ProjectChatDTO(Body):
    artifact_ids: list[str] | None = None
    all_artifacts: bool | None = None
    # The chat request, forwarded to ZylonGPT: validated there (see :mod:`.gpt_schemas`).
    pgpt: dict[str, Any]


class CreateInteractionDTO(Body):
    thread_id: str | None = None
    all_artifacts: bool | None = None
    artifact_ids: list[str] | None = None
    # Optional in the schema; the emulator answers 400 naming it when it is missing.
    pgpt: dict[str, Any] | None = None
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
ArtifactType = Literal[  # ARTIFACT_TYPES
    "InlineText", "Document", "Folder", "Summary", "Composition", "SmartDoc", "Link",
    "BulkQA", "ReadAndExtract", "SqlDatabase", "McpServer", "Analysis", "Skill",
]
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
    # ``config`` / ``private_config``: the legacy aliases the docs say are still accepted.
    props: dict[str, Any] = Field(validation_alias=AliasChoices("props", "config"))
    private_props: dict[str, Any] | None = Field(default=None, validation_alias=AliasChoices("private_props", "private_config"))
    ws_auto_select: bool | None = None
    interaction_id: str | None = None


class UpdateArtifactBody(Body):
    name: str | None = None
    parent_id: str | None = None
    reset_parent_id: bool | None = None
    external_url: str | None = None
    props: dict[str, Any] | None = Field(default=None, validation_alias=AliasChoices("props", "config"))
    private_props: dict[str, Any] | None = Field(default=None, validation_alias=AliasChoices("private_props", "private_config"))
    description: str | None = None
    content: str | None = None  # base64
    plain_text_content: str | None = None
    ws_auto_select: bool | None = None


class BulkUpdateItem(Body):
    artifactId: str
    update: UpdateArtifactBody


class BulkUpdateBody(Body):
    """``PUT .../artifact/bulk`` (artifacts.mdx; not in the OpenAPI document)."""

    artifacts: list[BulkUpdateItem]


class BulkDeleteBody(Body):
    """``DELETE .../artifact/bulk`` (artifacts.mdx; not in the OpenAPI document)."""

    artifact_ids: list[str]
