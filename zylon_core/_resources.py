"""The clients' resources, in sync and async pairs (as Anthropic's SDK lays them out);
the artifacts' are in :mod:`._resources_artifacts`.

Each method builds its call with :class:`~._api.Endpoints` (or a plan of
:mod:`._operations`) and sends it; nothing else. Sync methods return the value; the
async twins are coroutines and async iterators, and say so in their signatures.
"""

from __future__ import annotations

import builtins
from typing import Any, AsyncIterator, Callable, Iterator, Literal, Sequence, TypeVar

from . import _operations as ops
from ._api import DEFAULT_PAGE_SIZE, Endpoints, PageQuery
from ._call import Call
from ._plans import Plan, adrive, arun, drive, run
from ._readers import ProjectChatAnswer
from ._transport import AsyncTransport, SyncTransport
from .models import (
    ChatRequest,
    ChatValidationResult,
    ChunkSearchResponse,
    CreateInteractionDTO,
    EmbeddingsResponse,
    Interaction,
    MessageOutput,
    Page,
    ProjectChatDTO,
    SearchResult,
    Thread,
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

    def create_in_project(self, project_id: str, dto: ProjectChatDTO) -> ProjectChatAnswer:
        """``POST /project/{id}/chat`` as the server answered it: a ``MessageOutput``, an
        ``Interaction`` (the documented shape) or a stream's events. ``run_turn`` with
        ``Route.create(project_id=...)`` follows an interaction to its answer."""
        return self._send(self._api.project_chat(project_id, dto))

    def validate(self, request: ChatRequest) -> ChatValidationResult:
        """``POST /chat/validate``: ``valid`` and the server's ``errors`` (a 400 is an
        invalid result, not an exception; auth, transport and 5xx errors raise)."""
        return self._send(self._api.chat_validate(request))


class AsyncChat(AsyncResource):
    """Async :class:`Chat`."""

    async def create(self, request: ChatRequest) -> MessageOutput:
        return await self._send(self._api.chat(request))

    def stream(self, request: ChatRequest) -> AsyncIterator[dict[str, Any]]:
        return self._transport.stream(self._api.chat(request.model_copy(update={"stream": True})))

    async def create_in_project(self, project_id: str, dto: ProjectChatDTO) -> ProjectChatAnswer:
        return await self._send(self._api.project_chat(project_id, dto))

    async def validate(self, request: ChatRequest) -> ChatValidationResult:
        return await self._send(self._api.chat_validate(request))


# -- threads -------------------------------------------------------------------------------
#
# Every thread and interaction method takes the thread's ``project_id`` (optional): the
# path layout of servers before Zylon 1.50 needs it (see ``ZylonSettings.paths``).


class Threads(SyncResource):
    """A project's threads (conversations kept on the server)."""

    def create(self, project_id: str, name: str, visibility: ThreadVisibility = "Private") -> Thread:
        return self._send(self._api.thread_create(project_id, name, visibility))

    def get(self, thread_id: str, *, project_id: str | None = None) -> Thread:
        return self._run(ops.on_thread_route(self._api, project_id, lambda old: self._api.thread_get(thread_id, project_id, legacy=old)))

    def update(
        self, thread_id: str, *, name: str | None = None, visibility: ThreadVisibility | None = None, project_id: str | None = None
    ) -> Thread:
        return self._run(
            ops.on_thread_route(
                self._api,
                project_id,
                lambda old: self._api.thread_update(thread_id, name=name, visibility=visibility, project_id=project_id, legacy=old),
            )
        )

    def delete(self, thread_id: str, *, project_id: str | None = None) -> None:
        return self._run(ops.on_thread_route(self._api, project_id, lambda old: self._api.thread_delete(thread_id, project_id, legacy=old)))

    def list(self, project_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, after: str | None = None) -> Page[Thread]:
        return self._send(self._api.thread_page(project_id, PageQuery(page, page_size, after)))

    def iter_all(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Thread]:
        """Every thread of the project, page after page."""
        return self._iterate(ops.paged(lambda q: self._api.thread_page(project_id, q), page_size=page_size, emit=True))


class AsyncThreads(AsyncResource):
    """Async :class:`Threads`."""

    async def create(self, project_id: str, name: str, visibility: ThreadVisibility = "Private") -> Thread:
        return await self._send(self._api.thread_create(project_id, name, visibility))

    async def get(self, thread_id: str, *, project_id: str | None = None) -> Thread:
        return await self._run(
            ops.on_thread_route(self._api, project_id, lambda old: self._api.thread_get(thread_id, project_id, legacy=old))
        )

    async def update(
        self, thread_id: str, *, name: str | None = None, visibility: ThreadVisibility | None = None, project_id: str | None = None
    ) -> Thread:
        return await self._run(
            ops.on_thread_route(
                self._api,
                project_id,
                lambda old: self._api.thread_update(thread_id, name=name, visibility=visibility, project_id=project_id, legacy=old),
            )
        )

    async def delete(self, thread_id: str, *, project_id: str | None = None) -> None:
        return await self._run(
            ops.on_thread_route(self._api, project_id, lambda old: self._api.thread_delete(thread_id, project_id, legacy=old))
        )

    async def list(
        self, project_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Page[Thread]:
        return await self._send(self._api.thread_page(project_id, PageQuery(page, page_size, after)))

    def iter_all(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Thread]:
        return self._iterate(ops.paged(lambda q: self._api.thread_page(project_id, q), page_size=page_size, emit=True))


def _interaction_pages(api: Endpoints, thread_id: str, project_id: str | None) -> Callable[[PageQuery], Plan[Page[Interaction]]]:
    return lambda q: ops.on_thread_route(api, project_id, lambda old: api.interaction_page(thread_id, q, project_id, legacy=old))


class Interactions(SyncResource):
    """The turns of a thread."""

    def create(self, thread_id: str, dto: CreateInteractionDTO, *, project_id: str | None = None) -> Interaction:
        """Start a turn (sent once: on a pre-1.50 server, see ``ZylonSettings.paths``)."""
        return self._run(
            ops.on_thread_route(self._api, project_id, lambda old: self._api.interaction_create(thread_id, dto, project_id, legacy=old))
        )

    def get(self, interaction_id: str, *, project_id: str | None = None) -> Interaction:
        return self._run(
            ops.on_thread_route(self._api, project_id, lambda old: self._api.interaction_get(interaction_id, project_id, legacy=old))
        )

    def delete(self, interaction_id: str, *, project_id: str | None = None) -> None:
        return self._run(
            ops.on_thread_route(self._api, project_id, lambda old: self._api.interaction_delete(interaction_id, project_id, legacy=old))
        )

    def cancel(self, interaction_id: str, *, project_id: str | None = None) -> bool:
        """Cancel a running interaction; False if it had already finished (409)."""
        return self._send(self._api.interaction_cancel(interaction_id, project_id))

    def stream(self, interaction_id: str, *, project_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The interaction's answer as decoded SSE events."""
        return self._transport.stream(self._api.interaction_stream(interaction_id, project_id))

    def list(
        self,
        thread_id: str,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        order: Literal["ASC", "DESC"] | None = "ASC",
        project_id: str | None = None,
    ) -> Page[Interaction]:
        """One page of the thread's interactions, oldest first (``order``: ``page_order``);
        ``after``: the ``next_cursor`` of the page before."""
        return self._run(_interaction_pages(self._api, thread_id, project_id)(PageQuery(page, page_size, after, order)))

    def iter_all(self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, project_id: str | None = None) -> Iterator[Interaction]:
        """Every interaction of the thread, oldest first, page after page."""
        return self._iterate(ops.paged(_interaction_pages(self._api, thread_id, project_id), page_size=page_size, emit=True, order="ASC"))


class AsyncInteractions(AsyncResource):
    """Async :class:`Interactions`."""

    async def create(self, thread_id: str, dto: CreateInteractionDTO, *, project_id: str | None = None) -> Interaction:
        return await self._run(
            ops.on_thread_route(self._api, project_id, lambda old: self._api.interaction_create(thread_id, dto, project_id, legacy=old))
        )

    async def get(self, interaction_id: str, *, project_id: str | None = None) -> Interaction:
        return await self._run(
            ops.on_thread_route(self._api, project_id, lambda old: self._api.interaction_get(interaction_id, project_id, legacy=old))
        )

    async def delete(self, interaction_id: str, *, project_id: str | None = None) -> None:
        return await self._run(
            ops.on_thread_route(self._api, project_id, lambda old: self._api.interaction_delete(interaction_id, project_id, legacy=old))
        )

    async def cancel(self, interaction_id: str, *, project_id: str | None = None) -> bool:
        return await self._send(self._api.interaction_cancel(interaction_id, project_id))

    def stream(self, interaction_id: str, *, project_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        return self._transport.stream(self._api.interaction_stream(interaction_id, project_id))

    async def list(
        self,
        thread_id: str,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        order: Literal["ASC", "DESC"] | None = "ASC",
        project_id: str | None = None,
    ) -> Page[Interaction]:
        return await self._run(_interaction_pages(self._api, thread_id, project_id)(PageQuery(page, page_size, after, order)))

    def iter_all(
        self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, project_id: str | None = None
    ) -> AsyncIterator[Interaction]:
        return self._iterate(ops.paged(_interaction_pages(self._api, thread_id, project_id), page_size=page_size, emit=True, order="ASC"))


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
        ``text`` (3 to 80 characters), best first; ``types`` narrows them (any of
        ``Project``, ``Artifact``, ``ArtifactContent``, ``Thread``, ``Interaction``),
        ``limit`` (>= 2; the server's default is 30) caps them. ``ValueError`` before
        any request for a query, type or limit the server refuses. Needs the instance's
        ZylonGPT gateway linked to the organisation's collection (a Workspace token
        suffices)."""
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


