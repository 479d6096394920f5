"""The clients' resources, in sync and async pairs (as Anthropic's SDK lays them out).

Each method builds its call with :class:`~._api.Endpoints` (or a plan of
:mod:`._operations`) and sends it; nothing else. Sync methods return the value; the
async twins are coroutines and async iterators, and say so in their signatures.
"""

from __future__ import annotations

import builtins
from typing import Any, AsyncIterator, Iterator, Mapping, Sequence, TypeVar, overload

from . import _operations as ops
from ._api import DEFAULT_PAGE_SIZE, Endpoints, FileInput, PageQuery
from ._operations import IngestWait
from ._plans import Plan, adrive, arun, drive, run
from ._transport import AsyncTransport, Call, SyncTransport
from .models import (
    Artifact,
    ChatRequest,
    ChatValidationResult,
    ChunkSearchResponse,
    CreateArtifact,
    CreateInteractionDTO,
    EmbeddingsResponse,
    Interaction,
    MessageOutput,
    Page,
    ProjectChatDTO,
    SearchResult,
    Thread,
    UpdateArtifact,
)
from .models.chat import ThreadVisibility

T = TypeVar("T")


class SyncResource:
    def __init__(self, api: Endpoints, transport: SyncTransport) -> None:
        self._api = api
        self._transport = transport

    def _send(self, call: Call[T]) -> T:
        return self._transport.execute(call)

    def _run(self, plan: Plan[T]) -> T:
        return run(self._transport, plan)

    def _iterate(self, plan: Plan[Any]) -> Iterator[Any]:
        return drive(self._transport, plan)


class AsyncResource:
    def __init__(self, api: Endpoints, transport: AsyncTransport) -> None:
        self._api = api
        self._transport = transport

    async def _send(self, call: Call[T]) -> T:
        return await self._transport.execute(call)

    async def _run(self, plan: Plan[T]) -> T:
        return await arun(self._transport, plan)

    def _iterate(self, plan: Plan[Any]) -> AsyncIterator[Any]:
        return adrive(self._transport, plan)


# -- chat ----------------------------------------------------------------------------------


class Chat(SyncResource):
    """One-shot chat (``POST /chat``), project chat and request validation."""

    def create(self, request: ChatRequest) -> MessageOutput:
        return self._send(self._api.chat(request))

    def stream(self, request: ChatRequest) -> Iterator[dict[str, Any]]:
        """Events of a streamed one-shot chat (``stream: true`` is set for you)."""
        return self._transport.stream(self._api.chat(request.model_copy(update={"stream": True})))

    def create_in_project(self, project_id: str, dto: ProjectChatDTO) -> MessageOutput:
        return self._send(self._api.project_chat(project_id, dto))

    def validate(self, request: ChatRequest) -> ChatValidationResult:
        return self._send(self._api.chat_validate(request))


class AsyncChat(AsyncResource):
    """Async :class:`Chat`."""

    async def create(self, request: ChatRequest) -> MessageOutput:
        return await self._send(self._api.chat(request))

    def stream(self, request: ChatRequest) -> AsyncIterator[dict[str, Any]]:
        return self._transport.stream(self._api.chat(request.model_copy(update={"stream": True})))

    async def create_in_project(self, project_id: str, dto: ProjectChatDTO) -> MessageOutput:
        return await self._send(self._api.project_chat(project_id, dto))

    async def validate(self, request: ChatRequest) -> ChatValidationResult:
        return await self._send(self._api.chat_validate(request))


# -- threads -------------------------------------------------------------------------------


class Threads(SyncResource):
    """A project's threads (conversations kept on the server)."""

    def create(self, project_id: str, name: str, visibility: ThreadVisibility = "Private") -> Thread:
        return self._send(self._api.thread_create(project_id, name, visibility))

    def get(self, thread_id: str) -> Thread:
        return self._send(self._api.thread_get(thread_id))

    def update(self, thread_id: str, *, name: str | None = None, visibility: ThreadVisibility | None = None) -> Thread:
        return self._send(self._api.thread_update(thread_id, name=name, visibility=visibility))

    def delete(self, thread_id: str) -> None:
        return self._send(self._api.thread_delete(thread_id))

    def list(self, project_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Thread]:
        return self._send(self._api.thread_page(project_id, PageQuery(page, page_size)))

    def iter_all(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Thread]:
        """Every thread of the project, page after page."""
        return self._iterate(ops.paged(lambda q: self._api.thread_page(project_id, q), page_size=page_size, emit=True))


