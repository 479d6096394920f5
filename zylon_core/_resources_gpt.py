"""ZylonGPT's messages, models and background messages as client resources (sync and
async pairs). A Gateway token reaches them; a Workspace token gets 401, raised as
``AuthenticationError`` saying that a Gateway token is needed.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator, Mapping

from . import _gpt_models as gpt
from ._resources import AsyncResource, SyncResource
from .models import BackgroundMessage, BackgroundStatus, ChatRequest, ChatValidationResult, MessageOutput, ModelInfo, ModelList


class Messages(SyncResource):
    """ZylonGPT ``/api/gpt/v1/messages``. ``model`` is the settings' model unless the
    request names one. For a turn with stop sequences and an answer checked as the
    adapters check it, use ``ZylonClient.run_turn`` with ``Route.create(api="gpt")``."""

    def create(self, request: ChatRequest) -> MessageOutput:
        """``POST /messages``: the answer, whole."""
        return self._send(self._api.messages(request.model_copy(update={"stream": False})))

    def stream(self, request: ChatRequest) -> Iterator[dict[str, Any]]:
        """``POST /messages`` with ``stream: true``: the decoded SSE events."""
        return self._transport.stream(self._api.messages(request.model_copy(update={"stream": True})))

    def validate(self, request: ChatRequest | Mapping[str, Any]) -> ChatValidationResult:
        """``POST /api/gpt/v1/messages/validate``: ``valid`` and the server's ``errors``
        (a 400 is an invalid result, not an exception)."""
        return self._send(self._api.messages_validate(request))

    def count_tokens(self, request: ChatRequest | Mapping[str, Any]) -> int:
        """``POST /messages/count_tokens``: the input tokens of the request's ``model``,
        ``messages``, ``system`` and ``tools`` (an int)."""
        return self._send(self._api.messages_count_tokens(request))


class AsyncMessages(AsyncResource):
    """Async :class:`Messages`."""

    async def create(self, request: ChatRequest) -> MessageOutput:
        return await self._send(self._api.messages(request.model_copy(update={"stream": False})))

    def stream(self, request: ChatRequest) -> AsyncIterator[dict[str, Any]]:
        return self._transport.stream(self._api.messages(request.model_copy(update={"stream": True})))

    async def validate(self, request: ChatRequest | Mapping[str, Any]) -> ChatValidationResult:
        return await self._send(self._api.messages_validate(request))

    async def count_tokens(self, request: ChatRequest | Mapping[str, Any]) -> int:
        return await self._send(self._api.messages_count_tokens(request))


class Models(SyncResource):
    """ZylonGPT ``GET /api/gpt/v1/models``, with a per-client cache for :meth:`info`."""

    def list(self) -> ModelList:
        """Every model ZylonGPT serves (asked each time; the answer refreshes the cache)."""
        return self._run(gpt.list_models(self._api))

    def get(self, model_id: str) -> ModelInfo:
        """``GET /models/{id}``; an unknown id is ``BadRequestError`` (the server's 400)."""
        return self._send(self._api.model_get(model_id))

    def info(self, model: str | None = None) -> ModelInfo | None:
        """The card of ``model`` (default: the settings' model) from the models list,
        read once per client; None when the list does not name it (``"default"`` with
        several models listed). The list's errors raise."""
        return self._run(gpt.model_info(self._api, model))

    def cached(self, model: str | None = None) -> ModelInfo | None:
        """:meth:`info` without I/O: None unless the list was read already."""
        return self._api.catalog.cached(model or self._api.settings.model)


class AsyncModels(AsyncResource):
    """Async :class:`Models` (its own cache: one per client)."""

    async def list(self) -> ModelList:
        return await self._run(gpt.list_models(self._api))

    async def get(self, model_id: str) -> ModelInfo:
        return await self._send(self._api.model_get(model_id))

    async def info(self, model: str | None = None) -> ModelInfo | None:
        return await self._run(gpt.model_info(self._api, model))

    def cached(self, model: str | None = None) -> ModelInfo | None:
        return self._api.catalog.cached(model or self._api.settings.model)


class Background(SyncResource):
    """ZylonGPT background ("async") messages, ``/api/gpt/v1/messages/async``: the server
    runs the turn on its own; anyone holding its ``message_id`` can read its stream
    (from the start, as often as wanted), its status, cancel it or delete it. To submit
    a checked turn and read its answer back as deltas, use ``ZylonClient.submit_turn``
    and ``ZylonClient.resume_turn``."""

    def create(self, request: ChatRequest, *, message_id: str | None = None) -> BackgroundMessage:
        """``POST /messages/async`` (``?message_id=`` when given): ``{"message_id",
        "status": "pending"}``."""
        return self._send(self._api.background_create(request, message_id))

    def status(self, message_id: str) -> BackgroundStatus:
        """``GET .../{id}/status``; an unknown or deleted id is ``NotFoundError``."""
        return self._send(self._api.background_status(message_id))

    def events(self, message_id: str) -> Iterator[dict[str, Any]]:
        """``GET .../{id}/stream``: the decoded SSE events, from ``message_start``."""
        return self._transport.stream(self._api.background_stream(message_id))

    def cancel(self, message_id: str) -> dict[str, Any]:
        """``POST .../{id}/cancel``: ``{"message", "message_id"}`` (also once finished)."""
        return self._send(self._api.background_cancel(message_id))

    def delete(self, message_id: str) -> None:
        """``DELETE .../{id}/delete``: afterwards the id is unknown (404)."""
        return self._send(self._api.background_delete(message_id))


class AsyncBackground(AsyncResource):
    """Async :class:`Background`."""

    async def create(self, request: ChatRequest, *, message_id: str | None = None) -> BackgroundMessage:
        return await self._send(self._api.background_create(request, message_id))

    async def status(self, message_id: str) -> BackgroundStatus:
        return await self._send(self._api.background_status(message_id))

    def events(self, message_id: str) -> AsyncIterator[dict[str, Any]]:
        return self._transport.stream(self._api.background_stream(message_id))

    async def cancel(self, message_id: str) -> dict[str, Any]:
        return await self._send(self._api.background_cancel(message_id))

    async def delete(self, message_id: str) -> None:
        return await self._send(self._api.background_delete(message_id))

