"""Helpers for the LangChain adapter's tests: offline wiring over ``httpx.MockTransport``,
and the vcr configuration of the cassette replays."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from langchain_zylon import ChatZylon
from zylon_core import AsyncZylonClient, ZylonClient
from zylon_core._transport import BaseTransport

SECRET = "sk-very-secret-token-123"
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "langchain"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG", "ZYLON_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def make(**kwargs: Any) -> ChatZylon:
    kwargs.setdefault("base_url", "https://zylon.example.com/")
    kwargs.setdefault("api_token", SECRET)
    return ChatZylon(**kwargs)


class MockServer:
    """Records requests; answers each with ``respond(request)``."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    @property
    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def wired(server: MockServer, **kwargs: Any) -> ChatZylon:
    """A ChatZylon whose two clients talk to ``server``."""
    llm = make(**kwargs)
    settings = llm._client.settings
    headers = BaseTransport(settings).headers
    transport = httpx.MockTransport(server)
    llm._connection._client = ZylonClient(settings, http_client=httpx.Client(transport=transport, headers=headers))
    llm._connection._aclient = AsyncZylonClient(settings, http_client=httpx.AsyncClient(transport=transport, headers=headers))
    return llm


def json_response(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=data)


def sse_response(events: list[dict[str, Any]]) -> httpx.Response:
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})


# -- vcr (cassette replays) -------------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
REPLAY_BASE_URL = "http://zylon.replay.invalid"


def _normalised(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return body
    # Ids LangChain makes up per run (tool_example_to_messages uses uuid4) must not
    # break a replay.
    return json.loads(_UUID.sub("<uuid>", json.dumps(data, sort_keys=True)))


def lc_zylon_json_body(r1: Any, r2: Any) -> None:
    """vcr matcher: the JSON bodies are equal (key order and per-run uuids aside)."""
    assert _normalised(r1.body) == _normalised(r2.body), "request bodies differ"


def pytest_recording_configure(config: Any, vcr: Any) -> None:
    vcr.register_matcher("lc_zylon_json_body", lc_zylon_json_body)


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    """Replays match on method + path + query + body: never host or port (the emulator's
    port differs per run). Credentials and the org never reach a cassette."""
    return {
        "filter_headers": [("authorization", "PLACEHOLDER"), ("x-api-key", "PLACEHOLDER"), ("x-org", "PLACEHOLDER")],
        "match_on": ["method", "path", "query", "lc_zylon_json_body"],
        "allow_playback_repeats": True,
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture
def cassette_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where a cassette test's requests go: nowhere real when replaying; when recording
    (``--record-mode=...``), the instance in ``ZYLON_BASE_URL`` if set, else the emulator."""
    from tests.conftest import TEST_TOKEN

    mode = request.config.getoption("--record-mode") or "none"
    if mode == "none":
        monkeypatch.setenv("ZYLON_BASE_URL", REPLAY_BASE_URL)
        monkeypatch.setenv("ZYLON_API_TOKEN", TEST_TOKEN)
    elif not os.environ.get("ZYLON_BASE_URL"):
        emulator = request.getfixturevalue("emulator")
        monkeypatch.setenv("ZYLON_BASE_URL", emulator.base_url)
        monkeypatch.setenv("ZYLON_API_TOKEN", TEST_TOKEN)
    monkeypatch.delenv("ZYLON_ORG", raising=False)
    monkeypatch.delenv("ZYLON_MODEL", raising=False)
    return os.environ["ZYLON_BASE_URL"]
