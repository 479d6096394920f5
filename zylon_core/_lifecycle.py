"""When the HTTP clients the transports make are closed, besides ``close()`` / ``aclose()``.

* An async client belongs to the event loop it was made in. It is closed while that
  loop shuts down (``asyncio.run`` returning), or soon after its transport is dropped:
  a small async generator started in the loop holds it, and the loop closes the
  generators it started when it shuts down, and a dropped one as soon as it can.
* A sync client is closed when its transport is dropped (a finalizer).
* In a child process made by ``os.fork()``, every transport forgets the clients it
  inherited: their pooled connections are the parent's, and a request written on one
  would get the parent's answer (or the parent the child's). The child makes its own.
"""

from __future__ import annotations

import os
import weakref
from typing import Any, AsyncGenerator, Protocol


class ForkAware(Protocol):
    def forget_inherited_clients(self) -> None: ...


_transports: weakref.WeakSet[Any] = weakref.WeakSet()
# Clients a child inherited: kept, never used and never closed (closing a TLS or HTTP/2
# connection may write to the socket the parent still reads, and a lock taken at fork
# time may never be released in the child).
_inherited: list[Any] = []


def track(transport: ForkAware) -> None:
    """Have ``transport`` forget its clients in a forked child."""
    _transports.add(transport)


def _after_fork_in_child() -> None:
    for transport in list(_transports):
        transport.forget_inherited_clients()


def keep_inherited(client: Any) -> None:
    _inherited.append(client)


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


async def _holder(client: Any) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.aclose()


def close_with_loop(client: Any) -> AsyncGenerator[None, None]:
    """An async generator, started in the running event loop, that closes ``client``
    when it is closed: by the loop when it shuts down or drops the generator, or by
    ``await guard.aclose()``. Keep a reference to it as long as the client is in use.

    Starting it registers it with the running loop (the loop's first-iteration hook);
    it reaches its ``yield`` at once, so no awaiting is needed.
    """
    guard = _holder(client)
    step = guard.asend(None)
    try:
        step.send(None)
    except StopIteration:
        pass
    return guard
