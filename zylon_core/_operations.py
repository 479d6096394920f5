"""Multi-request operations as plans (see :mod:`._plans`): paging, thread routes on the
server's path layout, embedding batches, adding documents and waiting for their
ingestion, downloading an artifact, and reading a project's documents.

Each is written once; the sync and async clients run them with their one driver.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence, TypeVar, Union

import httpx

from ._api import DEFAULT_PAGE_SIZE, Endpoints, FileInput, PageQuery
from ._call import Call
from ._plans import Emit, Pause, Plan, each
from .errors import APIError, IngestionError, IngestionTimeoutError, NotFoundError
from .models import Artifact, EmbeddingsResponse, Page

T = TypeVar("T")

DEFAULT_INGEST_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 1.0
MAX_POLL_INTERVAL = 10.0


# -- paging ------------------------------------------------------------------------------

PageStep = Union[Call[Page[T]], Plan[Page[T]]]


def paged(
    page_call: Callable[[PageQuery], PageStep[T]],
    *,
    page_size: int,
    emit: bool = False,
    order: Literal["ASC", "DESC"] | None = None,
) -> Plan[list[T]]:
    """Every item of every page: emitted one by one (``emit=True``, for lazy iteration),
    else returned as one list. ``page_call`` gives the call (or a plan) for a page.

    Walks ``page=1, 2, ...`` while the envelope says ``has_next_page``; when a page
    carries a ``next_cursor`` the next one is asked ``after`` it instead. Stops on an
    empty page; a cursor that comes back, or a page identical to an earlier one (a
    server ignoring ``page``), is an ``APIError``: never a loop. ``order`` is sent as
    ``page_order``."""
    if page_size < 1:
        raise ValueError(f"page_size must be >= 1, got {page_size}")
    items: list[T] = []
    query = PageQuery(page=1, page_size=page_size, order=order)
    cursors: set[str] = set()
    seen: set[tuple[Any, ...]] = set()
    while True:
        step = page_call(query)
        label = httpx.URL(step.url).path if isinstance(step, Call) else "the list"
        page: Page[T] = (yield step) if isinstance(step, Call) else (yield from step)
        signature = tuple(getattr(item, "id", None) or repr(item) for item in page.data)
        if page.data and signature in seen:
            raise APIError(
                f"GET {label}: page {query.page} repeats an earlier page ({query.params()}); "
                "the server does not seem to page this list: stopped instead of looping"
            )
        seen.add(signature)
        if emit:
            for item in page.data:
                yield Emit(item)
        else:
            items.extend(page.data)
        if not page.has_next_page or not page.data:
            return items
        cursor = page.next_cursor
        if cursor:
            if cursor in cursors:
                raise APIError(f"GET {label}: the server sent the cursor {cursor!r} again; stopped instead of looping")
            cursors.add(cursor)
            query = PageQuery(page=query.page + 1, page_size=page_size, after=cursor, order=order)
        elif query.after is not None:
            raise APIError(f"GET {label}: the server says there are more items but gives no next_cursor to reach them")
        else:
            query = PageQuery(page=query.page + 1, page_size=page_size, order=order)


# -- thread routes -----------------------------------------------------------------------


def on_thread_route(api: Endpoints, project_id: str | None, build: Callable[[bool], Call[T]]) -> Plan[T]:
    """Send a thread or interaction call (``build(legacy)``) on this client's path layout.

    With ``paths="auto"`` and the layout not known yet, a 404 on the current layout
    while ``project_id`` is known is sent once more on the legacy layout (servers
    before Zylon 1.50): the first request was not carried out, so this is safe. The
    layout that answered is remembered by ``api`` (one client, one server). A 404 on
    both is the first ``NotFoundError`` (the thread or interaction does not exist)."""
    legacy = api.legacy_layout(project_id)
    try:
        value = yield build(legacy)
    except NotFoundError as error:
        if legacy or not api.may_detect:
            raise
        if not project_id:
            raise _legacy_hint(error) from None
        try:
            value = yield build(True)
        except NotFoundError:
            raise error from None
        api.remember_layout("legacy")
        return value
    if not legacy:
        api.remember_layout("current")
    return value


def _legacy_hint(error: NotFoundError) -> NotFoundError:
    message = (
        f"{error.message} (if this server is older than Zylon 1.50, its threads live under "
        "/project/{projectId}/...: pass project_id=... to reach them)"
    )
    error.message = message
    error.args = (message, *error.args[1:])
    return error


# -- artifacts ---------------------------------------------------------------------------


def download(api: Endpoints, project_id: str, artifact_id: str) -> Plan[bytes]:
    """An artifact's raw content: the answer of ``GET .../download`` itself, or the
    content of the short-lived URL it answered (fetched without our token)."""
    answer = yield api.artifact_download(project_id, artifact_id)
    if answer.url is None:
        return answer.content or b""
    return (yield api.presigned_get(answer.url))


# -- embeddings --------------------------------------------------------------------------


def embed(api: Endpoints, texts: Sequence[str], batch_size: int) -> Plan[list[list[float]]]:
    """One vector per text, in the order given, ``batch_size`` texts per request."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    texts = list(texts)
    vectors: list[list[float]] = []
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        response = yield api.embeddings(batch)
        vectors.extend(checked_vectors(response, len(batch)))
    return vectors


