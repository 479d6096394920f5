"""The emulator's ASGI app (Starlette): the routes of :mod:`.routes` over one state, and
the plumbing every request goes through.

Each request is recorded first (method, path, query, headers without
``authorization``/``x-api-key``, JSON body) in ``state.requests``, then authenticated:
Workspace routes (``/api/v1/app``) need ``Authorization: Bearer <token>`` and ``x-org``;
ZylonGPT routes (``/api/gpt/v1``) a bearer token or ``x-api-key`` (so Anthropic clients
can call ``/messages``), no ``x-org``. A missing header is a 401 naming it. A body that
is not JSON is a 400; an :class:`~.errors.ApiError` from a handler becomes its JSON error
envelope (400 naming every bad field, 404 for an unknown id, 409...); anything else is a
500 naming the emulator's own failure, so a bug never looks like a hang. Unknown paths
and methods get the same envelope (404, 405).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .context import Context, Handler
from .errors import ApiError, error
from .options import EmulatorOptions
from .routes import ENDPOINTS
from .state import EmulatorState

logger = logging.getLogger("zylon_core.emulator")

Asgi = Callable[[Request], Awaitable[Response]]


class Emulator:
    """One emulator: its ``options``, its ``state``, and its Starlette routes."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options
        self.state = EmulatorState(chunk_words=options.chunk_words)

    def wrap(self, handler: Handler, area: str) -> Asgi:
        """``handler`` as a Starlette endpoint: record, authenticate, decode, answer."""

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            body: Any = None
            bad_json = False
            if raw and "multipart/form-data" not in request.headers.get("content-type", ""):
                try:
                    body = json.loads(raw)
                except ValueError:
                    bad_json = True
            self.record(request, body)
            try:
                self.authenticate(request, area)
                if bad_json:
                    raise ApiError(400, "request body is not valid JSON", [error("", "not valid JSON")])
                result = await handler(Context(request, body, raw, self.state, self.options))
            except ApiError as exc:
                return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
            except Exception as exc:  # a bug in the emulator: say so, do not hang
                logger.exception("emulator error on %s %s", request.method, request.url.path)
                return JSONResponse({"message": f"emulator error: {type(exc).__name__}: {exc}"}, status_code=500)
            if isinstance(result, Response):
                return result
            return JSONResponse(result)

        return endpoint

    def record(self, request: Request, body: Any) -> None:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "x-api-key")}
        self.state.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "headers": headers,
                "json": body,
            }
        )

    def authenticate(self, request: Request, area: str) -> None:
        if area == "open":
            return
        problems = []
        authorization = request.headers.get("authorization", "")
        bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        token = bearer or (request.headers.get("x-api-key", "").strip() if area == "gpt" else "")
        if not token:
            wanted = "Authorization: Bearer <token>" + (" (or x-api-key)" if area == "gpt" else "")
            problems.append(error("header.Authorization", f"missing {wanted} header"))
        elif self.options.token is not None and token != self.options.token:
            problems.append(error("header.Authorization", "invalid API token"))
        if area == "workspace" and not request.headers.get("x-org", "").strip():
            problems.append(error("header.x-org", "missing x-org header (the organization slug or id, e.g. 'default')"))
        if problems:
            raise ApiError(401, "unauthorized: " + "; ".join(p["message"] for p in problems), problems)

    def routes(self) -> list[Route]:
        # Starlette matches a path before its method: one route per path, dispatching
        # on the method.
        grouped: dict[str, dict[str, Asgi]] = {}
        for path, methods, handler, area in ENDPOINTS:
            wrapped = self.wrap(handler, area)
            for method in methods:
                grouped.setdefault(path, {})[method] = wrapped
        return [Route(path, _dispatch(by_method), methods=list(by_method)) for path, by_method in grouped.items()]


def _dispatch(by_method: dict[str, Asgi]) -> Asgi:
    async def endpoint(request: Request) -> Response:
        handler = by_method.get(request.method) or by_method["GET"]  # HEAD of a GET route
        return await handler(request)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    else:
        message = getattr(exc, "detail", None) or "error"
    return JSONResponse({"message": message}, status_code=status)


def create_app(options: EmulatorOptions | None = None, **overrides: Any) -> Starlette:
    """The emulator as an ASGI app; ``app.state.emulator`` holds its :class:`Emulator`.

    ``overrides`` are :class:`EmulatorOptions` fields (an unknown name is a TypeError).
    """
    emulator = Emulator(EmulatorOptions.build(options, **overrides))
    app = Starlette(routes=emulator.routes(), exception_handlers={404: _http_error, 405: _http_error})
    app.state.emulator = emulator
    return app
