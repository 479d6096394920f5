"""Every Zylon endpoint as a pure call builder: arguments in, a :class:`Call` out.

:class:`Endpoints` knows the URLs (from the settings), the request bodies and how each
answer is read; it sends nothing. The clients send these calls, and the plans of
:mod:`._operations`, :mod:`._turns` and :mod:`._memory` compose them. The artifact
endpoints are in :mod:`._api_artifacts` (Workspace) and :mod:`._api_gpt` (ZylonGPT), ZylonGPT's
messages, models and background messages in :mod:`._api_gpt_messages`; the answers that
come in several shapes are read by :mod:`._readers`.

Thread and interaction paths depend on the server's version (``settings.paths``): Zylon
1.50 and later keep them at ``/thread/{id}`` and ``/interaction/{id}``, older servers under
``/project/{projectId}/...``. Each such builder takes the ``project_id`` (needed by the
legacy layout) and uses the layout this client was told, or has found (see
:meth:`Endpoints.remember_layout` and :func:`._operations.on_thread_route`).

Every call says whether sending it twice is safe (:attr:`Call.idempotent`, which
decides its retries): GET, PUT and DELETE are; a POST that only reads or checks
(validate, embeddings, chunk search) or cancels says ``idempotent=True``; a POST that
creates (chat, project chat, interactions, threads, projects, artifacts) says
``idempotent=False``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Literal, Sequence, TypeVar

from pydantic import BaseModel

from ._api_artifacts import ArtifactEndpoints, FileInput, query_params, read_file, text_file_name
from ._api_gpt import GptArtifactEndpoints
from ._api_gpt_messages import GptMessageEndpoints
from ._call import Call, body, parse_json, parse_model
from ._model_catalog import ModelCatalog
from ._readers import ProjectChatAnswer, read_project_answer, read_search_results, read_validation
from ._settings import HEALTH_PATH, ZylonSettings
from ._system import Health, User
from .errors import ConfigurationError
from .models import (
    ChatRequest,
    ChatValidationResult,
    ChunkSearchResponse,
    ContextFilter,
    CreateInteractionDTO,
    CreateThreadDTO,
    EmbeddingsBody,
    EmbeddingsResponse,
    Interaction,
    MessageOutput,
    Page,
    ProjectChatDTO,
    SearchResult,
    SemanticSearch,
    Thread,
    UpdateThreadDTO,
)
from .models.chat import ThreadVisibility

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "Endpoints",
    "FileInput",
    "PageQuery",
    "ProjectChatAnswer",
    "SEARCH_TYPES",
    "body",
    "parse_json",
    "parse_model",
    "query_params",
    "read_file",
    "text_file_name",
]

M = TypeVar("M", bound=BaseModel)

DEFAULT_PAGE_SIZE = 50

SEARCH_TYPES = ("Project", "Artifact", "ArtifactContent", "Thread", "Interaction")
"""The result types of the Workspace search (``types``), case-sensitive."""
SEARCH_QUERY_MIN, SEARCH_QUERY_MAX = 3, 80

LEGACY_NEEDS_PROJECT = (
    "this Zylon server keeps threads and interactions under /project/{projectId}/... (servers before "
    "Zylon 1.50, paths='legacy'): pass project_id=... (the thread's project) to reach them"
)


@dataclass(frozen=True)
class PageQuery:
    """Which page of a list to ask for: by number, or after the cursor the last page
    gave (``next_cursor``, sent back as ``after``); ``order`` is ``page_order``
    (``ASC`` / ``DESC``; None leaves it to the server, whose default is ``ASC``)."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    after: str | None = None
    order: Literal["ASC", "DESC"] | None = None

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"page_size": self.page_size}
        if self.after is not None:
            params["after"] = self.after
        else:
            params["page"] = self.page
        if self.order is not None:
            params["page_order"] = self.order
        return params


