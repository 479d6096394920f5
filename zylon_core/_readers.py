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

import json
import re
from typing import Any, Union

import httpx
from pydantic import TypeAdapter

from ._sse import EventParser
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
        lines = explanation_lines(data) or [f"HTTP 400 {response.reason_phrase or 'Bad Request'}"]
        return ChatValidationResult.model_validate({"valid": False, "errors": lines, "details": data})
    if response.status_code == 204 or not response.content.strip():
        return ChatValidationResult(valid=True, errors=None)
    data = response.json()
    if isinstance(data, dict) and isinstance(data.get("valid"), bool):
        return ChatValidationResult.model_validate(data)
    raise ValueError(f"expected no body or {{valid, errors}}, got {response.text[:200]!r}")


def explanation_lines(body: Any) -> list[str]:
    """The server's explanation of a 400, one line per item, from any of the error
    shapes: ZylonGPT's envelope (``error.detail.explanation`` / ``detail`` items with
    ``loc`` and ``msg``), FastAPI's ``{"detail": [...]}``, ``{"message"}``,
    ``{"errors": [...]}`` or plain text. Empty if there is none."""
    items: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        detail = error.get("detail") if isinstance(error, dict) else None
        if isinstance(detail, dict) and detail.get("explanation"):
            items = detail["explanation"]
        elif isinstance(body.get("detail"), (list, str)) and body["detail"]:
            items = body["detail"]
        elif isinstance(body.get("errors"), list) and body["errors"]:
            items = body["errors"]
        else:
            for value in (error.get("message") if isinstance(error, dict) else error, body.get("message"), body.get("title")):
                if isinstance(value, str) and value.strip():
                    items = value
                    break
    elif isinstance(body, str) and body.strip():
        items = body.strip()
    if isinstance(items, str):
        return [items]
    lines: list[str] = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            where = loc_path(item.get("loc"))
            message = item.get("msg") or item.get("message") or json.dumps(item, default=str)
            lines.append(f"{where}: {message}" if where else str(message))
        else:
            lines.append(str(item))
    return lines


_LOC_PART = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|(-?\d+)")


def loc_path(loc: Any) -> str:
    """A pydantic ``loc`` (a list, or the string ``"('body', 'messages', 1, 'content')"``
    the server sends) as ``messages[1].content``; ``body`` dropped."""
    if isinstance(loc, str):
        parts: list[Any] = []
        for quoted, double, number in _LOC_PART.findall(loc):
            parts.append(int(number) if number else (quoted or double))
    elif isinstance(loc, (list, tuple)):
        parts = list(loc)
    else:
        return ""
    if parts and parts[0] == "body":
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


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
