"""What ZylonGPT's messages API answers besides a message: the models it serves
(``GET /v1/models``), a token count (``POST /v1/messages/count_tokens``) and background
("async") messages (``/v1/messages/async``). Shapes from ``captures/models_*``,
``count_tokens_*`` and ``async_*``."""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import Field

from .base import ZylonModel

EFFORT_LEVELS = ("low", "medium", "high", "max", "xhigh")
"""``output_config.effort`` values, as the models list names them."""

BACKGROUND_STATUSES = ("pending", "processing", "completed", "failed", "cancelled", "error")
"""``status`` of a background message (gpt.oas ``StreamStatus``)."""
FINISHED_STATUSES = frozenset({"completed", "failed", "cancelled", "error"})


class ModelInfo(ZylonModel):
    """One model of ``GET /v1/models``: ``id``, ``max_tokens`` (output), ``max_input_tokens``
    (the context window, in tokens) and ``capabilities`` (``{"thinking": {"supported":
    true, ...}, "effort": {...}, "image_input": {...}, ...}``)."""

    id: str
    type: str | None = None
    display_name: str | None = None
    created_at: str | None = None
    max_tokens: int | None = None
    max_input_tokens: int | None = None
    embed_dim: int | None = None
    capabilities: dict[str, Any] = Field(default_factory=dict)

    def supports(self, capability: str) -> bool | None:
        """``capabilities[capability].supported``; None when the card does not say."""
        value = self.capabilities.get(capability)
        if isinstance(value, Mapping) and isinstance(value.get("supported"), bool):
            return value["supported"]
        return None

    @property
    def effort_levels(self) -> tuple[str, ...]:
        """The ``output_config.effort`` levels the model takes (empty: none)."""
        effort = self.capabilities.get("effort")
        if not isinstance(effort, Mapping) or effort.get("supported") is not True:
            return ()
        return tuple(
            level for level in EFFORT_LEVELS if isinstance(effort.get(level), Mapping) and effort[level].get("supported") is True
        )


class ModelList(ZylonModel):
    """``GET /v1/models``: ``{"data": [...], "first_id", "last_id", "has_more"}``. The list
    does not name the ``"default"`` alias ``/messages`` accepts (see :meth:`find`)."""

    data: list[ModelInfo] = Field(default_factory=list)
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool | None = None

    def find(self, model: str | None) -> ModelInfo | None:
        """The card of ``model``; ``"default"`` (or None) is the only model when there is
        one, else unknown (None): the server does not say which model the alias means."""
        for card in self.data:
            if card.id == model:
                return card
        if model in (None, "default") and len(self.data) == 1:
            return self.data[0]
        return None


class TokenCount(ZylonModel):
    """``POST /v1/messages/count_tokens``: ``{"input_tokens": 11}``."""

    input_tokens: int


class BackgroundMessage(ZylonModel):
    """``POST /v1/messages/async``: ``{"message_id", "status": "pending", "message":
    "Request initiated successfully"}``. ``message_id`` is the id every later call takes
    (not the ``msg_...`` id of the streamed message)."""

    message_id: str
    status: str | None = None
    message: str | None = None


class BackgroundStatus(ZylonModel):
    """``GET /v1/messages/async/{id}/status``: ``status`` is one of
    :data:`BACKGROUND_STATUSES`; times are ISO 8601 strings; ``metadata`` holds
    ``message_count``, ``thinking_enabled`` (and, per the docs, ``tools_enabled``,
    ``citations_enabled``)."""

    message_id: str
    status: str
    created_at: str | None = None
    updated_at: str | None = None
    completed_at: str | None = None
    error_message: str | None = None
    stream_type: str | None = None
    metadata: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        """Whether the message will not change any more (completed, failed, cancelled, error)."""
        return self.status in FINISHED_STATUSES
