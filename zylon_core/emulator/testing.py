"""Running the emulator from tests: a real server on loopback, in a daemon thread.

::

    from zylon_core.emulator.testing import run_emulator

    with run_emulator(stream_shape="minimal") as server:
        client = ZylonClient(base_url=server.base_url, api_token="anything")
        ...
        assert server.requests[-1]["path"] == "/api/v1/app/chat"

``run_emulator(**options)`` takes the :class:`~zylon_core.emulator.options.EmulatorOptions`
fields as keyword arguments, binds ``127.0.0.1`` on an ephemeral port, waits until the
server accepts connections, and shuts it down on exit.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Iterator

from starlette.applications import Starlette

from .app import Emulator, create_app
from .options import EmulatorOptions
from .state import EmulatorState

__all__ = ["EmulatorServer", "run_emulator", "create_app"]


class EmulatorServer:
    """A running emulator: ``base_url`` (no trailing slash), ``state``, ``app``, ``options``,
    and ``requests`` (every request received: ``method``, ``path``, ``query``,
    ``headers`` without ``authorization``/``x-api-key``, and ``json`` body or None)."""

    def __init__(self, app: Starlette, base_url: str) -> None:
        self.app = app
        self.base_url = base_url
        self.emulator: Emulator = app.state.emulator

    @property
    def state(self) -> EmulatorState:
        return self.emulator.state

    @property
    def options(self) -> EmulatorOptions:
        return self.emulator.options

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.emulator.state.requests

    def clear_requests(self) -> None:
        self.emulator.state.requests.clear()

    def __repr__(self) -> str:
        return f"EmulatorServer(base_url={self.base_url!r})"


@contextlib.contextmanager
def run_emulator(**options: Any) -> Iterator[EmulatorServer]:
    """Serve a fresh emulator on ``127.0.0.1:<ephemeral port>`` for the ``with`` block."""
    import uvicorn

    app = create_app(**options)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="zylon-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the Zylon emulator failed to start (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the Zylon emulator did not start within 15 s")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield EmulatorServer(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=5)
