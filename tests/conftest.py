"""Shared fixtures: the reference material in ../shared, and the local emulator.

Tests that need ``../shared/zylon-api`` skip with that reason on a user's clone (which
has no ``../shared``); ``.ci/run`` sets ``ZYLON_REQUIRE_SHARED=1`` so that there a
missing ``../shared`` is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

# Fixtures every folder may use (clients, projects, a corpus, thread helpers).
pytest_plugins = ["tests.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
SHARED_API = ROOT.parent / "shared" / "zylon-api"
TEST_TOKEN = "test-token-not-a-secret"


def _need_shared() -> Path:
    if SHARED_API.is_dir():
        return SHARED_API
    reason = f"reference material not found at {SHARED_API} (it sits beside the repository in CI)"
    if os.environ.get("ZYLON_REQUIRE_SHARED") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_api() -> Path:
    return _need_shared()


def load_example(name: str) -> Any:
    return json.loads((_need_shared() / "examples" / name).read_text())


def example_names(pattern: str) -> list[str]:
    """Example file names matching a glob, for parametrising (empty without ../shared)."""
    folder = SHARED_API / "examples"
    return sorted(p.name for p in folder.glob(pattern)) if folder.is_dir() else []


def parse_sse_text(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of an SSE document, for feeding the accumulator offline."""
    pairs = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        event, data = "message", []
        for line in chunk.splitlines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        pairs.append((event, "\n".join(data)))
    return pairs


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """One emulator on loopback for the whole session (state persists between tests)."""
    from zylon_core.emulator.testing import run_emulator

    with run_emulator() as server:
        yield server


@pytest.fixture
def zylon_env(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point ZYLON_* at the session emulator."""
    monkeypatch.setenv("ZYLON_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ZYLON_API_TOKEN", TEST_TOKEN)
    monkeypatch.delenv("ZYLON_ORG", raising=False)
    monkeypatch.delenv("ZYLON_MODEL", raising=False)
    return emulator


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the transport's back-off waits instead of sleeping them."""
    delays: list[float] = []
    monkeypatch.setattr("zylon_core._transport._sleep", delays.append)

    async def record(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr("zylon_core._transport._async_sleep", record)
    return delays
