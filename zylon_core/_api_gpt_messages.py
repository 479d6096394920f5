"""ZylonGPT messages (``{base}/api/gpt/v1``) as call builders, mixed into
:class:`~zylon_core._api.Endpoints`. A Gateway token reaches them (a Workspace token
gets 401, which the transport explains).

* ``POST /messages``: one turn (``stream: true`` answers SSE), ``POST /messages/validate``
  and ``POST /messages/count_tokens`` (``{"input_tokens"}``);
* ``GET /models``, ``GET /models/{id}`` (an unknown id is the server's **400**, not a 404);
* background ("async") messages: ``POST /messages/async[?message_id=]`` answers
  ``{"message_id", "status": "pending"}`` at once; ``GET .../{id}/status``; ``GET
  .../{id}/stream`` replays the whole stream from ``message_start`` (also after it
  finished); ``POST .../{id}/cancel`` (``200`` also when already finished); ``DELETE
  .../{id}/delete`` (``200 null`` or ``204``); after a delete, and for an unknown id,
  each answers ``404 {"detail": "Stream with message_id ... not found"}``
  (``NotFoundError``).

Shapes: ``captures/msg_*``, ``models_*``, ``count_tokens_*``, ``async_*``.
"""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

from pydantic import BaseModel

from ._call import Call, body, parse_json, parse_model
from ._checks import check_path_id
from ._readers import read_validation
from .models import (
    BackgroundMessage,
    BackgroundStatus,
    ChatRequest,
    ChatValidationResult,
    MessageOutput,
    ModelInfo,
    ModelList,
    TokenCount,
)

M = TypeVar("M", bound=BaseModel)

# What POST /messages/count_tokens reads of a ChatBody (the rest it ignores or refuses).
COUNT_FIELDS = ("model", "messages", "system", "tools")


class GptMessageEndpoints:
    """``/api/gpt/v1/messages...`` and ``/api/gpt/v1/models`` (mixed into ``Endpoints``)."""

    _gpt: str
    settings: Any

    def _with_model(self, request: ChatRequest | Mapping[str, Any]) -> dict[str, Any]:
        payload = body(request)
        if payload.get("model") is None:
            payload["model"] = self.settings.model
        return payload

    def messages(self, request: ChatRequest) -> Call[MessageOutput]:
        """``POST /api/gpt/v1/messages``: one turn (``stream: true`` in the request
        streams it as SSE). ``model`` from the settings unless the request names one."""
        return Call("POST", self._gpt + "/messages", json=self._with_model(request), parse=parse_model(MessageOutput), idempotent=False)

    def messages_validate(self, request: ChatRequest | Mapping[str, Any]) -> Call[ChatValidationResult]:
        """``POST /api/gpt/v1/messages/validate`` (``model`` from the settings unless the
        request names one): ``{"valid": true}``; a 400 ``{"valid": false, "errors"}`` or
        error envelope is an invalid result, not an exception; other errors raise."""
        return Call(
            "POST",
            self._gpt + "/messages/validate",
            json=self._with_model(request),
            parse=read_validation,
            accept_statuses=frozenset({400}),
            idempotent=True,  # only checks the request
        )

    def messages_count_tokens(self, request: ChatRequest | Mapping[str, Any]) -> Call[int]:
        """``POST /api/gpt/v1/messages/count_tokens``: the input tokens of ``model``,
        ``messages``, ``system`` and ``tools`` (other request fields are not sent)."""
        payload = {k: v for k, v in self._with_model(request).items() if k in COUNT_FIELDS}
        return Call(
            "POST",
            self._gpt + "/messages/count_tokens",
            json=payload,
            parse=lambda r: TokenCount.model_validate(r.json()).input_tokens,
            idempotent=True,  # counts, stores nothing
        )

    def models(self) -> Call[ModelList]:
        """``GET /api/gpt/v1/models``: the models ZylonGPT serves (``{"data": [{"id",
        "max_tokens", "max_input_tokens", "capabilities", ...}], ...}``; it does not list
        the ``"default"`` alias)."""
        return Call("GET", self._gpt + "/models", parse=parse_model(ModelList))

    def model_get(self, model_id: str) -> Call[ModelInfo]:
        """``GET /api/gpt/v1/models/{id}``: one model; an unknown id is a 400
        (``BadRequestError`` "Model config 'x' not found. Available: [...]")."""
        check_path_id("model_id", model_id)
        return Call("GET", f"{self._gpt}/models/{model_id}", parse=parse_model(ModelInfo))

    # -- background ("async") messages -----------------------------------------------

    def background_create(self, request: ChatRequest | Mapping[str, Any], message_id: str | None = None) -> Call[BackgroundMessage]:
        """``POST /api/gpt/v1/messages/async``: start a turn the server runs on its own;
        ``message_id`` (optional) is the id to give it, else the server makes a UUID.
        Not resent once it may have reached the server (it would run twice)."""
        params = None
        if message_id is not None:
            check_path_id("message_id", message_id)
            params = {"message_id": message_id}
        payload = self._with_model(request)
        payload.pop("stream", None)  # the server streams it to whoever asks, later
        return Call(
            "POST", self._gpt + "/messages/async", json=payload, params=params, parse=parse_model(BackgroundMessage), idempotent=False
        )

    def _background(self, message_id: str, suffix: str) -> str:
        check_path_id("message_id", message_id)
        return f"{self._gpt}/messages/async/{message_id}/{suffix}"

    def background_status(self, message_id: str) -> Call[BackgroundStatus]:
        """``GET /api/gpt/v1/messages/async/{id}/status``."""
        return Call("GET", self._background(message_id, "status"), parse=parse_model(BackgroundStatus))

    def background_stream(self, message_id: str) -> Call[None]:
        """``GET /api/gpt/v1/messages/async/{id}/stream``: the whole stream as SSE, from
        its first event, whenever it is asked (read it with a ``StreamAccumulator``)."""
        return Call("GET", self._background(message_id, "stream"))

    def background_cancel(self, message_id: str) -> Call[dict[str, Any]]:
        """``POST /api/gpt/v1/messages/async/{id}/cancel``: ``{"message", "message_id"}``
        (also when it had finished). Safe to resend."""
        return Call("POST", self._background(message_id, "cancel"), parse=parse_json, idempotent=True)

    def background_delete(self, message_id: str) -> Call[None]:
        """``DELETE /api/gpt/v1/messages/async/{id}/delete``: ``200 null`` (or 204)."""
        return Call("DELETE", self._background(message_id, "delete"))