class Endpoints(ArtifactEndpoints, GptArtifactEndpoints, GptMessageEndpoints):
    """The calls of the Workspace API (``{base}/api/v1/app``) and ZylonGPT (``{base}/api/gpt/v1``)."""

    def __init__(self, settings: ZylonSettings) -> None:
        self.settings = settings
        self._workspace = settings.workspace_url("")
        self._gpt = settings.gpt_url("")
        self.paths = settings.paths
        # With paths="auto": the layout this server was seen to use (None: not yet known).
        self.detected_layout: Literal["current", "legacy"] | None = None
        # ZylonGPT's models list and whether the token reaches it, once known.
        self.catalog = ModelCatalog()

    # -- path layout -----------------------------------------------------------------

    def legacy_layout(self, project_id: str | None = None) -> bool:
        """Whether thread and interaction calls go under ``/project/{project_id}/...``
        (``ConfigurationError`` if they must and no ``project_id`` is known)."""
        layout = self.paths if self.paths != "auto" else (self.detected_layout or "current")
        if layout == "legacy" and not project_id:
            raise ConfigurationError(LEGACY_NEEDS_PROJECT)
        return layout == "legacy"

    @property
    def may_detect(self) -> bool:
        """Whether a 404 on the current layout may be retried on the legacy one."""
        return self.paths == "auto" and self.detected_layout is None

    def remember_layout(self, layout: Literal["current", "legacy"]) -> None:
        """Remember, for this client, the layout a thread route answered on (``auto``)."""
        if self.paths == "auto" and self.detected_layout is None:
            self.detected_layout = layout

    def _legacy(self, project_id: str | None, legacy: bool | None) -> bool:
        if legacy is None:
            return self.legacy_layout(project_id)
        if legacy and not project_id:
            raise ConfigurationError(LEGACY_NEEDS_PROJECT)
        return legacy

    # -- chat ------------------------------------------------------------------------

    def chat(self, request: ChatRequest) -> Call[MessageOutput]:
        """``POST /chat``: one-shot chat (``stream: true`` in the request streams it)."""
        return Call(
            "POST", self._workspace + "/chat", json=body(request), parse=parse_model(MessageOutput), idempotent=False
        )

    def chat_validate(self, request: ChatRequest) -> Call[ChatValidationResult]:
        """``POST /chat/validate``: is this request valid, without running it. ``204``
        (or an empty ``200``) is valid; a 400 is an invalid result carrying the
        server's explanation, not an exception; other errors raise."""
        return Call(
            "POST",
            self._workspace + "/chat/validate",
            json=body(request),
            parse=read_validation,
            accept_statuses=frozenset({400}),
            idempotent=True,  # only checks the request
        )

    def project_chat(self, project_id: str, dto: ProjectChatDTO) -> Call[ProjectChatAnswer]:
        """``POST /project/{id}/chat``: chat over a project's artifacts. The answer is a
        :class:`MessageOutput`, an :class:`Interaction` (the documented shape), or the
        events of a stream (a list of dicts) when the server streamed it."""
        headers = {"Accept": "text/event-stream, application/json"} if dto.pgpt.stream else {}
        return Call(
            "POST",
            f"{self._workspace}/project/{project_id}/chat",
            json=body(dto),
            parse=read_project_answer,
            headers=headers,
            idempotent=False,
        )

    # -- threads and interactions ----------------------------------------------------

    def _thread_url(self, thread_id: str, project_id: str | None, legacy: bool | None) -> str:
        if self._legacy(project_id, legacy):
            return f"{self._workspace}/project/{project_id}/thread/{thread_id}"
        return f"{self._workspace}/thread/{thread_id}"

    def _interaction_url(self, interaction_id: str, project_id: str | None, legacy: bool | None, suffix: str = "") -> str:
        if self._legacy(project_id, legacy):
            return f"{self._workspace}/project/{project_id}/interaction/{interaction_id}{suffix}"
        return f"{self._workspace}/interaction/{interaction_id}{suffix}"

    def thread_create(self, project_id: str, name: str, visibility: ThreadVisibility = "Private") -> Call[Thread]:
        dto = CreateThreadDTO(name=name, visibility=visibility)
        return Call(
            "POST", f"{self._workspace}/project/{project_id}/thread", json=body(dto), parse=parse_model(Thread), idempotent=False
        )

    def thread_get(self, thread_id: str, project_id: str | None = None, *, legacy: bool | None = None) -> Call[Thread]:
        return Call("GET", self._thread_url(thread_id, project_id, legacy), parse=parse_model(Thread))

    def thread_update(
        self,
        thread_id: str,
        *,
        name: str | None = None,
        visibility: ThreadVisibility | None = None,
        project_id: str | None = None,
        legacy: bool | None = None,
    ) -> Call[Thread]:
        dto = UpdateThreadDTO(name=name, visibility=visibility)
        return Call(
            "PUT",
            self._thread_url(thread_id, project_id, legacy),
            json=dto.model_dump(exclude_none=True),
            parse=parse_model(Thread),
        )

    def thread_delete(self, thread_id: str, project_id: str | None = None, *, legacy: bool | None = None) -> Call[None]:
        return Call("DELETE", self._thread_url(thread_id, project_id, legacy))

    def thread_page(self, project_id: str, query: PageQuery) -> Call[Page[Thread]]:
        return Call(
            "GET", f"{self._workspace}/project/{project_id}/thread", params=query.params(), parse=parse_model(Page[Thread])
        )

    def interaction_create(
        self, thread_id: str, dto: CreateInteractionDTO, project_id: str | None = None, *, legacy: bool | None = None
    ) -> Call[Interaction]:
        """``POST /thread/{id}/interaction`` (legacy: ``POST /project/{projectId}/interaction``
        with ``thread_id`` in the body, which is always sent)."""
        if dto.thread_id is None:
            dto = dto.model_copy(update={"thread_id": thread_id})
        if self._legacy(project_id, legacy):
            url = f"{self._workspace}/project/{project_id}/interaction"
        else:
            url = f"{self._workspace}/thread/{thread_id}/interaction"
        return Call("POST", url, json=body(dto), parse=parse_model(Interaction), idempotent=False)

    def interaction_get(self, interaction_id: str, project_id: str | None = None, *, legacy: bool | None = None) -> Call[Interaction]:
        return Call("GET", self._interaction_url(interaction_id, project_id, legacy), parse=parse_model(Interaction))

    def interaction_delete(self, interaction_id: str, project_id: str | None = None, *, legacy: bool | None = None) -> Call[None]:
        return Call("DELETE", self._interaction_url(interaction_id, project_id, legacy))

    def interaction_cancel(self, interaction_id: str, project_id: str | None = None, *, legacy: bool | None = None) -> Call[bool]:
        """True if cancelled; False if it had already finished (409: final, not retried).
        Safe to resend: a second cancel changes nothing (it answers 409)."""
        return Call(
            "POST",
            self._interaction_url(interaction_id, project_id, legacy, "/cancel"),
            parse=lambda response: response.status_code != 409,
            accept_statuses=frozenset({409}),
            idempotent=True,
        )

    def interaction_stream(self, interaction_id: str, project_id: str | None = None, *, legacy: bool | None = None) -> Call[None]:
        """``GET /interaction/{id}/stream``: the interaction's answer as SSE."""
        return Call("GET", self._interaction_url(interaction_id, project_id, legacy, "/stream"))

    def interaction_page(
        self, thread_id: str, query: PageQuery, project_id: str | None = None, *, legacy: bool | None = None
    ) -> Call[Page[Interaction]]:
        """One page of a thread's interactions (legacy: ``GET /project/{projectId}/interaction?threadId=``)."""
        if self._legacy(project_id, legacy):
            url = f"{self._workspace}/project/{project_id}/interaction"
            params = {**query.params(), "threadId": thread_id}
        else:
            url, params = f"{self._workspace}/thread/{thread_id}/interaction", query.params()
        return Call("GET", url, params=params, parse=parse_model(Page[Interaction]))

    # -- projects --------------------------------------------------------------------

    def project_create(self, name: str, **fields: Any) -> Call[dict[str, Any]]:
        return Call("POST", self._workspace + "/project", json={"name": name, **fields}, parse=parse_json, idempotent=False)

    def project_get(self, project_id: str) -> Call[dict[str, Any]]:
        return Call("GET", f"{self._workspace}/project/{project_id}", parse=parse_json)

    def project_delete(self, project_id: str) -> Call[None]:
        return Call("DELETE", f"{self._workspace}/project/{project_id}")

    def user_projects(self, user_id: str, query: PageQuery) -> Call[Page[dict[str, Any]]]:
        """``GET /user/{id}/project``: one page of the projects a user (``me().id``) belongs to."""
        return Call(
            "GET",
            f"{self._workspace}/user/{user_id}/project",
            params=query.params(),
            parse=parse_model(Page[dict[str, Any]]),
        )

    # -- search, identity, health ----------------------------------------------------

    def search(self, text: str, *, types: Sequence[str] | str | None = None, limit: int | None = None) -> Call[list[SearchResult]]:
        """``GET /search``: projects, artifacts, artifact content, threads and
        interactions matching ``text``, best first (a bare list).

        ``text`` must hold 3 to 80 characters (after trimming); ``types`` any of
        :data:`SEARCH_TYPES` (sent as ``types``, and as ``type`` for servers following
        the published OpenAPI; results of other types are dropped here too); ``limit``
        an integer >= 2 (the server's default is 30). ``ValueError`` before sending."""
        query = text.strip() if isinstance(text, str) else text
        if not isinstance(query, str) or not SEARCH_QUERY_MIN <= len(query) <= SEARCH_QUERY_MAX:
            length = len(query) if isinstance(query, str) else type(query).__name__
            raise ValueError(
                f"the Workspace search takes a query of {SEARCH_QUERY_MIN} to {SEARCH_QUERY_MAX} characters, "
                f"got {length}: for a longer question pass its keywords"
            )
        kinds = [types] if isinstance(types, str) else list(types or ())
        unknown = [k for k in kinds if k not in SEARCH_TYPES]
        if unknown:
            raise ValueError(f"unknown search type(s) {', '.join(map(repr, unknown))}; expected any of: {', '.join(SEARCH_TYPES)}")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 2):
            raise ValueError(f"limit must be an integer >= 2 (the server refuses limit <= 1), got {limit!r}")
        params: dict[str, Any] = {"q": query}
        if kinds:
            params["types"] = params["type"] = ",".join(kinds)
        if limit is not None:
            params["limit"] = int(limit)
        wanted = frozenset(kinds)
        return Call("GET", self._workspace + "/search", params=params, parse=lambda r: read_search_results(r, wanted))

    def me(self) -> Call[User]:
        """``GET /api/v1/app/me``: who the token belongs to."""
        return Call("GET", self._workspace + "/me", parse=parse_model(User))

    def health(self) -> Call[Health]:
        """``GET /api/health`` (sent without the token; a 503 raises)."""
        return Call("GET", self.settings.root_url(HEALTH_PATH), parse=parse_model(Health), auth=False)

    # -- ZylonGPT --------------------------------------------------------------------

    def embeddings(self, input: str | list[str]) -> Call[EmbeddingsResponse]:
        """``POST /api/gpt/v1/embeddings``."""
        return Call(
            "POST",
            self._gpt + "/embeddings",
            json=body(EmbeddingsBody(input=input)),
            parse=parse_model(EmbeddingsResponse),
            idempotent=True,  # computes, stores nothing
        )

    def chunk_search(
        self,
        text: str,
        *,
        collection: str | None = None,
        artifacts: list[str] | None = None,
        metadata_filter: list[dict[str, Any]] | None = None,
        limit: int | None = None,
        score_threshold: float | None = None,
        expand: bool | None = None,
    ) -> Call[ChunkSearchResponse]:
        """``POST /api/gpt/v1/primitives/search`` (``semantic_search``)."""
        filters: dict[str, Any] = {"collection": collection, "artifacts": artifacts, "metadata_filter": metadata_filter}
        options: dict[str, Any] = {"limit": limit, "score_threshold": score_threshold, "expand": expand}
        query = SemanticSearch.model_validate(
            {
                "text": text,
                "context_filter": ContextFilter.model_validate({k: v for k, v in filters.items() if v is not None}),
                **{k: v for k, v in options.items() if v is not None},
            }
        )
        return Call(
            "POST", self._gpt + "/primitives/search", json=body(query), parse=parse_model(ChunkSearchResponse), idempotent=True
        )
