"""The deadline of one request (``settings.deadline`` seconds): when it must be over,
the httpx timeouts of each attempt lowered to what is left, and response bodies that
stop at it (sync: checked between reads; async: the pending read is cancelled)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Iterator, TypeVar

import httpx

from ._stream_end import refuse_reuse_if_more
from .errors import APITimeoutError

if TYPE_CHECKING:
    from ._call import Call

T = TypeVar("T")


class Deadline:
    """When a request must be over (``seconds`` from now, on the monotonic clock)."""

    __slots__ = ("seconds", "at", "call")

    def __init__(self, seconds: float, call: Call[Any]) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.call = call

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> float:
        """Seconds left; the deadline's ``APITimeoutError`` if none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise self.error()
        return left

    def error(self) -> APITimeoutError:
        return APITimeoutError(
            f"{self.call.method} {self.call.path}: Zylon did not finish within the deadline of {self.seconds:g} s "
            "(the deadline setting bounds a whole request: its retries and their waits, and reading its answer "
            "or its whole stream)"
        )


TIMEOUT_KINDS: dict[type[Exception], str] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


class Timeouts:
    """One attempt's httpx timeouts: the client's, each lowered to what is left of the
    deadline; ``lowered`` names those the deadline set (their expiry is the deadline)."""

    __slots__ = ("timeout", "lowered")

    def __init__(self, client_timeout: httpx.Timeout, left: float) -> None:
        values = (client_timeout.connect, client_timeout.read, client_timeout.write, client_timeout.pool)
        self.lowered: frozenset[str] = frozenset()
        self.timeout: httpx.Timeout | None = None
        if all(value is not None and value <= left for value in values):
            return  # the usual case: far from the deadline, the client's own timeouts
        names = ("connect", "read", "write", "pool")
        self.lowered = frozenset(name for name, value in zip(names, values, strict=True) if value is None or value > left)
        self.timeout = httpx.Timeout(
            **{name: left if name in self.lowered else value for name, value in zip(names, values, strict=True)}
        )

    def expired(self, exc: Exception) -> bool:
        """Whether ``exc`` is a timeout the deadline had set."""
        kind = TIMEOUT_KINDS.get(type(exc))
        return kind is not None and kind in self.lowered


class BoundedStream(httpx.SyncByteStream):
    """A response body that raises the deadline's error once it has passed."""

    def __init__(self, inner: Any, deadline: Deadline) -> None:
        self.inner, self.deadline = inner, deadline

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.deadline.check()
            yield chunk
        refuse_reuse_if_more(self.inner)

    def close(self) -> None:
        self.inner.close()


if sys.version_info >= (3, 11):

    async def within(awaitable: Awaitable[T], seconds: float) -> T:
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10

    async def within(awaitable: Awaitable[T], seconds: float) -> T:
        return await asyncio.wait_for(awaitable, seconds)


class BoundedAsyncStream(httpx.AsyncByteStream):
    """A response body whose reads are cancelled when the deadline passes."""

    def __init__(self, inner: Any, deadline: Deadline) -> None:
        self.inner, self.deadline = inner, deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self.inner.__aiter__()
        while True:
            try:
                chunk = await within(chunks.__anext__(), self.deadline.check())
            except StopAsyncIteration:
                refuse_reuse_if_more(self.inner)
                return
            except asyncio.TimeoutError:
                raise self.deadline.error() from None
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()
