"""Multi-step work, written once and run by exactly one sync and one async driver.

A *plan* is a generator. It yields *steps* and receives each step's outcome:

* a :class:`~zylon_core._transport.Call`: the driver sends it and sends back the parsed
  answer, or throws the ``ZylonError`` it raised into the plan (which may catch it);
* :class:`Follow`: the driver reads the call's event stream into the step's
  :class:`~zylon_core._streaming.StreamAccumulator` until the accumulator is done,
  handing each delta to the consumer, and sends back ``None``; with ``otherwise``, an
  answer that turns out to be JSON instead of a stream is read by it and its value sent
  back (the request is sent once either way);
* :class:`Emit`: the driver hands the value to the consumer (items of a page, the
  deltas of an answer that arrived whole);
* :class:`Pause`: the driver sleeps.

The plan's return value is the operation's result. Every decision (what to call next,
what an answer means, when to give up) lives in the plan; :func:`drive` and
:func:`adrive` only do I/O. When the consumer stops early (a closed generator, a
cancelled task) or the run fails outside the plan, the driver throws
:class:`Abandoned` into the plan and runs the calls
it yields while unwinding (e.g. cancelling an interaction), then stops. An error that
leaves a driver carries no token, whether the transport or the plan raised it (a plan
builds errors from answers, which a server may have filled with the token).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, AsyncGenerator, Callable, Generator, Generic, TypeVar, Union

import httpx

from . import _transport
from ._call import Answered, Call
from ._streaming import StreamAccumulator, StreamDelta
from ._transport import AsyncTransport, SyncTransport
from .errors import ZylonError

T = TypeVar("T")


@dataclass(frozen=True)
class Pause:
    """Wait this many seconds before the next step."""

    seconds: float


@dataclass(frozen=True)
class Follow:
    """Read ``call``'s event stream into ``accumulator`` until it is done. With
    ``otherwise``, an answer that is not an event stream is read whole by it, and its
    value is the step's outcome (``None`` when the answer was a stream)."""

    call: Call[Any]
    accumulator: StreamAccumulator
    otherwise: Callable[[httpx.Response], Any] | None = None


@dataclass(frozen=True)
class Emit:
    """Hand ``value`` to the consumer of a streaming run."""

    value: Any


Step = Union[Call[Any], Follow, Emit, Pause]
Plan = Generator[Step, Any, T]
"""A multi-step operation returning ``T`` (see the module docstring)."""


class Abandoned(Exception):
    """Thrown into a plan whose consumer stopped before it finished."""


class Outcome(Generic[T]):
    """Where a driver leaves the plan's return value (an async generator cannot return one)."""

    __slots__ = ("value", "done")

    def __init__(self) -> None:
        self.value: T | None = None
        self.done = False

    def set(self, value: T) -> None:
        self.value, self.done = value, True


def each(items: Plan[Any], handle: Callable[[Any], Plan[None]]) -> Plan[None]:
    """Run ``items``; every value it emits is handed to the plan ``handle(value)``
    instead of the consumer (a plan over the items of a paged list, for instance)."""
    value: Any = None
    while True:
        try:
            step = items.send(value)
        except StopIteration:
            return
        if isinstance(step, Emit):
            value = None
            yield from handle(step.value)
        else:
            value = yield step


def drive(transport: SyncTransport, plan: Plan[T], outcome: Outcome[T] | None = None) -> Generator[Any, None, None]:
    """Run ``plan``: yield what it emits and the deltas of the streams it follows; its
    return value goes to ``outcome``. Closing this iterator abandons the plan."""
    value: Any = None
    error: ZylonError | None = None
    try:
        while True:
            try:
                step = plan.throw(error) if error is not None else plan.send(value)
            except StopIteration as done:
                if outcome is not None:
                    outcome.set(done.value)
                return
            value, error = None, None
            if isinstance(step, Call):
                try:
                    value = transport.execute(step)
                except ZylonError as exc:
                    error = exc
            elif isinstance(step, Follow):
                try:
                    value = yield from _follow(transport, step)
                except ZylonError as exc:
                    error = exc
            elif isinstance(step, Emit):
                yield step.value
            else:
                _transport._sleep(step.seconds)
    except BaseException as exc:  # closed early, interrupted, or failed outside the plan
        if isinstance(exc, ZylonError):
            transport.scrub(exc)
        _unwind(transport, plan)
        raise


