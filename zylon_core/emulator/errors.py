"""The emulator's error answers: ``{"message": ..., "errors": [{"field", "message"}]}``.

Every problem names the field it is about with a dotted path
(``pgpt.messages[0].content[0].type``; ``header.Authorization`` for headers, ``""`` for
the body as a whole), so a client author sees at once which part of a request to fix.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer: ``{"message": ..., "errors": [...]}`` with ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def error(field: str, message: str) -> dict[str, str]:
    """One problem: the dotted path of the field, and what is wrong with it."""
    return {"field": field, "message": message}


def join_path(prefix: str, part: str | int) -> str:
    """``join_path("messages", 0)`` is ``messages[0]``; ``join_path("pgpt", "tools")`` is ``pgpt.tools``."""
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"{kind} {ident!r} not found")


def invalid(errors: list[dict[str, str]]) -> ApiError:
    """A 400 whose message repeats the first five problems (the body lists them all)."""
    shown = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return ApiError(400, f"invalid request body: {shown}{more}", errors)
