"""Every Zylon endpoint as a pure call builder: arguments in, a :class:`Call` out.

:class:`Endpoints` knows the URLs (from the settings), the request bodies and how each
answer is read; it sends nothing. The clients send these calls, and the plans of
:mod:`._operations`, :mod:`._turns` and :mod:`._memory` compose them.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from dataclasses import dataclass
from typing import IO, Any, Callable, Mapping, Sequence, TypeVar, Union

import httpx
from pydantic import BaseModel, TypeAdapter

from ._settings import ZylonSettings
from ._transport import Call
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
from .models.chat import ThreadVisibility

M = TypeVar("M", bound=BaseModel)

DEFAULT_PAGE_SIZE = 50

# What an upload accepts as the file: a path, bytes, or an open binary file.
FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]


def parse_model(model: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: model.model_validate(response.json())


def parse_json(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def body(payload: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    return payload.to_json_dict() if isinstance(payload, BaseModel) else dict(payload)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PageQuery:
    """Which page of a list to ask for: by number, or by the cursor the last page gave."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None

    def params(self) -> dict[str, Any]:
        if self.cursor is not None:
            return {"cursor": self.cursor, "page_size": self.page_size}
        return {"page": self.page, "page_size": self.page_size}


def _query(values: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters: None dropped, lists joined with commas, booleans as ``true``/``false``."""
    params: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        params[key] = value
    return params


_SEARCH_RESULTS: TypeAdapter[list[SearchResult]] = TypeAdapter(list[SearchResult])


class Endpoints:
    """The calls of the Workspace API (``{base}/api/v1/app``) and ZylonGPT (``{base}/api/gpt/v1``)."""

    def __init__(self, settings: ZylonSettings) -> None:
        self.settings = settings
        self._workspace = settings.workspace_url("")
        self._gpt = settings.gpt_url("")

    # -- chat ------------------------------------------------------------------------

    def chat(self, request: ChatRequest) -> Call[MessageOutput]:
        """``POST /chat``: one-shot chat (``stream: true`` in the request streams it)."""
        return Call("POST", self._workspace + "/chat", json=body(request), parse=parse_model(MessageOutput))

    def chat_validate(self, request: ChatRequest) -> Call[ChatValidationResult]:
        """``POST /chat/validate``: is this request valid, without running it."""
        return Call(
            "POST", self._workspace + "/chat/validate", json=body(request), parse=parse_model(ChatValidationResult)
        )

    def project_chat(self, project_id: str, dto: ProjectChatDTO) -> Call[MessageOutput]:
        """``POST /project/{id}/chat``: chat over a project's artifacts."""
        return Call(
            "POST", f"{self._workspace}/project/{project_id}/chat", json=body(dto), parse=parse_model(MessageOutput)
        )

    # -- threads and interactions ----------------------------------------------------

    def thread_create(self, project_id: str, name: str, visibility: ThreadVisibility = "Private") -> Call[Thread]:
        dto = CreateThreadDTO(name=name, visibility=visibility)
        return Call("POST", f"{self._workspace}/project/{project_id}/thread", json=body(dto), parse=parse_model(Thread))

    def thread_get(self, thread_id: str) -> Call[Thread]:
        return Call("GET", f"{self._workspace}/thread/{thread_id}", parse=parse_model(Thread))

    def thread_update(self, thread_id: str, *, name: str | None = None, visibility: ThreadVisibility | None = None) -> Call[Thread]:
        dto = UpdateThreadDTO(name=name, visibility=visibility)
        return Call(
            "PUT", f"{self._workspace}/thread/{thread_id}", json=dto.model_dump(exclude_none=True), parse=parse_model(Thread)
        )

    def thread_delete(self, thread_id: str) -> Call[None]:
        return Call("DELETE", f"{self._workspace}/thread/{thread_id}")

    def thread_page(self, project_id: str, query: PageQuery) -> Call[Page[Thread]]:
        return Call(
            "GET", f"{self._workspace}/project/{project_id}/thread", params=query.params(), parse=parse_model(Page[Thread])
        )

    def interaction_create(self, thread_id: str, dto: CreateInteractionDTO) -> Call[Interaction]:
        if dto.thread_id is None:
            dto = dto.model_copy(update={"thread_id": thread_id})
        return Call(
            "POST", f"{self._workspace}/thread/{thread_id}/interaction", json=body(dto), parse=parse_model(Interaction)
        )

    def interaction_get(self, interaction_id: str) -> Call[Interaction]:
        return Call("GET", f"{self._workspace}/interaction/{interaction_id}", parse=parse_model(Interaction))

    def interaction_delete(self, interaction_id: str) -> Call[None]:
        return Call("DELETE", f"{self._workspace}/interaction/{interaction_id}")

    def interaction_cancel(self, interaction_id: str) -> Call[bool]:
        """True if cancelled; False if it had already finished (409: final, not retried)."""
        return Call(
            "POST",
            f"{self._workspace}/interaction/{interaction_id}/cancel",
            parse=lambda response: response.status_code != 409,
            accept_statuses=frozenset({409}),
        )

    def interaction_stream(self, interaction_id: str) -> Call[None]:
        """``GET /interaction/{id}/stream``: the interaction's answer as SSE."""
        return Call("GET", f"{self._workspace}/interaction/{interaction_id}/stream")

    def interaction_page(self, thread_id: str, query: PageQuery) -> Call[Page[Interaction]]:
        return Call(
            "GET",
            f"{self._workspace}/thread/{thread_id}/interaction",
            params=query.params(),
            parse=parse_model(Page[Interaction]),
        )

    # -- projects --------------------------------------------------------------------

    def project_create(self, name: str, **fields: Any) -> Call[dict[str, Any]]:
        return Call("POST", self._workspace + "/project", json={"name": name, **fields}, parse=parse_json)

    def project_get(self, project_id: str) -> Call[dict[str, Any]]:
        return Call("GET", f"{self._workspace}/project/{project_id}", parse=parse_json)

    def project_delete(self, project_id: str) -> Call[None]:
        return Call("DELETE", f"{self._workspace}/project/{project_id}")

    # -- artifacts -------------------------------------------------------------------

    def _artifact_url(self, project_id: str, artifact_id: str | None = None, suffix: str = "") -> str:
        url = f"{self._workspace}/project/{project_id}/artifact"
        return url + (f"/{artifact_id}" if artifact_id is not None else "") + suffix

    def artifact_create(self, project_id: str, artifact: CreateArtifact | Mapping[str, Any]) -> Call[Artifact]:
        """``POST /project/{id}/artifact`` with a JSON ``CreateArtifactDTO`` (folder, link, ...)."""
        dto = artifact if isinstance(artifact, CreateArtifact) else CreateArtifact.model_validate(dict(artifact))
        return Call("POST", self._artifact_url(project_id), json=dto.to_json_dict(), parse=parse_model(Artifact))

    def artifact_upload(
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
        """``POST /project/{id}/artifact`` as multipart: a ``Document`` with the file in ``fileData``."""
        content, guessed_name = read_file(file)
        file_name = file_name or guessed_name or name
        if not file_name:
            raise ValueError("upload needs a file_name (or a name) when the file is given as bytes")
        name = name or file_name
        content_type = content_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        fields: dict[str, str] = {"type": "Document", "source": "User", "name": name, "props": json.dumps(dict(props or {}))}
        if description is not None:
            fields["description"] = description
        if parent_id is not None:
            fields["parent_id"] = parent_id
        if keep_file_after_ingestion is not None:
            fields["keep_file_after_ingestion"] = "true" if keep_file_after_ingestion else "false"
        # A boundary derived from the content (not random): the same upload is the same
        # request bytes, so recorded requests replay and retries resend identical bodies.
        digest = hashlib.sha256(content + json.dumps(fields, sort_keys=True).encode() + file_name.encode()).hexdigest()
        return Call(
            "POST",
            self._artifact_url(project_id),
            data=fields,
            files={"fileData": (file_name, content, content_type)},
            headers={"Content-Type": f"multipart/form-data; boundary=zylon-{digest[:40]}"},
            parse=parse_model(Artifact),
        )

    def artifact_document(
        self, project_id: str, name: str, text: str, *, file_name: str | None = None, **options: Any
    ) -> Call[Artifact]:
        """A ``Document`` holding ``text``, uploaded as a UTF-8 text file (``file_name``
        defaults to ``name`` plus ``.txt`` unless it has an extension)."""
        file_name = file_name or text_file_name(name)
        content_type = options.pop("content_type", None) or _text_content_type(file_name)
        return self.artifact_upload(
            project_id, text.encode("utf-8"), name=name, file_name=file_name, content_type=content_type, **options
        )

    def artifact_get(self, project_id: str, artifact_id: str, *, include_content: bool = False) -> Call[Artifact]:
        params = {"include_content": "true"} if include_content else None
        return Call("GET", self._artifact_url(project_id, artifact_id), params=params, parse=parse_model(Artifact))

    def artifact_page(self, project_id: str, query: PageQuery, filters: Mapping[str, Any]) -> Call[Page[Artifact]]:
        return Call(
            "GET",
            self._artifact_url(project_id),
            params={**query.params(), **_query(filters)},
            parse=parse_model(Page[Artifact]),
        )

    def artifact_update(
        self, project_id: str, artifact_id: str, update: UpdateArtifact | Mapping[str, Any] | None = None, **fields: Any
    ) -> Call[Artifact]:
        dto = update if isinstance(update, UpdateArtifact) else UpdateArtifact.model_validate({**dict(update or {}), **fields})
        return Call("PUT", self._artifact_url(project_id, artifact_id), json=dto.to_json_dict(), parse=parse_model(Artifact))

    def artifact_delete(self, project_id: str, artifact_id: str) -> Call[Artifact]:
        return Call("DELETE", self._artifact_url(project_id, artifact_id), parse=_artifact_or_id(artifact_id))

    def artifact_parsed_content(self, project_id: str, artifact_id: str) -> Call[str]:
        return Call("GET", self._artifact_url(project_id, artifact_id, "/parsed-content"), parse=_text)

    # -- search ----------------------------------------------------------------------

    def search(self, text: str, *, types: Sequence[str] | str | None = None, limit: int | None = None) -> Call[list[SearchResult]]:
        """``GET /search``: projects, artifacts, artifact content, threads and
        interactions matching ``text``, best first."""
        if isinstance(types, str):
            types = [types]
        params: dict[str, Any] = {"q": text}
        if types:
            params["type"] = ",".join(types)
        if limit is not None:
            params["limit"] = limit
        return Call("GET", self._workspace + "/search", params=params, parse=lambda r: _SEARCH_RESULTS.validate_python(r.json()))

    # -- ZylonGPT --------------------------------------------------------------------

    def embeddings(self, input: str | list[str]) -> Call[EmbeddingsResponse]:
        """``POST /api/gpt/v1/embeddings``."""
        return Call("POST", self._gpt + "/embeddings", json=body(EmbeddingsBody(input=input)), parse=parse_model(EmbeddingsResponse))

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
        return Call("POST", self._gpt + "/primitives/search", json=body(query), parse=parse_model(ChunkSearchResponse))


def text_file_name(name: str) -> str:
    """``name`` as a text file's name: kept if it has an extension, else ``name.txt``."""
    base = os.path.basename(name.strip()) or "document"
    return base if os.path.splitext(base)[1] else f"{base}.txt"


def _text_content_type(file_name: str) -> str:
    guessed = mimetypes.guess_type(file_name)[0]
    return guessed if guessed and guessed.startswith("text/") else "text/plain"


def read_file(file: FileInput) -> tuple[bytes, str | None]:
    """The bytes of a path, bytes or open binary file, and its file name when known."""
    if isinstance(file, (bytes, bytearray)):
        return bytes(file), None
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as handle:
            return handle.read(), os.path.basename(os.fspath(file))
    content: Any = file.read()
    if isinstance(content, str):
        content = content.encode("utf-8")
    name = getattr(file, "name", None)
    return content, os.path.basename(name) if isinstance(name, str) else None


def _text(response: httpx.Response) -> str:
    # Documented as text/plain; accept a JSON-encoded string too.
    if "json" in response.headers.get("content-type", ""):
        value = response.json()
        return value if isinstance(value, str) else json.dumps(value)
    return response.text


def _artifact_or_id(artifact_id: str) -> Callable[[httpx.Response], Artifact]:
    def parse(response: httpx.Response) -> Artifact:
        data = response.json() if response.content else None
        if isinstance(data, dict) and data.get("id"):
            return Artifact.model_validate(data)
        return Artifact(id=artifact_id, state="Deleted")

    return parse