def embed_one(api: Endpoints, text: str) -> Plan[list[float]]:
    """The vector of one text (sent as a plain string)."""
    response = yield api.embeddings(text)
    return checked_vectors(response, 1)[0]


def checked_vectors(response: EmbeddingsResponse, expected: int) -> list[list[float]]:
    """The vectors in input order, after checking there is exactly one per input
    (``APIError`` naming both counts otherwise). Repeated indexes are no error: ZylonGPT
    gives equal vectors the index of the first (see :meth:`EmbeddingsResponse.vectors`)."""
    if len(response.data) != expected:
        raise APIError(
            f"the embeddings response does not hold one vector per input: {expected} input(s), "
            f"{len(response.data)} vector(s)"
        )
    return response.vectors()


# -- ingestion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestWait:
    """Whether and how long to wait for added documents to be ingested."""

    wait: bool = True
    timeout: float = DEFAULT_INGEST_TIMEOUT
    poll_interval: float = DEFAULT_POLL_INTERVAL


def wait_until_ingested(api: Endpoints, project_id: str, ids: Sequence[str], wait: IngestWait) -> Plan[list[Artifact]]:
    """Poll until every artifact is ingested (``Done`` or ``NotApplicable``); the final
    artifacts, in the order given. ``IngestionError`` as soon as one fails,
    ``IngestionTimeoutError`` after ``wait.timeout`` seconds; polls every
    ``wait.poll_interval`` seconds, backing off to at most 10 s."""
    deadline = time.monotonic() + wait.timeout
    interval = max(wait.poll_interval, 0.0)
    finished: dict[str, Artifact] = {}
    while True:
        for artifact_id in ids:
            if artifact_id in finished:
                continue
            artifact = yield api.artifact_get(project_id, artifact_id)
            if artifact.ingest_failed:
                detail = f" ({artifact.error})" if artifact.error else ""
                raise IngestionError(
                    f"artifact {artifact_id} ({artifact.name or 'unnamed'}) could not be ingested: "
                    f"ingest_status={artifact.ingest_status}, state={artifact.state}{detail}",
                    artifact=artifact,
                )
            if artifact.ingested:
                finished[artifact_id] = artifact
        pending = [i for i in ids if i not in finished]
        if not pending:
            return [finished[i] for i in ids]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise IngestionTimeoutError(
                f"{len(pending)} artifact(s) still being ingested after {wait.timeout:g} s: {', '.join(pending[:5])}",
                pending=pending,
            )
        yield Pause(min(interval, remaining))
        interval = min(max(interval * 1.5, 0.0), MAX_POLL_INTERVAL)


def add_artifacts(api: Endpoints, project_id: str, calls: list[Call[Artifact]], wait: IngestWait) -> Plan[list[Artifact]]:
    """Create artifacts one after the other (each create is sent once), then wait."""
    created: list[Artifact] = []
    for call in calls:
        created.append((yield call))
    if not wait.wait or not created:
        return created
    return (yield from wait_until_ingested(api, project_id, [a.id for a in created], wait))


def text_calls(api: Endpoints, project_id: str, texts: Sequence[str], names: Sequence[str] | None) -> list[Call[Artifact]]:
    """One ``Document`` upload per text (named ``names[i]``, else ``document-{i+1}``)."""
    texts = list(texts)
    if names is not None and len(names) != len(texts):
        raise ValueError(f"got {len(texts)} texts but {len(names)} names")
    return [
        api.artifact_document(project_id, names[i] if names is not None else f"document-{i + 1}", text)
        for i, text in enumerate(texts)
    ]


def file_calls(api: Endpoints, project_id: str, files: Sequence[FileInput]) -> list[Call[Artifact]]:
    return [api.artifact_upload(project_id, file) for file in files]


# -- a project's documents ---------------------------------------------------------------

LOADABLE_TYPES = ("Document", "InlineText")


@dataclass(frozen=True)
class ProjectDocument:
    """One ingested text artifact of a project and its parsed content (usually markdown)."""

    artifact: Artifact
    text: str
    project_id: str

    @property
    def metadata(self) -> dict[str, Any]:
        """``artifact_id``, ``project_id``, ``name``, ``file_name`` and ``source``."""
        file_name = self.artifact.file_name or self.artifact.name
        return {
            "artifact_id": self.artifact.id,
            "project_id": self.artifact.project_id or self.project_id,
            "name": self.artifact.name,
            "file_name": file_name,
            "source": file_name or self.artifact.id,
        }


def project_documents(api: Endpoints, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Plan[None]:
    """Emit a :class:`ProjectDocument` for every ingested ``Document`` / ``InlineText``
    artifact of the project (inside folders too), page by page."""

    def load(artifact: Artifact) -> Plan[None]:
        if artifact.type in LOADABLE_TYPES and artifact.ingest_status == "Done":
            text = yield api.artifact_parsed_content(project_id, artifact.id)
            yield Emit(ProjectDocument(artifact, text, project_id))

    artifacts = paged(lambda q: api.artifact_page(project_id, q, {"include_descendants": True}), page_size=page_size, emit=True)
    yield from each(artifacts, load)
