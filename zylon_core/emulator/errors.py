"""The emulator's error answers, in the shapes the real servers use.

ZylonGPT (``/api/gpt``; every shape below is in ``zylon-api/captures``):

* validation (400): ``{"type": "error", "error": {"type": "invalid_request_error",
  "message": "Invalid Request Error", "detail": {"code": "INVALID_REQUEST_ERROR",
  "explanation": [items]}}, "request_id": null, "exception": {"type": "InvalidRequest",
  "message": "Request validation failed"}, "detail": [items]}``, each item a pydantic
  error whose ``loc`` is the *string* of a Python tuple (``"('body', 'temperature')"``);
* runtime (400, or 500 ``api_error``): the same envelope with a string explanation and
  the exception's own type (``ValueError``, ``InvalidRequest``...);
* in a stream: an ``error`` event with a ``request_id`` and no top-level ``detail``;
* FastAPI's plain ``{"detail": "..."}`` (unknown async message, unknown path, 401).

Workspace (``/api/v1``): no error body is documented. The emulator answers the Kotlin
backend's ``{"type": "NotFound", "status": 404, "message": "..."}``, the shape of the
Backoffice's errors (``history/backoffice-gateways.removed.mdx``) -- an inference: the
Workspace runs on the same backend. Problems inside a Workspace request's ``pgpt`` (which
the Workspace forwards to ZylonGPT) get ZylonGPT's envelope instead.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterable, Mapping

# Kotlin error type names by status (the Backoffice example shows "BadRequest").
_KOTLIN_TYPES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    500: "InternalServerError",
}


class ApiError(Exception):
    """An HTTP error answer: ``status``, the JSON ``body`` (None: no body), ``headers``."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None, message: str | None = None) -> None:
        super().__init__(message or str(body))
        self.status = status
        self.body = body
        self.headers = headers


# -- Workspace (Kotlin shape, inferred) ----------------------------------------------------------


def workspace_error(status: int, message: str) -> ApiError:
    return ApiError(status, {"type": _KOTLIN_TYPES.get(status, "Error"), "status": status, "message": message}, message=message)


def error(field: str, message: str) -> dict[str, str]:
    """One problem with a Workspace request: the dotted path of the field, and what is wrong."""
    return {"field": field, "message": message}


def join_path(prefix: str, part: str | int) -> str:
    """``join_path("artifacts", 0)`` is ``artifacts[0]``; ``join_path("props", "x")`` is ``props.x``."""
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


def invalid(errors: list[dict[str, str]]) -> ApiError:
    """A Workspace 400 whose message names every bad field (``field: problem; ...``)."""
    shown = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return workspace_error(400, f"invalid request: {shown}")


def not_found(kind: str, ident: str) -> ApiError:
    return workspace_error(404, f"{kind} {ident!r} not found")


# -- ZylonGPT ----------------------------------------------------------------------------------------


def gpt_invalid(items: list[dict[str, Any]]) -> ApiError:
    """The 400 validation envelope around pydantic-style ``items``."""
    body = {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "Invalid Request Error",
            "detail": {"code": "INVALID_REQUEST_ERROR", "explanation": items},
        },
        "request_id": None,
        "exception": {"type": "InvalidRequest", "message": "Request validation failed"},
        "detail": items,
    }
    return ApiError(400, body, message="; ".join(f"{i.get('loc')}: {i.get('msg')}" for i in items))


def gpt_error_body(
    explanation: str,
    *,
    exception: str = "ValueError",
    code: str = "INVALID_REQUEST_ERROR",
    server_error: bool = False,
    request_id: str | None = None,
    with_detail: bool = True,
) -> dict[str, Any]:
    """A runtime error body (string explanation); ``server_error`` makes it an ``api_error``."""
    body: dict[str, Any] = {
        "type": "error",
        "error": {
            "type": "api_error" if server_error else "invalid_request_error",
            "message": "Api Error" if server_error else "Invalid Request Error",
            "detail": {"code": "API_ERROR" if server_error else code, "explanation": explanation},
        },
        "request_id": request_id,
        "exception": {"type": exception, "message": explanation},
    }
    if with_detail:
        body["detail"] = explanation
    return body


def gpt_runtime(explanation: str, *, exception: str = "ValueError", code: str = "INVALID_REQUEST_ERROR", server_error: bool = False) -> ApiError:
    status = 500 if server_error else 400
    return ApiError(status, gpt_error_body(explanation, exception=exception, code=code, server_error=server_error), message=explanation)


def stream_error_event(explanation: str, *, exception: str = "ValueError", code: str = "INVALID_REQUEST_ERROR") -> dict[str, Any]:
    """An SSE ``error`` event: a real ``request_id``, no top-level ``detail``."""
    return gpt_error_body(explanation, exception=exception, code=code, request_id=str(uuid.uuid4()), with_detail=False)


def detail(status: int, text: str) -> ApiError:
    """FastAPI's plain ``{"detail": text}``."""
    return ApiError(status, {"detail": text}, message=text)


def loc_repr(loc: tuple[Any, ...]) -> str:
    """A location as the real server writes it: the ``str`` of a Python tuple."""
    return str(tuple(loc))


def wire_input(value: Any) -> Any:
    """An item's ``input`` as the real server writes it: a dict's values and a list's items
    that are not strings become their Python ``str`` (``"max_tokens": "64"``)."""
    if isinstance(value, dict):
        return {k: v if isinstance(v, str) else str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if isinstance(v, str) else str(v) for v in value]
    return value


def pydantic_items(errors: Iterable[Mapping[str, Any]], root: str = "body") -> list[dict[str, Any]]:
    """pydantic's ``errors()`` as the real server's items: ``loc`` prefixed by ``root``
    and written as a tuple string, ``input`` as :func:`wire_input`, ``ctx`` values as strings."""
    items = []
    for item in errors:
        out: dict[str, Any] = {
            "type": item["type"],
            "loc": loc_repr((root, *item.get("loc", ()))),
            "msg": item["msg"],
            "input": wire_input(item.get("input")),
        }
        if item.get("ctx"):
            out["ctx"] = {k: str(v) for k, v in item["ctx"].items()}
        items.append(out)
    return items