class AsyncThreads(AsyncResource):
    """Async :class:`Threads`."""

    async def create(self, project_id: str, name: str, visibility: ThreadVisibility = "Private") -> Thread:
        return await self._send(self._api.thread_create(project_id, name, visibility))

    async def get(self, thread_id: str) -> Thread:
        return await self._send(self._api.thread_get(thread_id))

    async def update(self, thread_id: str, *, name: str | None = None, visibility: ThreadVisibility | None = None) -> Thread:
        return await self._send(self._api.thread_update(thread_id, name=name, visibility=visibility))

    async def delete(self, thread_id: str) -> None:
        return await self._send(self._api.thread_delete(thread_id))

    async def list(self, project_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Thread]:
        return await self._send(self._api.thread_page(project_id, PageQuery(page, page_size)))

    def iter_all(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Thread]:
        return self._iterate(ops.paged(lambda q: self._api.thread_page(project_id, q), page_size=page_size, emit=True))


class Interactions(SyncResource):
    """The turns of a thread."""

    def create(self, thread_id: str, dto: CreateInteractionDTO) -> Interaction:
        return self._send(self._api.interaction_create(thread_id, dto))

    def get(self, interaction_id: str) -> Interaction:
        return self._send(self._api.interaction_get(interaction_id))

    def delete(self, interaction_id: str) -> None:
        return self._send(self._api.interaction_delete(interaction_id))

    def cancel(self, interaction_id: str) -> bool:
        """Cancel a running interaction; False if it had already finished (409)."""
        return self._send(self._api.interaction_cancel(interaction_id))

    def stream(self, interaction_id: str) -> Iterator[dict[str, Any]]:
        """The interaction's answer as decoded SSE events."""
        return self._transport.stream(self._api.interaction_stream(interaction_id))

    def list(self, thread_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Interaction]:
        return self._send(self._api.interaction_page(thread_id, PageQuery(page, page_size)))

    def iter_all(self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Interaction]:
        """Every interaction of the thread, oldest first, page after page."""
        return self._iterate(ops.paged(lambda q: self._api.interaction_page(thread_id, q), page_size=page_size, emit=True))


class AsyncInteractions(AsyncResource):
    """Async :class:`Interactions`."""

    async def create(self, thread_id: str, dto: CreateInteractionDTO) -> Interaction:
        return await self._send(self._api.interaction_create(thread_id, dto))

    async def get(self, interaction_id: str) -> Interaction:
        return await self._send(self._api.interaction_get(interaction_id))

    async def delete(self, interaction_id: str) -> None:
        return await self._send(self._api.interaction_delete(interaction_id))

    async def cancel(self, interaction_id: str) -> bool:
        return await self._send(self._api.interaction_cancel(interaction_id))

    def stream(self, interaction_id: str) -> AsyncIterator[dict[str, Any]]:
        return self._transport.stream(self._api.interaction_stream(interaction_id))

    async def list(self, thread_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Interaction]:
        return await self._send(self._api.interaction_page(thread_id, PageQuery(page, page_size)))

    def iter_all(self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Interaction]:
        return self._iterate(ops.paged(lambda q: self._api.interaction_page(thread_id, q), page_size=page_size, emit=True))


# -- projects and search -------------------------------------------------------------------


class Projects(SyncResource):
    def create(self, name: str, **fields: Any) -> dict[str, Any]:
        return self._send(self._api.project_create(name, **fields))

    def get(self, project_id: str) -> dict[str, Any]:
        return self._send(self._api.project_get(project_id))

    def delete(self, project_id: str) -> None:
        return self._send(self._api.project_delete(project_id))


class AsyncProjects(AsyncResource):
    async def create(self, name: str, **fields: Any) -> dict[str, Any]:
        return await self._send(self._api.project_create(name, **fields))

    async def get(self, project_id: str) -> dict[str, Any]:
        return await self._send(self._api.project_get(project_id))

    async def delete(self, project_id: str) -> None:
        return await self._send(self._api.project_delete(project_id))


class WorkspaceSearch(SyncResource):
    """Workspace ``GET /api/v1/app/search``."""

    def query(self, text: str, *, types: Sequence[str] | str | None = None, limit: int | None = None) -> builtins.list[SearchResult]:
        """Projects, artifacts, artifact content, threads and interactions matching
        ``text``, best first; ``types`` narrows them (any of ``Project``, ``Artifact``,
        ``ArtifactContent``, ``Thread``, ``Interaction``)."""
        return self._send(self._api.search(text, types=types, limit=limit))


