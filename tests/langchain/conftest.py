"""Helpers for the LangChain adapter's tests: offline wiring over ``httpx.MockTransport``,
and the vcr configuration of the cassette replays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from langchain_zylon import ChatZylon
from zylon_core import AsyncZylonClient, ZylonClient
from zylon_core.transport import BaseTransport

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
    llm._client = ZylonClient(settings, http_client=httpx.Client(transport=transport, headers=headers))
    llm._async_client = AsyncZylonClient(settings, http_client=httpx.AsyncClient(transport=transport, headers=headers))
    return llm


def json_response(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=data)


def sse_response(events: list[dict[str, Any]]) -> httpx.Response:
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})
