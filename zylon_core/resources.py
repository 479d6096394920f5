"""The Zylon endpoints, each method written once for both clients.

A resource method builds a :class:`~zylon_core.transport.Call` and hands it to the
owning client's transport: on :class:`~zylon_core.client.ZylonClient` it returns the
value, on :class:`~zylon_core.client.AsyncZylonClient` an awaitable of it. Streams
return an iterator or an async iterator of decoded event dicts the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Generic, Iterator, TypeVar

import httpx
from pydantic import BaseModel

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
    SemanticSearch,
    Thread,
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


class Resource:
    def __init__(self, owner: "_ClientBase") -> None:
        self._owner = owner

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

    def create(self, input: str | list[str]) -> EmbeddingsResponse:
        return self._run(
            Call("POST", self._gpt_url("/embeddings"), json=body(EmbeddingsBody(input=input)), parse=parse_model(EmbeddingsResponse))
        )


class ChunkSearch(Resource):
    """ZylonGPT ``POST /api/gpt/v1/primitives/search`` (``semantic_search``)."""

    def search(
        self,
        text: str,
        *,
        collection: str | None = None,
        artifacts: list[str] | None = None,
        limit: int | None = None,
        score_threshold: float | None = None,
        expand: bool | None = None,
    ) -> ChunkSearchResponse:
        query = SemanticSearch(
            text=text,
            context_filter=ContextFilter(**{k: v for k, v in {"collection": collection, "artifacts": artifacts}.items() if v is not None}),
            **{k: v for k, v in {"limit": limit, "score_threshold": score_threshold, "expand": expand}.items() if v is not None},
        )
        return self._run(
            Call("POST", self._gpt_url("/primitives/search"), json=body(query), parse=parse_model(ChunkSearchResponse))
        )
