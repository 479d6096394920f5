"""The Zylon clients: :class:`ZylonClient` (sync) and :class:`AsyncZylonClient`.

The I/O-free part (settings, the call builders) is :class:`BaseClient`; each client adds
its transport, its resources and the turn API (``run_turn`` / ``stream_turn``), and runs
multi-step work (:mod:`._plans`) with its one driver.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterable, Iterator, TypeVar

import httpx

from ._api import Endpoints
from ._plans import Outcome, Plan, adrive, arun, drive, run
from ._resources import (
    AsyncChat,
    AsyncChunkSearch,
    AsyncEmbeddings,
    AsyncInteractions,
    AsyncProjects,
    AsyncThreads,
    AsyncWorkspaceSearch,
    Chat,
    ChunkSearch,
    Embeddings,
    Interactions,
    Projects,
    Threads,
    WorkspaceSearch,
)
from ._resources_artifacts import Artifacts, AsyncArtifacts
from ._resources_collections import AsyncCollections, Collections
from ._resources_gpt import AsyncBackground, AsyncMessages, AsyncModels, Background, Messages, Models
from ._settings import ZylonSettings
from ._stream_parts import OpenBlock
from ._streaming import StreamAccumulator, StreamDelta
from ._system import Health, User
from ._transport import AsyncTransport, SyncTransport
from ._turns import Route, TurnResult, resume_plan, submit_plan, turn_plan
from .models import BackgroundMessage, ChatRequest

T = TypeVar("T")


class BaseClient:
    """Settings and call builders, shared by both clients (no I/O)."""

    def __init__(self, settings: ZylonSettings | None = None, **overrides: Any) -> None:
        self.settings = settings or ZylonSettings.resolve(**overrides)
        self.api = Endpoints(self.settings)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, org={self.settings.org!r})"


class ZylonClient(BaseClient):
    """A Zylon instance, synchronously.

    Resources: ``chat``, ``threads``, ``interactions``, ``projects``, ``artifacts``,
    ``search`` (Workspace API) and ``messages``, ``models``, ``background``,
    ``embeddings``, ``chunks``, ``collections`` (ZylonGPT);
    :meth:`me` (who the token is) and :meth:`health`. A turn routed the way the adapters
    route it: :meth:`run_turn` / :meth:`stream_turn`; on ZylonGPT also in the background:
    :meth:`submit_turn`, then :meth:`resume_turn`. Settings come from ``settings`` or
    keyword overrides of :meth:`ZylonSettings.resolve` (with the ``ZYLON_*`` environment
    fallbacks); ``http_client`` is used instead of our own.
    """

    def __init__(
        self, settings: ZylonSettings | None = None, *, http_client: httpx.Client | None = None, **overrides: Any
    ) -> None:
        super().__init__(settings, **overrides)
        self._transport = transport = SyncTransport(self.settings, http_client)
        self.chat = Chat(self.api, transport)
        self.threads = Threads(self.api, transport)
        self.interactions = Interactions(self.api, transport)
        self.projects = Projects(self.api, transport)
        self.artifacts = Artifacts(self.api, transport)
        self.search = WorkspaceSearch(self.api, transport)
        self.messages = Messages(self.api, transport)
        self.models = Models(self.api, transport)
        self.background = Background(self.api, transport)
        self.embeddings = Embeddings(self.api, transport)
        self.chunks = ChunkSearch(self.api, transport)
        self.collections = Collections(self.api, transport)

    def me(self) -> User:
        """Who the token belongs to (``GET /api/v1/app/me``)."""
        return self._transport.execute(self.api.me())

    def health(self) -> Health:
        """``GET /api/health`` (no token sent); a 503 raises ``InternalServerError``."""
        return self._transport.execute(self.api.health())

    def run(self, plan: Plan[T]) -> T:
        """Run a multi-step operation (a plan) to its end; its value."""
        return run(self._transport, plan)

    def iterate(self, plan: Plan[Any]) -> Iterator[Any]:
        """Run a plan, yielding what it emits."""
        return drive(self._transport, plan)

    def run_turn(self, route: Route, request: ChatRequest, *, stop: Iterable[str] | None = None) -> TurnResult:
        """Send one turn and return the complete answer (a pending interaction is awaited)."""
        return self.run(turn_plan(self.api, route, request, stream=False, stop=tuple(stop or ())))

    def stream_turn(self, route: Route, request: ChatRequest, *, stop: Iterable[str] | None = None) -> TurnStream:
        """One turn as :class:`StreamDelta` s; the stream's ``result`` holds the whole turn."""
        stops = tuple(stop or ())
        accumulator = StreamAccumulator(stops)
        plan = turn_plan(self.api, route, request, stream=True, stop=stops, accumulator=accumulator)
        return TurnStream(self._transport, plan, accumulator)

    def submit_turn(self, route: Route, request: ChatRequest, *, message_id: str | None = None) -> BackgroundMessage:
        """Start one ZylonGPT turn (``route.api == "gpt"``) in the background
        (``POST /api/gpt/v1/messages/async``); its ``message_id`` is what
        :meth:`resume_turn` takes, here or in another process."""
        return self.run(submit_plan(self.api, route, request, message_id))

    def resume_turn(self, message_id: str, *, stop: Iterable[str] | None = None) -> TurnStream:
        """A background message's answer as :class:`StreamDelta` s, from its start
        (``GET .../async/{id}/stream``); ``result`` holds the whole turn afterwards.
        Closing it early stops reading, not the message (``background.cancel`` does)."""
        accumulator = StreamAccumulator(tuple(stop or ()))
        return TurnStream(self._transport, resume_plan(self.api, message_id, accumulator=accumulator), accumulator)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> ZylonClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncZylonClient(BaseClient):
    """:class:`ZylonClient` with coroutines and async iterators."""

    def __init__(
        self, settings: ZylonSettings | None = None, *, http_client: httpx.AsyncClient | None = None, **overrides: Any
    ) -> None:
        super().__init__(settings, **overrides)
        self._transport = transport = AsyncTransport(self.settings, http_client)
        self.chat = AsyncChat(self.api, transport)
        self.threads = AsyncThreads(self.api, transport)
        self.interactions = AsyncInteractions(self.api, transport)
        self.projects = AsyncProjects(self.api, transport)
        self.artifacts = AsyncArtifacts(self.api, transport)
        self.search = AsyncWorkspaceSearch(self.api, transport)
        self.messages = AsyncMessages(self.api, transport)
        self.models = AsyncModels(self.api, transport)
        self.background = AsyncBackground(self.api, transport)
        self.embeddings = AsyncEmbeddings(self.api, transport)
        self.chunks = AsyncChunkSearch(self.api, transport)
        self.collections = AsyncCollections(self.api, transport)

    async def me(self) -> User:
        return await self._transport.execute(self.api.me())

    async def health(self) -> Health:
        return await self._transport.execute(self.api.health())

    async def run(self, plan: Plan[T]) -> T:
        return await arun(self._transport, plan)

    def iterate(self, plan: Plan[Any]) -> AsyncIterator[Any]:
        return adrive(self._transport, plan)

    async def run_turn(self, route: Route, request: ChatRequest, *, stop: Iterable[str] | None = None) -> TurnResult:
        return await self.run(turn_plan(self.api, route, request, stream=False, stop=tuple(stop or ())))

    def stream_turn(self, route: Route, request: ChatRequest, *, stop: Iterable[str] | None = None) -> AsyncTurnStream:
        stops = tuple(stop or ())
        accumulator = StreamAccumulator(stops)
        plan = turn_plan(self.api, route, request, stream=True, stop=stops, accumulator=accumulator)
        return AsyncTurnStream(self._transport, plan, accumulator)

    async def submit_turn(self, route: Route, request: ChatRequest, *, message_id: str | None = None) -> BackgroundMessage:
        return await self.run(submit_plan(self.api, route, request, message_id))

    def resume_turn(self, message_id: str, *, stop: Iterable[str] | None = None) -> AsyncTurnStream:
        accumulator = StreamAccumulator(tuple(stop or ()))
        return AsyncTurnStream(self._transport, resume_plan(self.api, message_id, accumulator=accumulator), accumulator)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncZylonClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class _SourceBlocks:
    """The stream's accumulator, for :meth:`source_block`."""

    _accumulator: StreamAccumulator | None

    def source_block(self, index: int) -> OpenBlock | None:
        """The accumulator's block at ``index`` as it stands, None if it has none (the
        deltas of an answer that came whole). Its text is what the text deltas of that
        block added up to: :class:`~._stream_parts.BlockText` reads it there rather than
        keep a second copy."""
        blocks = self._accumulator.blocks if self._accumulator is not None else ()
        return blocks[index] if 0 <= index < len(blocks) else None


