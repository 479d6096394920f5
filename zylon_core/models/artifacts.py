"""Workspace project artifacts (``/api/v1/app/project/{id}/artifact``) and search payloads.

The published schema marks most ``ArtifactDTO`` fields as required, but the documented
responses leave many of them out (a create of a ``Summary`` has no ``name``, a delete
answers ``{id, state}``), and the examples use types the enum lacks (``Analysis``). So
every field but ``id`` is optional and the enumerations are plain strings; unknown fields
are kept.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from .base import ZylonModel

# ``ArtifactIngestStatus``: where ingestion of an artifact's content stands.
INGEST_DONE = "Done"
INGEST_NOT_APPLICABLE = "NotApplicable"  # folders, links, databases...: nothing to ingest
INGEST_ERROR = "Error"
INGEST_PENDING = frozenset({"NotStarted", "Processing", "Parsing", "Storing"})

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
    "Analysis",  # in the docs' examples, not in the schema's enum
)


class Artifact(ZylonModel):
    """``ArtifactDTO``: one artifact of a project (a document, folder, link, ...)."""

    id: str
    project_id: Optional[str] = None
    project: Optional[dict[str, Any]] = None
    parent_id: Optional[str] = None
    child_count: Optional[int] = None
    name: Optional[str] = None
    description: Optional[str] = None
    type: Optional[str] = None
    source: Optional[str] = None
    state: Optional[str] = None
    error: Optional[Any] = None
    ingest_status: Optional[str] = None
    ingest_warnings: Optional[list[Any]] = None
    ingest_progress: Optional[float] = None
    has_content: Optional[bool] = None
    content: Optional[str] = None
    raw_content: Optional[str] = None
    integration_id: Optional[str] = None
    external_url: Optional[str] = None
    props: Optional[dict[str, Any]] = None
    file_uri: Optional[str] = None
    artifact_references: Optional[list["Artifact"]] = None
    keep_file_after_ingestion: Optional[bool] = None
    created_by: Optional[dict[str, Any]] = None
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    ws_auto_select: Optional[bool] = None

    @property
    def ingested(self) -> bool:
        """Ingestion has finished (``Done``), or there is nothing to ingest."""
        return self.ingest_status in (INGEST_DONE, INGEST_NOT_APPLICABLE)

    @property
    def ingest_failed(self) -> bool:
        return self.ingest_status == INGEST_ERROR or self.state == "Error"

    @property
    def ingest_pending(self) -> bool:
        return not self.ingested and not self.ingest_failed

    @property
    def file_name(self) -> Optional[str]:
        name = (self.props or {}).get("file_name")
        return str(name) if name else None


Artifact.model_rebuild()


class CreateArtifact(ZylonModel):
    """``CreateArtifactDTO``: the JSON body of ``POST /project/{id}/artifact``.

    ``props`` holds the type-specific configuration (``{}`` for a folder,
    ``{"original_artifact_id": ...}`` for a link, ``{"content": ...}`` for inline text).
    A file is uploaded as multipart instead (see ``Artifacts.upload``).
    """

    type: str
    name: Optional[str] = None
    source: Optional[str] = None
    parent_id: Optional[str] = None
    integration_id: Optional[str] = None
    external_url: Optional[str] = None
    description: Optional[str] = None
    raw_content: Optional[str] = None
    keep_file_after_ingestion: Optional[bool] = None
    props: dict[str, Any] = Field(default_factory=dict)
    private_props: Optional[dict[str, Any]] = None
    ws_auto_select: Optional[bool] = None

    def to_json_dict(self) -> dict[str, Any]:
        # ``props`` is required by the schema even when empty.
        return {"props": {}, **super().to_json_dict()}


class UpdateArtifact(ZylonModel):
    """``UpdateArtifactDTO``: the body of ``PUT /project/{id}/artifact/{artifactId}``."""

    name: Optional[str] = None
    parent_id: Optional[str] = None
    reset_parent_id: Optional[bool] = None
    external_url: Optional[str] = None
    props: Optional[dict[str, Any]] = None
    private_props: Optional[dict[str, Any]] = None
    description: Optional[str] = None
    content: Optional[str] = None
    plain_text_content: Optional[str] = None
    ws_auto_select: Optional[bool] = None


class ArtifactUpdateItem(ZylonModel):
    artifact_id: str = Field(alias="artifactId")
    update: UpdateArtifact


class BulkUpdateArtifacts(ZylonModel):
    """Several artifact updates at once (``{"artifacts": [{"artifactId", "update"}]}``)."""

    artifacts: list[ArtifactUpdateItem]


class BulkDeleteArtifacts(ZylonModel):
    artifact_ids: list[str]


class LinkedArtifactsCheck(ZylonModel):
    has_linked_artifacts: bool


class SearchResult(ZylonModel):
    """One hit of the Workspace search (``GET /api/v1/app/search``).

    ``type`` is ``Project``, ``Artifact``, ``Thread``, ``Interaction`` or
    ``ArtifactContent``; ``metadata`` depends on it (``name``, ``project_id``,
    ``project_name``, ...).
    """

    id: str
    type: Optional[str] = None
    match: Optional[str] = None
    rank: Optional[float] = None
    metadata: Optional[dict[str, Any]] = None