def run(transport: SyncTransport, plan: Plan[T]) -> T:
    """Run ``plan`` to its end and return its value (emitted values are dropped)."""
    outcome: Outcome[T] = Outcome()
    for _ in drive(transport, plan, outcome):
        pass
    return outcome.value  # type: ignore[return-value]


async def adrive(transport: AsyncTransport, plan: Plan[T], outcome: Outcome[T] | None = None) -> AsyncGenerator[Any, None]:
    """:func:`drive` on an async transport. Cancelling the task or closing the
    iterator abandons the plan (the calls it makes while unwinding are shielded)."""
    value: Any = None
    error: ZylonError | None = None
    try:
        while True:
            try:
                step = plan.throw(error) if error is not None else plan.send(value)
            except StopIteration as done:
                if outcome is not None:
                    outcome.set(done.value)
                return
            value, error = None, None
            if isinstance(step, Call):
                try:
                    value = await transport.execute(step)
                except ZylonError as exc:
                    error = exc
            elif isinstance(step, Follow):
                answered: list[Any] = []
                try:
                    async for delta in _afollow(transport, step, answered):
                        yield delta
                except ZylonError as exc:
                    error = exc
                value = answered[0] if answered else None
            elif isinstance(step, Emit):
                yield step.value
            else:
                await _transport._async_sleep(step.seconds)
    except BaseException as exc:  # closed early, cancelled, or failed outside the plan
        if isinstance(exc, ZylonError):
            transport.scrub(exc)
        await _aunwind(transport, plan)
        raise


async def arun(transport: AsyncTransport, plan: Plan[T]) -> T:
    """Run ``plan`` to its end on an async transport and return its value."""
    outcome: Outcome[T] = Outcome()
    steps = adrive(transport, plan, outcome)
    try:
        async for _ in steps:
            pass
    finally:
        await steps.aclose()
    return outcome.value  # type: ignore[return-value]


def _follow(transport: SyncTransport, step: Follow) -> Generator[StreamDelta, None, Any]:
    """Yield the stream's deltas; return what ``step.otherwise`` read instead, if anything."""
    accumulator = step.accumulator
    events = transport.stream(step.call, step.otherwise, ended=lambda: accumulator.stopped)
    try:
        with transport.redacting():  # an error event may echo the token
            for event in events:
                if isinstance(event, Answered):
                    return event.value
                delta = accumulator.feed(event)
                if delta is not None:
                    yield delta
                if accumulator.done:
                    break
        tail = accumulator.flush()
        if tail is not None:
            yield tail
        return None
    finally:
        events.close()


async def _afollow(transport: AsyncTransport, step: Follow, answered: list[Any]) -> AsyncGenerator[StreamDelta, None]:
    """:func:`_follow`, async: what ``step.otherwise`` read goes to ``answered``."""
    accumulator = step.accumulator
    events = transport.stream(step.call, step.otherwise, ended=lambda: accumulator.stopped)
    try:
        with transport.redacting():
            async for event in events:
                if isinstance(event, Answered):
                    answered.append(event.value)
                    return
                delta = accumulator.feed(event)
                if delta is not None:
                    yield delta
                if accumulator.done:
                    break
        tail = accumulator.flush()
        if tail is not None:
            yield tail
    finally:
        await events.aclose()


def _unwinding(plan: Plan[Any]) -> Generator[Call[Any], Any, None]:
    """The calls an abandoned plan still makes (anything else it yields is skipped)."""
    with contextlib.suppress(Abandoned, StopIteration):
        step = plan.throw(Abandoned())
        while True:
            step = plan.send((yield step) if isinstance(step, Call) else None)


def _unwind(transport: SyncTransport, plan: Plan[Any]) -> None:
    calls = _unwinding(plan)
    result: Any = None
    with contextlib.suppress(StopIteration, ZylonError):
        call = next(calls)
        while True:
            try:
                result = transport.execute(call)
            except ZylonError:
                result = None
            call = calls.send(result)


async def _aunwind(transport: AsyncTransport, plan: Plan[Any]) -> None:
    calls = _unwinding(plan)
    result: Any = None
    with contextlib.suppress(StopIteration, ZylonError):
        call = next(calls)
        while True:
            try:
                # Shielded: a cancelled task must still tell the server to stop.
                result = await asyncio.shield(transport.execute(call))
            except (ZylonError, asyncio.CancelledError):
                result = None
            call = calls.send(result)
