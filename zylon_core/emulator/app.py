"""The emulator's ASGI app (Starlette): the routes of :mod:`.routes` over one state, and
the plumbing every request goes through.

Each request is recorded first (method, path, query, headers without
``authorization``/``x-api-key``, JSON body) in ``state.requests``, then authenticated:
Workspace routes (``/api/v1/app``) need ``Authorization: Bearer <token>`` and ``x-org``;
ZylonGPT routes (``/api/gpt/v1``) a bearer token or ``x-api-key`` (so Anthropic clients
can call ``/messages``), no ``x-org``; with the option ``token_kind="workspace"`` every
ZylonGPT route answers 401, as for a Workspace token. ``/api/health`` needs nothing.

Errors come in each API's shape (:mod:`.errors`): on ZylonGPT routes the real server's
envelope (a body that is not JSON is its ``json_invalid`` item, an unknown path
``{"detail": "Not Found"}``), on Workspace routes the Kotlin ``{"type", "status",
"message"}``. An unexpected exception is a 500 naming the emulator's own failure, so a
bug never looks like a hang.
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

from .context import GPT, Context, Handler
from .errors import ApiError, detail, gpt_invalid, gpt_runtime, workspace_error
from .options import EmulatorOptions
from .routes import endpoints
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
            bad_json: json.JSONDecodeError | None = None
            if raw and "multipart/form-data" not in request.headers.get("content-type", ""):
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError as exc:
                    bad_json = exc
            self.record(request, body)
            try:
                self.authenticate(request, area)
                if bad_json is not None:
                    raise self.bad_json(bad_json, area)
                result = await handler(Context(request, body, raw, self.state, self.options))
            except ApiError as exc:
                if exc.body is None:
                    return Response(status_code=exc.status, headers=exc.headers)
                return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)
            except Exception as exc:  # a bug in the emulator: say so, do not hang
                logger.exception("emulator error on %s %s", request.method, request.url.path)
                text = f"emulator error: {type(exc).__name__}: {exc}"
                failure = gpt_runtime(text, exception=type(exc).__name__, server_error=True) if area == "gpt" else workspace_error(500, text)
                return JSONResponse(failure.body, status_code=500)
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

    @staticmethod
    def bad_json(exc: json.JSONDecodeError, area: str) -> ApiError:
        if area == "gpt":
            item = {"type": "json_invalid", "loc": str(("body", exc.pos)), "msg": "JSON decode error", "input": {}, "ctx": {"error": exc.msg}}
            return gpt_invalid([item])
        return workspace_error(400, f"request body is not valid JSON: {exc.msg} at character {exc.pos}")

    def authenticate(self, request: Request, area: str) -> None:
        if area == "open":
            return
        problems = []
        authorization = request.headers.get("authorization", "")
        bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        token = bearer or (request.headers.get("x-api-key", "").strip() if area == "gpt" else "")
        if not token:
            wanted = "Authorization: Bearer <token>" + (" (or x-api-key)" if area == "gpt" else "")
            problems.append(f"missing {wanted} header")
        elif self.options.token is not None and token != self.options.token:
            problems.append("invalid API token")
        if area == "workspace" and not request.headers.get("x-org", "").strip():
            problems.append("missing x-org header (the organization slug or id, e.g. 'default')")
        if area == "gpt":
            if problems:
                raise detail(401, "Unauthorized: " + "; ".join(problems))
            if self.options.token_kind == "workspace":
                # A Workspace token (or one made before Zylon 1.54) does not reach ZylonGPT.
                raise detail(401, "Unauthorized")
        elif problems:
            raise workspace_error(401, "unauthorized: " + "; ".join(problems))

    def routes(self) -> list[Route]:
        # Starlette matches a path before its method: one route per path, dispatching
        # on the method.
        grouped: dict[str, dict[str, Asgi]] = {}
        for path, methods, handler, area in endpoints(self.options):
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
    if request.url.path.startswith(GPT + "/") or request.url.path == GPT:
        # FastAPI's own answers.
        return JSONResponse({"detail": {404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")}, status_code=status)
    if status == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    else:
        message = str(getattr(exc, "detail", None) or "error")
    return JSONResponse(workspace_error(status, message).body, status_code=status)


def create_app(options: EmulatorOptions | None = None, **overrides: Any) -> Starlette:
    """The emulator as an ASGI app; ``app.state.emulator`` holds its :class:`Emulator`.

    ``overrides`` are :class:`EmulatorOptions` fields (an unknown name is a TypeError).
    """
    emulator = Emulator(EmulatorOptions.build(options, **overrides))
    app = Starlette(routes=emulator.routes(), exception_handlers={404: _http_error, 405: _http_error})
    app.state.emulator = emulator
    return app
