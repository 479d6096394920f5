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

    @property
    def org(self) -> str:
        return self.request.headers.get("x-org", "").strip() or "default"

    @property
    def numeric_dates(self) -> bool:
        """Whether dates are epoch numbers (an older Workspace, option ``paths="legacy"``)."""
        return self.options.paths == "legacy"

    def _positive(self, name: str, default: int | None, limit: int | None = None) -> int | None:
        raw = self.query(name)
        if raw is None:
            return default
        try:
            value = int(float(raw))
        except ValueError:
            raise invalid([error(name, f"must be a positive integer, got {raw!r}")]) from None
        if value < 1 or (limit is not None and value > limit):
            bound = f" and <= {limit}" if limit is not None else ""
            raise invalid([error(name, f"must be >= 1{bound}, got {value}")])
        return value

    def page(self, items: list[Any], render: Callable[[Any], Any], key: Callable[[Any], str] | None = None) -> dict[str, Any]:
        """The list envelope ``{data, has_next_page, has_previous_page, next_cursor?,
        previous_cursor?, total_count}`` of ``items`` (oldest first).

        Query: ``page`` (1-based; ignored with the option ``paging="cursor"``),
        ``page_size`` (default 20), ``page_order`` (``ASC`` default, ``DESC``), ``after`` /
        ``before`` (a cursor: the id of an item, as ``next_cursor`` / ``previous_cursor``
        give), ``first`` / ``last`` (the first / last N of the window), ``total_count``
        (``true``: include it; always included unless the option ``total_count`` is
        ``"requested"``). A bad value or an unknown cursor is a 400 naming it.
        """
        key = key or (lambda item: str(item.id))
        order = (self.query("page_order") or "ASC").upper()
        if order not in ("ASC", "DESC"):
            raise invalid([error("page_order", f"must be ASC or DESC, got {self.query('page_order')!r}")])
        ordered = list(reversed(items)) if order == "DESC" else list(items)
        ids = [key(item) for item in ordered]
        size = self._positive("page_size", 20, self.options.max_page_size) or 20
        number = self._positive("page", 1) or 1
        first, last = self._positive("first", None), self._positive("last", None)
        after, before = self.query("after"), self.query("before")
        for name, cursor in (("after", after), ("before", before)):
            if cursor and cursor not in ids:
                raise invalid([error(name, f"unknown cursor {cursor!r}")])
        if after:
            low, high = ids.index(after) + 1, len(ordered)
        elif before:
            low, high = 0, ids.index(before)
        else:
            low, high = 0, len(ordered)
            if self.options.paging == "page":
                low = min(high, (number - 1) * size)
        if first is not None:
            size = min(size, first)
        if last is not None or (before and not after):
            count = min(size, last or size)
            low = max(low, high - count)
        data = ordered[low : min(high, low + size)]
        end = low + len(data)
        body: dict[str, Any] = {
            "data": [render(item) for item in data],
            "has_next_page": end < len(ordered),
            "has_previous_page": low > 0 and len(ordered) > 0,
        }
        if data and body["has_next_page"]:
            body["next_cursor"] = key(data[-1])
        if data and body["has_previous_page"]:
            body["previous_cursor"] = key(data[0])
        if self.options.total_count == "always" or (self.query("total_count") or "").lower() == "true":
            body["total_count"] = len(ordered)
        return body

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

