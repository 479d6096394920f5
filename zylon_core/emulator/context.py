"""What every route handler works with: one request in a :class:`Context`, plus the
helpers all resources share (paging, looking ids up, the route table's row type).

A handler is ``async def handler(ctx: Context) -> Any``: it returns a JSON-able value
(sent with status 200), a Starlette ``Response``, or raises :class:`~.errors.ApiError`.
Authentication, request recording and the error envelope happen around it (see
:mod:`.app`).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, NamedTuple

from starlette.requests import Request

from .errors import error, invalid, not_found
from .options import EmulatorOptions
from .state import Artifact, EmulatorState, InteractionRecord, Project, Thread

WORKSPACE = "/api/v1/app"
GPT = "/api/gpt/v1"


class Context:
    """One request: the Starlette request, its decoded JSON body (None for none, or for
    multipart) and raw bytes, and the emulator's state and options."""

    def __init__(self, request: Request, body: Any, raw: bytes, state: EmulatorState, options: EmulatorOptions) -> None:
        self.request = request
        self.body = body
        self.raw = raw
        self.state = state
        self.options = options

    def param(self, name: str) -> str:
        return self.request.path_params[name]

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.query_params.get(name, default)

    def page(self, items: list[Any], render: Callable[[Any], Any]) -> dict[str, Any]:
        """The list envelope for ``?page=&page_size=`` (1-based; 400 naming a bad one)."""
        numbers = {}
        for name, default in (("page", 1), ("page_size", 20)):
            raw = self.query(name)
            try:
                value = int(float(raw)) if raw is not None else default
            except ValueError:
                raise invalid([error(name, f"must be a positive integer, got {raw!r}")]) from None
            if value < 1 or (name == "page_size" and value > self.options.max_page_size):
                limit = f" and <= {self.options.max_page_size}" if name == "page_size" else ""
                raise invalid([error(name, f"must be >= 1{limit}, got {value}")])
            numbers[name] = value
        size, number = numbers["page_size"], numbers["page"]
        start = (number - 1) * size
        return {
            "data": [render(item) for item in items[start : start + size]],
            "has_next_page": start + size < len(items),
            "has_previous_page": number > 1 and len(items) > 0,
            "total_count": len(items),
        }

    # -- lookups: the resource, or a 404 naming the id ---------------------------------------

    def project(self, project_id: str) -> Project:
        project = self.state.projects.get(project_id)
        if project is None:
            raise not_found("project", project_id)
        return project

    def thread(self, thread_id: str) -> Thread:
        thread = self.state.threads.get(thread_id)
        if thread is None:
            raise not_found("thread", thread_id)
        return thread

    def interaction(self, interaction_id: str) -> InteractionRecord:
        record = self.state.interactions.get(interaction_id)
        if record is None:
            raise not_found("interaction", interaction_id)
        return record

    def artifact(self, project_id: str, artifact_id: str) -> Artifact:
        artifact = self.state.artifacts.get(artifact_id)
        if artifact is None or artifact.project_id != project_id:
            raise not_found("artifact", artifact_id)
        return artifact


Handler = Callable[[Context], Awaitable[Any]]


class Endpoint(NamedTuple):
    """One row of a route table: ``area`` is ``workspace`` (bearer token and ``x-org``),
    ``gpt`` (bearer token or ``x-api-key``) or ``open`` (no credentials)."""

    path: str
    methods: list[str]
    handler: Handler
    area: str

