"""The Zylon clients: :class:`ZylonClient` (sync) and :class:`AsyncZylonClient`.

Both expose the same resources (``chat``, ``threads``, ``interactions``, ``projects``,
``artifacts``, ``search``, ``embeddings``, ``chunks``) and the same turn API (``run_turn`` / ``stream_turn``);
the resources and :class:`~zylon_core.turns.TurnPlan` hold the logic once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import Any, AsyncIterator, Iterable, Iterator

import httpx

from .errors import ZylonError
from .models import ChatRequest, Interaction
from .resources import Artifacts, Chat, ChunkSearch, Embeddings, Interactions, Projects, Threads, WorkspaceSearch
from .settings import ZylonSettings
from .streaming import StreamDelta
from .transport import AsyncTransport, SyncTransport
from .turns import Route, TurnPlan, TurnResult, deltas_from_message

logger = logging.getLogger("zylon_core")

# After message_stop a stream is read on (normally only to the end of its body) so its
# connection goes back to the pool instead of being closed, as Anthropic's SDK does; a
# server that keeps sending is cut off after this many events.
_DRAIN_EVENTS = 16


class _ClientBase:
    _transport: Any
    is_async = False

    def __init__(self, settings: ZylonSettings | None = None, **overrides: Any) -> None:
        self.settings = settings or ZylonSettings.resolve(**overrides)
        self.chat = Chat(self)
        self.threads = Threads(self)
        self.interactions = Interactions(self)
        self.projects = Projects(self)
        self.artifacts = Artifacts(self)
        self.search = WorkspaceSearch(self)
        self.embeddings = Embeddings(self)
        self.chunks = ChunkSearch(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, org={self.settings.org!r})"

    def plan(self, route: Route, request: ChatRequest, *, stream: bool, stop: Iterable[str] | None = None) -> TurnPlan:
        return TurnPlan(self.chat, self.interactions, route, request, stream, tuple(stop or ()))


class ZylonClient(_ClientBase):
    def __init__(self, settings: ZylonSettings | None = None, *, http_client: httpx.Client | None = None, **overrides: Any) -> None:
        super().__init__(settings, **overrides)
        self._transport = SyncTransport(self.settings, http_client)

    def run_turn(self, route: Route, request: ChatRequest, *, stop: Iterable[str] | None = None) -> TurnResult:
        """Send one turn and return the complete answer (a pending interaction is awaited)."""
        plan = self.plan(route, request, stream=False, stop=stop)
        answer = self._transport.execute(plan.first_call())
        if not isinstance(answer, Interaction):
            return plan.result(answer)
        follow = plan.on_created(answer)
        if follow is not None:
            for _ in self._follow(plan, follow):
                pass
        return plan.result()

    def stream_turn(self, route: Route, request: ChatRequest, *, stop: Iterable[str] | None = None) -> "TurnStream":
        return TurnStream(self, self.plan(route, request, stream=True, stop=stop))

    def _follow(self, plan: TurnPlan, call: Any) -> Iterator[StreamDelta]:
        """Feed a stream into the plan; cancel the interaction if we leave it early."""
        events = self._transport.stream(call)
        accumulator = plan.accumulator
        try:
            with self._transport.redacting():  # an error event may echo the token
                for event in events:
                    delta = accumulator.feed(event)
                    if delta is not None:
                        yield delta
                    if accumulator.done:
                        break
            if accumulator.stopped:
                with contextlib.suppress(ZylonError, httpx.HTTPError):  # the answer is complete
                    for _ in itertools.islice(events, _DRAIN_EVENTS):
                        pass
            tail = accumulator.flush()
            if tail is not None:
                yield tail
        finally:
            events.close()
            if plan.needs_cancel:
                with contextlib.suppress(ZylonError, httpx.HTTPError):
                    self._transport.execute(plan.cancel_call())

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "ZylonClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class TurnStream:
    """Iterate for :class:`StreamDelta` s; afterwards ``result`` holds the whole turn."""

    def __init__(self, client: ZylonClient, plan: TurnPlan) -> None:
        self._client = client
        self.plan = plan
        self.result: TurnResult | None = None

    def __iter__(self) -> Iterator[StreamDelta]:
        plan, transport = self.plan, self._client._transport
        first = plan.first_call()
        if plan.route.thread_id:
            follow = plan.on_created(transport.execute(first))
            if follow is None:  # the server finished it already
                self.result = plan.result()
                yield from deltas_from_message(self.result.message)
                return
        else:
            follow = first
        yield from self._client._follow(plan, follow)
        self.result = plan.result()


class AsyncZylonClient(_ClientBase):
    is_async = True

    def __init__(self, settings: ZylonSettings | None = None, *, http_client: httpx.AsyncClient | None = None, **overrides: Any) -> None:
        super().__init__(settings, **overrides)
        self._transport = AsyncTransport(self.settings, http_client)

    async def run_turn(self, route: Route, request: ChatRequest, *, stop: Iterable[str] | None = None) -> TurnResult:
        plan = self.plan(route, request, stream=False, stop=stop)
        answer = await self._transport.execute(plan.first_call())
        if not isinstance(answer, Interaction):
            return plan.result(answer)
        follow = plan.on_created(answer)
        if follow is not None:
            async for _ in self._follow(plan, follow):
                pass
        return plan.result()

    def stream_turn(self, route: Route, request: ChatRequest, *, stop: Iterable[str] | None = None) -> "AsyncTurnStream":
        return AsyncTurnStream(self, self.plan(route, request, stream=True, stop=stop))

    async def _follow(self, plan: TurnPlan, call: Any) -> AsyncIterator[StreamDelta]:
        events = self._transport.stream(call)
        accumulator = plan.accumulator
        try:
            with self._transport.redacting():  # an error event may echo the token
                async for event in events:
                    delta = accumulator.feed(event)
                    if delta is not None:
                        yield delta
                    if accumulator.done:
                        break
            if accumulator.stopped:
                with contextlib.suppress(ZylonError, httpx.HTTPError):  # the answer is complete
                    drained = 0
                    async for _ in events:
                        drained += 1
                        if drained >= _DRAIN_EVENTS:
                            break
            tail = accumulator.flush()
            if tail is not None:
                yield tail
        finally:
            await events.aclose()
            if plan.needs_cancel:
                # Shielded: a cancelled task must still tell the server to stop.
                with contextlib.suppress(ZylonError, httpx.HTTPError, asyncio.CancelledError):
                    await asyncio.shield(self._transport.execute(plan.cancel_call()))

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> "AsyncZylonClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class AsyncTurnStream:
    def __init__(self, client: AsyncZylonClient, plan: TurnPlan) -> None:
        self._client = client
        self.plan = plan
        self.result: TurnResult | None = None

    async def __aiter__(self) -> AsyncIterator[StreamDelta]:
        plan, transport = self.plan, self._client._transport
        first = plan.first_call()
        if plan.route.thread_id:
            follow = plan.on_created(await transport.execute(first))
            if follow is None:
                self.result = plan.result()
                for delta in deltas_from_message(self.result.message):
                    yield delta
                return
        else:
            follow = first
        follower = self._client._follow(plan, follow)
        try:
            async for delta in follower:
                yield delta
        finally:
            await follower.aclose()
        self.result = plan.result()
