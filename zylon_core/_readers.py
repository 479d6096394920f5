"""Readers of the answers that come in more than one shape (pure: a response in, a
value out, or a ``ValueError`` that the transport turns into an ``APIStatusError``).

* validation (``/chat/validate``, ``/messages/validate``): ``204``, ``200 {valid, errors}``,
  ``400 {valid: false, errors}`` or a ``400`` error envelope, all as a
  :class:`ChatValidationResult`;
* project chat: a bare message, an interaction (``{"id": "inter_...", "state": ...}``,
  the documented shape) or an event stream;
* the Workspace search: a bare list.
"""

from __future__ import annotations

from typing import Any, Union

import httpx
from pydantic import TypeAdapter

from ._sse import EventParser
from .errors import parse_error_body
from .models import ChatValidationResult, Interaction, MessageOutput, SearchResult

ProjectChatAnswer = Union[MessageOutput, Interaction, list[dict[str, Any]]]
"""A project chat's answer: a message, an interaction, or a stream's decoded events."""

_SEARCH_RESULTS: TypeAdapter[list[SearchResult]] = TypeAdapter(list[SearchResult])


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


# -- validation ------------------------------------------------------------------------


def read_validation(response: httpx.Response) -> ChatValidationResult:
    """A validate endpoint's answer (its 400 included) as a result: ``valid=True`` for
    ``204`` or an empty ``200``; ``{valid, errors}`` as given; an error envelope as
    ``valid=False`` with one line per explanation item (``"temperature: Input should be
    less than or equal to 1"``) and the raw body in ``details``."""
    if response.status_code == 400:
        data = _body(response)
        if isinstance(data, dict) and data.get("valid") is False:
            return ChatValidationResult(valid=False, errors=list(data.get("errors") or []))
        lines = list(parse_error_body(data).lines) or [f"HTTP 400 {response.reason_phrase or 'Bad Request'}"]
        return ChatValidationResult.model_validate({"valid": False, "errors": lines, "details": data})
    if response.status_code == 204 or not response.content.strip():
        return ChatValidationResult(valid=True, errors=None)
    data = response.json()
    if isinstance(data, dict) and isinstance(data.get("valid"), bool):
        return ChatValidationResult.model_validate(data)
    raise ValueError(f"expected no body or {{valid, errors}}, got {response.text[:200]!r}")


# -- project chat ----------------------------------------------------------------------


def read_project_answer(response: httpx.Response) -> ProjectChatAnswer:
    """A project chat's answer by its shape: an event stream (its decoded events), an
    interaction (a JSON object with ``state``), or a message (one with ``content`` or
    ``role``). Anything else is a ``ValueError``: never an empty success."""
    if "text/event-stream" in response.headers.get("content-type", ""):
        parser = EventParser()
        return [*parser.feed(response.text), *parser.close()]
    data = response.json() if response.content else None
    if isinstance(data, dict) and "state" in data:
        return Interaction.model_validate(data)
    if isinstance(data, dict) and ("content" in data or "role" in data):
        return MessageOutput.model_validate(data)
    raise ValueError(
        "the project chat answer is neither a message ({role, content}) nor an interaction ({id, state}): "
        f"{response.text[:200]!r}"
    )


# -- search ----------------------------------------------------------------------------


def read_search_results(response: httpx.Response, types: frozenset[str] = frozenset()) -> list[SearchResult]:
    """The Workspace search's bare list; only results of ``types`` when given (a server
    that ignores the filter still gives what was asked for)."""
    results = _SEARCH_RESULTS.validate_python(response.json())
    return [r for r in results if r.type in types] if types else results
