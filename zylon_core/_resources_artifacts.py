"""The artifact resources of the clients (``client.artifacts``), sync and async:
``/api/v1/app/project/{project_id}/artifact`` (see :mod:`._api_artifacts`)."""

from __future__ import annotations

import builtins
from typing import Any, AsyncIterator, Iterator, Mapping, Sequence, overload

from . import _operations as ops
from ._api import DEFAULT_PAGE_SIZE, FileInput, PageQuery
from ._operations import IngestWait
from ._resources import AsyncResource, SyncResource
from .errors import APIError
from .models import Artifact, CreateArtifact, LinkedArtifactsCheck, Page, UpdateArtifact


class ArtifactSyncError(APIError):
    """An artifact sync reported ``sync_error`` (``event`` holds what it said)."""

    def __init__(self, message: str, *, event: Any = None) -> None:
        super().__init__(message)
        self.event = event


def _sync_event(artifact_id: str, event: dict[str, Any]) -> dict[str, Any]:
    if event.get("type") == "sync_error":
        raise ArtifactSyncError(f"sync of artifact {artifact_id} failed: {event.get('message') or 'no details'}", event=event)
    return event


class Artifacts(SyncResource):
    """Workspace project artifacts: ``/api/v1/app/project/{project_id}/artifact``.

    Documents are uploaded as files (multipart, the file in ``fileData``, its name, type
    and byte count in ``props``) or created from text; the server then ingests them
    (``ingest_status`` goes ``Processing`` ... ``Done``), after which their chunks are
    searchable and can be cited in chat.
    """

    def create(self, project_id: str, artifact: CreateArtifact | Mapping[str, Any]) -> Artifact:
        """Any kind of artifact from a JSON ``CreateArtifactDTO`` (folder, link, ...);
        ``type`` and ``name`` are required."""
        return self._send(self._api.artifact_create(project_id, artifact))

    def upload(self, project_id: str, file: FileInput, **options: Any) -> Artifact:
        """Upload a file as a ``Document`` (``file``: a path, bytes or an open binary
        file, up to 250 MB; options: ``name``, ``file_name``, ``content_type``,
        ``description``, ``parent_id``, ``props`` (extra keys such as ``metadata``),
        ``keep_file_after_ingestion``). Ingestion starts on the server: see
        :meth:`wait_until_ingested`."""
        return self._send(self._api.artifact_upload(project_id, file, **options))

    def create_document(self, project_id: str, name: str, text: str, **options: Any) -> Artifact:
        """A ``Document`` holding ``text`` (a UTF-8 text file); :meth:`upload`'s options."""
        return self._send(self._api.artifact_document(project_id, name, text, **options))

    def get(self, project_id: str, artifact_id: str, *, include_content: bool = False) -> Artifact:
        return self._send(self._api.artifact_get(project_id, artifact_id, include_content=include_content))

    def list(self, project_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> Page[Artifact]:
        """One page of the project's artifacts; ``filters`` are the endpoint's query
        parameters (``state``, ``ingest_status``, ``type``, ``parent_id``, ...)."""
        return self._send(self._api.artifact_page(project_id, PageQuery(page, page_size), filters))

    def iter_all(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> Iterator[Artifact]:
        """Every artifact of every page; same filters as :meth:`list`."""
        return self._iterate(
            ops.paged(lambda q: self._api.artifact_page(project_id, q, filters), page_size=page_size, emit=True)
        )

    def update(self, project_id: str, artifact_id: str, update: UpdateArtifact | Mapping[str, Any] | None = None, **fields: Any) -> Artifact:
        """Change an artifact's name, description, parent, props or (text) content."""
        return self._send(self._api.artifact_update(project_id, artifact_id, update, **fields))

    def bulk_update(self, project_id: str, updates: Mapping[str, UpdateArtifact | Mapping[str, Any]]) -> builtins.list[Artifact]:
        """Update several artifacts in one request (``PUT .../artifact/bulk``):
        ``updates`` maps artifact ids to :meth:`update` bodies."""
        return self._send(self._api.artifact_bulk_update(project_id, updates))

    def delete(self, project_id: str, artifact_id: str) -> Artifact:
        """Delete an artifact (its chunks leave the search index)."""
        return self._send(self._api.artifact_delete(project_id, artifact_id))

    def bulk_delete(self, project_id: str, artifact_ids: Sequence[str]) -> builtins.list[Artifact]:
        """Delete several artifacts in one request (``DELETE .../artifact/bulk``)."""
        return self._send(self._api.artifact_bulk_delete(project_id, artifact_ids))

    def private(self, project_id: str, artifact_id: str) -> dict[str, Any]:
        """The private props of an MCP server or SQL database artifact (its creator only)."""
        return self._send(self._api.artifact_private(project_id, artifact_id))

    def download(self, project_id: str, artifact_id: str) -> bytes:
        """The artifact's raw content (``GET .../download``; when the server answers a
        short-lived URL instead, its content, fetched without the token)."""
        return self._run(ops.download(self._api, project_id, artifact_id))

    def sync(self, project_id: str, artifact_id: str) -> Iterator[dict[str, Any]]:
        """Re-sync an integration artifact: its SSE events (``sync_started``,
        ``sync_progress``, ``sync_completed``; ``sync_error`` raises :class:`ArtifactSyncError`)."""
        events = self._transport.stream(self._api.artifact_sync(project_id, artifact_id))
        try:
            for event in events:
                yield _sync_event(artifact_id, event)
        finally:
            events.close()

    def is_safe_to_modify(
        self, *, project_id: str | None = None, artifact_id: str | None = None, created_by: str | None = None
    ) -> LinkedArtifactsCheck:
        """Whether linked artifacts depend on it (``GET /resource/is-safe-to-modify``)."""
        return self._send(self._api.is_safe_to_modify(project_id=project_id, artifact_id=artifact_id, created_by=created_by))

    def parsed_content(self, project_id: str, artifact_id: str) -> str:
        """The artifact's text as the models see it (usually markdown)."""
        return self._send(self._api.artifact_parsed_content(project_id, artifact_id))

    def ingest_status(self, project_id: str, artifact_id: str) -> str | None:
        """``NotStarted``, ``Processing``, ``Parsing``, ``Storing``, ``Done``, ``Error``
        or ``NotApplicable``."""
        return self.get(project_id, artifact_id).ingest_status

    @overload
    def wait_until_ingested(  # type: ignore[overload-overlap]  # a str is a Sequence too: this one wins
        self, project_id: str, artifact_ids: str | Artifact, **wait: float
    ) -> Artifact: ...
    @overload
    def wait_until_ingested(self, project_id: str, artifact_ids: Sequence[str | Artifact], **wait: float) -> builtins.list[Artifact]: ...
    def wait_until_ingested(self, project_id: str, artifact_ids: Any, **wait: float) -> Any:
        """Poll until the artifact (or every artifact of a list) is ingested (``Done``
        or ``NotApplicable``); the final artifact, or the list in order. ``timeout``
        (default 600) and ``poll_interval`` (default 1, backing off to 10) in seconds.
        Raises ``IngestionError`` as soon as one fails, ``IngestionTimeoutError`` on timeout."""
        done = self._run(ops.wait_until_ingested(self._api, project_id, _ids(artifact_ids), IngestWait(**wait)))  # type: ignore[arg-type]
        return done[0] if isinstance(artifact_ids, (str, Artifact)) else done

    def add_texts(self, project_id: str, texts: Sequence[str], *, names: Sequence[str] | None = None, **wait: Any) -> builtins.list[Artifact]:
        """One ``Document`` per text, in order, by default waiting until all are
        ingested (``wait``, ``timeout``, ``poll_interval``)."""
        calls = ops.text_calls(self._api, project_id, texts, names)
        return self._run(ops.add_artifacts(self._api, project_id, calls, IngestWait(**wait)))

    def add_files(self, project_id: str, files: Sequence[FileInput], **wait: Any) -> builtins.list[Artifact]:
        """Upload each file as a ``Document``, in order, by default waiting until all are ingested."""
        calls = ops.file_calls(self._api, project_id, files)
        return self._run(ops.add_artifacts(self._api, project_id, calls, IngestWait(**wait)))

    def documents(self, project_id: str) -> Iterator[ops.ProjectDocument]:
        """Every ingested text artifact of the project with its parsed content."""
        return self._iterate(ops.project_documents(self._api, project_id))


class AsyncArtifacts(AsyncResource):
    """Async :class:`Artifacts`."""

    async def create(self, project_id: str, artifact: CreateArtifact | Mapping[str, Any]) -> Artifact:
        return await self._send(self._api.artifact_create(project_id, artifact))

    async def upload(self, project_id: str, file: FileInput, **options: Any) -> Artifact:
        return await self._send(self._api.artifact_upload(project_id, file, **options))

    async def create_document(self, project_id: str, name: str, text: str, **options: Any) -> Artifact:
        return await self._send(self._api.artifact_document(project_id, name, text, **options))

    async def get(self, project_id: str, artifact_id: str, *, include_content: bool = False) -> Artifact:
        return await self._send(self._api.artifact_get(project_id, artifact_id, include_content=include_content))

    async def list(self, project_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> Page[Artifact]:
        return await self._send(self._api.artifact_page(project_id, PageQuery(page, page_size), filters))

    def iter_all(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> AsyncIterator[Artifact]:
        return self._iterate(
            ops.paged(lambda q: self._api.artifact_page(project_id, q, filters), page_size=page_size, emit=True)
        )

    async def update(self, project_id: str, artifact_id: str, update: UpdateArtifact | Mapping[str, Any] | None = None, **fields: Any) -> Artifact:
        return await self._send(self._api.artifact_update(project_id, artifact_id, update, **fields))

    async def bulk_update(self, project_id: str, updates: Mapping[str, UpdateArtifact | Mapping[str, Any]]) -> builtins.list[Artifact]:
        return await self._send(self._api.artifact_bulk_update(project_id, updates))

    async def delete(self, project_id: str, artifact_id: str) -> Artifact:
        return await self._send(self._api.artifact_delete(project_id, artifact_id))

    async def bulk_delete(self, project_id: str, artifact_ids: Sequence[str]) -> builtins.list[Artifact]:
        return await self._send(self._api.artifact_bulk_delete(project_id, artifact_ids))

    async def private(self, project_id: str, artifact_id: str) -> dict[str, Any]:
        return await self._send(self._api.artifact_private(project_id, artifact_id))

    async def download(self, project_id: str, artifact_id: str) -> bytes:
        return await self._run(ops.download(self._api, project_id, artifact_id))

    async def sync(self, project_id: str, artifact_id: str) -> AsyncIterator[dict[str, Any]]:
        events = self._transport.stream(self._api.artifact_sync(project_id, artifact_id))
        try:
            async for event in events:
                yield _sync_event(artifact_id, event)
        finally:
            await events.aclose()

    async def is_safe_to_modify(
        self, *, project_id: str | None = None, artifact_id: str | None = None, created_by: str | None = None
    ) -> LinkedArtifactsCheck:
        return await self._send(self._api.is_safe_to_modify(project_id=project_id, artifact_id=artifact_id, created_by=created_by))

    async def parsed_content(self, project_id: str, artifact_id: str) -> str:
        return await self._send(self._api.artifact_parsed_content(project_id, artifact_id))

    async def ingest_status(self, project_id: str, artifact_id: str) -> str | None:
        return (await self.get(project_id, artifact_id)).ingest_status

    @overload
    async def wait_until_ingested(  # type: ignore[overload-overlap]  # a str is a Sequence too: this one wins
        self, project_id: str, artifact_ids: str | Artifact, **wait: float
    ) -> Artifact: ...
    @overload
    async def wait_until_ingested(self, project_id: str, artifact_ids: Sequence[str | Artifact], **wait: float) -> builtins.list[Artifact]: ...
    async def wait_until_ingested(self, project_id: str, artifact_ids: Any, **wait: float) -> Any:
        done = await self._run(ops.wait_until_ingested(self._api, project_id, _ids(artifact_ids), IngestWait(**wait)))  # type: ignore[arg-type]
        return done[0] if isinstance(artifact_ids, (str, Artifact)) else done

    async def add_texts(self, project_id: str, texts: Sequence[str], *, names: Sequence[str] | None = None, **wait: Any) -> builtins.list[Artifact]:
        calls = ops.text_calls(self._api, project_id, texts, names)
        return await self._run(ops.add_artifacts(self._api, project_id, calls, IngestWait(**wait)))

    async def add_files(self, project_id: str, files: Sequence[FileInput], **wait: Any) -> builtins.list[Artifact]:
        calls = ops.file_calls(self._api, project_id, files)
        return await self._run(ops.add_artifacts(self._api, project_id, calls, IngestWait(**wait)))

    def documents(self, project_id: str) -> AsyncIterator[ops.ProjectDocument]:
        return self._iterate(ops.project_documents(self._api, project_id))


def _ids(artifacts: Sequence[str | Artifact] | str | Artifact) -> builtins.list[str]:
    if isinstance(artifacts, (str, Artifact)):
        artifacts = [artifacts]
    return [a.id if isinstance(a, Artifact) else a for a in artifacts]
