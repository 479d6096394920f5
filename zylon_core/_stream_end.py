"""After ``message_stop``: the rest of a stream's body as far as it has already arrived,
so that a body that ends there gives its connection back to the pool (httpx drops a
connection whose response was closed before its end, and the next request opens a new
one: a TLS handshake on a real instance), without ever waiting for more (a call
returns at ``message_stop``, whatever the server does next).

Each network read the rest of the body needs is made only if the socket has bytes to
read (httpcore's documented ``network_stream`` extension and its ``is_readable``); what
httpcore holds already needs no read. At most :data:`READS` reads (a server that keeps
talking); a body not at its end by then, a read that would wait, or any failure on the
way, closes the connection as before. Nothing is cancelled on the way (cancelling
httpcore mid-read can leave a request in its pool).

The check sits in the connection's own ``read`` (wrapped once per connection) and
applies only in the thread or task that is reading on: once the body ends, the
connection is back in the pool and may serve another request at once, whose reads are
left as they are.

Any body's end (every answer, not only streams): bytes the server sent past it arrive
with its last bytes and wait in the connection's HTTP/1.1 parser (h11), which would read
them as the *next* request's answer (a wrong answer from an earlier reply). Such a
connection is closed instead of going back to the pool (:func:`refuse_reuse_if_more`).
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import weakref
from contextvars import ContextVar
from typing import Any, AsyncIterator, Iterator

import h11
import httpx

READS = 16

# True in the thread / task reading on after message_stop (a ContextVar: per thread and per task).
_READING_ON: ContextVar[bool] = ContextVar("zylon_reading_on", default=False)


class _WouldWait(Exception):
    """A read of the rest would wait for the server: stop there."""


def read_what_arrived(response: httpx.Response, chunks: Iterator[bytes] | None) -> None:
    """Read on in ``chunks`` (the body's iterator) while the bytes needed have arrived."""
    if chunks is None or not _gated(response):
        return
    token = _READING_ON.set(True)
    try:
        with contextlib.suppress(Exception):  # any failure: the connection is closed, as before
            for _ in itertools.islice(chunks, READS):
                pass
    finally:
        _READING_ON.reset(token)


async def aread_what_arrived(response: httpx.Response, chunks: AsyncIterator[bytes] | None) -> None:
    """:func:`read_what_arrived`, async."""
    if chunks is None or not _gated(response):
        return
    token = _READING_ON.set(True)
    try:
        with contextlib.suppress(Exception):  # StopAsyncIteration included: the body ended
            for _ in range(READS):
                await chunks.__anext__()
    finally:
        _READING_ON.reset(token)


def _gated(response: httpx.Response) -> bool:
    """Whether reads on ``response``'s connection now stop where they would wait."""
    stream = _network_stream(response)
    return stream is not None and _gate(stream)


def _gate(stream: Any) -> bool:
    """Wrap ``stream.read`` (once): while reading on, a read that would wait raises.
    False when it cannot be wrapped (then nothing is read on)."""
    if getattr(stream.read, "_zylon_gated", False):
        return True
    read = getattr(type(stream), "read", None)
    if read is None:
        return False
    # The wrapper reaches the stream through a weak reference: a reference cycle
    # (stream -> wrapper -> stream) would keep a dropped connection's socket alive
    # until the next garbage collection.
    ref = weakref.ref(stream)
    gated: Any
    if inspect.iscoroutinefunction(read):

        async def gated_async(max_bytes: int, timeout: float | None = None) -> bytes:
            target = ref()
            if target is None or (_READING_ON.get() and not target.get_extra_info("is_readable")):
                raise _WouldWait
            return await read(target, max_bytes, timeout)

        gated = gated_async
    else:

        def gated_sync(max_bytes: int, timeout: float | None = None) -> bytes:
            target = ref()
            if target is None or (_READING_ON.get() and not target.get_extra_info("is_readable")):
                raise _WouldWait
            return read(target, max_bytes, timeout)

        gated = gated_sync
    gated._zylon_gated = True
    stream.read = gated
    return True


def refuse_reuse_if_more(stream: Any) -> None:
    """At the end of a body read through ``stream`` (httpx's response stream): when more
    bytes than the answer arrived, the connection is closed when the response is, never
    pooled. h11 is told the request failed (its public ``send_failed``), so httpcore,
    finding the exchange not done on both sides, closes the connection."""
    state = _h11_state(stream)
    if state is not None and state.their_state is h11.DONE and state.trailing_data[0]:
        state.send_failed()


def _h11_state(stream: Any) -> Any:
    # httpx's bound stream -> its transport's stream -> httpcore's pool stream -> the
    # HTTP/1.1 connection's stream -> the connection's h11 state (no public way there:
    # encode/httpcore#872); None where the chain differs (HTTP/2, a custom transport,
    # another httpx or httpcore), then the pool is left as it is.
    for name in ("_stream", "_httpcore_stream", "_stream", "_connection", "_h11_state"):
        stream = getattr(stream, name, None)
        if stream is None:
            return None
    return stream if isinstance(stream, h11.Connection) else None


def _network_stream(response: httpx.Response) -> Any:
    # HTTP/1.1 only: an HTTP/2 connection's reads serve other streams too.
    if response.http_version != "HTTP/1.1" or response.is_closed:
        return None
    return response.extensions.get("network_stream")