class AsyncWorkspaceSearch(AsyncResource):
    async def query(self, text: str, *, types: Sequence[str] | str | None = None, limit: int | None = None) -> builtins.list[SearchResult]:
        return await self._send(self._api.search(text, types=types, limit=limit))


# -- ZylonGPT: embeddings and chunk search -------------------------------------------------


class Embeddings(SyncResource):
    """ZylonGPT ``POST /api/gpt/v1/embeddings``."""

    def create(self, input: str | list[str]) -> EmbeddingsResponse:
        """One request, as the API takes it (a string or a list of strings)."""
        return self._send(self._api.embeddings(input))

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> builtins.list[list[float]]:
        """One vector per text, in the order given; ``batch_size`` texts per request."""
        return self._run(ops.embed(self._api, texts, batch_size))

    def embed_one(self, text: str) -> builtins.list[float]:
        """The vector of one text."""
        return self._run(ops.embed_one(self._api, text))


class AsyncEmbeddings(AsyncResource):
    async def create(self, input: str | list[str]) -> EmbeddingsResponse:
        return await self._send(self._api.embeddings(input))

    async def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> builtins.list[list[float]]:
        return await self._run(ops.embed(self._api, texts, batch_size))

    async def embed_one(self, text: str) -> builtins.list[float]:
        return await self._run(ops.embed_one(self._api, text))


class ChunkSearch(SyncResource):
    """ZylonGPT ``POST /api/gpt/v1/primitives/search`` (``semantic_search``)."""

    def search(
        self,
        text: str,
        *,
        collection: str | None = None,
        artifacts: builtins.list[str] | None = None,
        metadata_filter: builtins.list[dict[str, Any]] | None = None,
        limit: int | None = None,
        score_threshold: float | None = None,
        expand: bool | None = None,
    ) -> ChunkSearchResponse:
        """The chunks most similar to ``text``, best first. ``collection`` (the server's
        default collection when omitted), ``artifacts`` (ids) and ``metadata_filter``
        narrow the context; ``limit`` caps the number of chunks; ``score_threshold``
        (0..1) drops weaker ones; ``expand`` adds each chunk's neighbours
        (``previous_texts`` / ``next_texts``)."""
        return self._send(
            self._api.chunk_search(
                text,
                collection=collection,
                artifacts=artifacts,
                metadata_filter=metadata_filter,
                limit=limit,
                score_threshold=score_threshold,
                expand=expand,
            )
        )


class AsyncChunkSearch(AsyncResource):
    async def search(
        self,
        text: str,
        *,
        collection: str | None = None,
        artifacts: builtins.list[str] | None = None,
        metadata_filter: builtins.list[dict[str, Any]] | None = None,
        limit: int | None = None,
        score_threshold: float | None = None,
        expand: bool | None = None,
    ) -> ChunkSearchResponse:
        return await self._send(
            self._api.chunk_search(
                text,
                collection=collection,
                artifacts=artifacts,
                metadata_filter=metadata_filter,
                limit=limit,
                score_threshold=score_threshold,
                expand=expand,
            )
        )


# -- artifacts -----------------------------------------------------------------------------


class Artifacts(SyncResource):
    """Workspace project artifacts: ``/api/v1/app/project/{project_id}/artifact``.

    Documents are uploaded as files (multipart, the file in ``fileData``) or created
    from text; the server then ingests them (``ingest_status`` goes ``Processing`` ...
    ``Done``), after which their chunks are searchable and can be cited in chat.
    """

    def create(self, project_id: str, artifact: CreateArtifact | Mapping[str, Any]) -> Artifact:
        """Any kind of artifact from a JSON ``CreateArtifactDTO`` (folder, link, ...)."""
        return self._send(self._api.artifact_create(project_id, artifact))

    def upload(self, project_id: str, file: FileInput, **options: Any) -> Artifact:
        """Upload a file as a ``Document`` (``file``: a path, bytes or an open binary
        file; options: ``name``, ``file_name``, ``content_type``, ``description``,
        ``parent_id``, ``props``, ``keep_file_after_ingestion``). Ingestion starts on
        the server: see :meth:`wait_until_ingested`."""
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

    def delete(self, project_id: str, artifact_id: str) -> Artifact:
        """Delete an artifact (its chunks leave the search index)."""
        return self._send(self._api.artifact_delete(project_id, artifact_id))

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

    async def delete(self, project_id: str, artifact_id: str) -> Artifact:
        return await self._send(self._api.artifact_delete(project_id, artifact_id))

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
