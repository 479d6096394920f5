"""The Zylon endpoints, each method written once for both clients.

A resource method builds a :class:`~zylon_core.transport.Call` and hands it to the
owning client's transport: on :class:`~zylon_core.client.ZylonClient` it returns the
value, on :class:`~zylon_core.client.AsyncZylonClient` an awaitable of it. Streams
return an iterator or an async iterator of decoded event dicts the same way.
"""

from __future__ import annotations

import hashlib
import json as jsonlib
import mimetypes
import os
import time
from dataclasses import dataclass
from typing import (
    IO,
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Generator,
    Generic,
    Iterator,
    Mapping,
    Sequence,
    TypeVar,
    Union,
)

import httpx
from pydantic import BaseModel, TypeAdapter

from . import transport as _transport
from .errors import APIError, IngestionError, IngestionTimeoutError
from .models import (
    Artifact,
    ChatRequest,
    ChatValidationResult,
    ChunkSearchResponse,
    ContextFilter,
    CreateArtifact,
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
    UpdateArtifact,
    UpdateThreadDTO,
)
from .transport import Call

if TYPE_CHECKING:
    from .client import _ClientBase

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50


def parse_model(model: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: model.model_validate(response.json())


def parse_json(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def body(payload: BaseModel | dict[str, Any]) -> dict[str, Any]:
    return payload.to_json_dict() if isinstance(payload, BaseModel) else payload  # type: ignore[attr-defined]


class Pager(Generic[T]):
    """Every item of every page: ``for`` on a sync client, ``async for`` on an async one.

    Walks ``page=1, 2, ...`` while the envelope says ``has_next_page`` (and stops on an
    empty page, so a server that always says "more" cannot loop forever).
    """

    def __init__(self, owner: "_ClientBase", make_call: Callable[[int], Call[Page[T]]]) -> None:
        self._owner = owner
        self._make_call = make_call

    def __iter__(self) -> Iterator[T]:
        number = 1
        while True:
            page = self._owner._transport.execute(self._make_call(number))
            yield from page.data
            if not page.has_next_page or not page.data:
                return
            number += 1

    async def __aiter__(self) -> AsyncIterator[T]:
        number = 1
        while True:
            page = await self._owner._transport.execute(self._make_call(number))
            for item in page.data:
                yield item
            if not page.has_next_page or not page.data:
                return
            number += 1


@dataclass(frozen=True)
class Pause:
    """A step of a multi-request operation: wait this many seconds before the next call."""

    seconds: float


# A multi-request operation written once: a generator that yields the calls to make (and
# pauses), receives each call's result, and returns the operation's value. ``_drive``
# runs it with the owner's transport: directly on a sync client, as a coroutine on an
# async one.
Steps = Generator[Union[Call[Any], Pause], Any, T]


def _drive_sync(transport: Any, steps: Steps[T]) -> T:
    value: Any = None
    while True:
        try:
            step = steps.send(value)
        except StopIteration as stop:
            return stop.value
        if isinstance(step, Pause):
            _transport._sleep(step.seconds)
            value = None
        else:
            value = transport.execute(step)


async def _drive_async(transport: Any, steps: Steps[T]) -> T:
    value: Any = None
    while True:
        try:
            step = steps.send(value)
        except StopIteration as stop:
            return stop.value
        if isinstance(step, Pause):
            await _transport._async_sleep(step.seconds)
            value = None
        else:
            value = await transport.execute(step)


class Resource:
    def __init__(self, owner: "_ClientBase") -> None:
        self._owner = owner

    def _drive(self, steps: Steps[T]) -> Any:
        """Run a multi-request operation: its value (sync client) or an awaitable of it."""
        if self._owner.is_async:
            return _drive_async(self._owner._transport, steps)
        return _drive_sync(self._owner._transport, steps)

    def _url(self, path: str) -> str:
        return self._owner.settings.workspace_url(path)

    def _gpt_url(self, path: str) -> str:
        return self._owner.settings.gpt_url(path)

    def _run(self, call: Call[Any]) -> Any:
        return self._owner._transport.execute(call)

    def _stream(self, call: Call[Any]) -> Any:
        return self._owner._transport.stream(call)

    def _page_call(self, path: str, model: type[Any], page: int, page_size: int, **params: Any) -> Call[Any]:
        query = {"page": page, "page_size": page_size, **{k: v for k, v in params.items() if v is not None}}
        return Call("GET", self._url(path), params=query, parse=parse_model(Page[model]))  # type: ignore[valid-type]


class Chat(Resource):
    """One-shot chat (``/chat``), project chat and request validation."""

    def create(self, request: ChatRequest) -> MessageOutput:
        return self._run(self.create_call(request))

    def create_call(self, request: ChatRequest, project: ProjectChatDTO | None = None, project_id: str | None = None) -> Call[MessageOutput]:
        if project_id is not None:
            dto = project or ProjectChatDTO(pgpt=request)
            return Call("POST", self._url(f"/project/{project_id}/chat"), json=body(dto), parse=parse_model(MessageOutput))
        return Call("POST", self._url("/chat"), json=body(request), parse=parse_model(MessageOutput))

    def stream(self, request: ChatRequest) -> Any:
        """Events of a streamed one-shot chat (``stream: true`` is set for you)."""
        return self._stream(self.create_call(request.model_copy(update={"stream": True})))

    def create_in_project(self, project_id: str, dto: ProjectChatDTO) -> MessageOutput:
        return self._run(self.create_call(dto.pgpt, dto, project_id))

    def validate(self, request: ChatRequest) -> ChatValidationResult:
        return self._run(
            Call("POST", self._url("/chat/validate"), json=body(request), parse=parse_model(ChatValidationResult))
        )


class Threads(Resource):
    def create(self, project_id: str, name: str, visibility: str = "Private") -> Thread:
        dto = CreateThreadDTO(name=name, visibility=visibility)  # type: ignore[arg-type]
        return self._run(Call("POST", self._url(f"/project/{project_id}/thread"), json=body(dto), parse=parse_model(Thread)))

    def get(self, thread_id: str) -> Thread:
        return self._run(Call("GET", self._url(f"/thread/{thread_id}"), parse=parse_model(Thread)))

    def update(self, thread_id: str, *, name: str | None = None, visibility: str | None = None) -> Thread:
        dto = UpdateThreadDTO(name=name, visibility=visibility)  # type: ignore[arg-type]
        return self._run(
            Call("PUT", self._url(f"/thread/{thread_id}"), json=dto.model_dump(exclude_none=True), parse=parse_model(Thread))
        )

    def delete(self, thread_id: str) -> None:
        return self._run(Call("DELETE", self._url(f"/thread/{thread_id}")))

    def list(self, project_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Thread]:
        return self._run(self._page_call(f"/project/{project_id}/thread", Thread, page, page_size))

    def iter_all(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Pager[Thread]:
        return Pager(self._owner, lambda n: self._page_call(f"/project/{project_id}/thread", Thread, n, page_size))


class Interactions(Resource):
    def create_call(self, thread_id: str, dto: CreateInteractionDTO) -> Call[Interaction]:
        if dto.thread_id is None:
            dto = dto.model_copy(update={"thread_id": thread_id})
        return Call("POST", self._url(f"/thread/{thread_id}/interaction"), json=body(dto), parse=parse_model(Interaction))

    def create(self, thread_id: str, dto: CreateInteractionDTO) -> Interaction:
        return self._run(self.create_call(thread_id, dto))

    def get(self, interaction_id: str) -> Interaction:
        return self._run(Call("GET", self._url(f"/interaction/{interaction_id}"), parse=parse_model(Interaction)))

    def delete(self, interaction_id: str) -> None:
        return self._run(Call("DELETE", self._url(f"/interaction/{interaction_id}")))

    def cancel_call(self, interaction_id: str) -> Call[bool]:
        # 409 means it had already finished: not an error, and not worth retrying.
        return Call(
            "POST",
            self._url(f"/interaction/{interaction_id}/cancel"),
            parse=lambda response: response.status_code != 409,
            accept_statuses=frozenset({409}),
        )

    def cancel(self, interaction_id: str) -> bool:
        """Cancel a running interaction; False if it had already finished (409)."""
        return self._run(self.cancel_call(interaction_id))

    def stream_call(self, interaction_id: str) -> Call[Any]:
        return Call("GET", self._url(f"/interaction/{interaction_id}/stream"))

    def stream(self, interaction_id: str) -> Any:
        return self._stream(self.stream_call(interaction_id))

    def list(self, thread_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Interaction]:
        return self._run(self._page_call(f"/thread/{thread_id}/interaction", Interaction, page, page_size))

    def iter_all(self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Pager[Interaction]:
        return Pager(self._owner, lambda n: self._page_call(f"/thread/{thread_id}/interaction", Interaction, n, page_size))


class Projects(Resource):
    def create(self, name: str, **fields: Any) -> dict[str, Any]:
        return self._run(Call("POST", self._url("/project"), json={"name": name, **fields}, parse=parse_json))

    def get(self, project_id: str) -> dict[str, Any]:
        return self._run(Call("GET", self._url(f"/project/{project_id}"), parse=parse_json))

    def delete(self, project_id: str) -> None:
        return self._run(Call("DELETE", self._url(f"/project/{project_id}")))


class Embeddings(Resource):
    """ZylonGPT ``POST /api/gpt/v1/embeddings``."""

    def create_call(self, input: str | list[str]) -> Call[EmbeddingsResponse]:
        return Call("POST", self._gpt_url("/embeddings"), json=body(EmbeddingsBody(input=input)), parse=parse_model(EmbeddingsResponse))

    def create(self, input: str | list[str]) -> EmbeddingsResponse:
        """One request, as the API takes it (a string or a list of strings)."""
        return self._run(self.create_call(input))

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> list[list[float]]:
        """One vector per text, in the order given; ``batch_size`` texts per request."""
        return self._drive(self._embed_steps(list(texts), batch_size))

    def embed_one(self, text: str) -> list[float]:
        """The vector of one text (sent as a plain string)."""
        return self._drive(self._embed_one_steps(text))

    def _embed_steps(self, texts: list[str], batch_size: int) -> Steps[list[list[float]]]:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        vectors: list[list[float]] = []
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            response = yield self.create_call(batch)
            vectors.extend(_checked_vectors(response, len(batch)))
        return vectors

    def _embed_one_steps(self, text: str) -> Steps[list[float]]:
        response = yield self.create_call(text)
        return _checked_vectors(response, 1)[0]


def _checked_vectors(response: EmbeddingsResponse, expected: int) -> list[list[float]]:
    """The vectors in input order, after checking there is exactly one per input."""
    indexes = sorted(item.index for item in response.data)
    if indexes != list(range(expected)):
        raise APIError(
            f"the embeddings response does not hold one vector per input: expected indexes 0..{expected - 1}, "
            f"got {indexes[:10]}{'...' if len(indexes) > 10 else ''}"
        )
    return response.vectors()


class ChunkSearch(Resource):
    """ZylonGPT ``POST /api/gpt/v1/primitives/search`` (``semantic_search``)."""

    def search_call(
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
        filters = {"collection": collection, "artifacts": artifacts, "metadata_filter": metadata_filter}
        query = SemanticSearch(
            text=text,
            context_filter=ContextFilter(**{k: v for k, v in filters.items() if v is not None}),
            **{k: v for k, v in {"limit": limit, "score_threshold": score_threshold, "expand": expand}.items() if v is not None},
        )
        return Call("POST", self._gpt_url("/primitives/search"), json=body(query), parse=parse_model(ChunkSearchResponse))

    def search(
        self,
        text: str,
        *,
        collection: str | None = None,
        artifacts: list[str] | None = None,
        metadata_filter: list[dict[str, Any]] | None = None,
        limit: int | None = None,
        score_threshold: float | None = None,
        expand: bool | None = None,
    ) -> ChunkSearchResponse:
        """The chunks most similar to ``text``, best first.

        ``collection`` (the server's default collection when omitted) and ``artifacts``
        (ids) narrow the context; ``limit`` caps the number of chunks; ``score_threshold``
        (0..1) drops weaker ones; ``expand`` adds each chunk's neighbours
        (``previous_texts`` / ``next_texts``).
        """
        return self._run(
            self.search_call(
                text,
                collection=collection,
                artifacts=artifacts,
                metadata_filter=metadata_filter,
                limit=limit,
                score_threshold=score_threshold,
                expand=expand,
            )
        )


class WorkspaceSearch(Resource):
    """Workspace ``GET /api/v1/app/search``: projects, artifacts, artifact content,
    threads and interactions matching a text, best first."""

    def query(self, text: str, *, types: Sequence[str] | str | None = None, limit: int | None = None) -> list[SearchResult]:
        """``types``: any of ``Project``, ``Artifact``, ``ArtifactContent``, ``Thread``,
        ``Interaction`` (all when omitted)."""
        if isinstance(types, str):
            types = [types]
        params: dict[str, Any] = {"q": text}
        if types:
            params["type"] = ",".join(types)
        if limit is not None:
            params["limit"] = limit
        adapter = TypeAdapter(list[SearchResult])
        return self._run(
            Call("GET", self._url("/search"), params=params, parse=lambda response: adapter.validate_python(response.json()))
        )


# What ``Artifacts.upload`` accepts as the file: a path, bytes, or an open binary file.
FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]

DEFAULT_INGEST_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 1.0
MAX_POLL_INTERVAL = 10.0


class Artifacts(Resource):
    """Workspace project artifacts: ``/api/v1/app/project/{project_id}/artifact``.

    Documents are uploaded as files (multipart, the file in ``fileData``) or created
    from text; the server then ingests them (``ingest_status`` goes ``Processing`` ...
    ``Done``), after which their chunks are searchable and can be cited in chat.
    ``wait_until_ingested`` polls until then.
    """

    def _path(self, project_id: str, artifact_id: str | None = None, suffix: str = "") -> str:
        path = f"/project/{project_id}/artifact"
        if artifact_id is not None:
            path += f"/{artifact_id}"
        return self._url(path + suffix)

    # -- create ------------------------------------------------------------------------

    def create_call(self, project_id: str, artifact: CreateArtifact | Mapping[str, Any]) -> Call[Artifact]:
        dto = artifact if isinstance(artifact, CreateArtifact) else CreateArtifact.model_validate(dict(artifact))
        return Call("POST", self._path(project_id), json=dto.to_json_dict(), parse=parse_model(Artifact))

    def create(self, project_id: str, artifact: CreateArtifact | Mapping[str, Any]) -> Artifact:
        """Create any kind of artifact from a JSON ``CreateArtifactDTO`` (folder, link, ...)."""
        return self._run(self.create_call(project_id, artifact))

    def upload_call(
        self,
        project_id: str,
        file: FileInput,
        *,
        name: str | None = None,
        file_name: str | None = None,
        content_type: str | None = None,
        description: str | None = None,
        parent_id: str | None = None,
        props: Mapping[str, Any] | None = None,
        keep_file_after_ingestion: bool | None = None,
    ) -> Call[Artifact]:
        content, guessed_name = _read_file(file)
        file_name = file_name or guessed_name or name
        if not file_name:
            raise ValueError("upload needs a file_name (or a name) when the file is given as bytes")
        name = name or file_name
        content_type = content_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        fields: dict[str, str] = {"type": "Document", "source": "User", "name": name, "props": jsonlib.dumps(dict(props or {}))}
        if description is not None:
            fields["description"] = description
        if parent_id is not None:
            fields["parent_id"] = parent_id
        if keep_file_after_ingestion is not None:
            fields["keep_file_after_ingestion"] = "true" if keep_file_after_ingestion else "false"
        # A boundary derived from the content (not random): the same upload is the same
        # request bytes, so recorded requests replay and retries resend identical bodies.
        digest = hashlib.sha256(content + jsonlib.dumps(fields, sort_keys=True).encode() + file_name.encode()).hexdigest()
        boundary = f"zylon-{digest[:40]}"
        return Call(
            "POST",
            self._path(project_id),
            data=fields,
            files={"fileData": (file_name, content, content_type)},
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            parse=parse_model(Artifact),
        )

    def upload(
        self,
        project_id: str,
        file: FileInput,
        *,
        name: str | None = None,
        file_name: str | None = None,
        content_type: str | None = None,
        description: str | None = None,
        parent_id: str | None = None,
        props: Mapping[str, Any] | None = None,
        keep_file_after_ingestion: bool | None = None,
    ) -> Artifact:
        """Upload a file as a ``Document`` artifact (multipart, the file in ``fileData``).

        ``file``: a path, bytes, or an open binary file. ``name`` (the artifact's name)
        defaults to the file name; ``content_type`` is guessed from the file name.
        Ingestion starts on the server: see :meth:`wait_until_ingested`.
        """
        return self._run(
            self.upload_call(
                project_id,
                file,
                name=name,
                file_name=file_name,
                content_type=content_type,
                description=description,
                parent_id=parent_id,
                props=props,
                keep_file_after_ingestion=keep_file_after_ingestion,
            )
        )

    def create_document_call(self, project_id: str, name: str, text: str, *, file_name: str | None = None, **options: Any) -> Call[Artifact]:
        file_name = file_name or text_file_name(name)
        content_type = options.pop("content_type", None) or _text_content_type(file_name)
        return self.upload_call(project_id, text.encode("utf-8"), name=name, file_name=file_name, content_type=content_type, **options)

    def create_document(self, project_id: str, name: str, text: str, *, file_name: str | None = None, **options: Any) -> Artifact:
        """A ``Document`` artifact holding ``text``, uploaded as a UTF-8 text file
        (``file_name`` defaults to ``name`` plus ``.txt`` unless it has an extension).
        Takes :meth:`upload`'s options (``description``, ``parent_id``, ``props``, ...)."""
        return self._run(self.create_document_call(project_id, name, text, file_name=file_name, **options))

    # -- read, update, delete ----------------------------------------------------------

    def get_call(self, project_id: str, artifact_id: str, *, include_content: bool = False) -> Call[Artifact]:
        params = {"include_content": "true"} if include_content else None
        return Call("GET", self._path(project_id, artifact_id), params=params, parse=parse_model(Artifact))

    def get(self, project_id: str, artifact_id: str, *, include_content: bool = False) -> Artifact:
        return self._run(self.get_call(project_id, artifact_id, include_content=include_content))

    def _list_call(self, project_id: str, page: int, page_size: int, filters: Mapping[str, Any]) -> Call[Page[Artifact]]:
        params: dict[str, Any] = {}
        for key, value in filters.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple, set, frozenset)):
                value = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            params[key] = value
        return self._page_call(f"/project/{project_id}/artifact", Artifact, page, page_size, **params)

    def list(self, project_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> Page[Artifact]:
        """One page of a project's artifacts. ``filters`` are the endpoint's query
        parameters: ``state``, ``ingest_status``, ``type`` (lists are joined with commas),
        ``parent_id``, ``filter_by_text``, ``include_descendants``, ``order_by``, ..."""
        return self._run(self._list_call(project_id, page, page_size, filters))

    def iter_all(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> Pager[Artifact]:
        """Every artifact of every page (``for`` / ``async for``); same filters as :meth:`list`."""
        return Pager(self._owner, lambda n: self._list_call(project_id, n, page_size, filters))

    def update(self, project_id: str, artifact_id: str, update: UpdateArtifact | Mapping[str, Any] | None = None, **fields: Any) -> Artifact:
        """Change an artifact's name, description, parent, props or (text) content."""
        dto = update if isinstance(update, UpdateArtifact) else UpdateArtifact.model_validate({**dict(update or {}), **fields})
        return self._run(Call("PUT", self._path(project_id, artifact_id), json=dto.to_json_dict(), parse=parse_model(Artifact)))

    def delete(self, project_id: str, artifact_id: str) -> Artifact:
        """Delete an artifact (its chunks leave the search index); returns what the server
        reports (at least ``id`` and ``state: Deleted``)."""
        return self._run(Call("DELETE", self._path(project_id, artifact_id), parse=_parse_artifact_or_id(artifact_id)))

    def parsed_content(self, project_id: str, artifact_id: str) -> str:
        """The artifact's text as the models see it (usually markdown)."""
        return self._run(Call("GET", self._path(project_id, artifact_id, "/parsed-content"), parse=_parse_text))

    def ingest_status(self, project_id: str, artifact_id: str) -> str | None:
        """``NotStarted``, ``Processing``, ``Parsing``, ``Storing``, ``Done``, ``Error`` or
        ``NotApplicable`` (nothing to ingest)."""
        return self._run(
            Call("GET", self._path(project_id, artifact_id), parse=lambda r: Artifact.model_validate(r.json()).ingest_status)
        )

    # -- ingestion ---------------------------------------------------------------------

    def wait_until_ingested(
        self,
        project_id: str,
        artifact_ids: str | Artifact | Sequence[str | Artifact],
        *,
        timeout: float = DEFAULT_INGEST_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> Any:
        """Poll until every artifact is ingested (``Done``, or ``NotApplicable``).

        Returns the final :class:`Artifact` (a list when given a list). Raises
        :class:`~zylon_core.errors.IngestionError` as soon as one fails, and
        :class:`~zylon_core.errors.IngestionTimeoutError` after ``timeout`` seconds.
        Polls every ``poll_interval`` seconds, backing off to at most 10 s.
        """
        single = isinstance(artifact_ids, (str, Artifact))
        ids = [artifact_ids] if single else list(artifact_ids)  # type: ignore[list-item]
        steps = self._wait_steps(project_id, [_artifact_id(a) for a in ids], timeout, poll_interval)
        if not single:
            return self._drive(steps)
        return self._drive(_first(steps))

    def _wait_steps(self, project_id: str, ids: list[str], timeout: float, poll_interval: float) -> Steps[list[Artifact]]:
        deadline = time.monotonic() + timeout
        interval = max(poll_interval, 0.0)
        finished: dict[str, Artifact] = {}
        while True:
            for artifact_id in ids:
                if artifact_id in finished:
                    continue
                artifact = yield self.get_call(project_id, artifact_id)
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
                    f"{len(pending)} artifact(s) still being ingested after {timeout:g} s: {', '.join(pending[:5])}",
                    pending=pending,
                )
            yield Pause(min(interval, remaining))
            interval = min(max(interval * 1.5, 0.0), MAX_POLL_INTERVAL)

    def add_texts(
        self,
        project_id: str,
        texts: Sequence[str],
        *,
        names: Sequence[str] | None = None,
        wait: bool = True,
        timeout: float = DEFAULT_INGEST_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> list[Artifact]:
        """Create one ``Document`` per text (named ``names[i]``, else ``document-{i+1}``),
        in order, and by default wait until all are ingested. Returns the artifacts."""
        texts = list(texts)
        if names is not None and len(names) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(names)} names")
        calls = [
            self.create_document_call(project_id, names[i] if names is not None else f"document-{i + 1}", text)
            for i, text in enumerate(texts)
        ]
        return self._drive(self._add_steps(project_id, calls, wait, timeout, poll_interval))

    def add_files(
        self,
        project_id: str,
        files: Sequence[FileInput],
        *,
        wait: bool = True,
        timeout: float = DEFAULT_INGEST_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> list[Artifact]:
        """Upload each file (paths, bytes need :meth:`upload`'s ``file_name``) as a
        ``Document``, in order, and by default wait until all are ingested."""
        calls = [self.upload_call(project_id, file) for file in files]
        return self._drive(self._add_steps(project_id, calls, wait, timeout, poll_interval))

    def _add_steps(
        self, project_id: str, calls: list[Call[Artifact]], wait: bool, timeout: float, poll_interval: float
    ) -> Steps[list[Artifact]]:
        created: list[Artifact] = []
        for call in calls:
            created.append((yield call))
        if not wait or not created:
            return created
        return (yield from self._wait_steps(project_id, [a.id for a in created], timeout, poll_interval))


def text_file_name(name: str) -> str:
    """``name`` as a text file's name: kept if it has an extension, else ``name.txt``."""
    base = os.path.basename(name.strip()) or "document"
    return base if os.path.splitext(base)[1] else f"{base}.txt"


def _text_content_type(file_name: str) -> str:
    guessed = mimetypes.guess_type(file_name)[0]
    return guessed if guessed and guessed.startswith("text/") else "text/plain"


def _read_file(file: FileInput) -> tuple[bytes, str | None]:
    if isinstance(file, (bytes, bytearray)):
        return bytes(file), None
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as handle:
            return handle.read(), os.path.basename(os.fspath(file))
    content = file.read()
    if isinstance(content, str):
        content = content.encode("utf-8")
    name = getattr(file, "name", None)
    return content, os.path.basename(name) if isinstance(name, str) else None


def _artifact_id(value: str | Artifact) -> str:
    return value.id if isinstance(value, Artifact) else value


def _first(steps: Steps[list[T]]) -> Steps[T]:
    values = yield from steps
    return values[0]


def _parse_text(response: httpx.Response) -> str:
    # Documented as text/plain; accept a JSON-encoded string too.
    if "json" in response.headers.get("content-type", ""):
        value = response.json()
        return value if isinstance(value, str) else jsonlib.dumps(value)
    return response.text


def _parse_artifact_or_id(artifact_id: str) -> Callable[[httpx.Response], Artifact]:
    def parse(response: httpx.Response) -> Artifact:
        data = response.json() if response.content else None
        if isinstance(data, dict) and data.get("id"):
            return Artifact.model_validate(data)
        return Artifact(id=artifact_id, state="Deleted")

    return parse
