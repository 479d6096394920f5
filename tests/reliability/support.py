"""Helpers shared by the reliability tests: the token they use, emulator threads, and a
look into the httpx connection pools the clients own."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any, Callable

import httpx

# Distinctive, so that a leak anywhere (a log line, an exception, a file) is found.
TOKEN = "sk-reliability-suite-9f3c2a71e4b8"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "x-org": "default"}
_names = itertools.count(1)


def new_thread(base_url: str) -> str:
    """A fresh project and thread on an emulator."""
    with httpx.Client(base_url=base_url, headers=HEADERS, timeout=10) as api:
        project = api.post("/api/v1/app/project", json={"name": f"reliability {next(_names)}"}).json()["id"]
        return api.post(f"/api/v1/app/project/{project}/thread", json={"name": "t", "visibility": "Private"}).json()["id"]


async def new_threads(base_url: str, count: int) -> list[str]:
    """``count`` fresh threads (one project), created concurrently."""
    async with httpx.AsyncClient(base_url=base_url, headers=HEADERS, timeout=10) as api:
        project = (await api.post("/api/v1/app/project", json={"name": f"reliability {next(_names)}"})).json()["id"]
        made = await asyncio.gather(
            *(api.post(f"/api/v1/app/project/{project}/thread", json={"name": f"t{i}", "visibility": "Private"}) for i in range(count))
        )
        return [response.json()["id"] for response in made]


def http_clients(obj: Any) -> list[Any]:
    """The httpx clients a ZylonClient / AsyncZylonClient / ChatZylon / Zylon holds
    (only those created so far)."""
    cores = []
    for name in ("_transport",):
        if hasattr(obj, name):
            cores.append(obj)
    for name in ("_client", "_async_client", "_aclient"):
        inner = getattr(obj, name, None)
        if inner is not None and hasattr(inner, "_transport"):
            cores.append(inner)
    return [core._transport._client for core in cores if core._transport._client is not None]


def busy_connections(obj: Any) -> int:
    """Connections that are neither idle in the pool nor closed, plus requests still
    waiting for one: what a leaked stream or response would hold."""
    busy = 0
    for client in http_clients(obj):
        pool = client._transport._pool
        busy += sum(1 for c in pool.connections if not (c.is_idle() or c.is_closed()))
        busy += len(pool._requests)
    return busy


def pool_size(obj: Any) -> int:
    return sum(len(client._transport._pool.connections) for client in http_clients(obj))


def cancels(server: Any) -> list[str]:
    return [r["path"] for r in server.requests if r["method"] == "POST" and r["path"].endswith("/cancel")]


def wait_for(condition: Callable[[], bool], attempts: int = 500, pause: float = 0.01) -> bool:
    """Poll a state change (bounded, so a broken build fails instead of hanging)."""
    for _ in range(attempts):
        if condition():
            return True
        time.sleep(pause)
    return condition()


async def async_wait_for(condition: Callable[[], bool], attempts: int = 500, pause: float = 0.01) -> bool:
    for _ in range(attempts):
        if condition():
            return True
        await asyncio.sleep(pause)
    return condition()
