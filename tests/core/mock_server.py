"""An in-process stand-in for a Zylon server, for unit tests of requests and answers:
``httpx.MockTransport`` answering from a route table (the documented or captured bodies)
and keeping every request it got."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import httpx

from tests.conftest import TEST_TOKEN
from zylon_core import AsyncZylonClient, ZylonClient

BASE = "https://zylon.example.com"

Answer = Union[httpx.Response, Callable[[httpx.Request], httpx.Response]]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers={"content-type": "application/json", **(headers or {})})


def sse_response(text: str) -> httpx.Response:
    return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})


@dataclass
class MockServer:
    """``routes[(method, path)]``: a response, a function of the request, or a list of
    them answered in turn (the last one repeats). Unknown routes answer 404 with an
    empty body, as a server without the route would."""

    routes: dict[tuple[str, str], Any] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if answer is None:
            return httpx.Response(404, content=b"")
        response = answer(request) if callable(answer) else answer
        # A fresh response each time: one is consumed by the client that reads it.
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)

    def client(self, **settings: Any) -> ZylonClient:
        http = httpx.Client(transport=httpx.MockTransport(self.handle))
        return ZylonClient(http_client=http, **{"base_url": BASE, "api_token": TEST_TOKEN, "max_retries": 0, **settings})

    def aclient(self, **settings: Any) -> AsyncZylonClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return AsyncZylonClient(http_client=http, **{"base_url": BASE, "api_token": TEST_TOKEN, "max_retries": 0, **settings})

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]