class TurnStream(_SourceBlocks):
    """Iterate for :class:`StreamDelta` s; afterwards ``result`` holds the whole turn.
    Closing the iterator early cancels a thread interaction on the server."""

    def __init__(self, transport: SyncTransport, plan: Plan[TurnResult], accumulator: StreamAccumulator | None = None) -> None:
        self._outcome: Outcome[TurnResult] = Outcome()
        self._deltas = drive(transport, plan, self._outcome)
        self._accumulator = accumulator

    @property
    def result(self) -> TurnResult | None:
        return self._outcome.value

    def __iter__(self) -> Iterator[StreamDelta]:
        return self._deltas

    def close(self) -> None:
        self._deltas.close()


class AsyncTurnStream(_SourceBlocks):
    """Async :class:`TurnStream` (``async for``; ``aclose()`` to stop early)."""

    def __init__(self, transport: AsyncTransport, plan: Plan[TurnResult], accumulator: StreamAccumulator | None = None) -> None:
        self._outcome: Outcome[TurnResult] = Outcome()
        self._deltas = adrive(transport, plan, self._outcome)
        self._accumulator = accumulator

    @property
    def result(self) -> TurnResult | None:
        return self._outcome.value

    def __aiter__(self) -> AsyncIterator[StreamDelta]:
        return self._deltas

    async def aclose(self) -> None:
        await self._deltas.aclose()
