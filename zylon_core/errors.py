"""One exception tree for everything that can go wrong talking to Zylon.

``ZylonError`` is the root. HTTP statuses map to ``APIStatusError`` subclasses that keep
the server's explanation (``str(error)``), its ``code``, ``error_type``, ``request_id``,
``details`` (validation items) and body; transport failures are ``APIConnectionError`` /
``APITimeoutError``; a stream that reports an error or stops early is a ``StreamError``.
Every error body shape is read by one parser, :func:`parse_error_body`. No message ever
contains the API token: the request's headers are never formatted, and :func:`redact`
removes a token a server echoed back. Every class pickles.
"""

from __future__ import annotations

import ast
import html
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import httpx

from ._redaction import MIN_SUBSTRING_SECRET, REDACTED, redact  # noqa: F401 - public here


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ZylonError(Exception):
    """Base class of every error raised by this package."""

    def __reduce__(self) -> Any:
        # Pickle by state: the default rebuilds with cls(*args), which keyword-only and
        # formatted constructors (APIStatusError, UnsavedMessagesError...) do not take.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ConfigurationError(ZylonError, ValueError):
    """A required setting is missing or invalid (raised before any request)."""


class APIError(ZylonError):
    """Something went wrong on the wire or on the server."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke before a response."""


class APITimeoutError(APIConnectionError):
    """Connecting or reading timed out."""


class APIStatusError(APIError):
    """The server answered with a 4xx/5xx status.

    ``str(error)`` is ``"<status>: <METHOD> <path> failed: <the server's explanation>"``;
    ``code`` (``INVALID_REQUEST_ERROR``...), ``error_type`` (``invalid_request_error``,
    ``api_error``...), ``request_id``, ``details`` (the validation items as sent, with
    their ``input`` values, which the message never shows) and ``body`` are kept.
    """

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any = None,
        details: Any = None,
        code: str | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.details = details
        self.code = code
        self.error_type = error_type
        self.request_id = request_id

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class RequestTooLargeError(APIStatusError):
    status_code = 413


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    status_code = 429


class InternalServerError(APIStatusError):
    """Any 5xx."""


class StreamError(APIError):
    """A stream broke off (no ``message_stop``) or could not be decoded."""


class ServerStreamError(StreamError):
    """The server sent an ``error`` event in a stream (even if ``message_stop`` followed).

    The message holds the server's explanation; ``error_type``, ``code``, ``request_id``,
    ``details`` and the event (``body``) are kept, as on :class:`APIStatusError`.
    """

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        body: Any = None,
        code: str | None = None,
        request_id: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.body = body
        self.code = code
        self.request_id = request_id
        self.details = details

    @classmethod
    def from_event(cls, event: Any) -> ServerStreamError:
        """The error an ``error`` event reports (any body shape :func:`parse_error_body` reads)."""
        info = parse_error_body(event)
        label = info.error_type or info.code or "error"
        return cls(
            f"Zylon stream error ({label}): {info.message or 'the server gave no explanation'}",
            error_type=info.error_type,
            body=event,
            code=info.code,
            request_id=info.request_id,
            details=info.details,
        )


class InteractionFailedError(APIError):
    """A thread interaction finished in state ``Error``."""

    def __init__(self, message: str, *, interaction: Any = None) -> None:
        super().__init__(message)
        self.interaction = interaction


class IngestionError(APIError):
    """An artifact's ingestion finished in ``Error`` (``artifact`` holds what the server said)."""

    def __init__(self, message: str, *, artifact: Any = None) -> None:
        super().__init__(message)
        self.artifact = artifact


class IngestionTimeoutError(IngestionError, TimeoutError):
    """Artifacts were still being ingested when the wait ran out (``pending`` lists them)."""

    def __init__(self, message: str, *, pending: Any = None) -> None:
        super().__init__(message)
        self.pending = pending


class UnsavedMessagesError(ZylonError, ValueError):
    """Messages a thread cannot store: Zylon stores a turn only by running it.

    ``messages`` holds them (nothing was changed: the caller still has them all).
    """

    def __init__(self, thread_id: str, messages: Sequence[Any], describe: Callable[[Any], str] = repr) -> None:
        self.thread_id = thread_id
        self.messages = list(messages)
        listed = "; ".join(describe(m) for m in self.messages)
        super().__init__(
            f"thread {thread_id}: cannot store {len(self.messages)} message(s) the thread did not produce: "
            f"{listed}. Zylon stores a turn by running it: send the user message through a chat model "
            f"in thread mode (ChatZylon / Zylon with thread_id={thread_id!r}) and add its answer; "
            "an answer from another model or thread cannot be written into this thread"
        )


class ThreadRewriteError(ZylonError, ValueError):
    """An attempt to change or remove stored turns by replacing the whole history."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


# -- reading error bodies --------------------------------------------------------------


@dataclass(frozen=True)
class ErrorInfo:
    """What an error body says. ``message`` is the server's explanation (validation
    items rendered as ``messages[1].content[0].thinking.signature: Field required``,
    never with their ``input`` values), ``None`` when the body has none; ``lines`` the
    same one item per line."""

    message: str | None = None
    error_type: str | None = None
    code: str | None = None
    request_id: str | None = None
    exception_type: str | None = None
    details: Any = None
    lines: tuple[str, ...] = ()  # the explanation one item per line (a validate result's ``errors``)


def parse_error_body(body: Any) -> ErrorInfo:
    """Read any Zylon error body: the ZylonGPT envelope (``error.detail.explanation`` as a
    string or a list of validation items, ``exception.message``, top-level ``detail``),
    FastAPI's ``{"detail": str | [items]}``, ``{"errors": [...]}``, ``{"message": ...}``,
    OAuth's ``error_description``, the Kotlin ``{"type", "status", "message"}``, the
    validate answer ``{"valid": false, "errors": [...]}``, or text (an HTML page is cut
    to a short excerpt of its text)."""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        text = text_excerpt(body)
        return ErrorInfo(message=text or None, lines=(text,) if text else ())
    if isinstance(body, list):
        return ErrorInfo(message=render_items(body), details=body, lines=tuple(item_lines(body)))
    if not isinstance(body, dict):
        return ErrorInfo()
    error, exception = body.get("error"), body.get("exception")
    error = error if isinstance(error, dict) else {}
    exception = exception if isinstance(exception, dict) else {}
    detail: dict[str, Any] = error["detail"] if isinstance(error.get("detail"), dict) else {}
    top_detail, errors = body.get("detail"), body.get("errors")
    candidates: list[tuple[Any, bool]] = [  # (value, is it an item list we keep as details)
        (detail.get("explanation"), True),
        (top_detail if isinstance(top_detail, list) else None, True),
        (exception.get("message"), False),
        (top_detail, False),
        (error.get("message"), False),
        (body.get("error_description"), False),
        (body.get("message"), True),
        (errors, True),
        (body.get("error") if isinstance(body.get("error"), str) else None, False),
        (body.get("title"), False),
    ]
    message: str | None = None
    details: Any = None
    lines: tuple[str, ...] = ()
    for value, listed in candidates:
        if isinstance(value, str) and value.strip():
            message = text_excerpt(value, limit=2000)
            lines = (message,)
            break
        if listed and isinstance(value, list) and value:
            message, details, lines = render_items(value), value, tuple(item_lines(value))
            break
    if details is None:
        details = top_detail if isinstance(top_detail, list) else errors if isinstance(errors, list) else None
    error_type = error.get("type")
    if error_type is None and isinstance(body.get("error"), str):
        error_type = body["error"]  # OAuth: {"error": "invalid_grant", "error_description": ...}
    if error_type is None and isinstance(body.get("type"), str) and body["type"] != "error":
        error_type = body["type"]  # Kotlin: {"type": "BadRequest", "status": 400, "message": ...}
    return ErrorInfo(
        message=message,
        error_type=_str_or_none(error_type),
        code=_str_or_none(detail.get("code") or error.get("code") or body.get("code")),
        request_id=_str_or_none(body.get("request_id")),
        exception_type=_str_or_none(exception.get("type")),
        details=details,
        lines=lines,
    )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# A union branch in a pydantic ``loc``: a type (``str``, ``list[...]``,
# ``tagged-union[...]``) or a model class name (``SemanticSearch``).
_BRANCH = re.compile(r"^(?:str|int|float|bool|bytes|none|dict|list|set|tuple)$|\[|^[A-Z]|^function-")
_LOC_PART = re.compile(r"'((?:[^'\\]|\\.)*)'|(-?\d+)")
_MAX_ITEMS = 20


def render_items(items: list[Any]) -> str:
    """Validation items as one line: ``"<path>: <msg>; ..."`` (see :func:`item_lines`),
    at most 20 of them."""
    lines = item_lines(items)
    more = f"; ... ({len(lines) - _MAX_ITEMS} more)" if len(lines) > _MAX_ITEMS else ""
    return "; ".join(lines[:_MAX_ITEMS]) + more


def item_lines(items: list[Any]) -> list[str]:
    """Validation items as lines ``"<path>: <msg>"`` (``messages[1].content[0].thinking.signature:
    Field required``), never with their ``input``. ``loc`` may be a list or a string
    holding a Python tuple; ``body`` and union-branch segments are left out, and so are
    the items of union branches that plainly do not apply (a wrong ``type`` literal; a
    ``str`` branch beside the list branch that has the real problem). Repeats dropped."""
    parsed = [_item(item) for item in items]
    wrong = {p["branch"] for p in parsed if p["wrong_branch"]}
    kept = [p for p in parsed if p["branch"] not in wrong] or parsed
    real = [p for p in kept if not p["trailing_branch"]]
    kept = [
        p
        for p in kept
        if not p["trailing_branch"] or not any(r["path"].startswith(p["path"]) and r["path"] != p["path"] for r in real)
    ] or kept
    lines: list[str] = []
    for p in kept:
        line = f"{p['path']}: {p['msg']}" if p["path"] else p["msg"]
        if line not in lines:
            lines.append(line)
    return lines


def _item(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        text = str(item)
        return {"path": "", "msg": text, "branch": None, "wrong_branch": False, "trailing_branch": False}
    msg = item.get("msg") or item.get("message") or item.get("detail") or item.get("type") or "invalid"
    parts = _loc_parts(item.get("loc", item.get("field", item.get("path"))))
    if parts[:1] == ["body"]:
        parts = parts[1:]
    branches = [i for i, part in enumerate(parts) if isinstance(part, str) and _BRANCH.search(part)]
    branch = tuple(parts[: branches[0] + 1]) if branches else None
    wrong = bool(
        branches
        and item.get("type") == "literal_error"
        and parts[branches[-1] + 1 :] == ["type"]
    )
    shown = [part for i, part in enumerate(parts) if i not in branches]
    path = ""
    for part in shown:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if path.startswith("["):
        path = "body" + path  # ('body', 14): malformed JSON at character 14
    return {
        "path": path,
        "msg": str(msg),
        "branch": branch,
        "wrong_branch": wrong,
        "trailing_branch": bool(branches) and branches[-1] == len(parts) - 1,
    }


def _loc_parts(loc: Any) -> list[Any]:
    if isinstance(loc, (list, tuple)):
        return list(loc)
    if not isinstance(loc, str) or not loc.strip():
        return []
    text = loc.strip()
    if text.startswith("("):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return [q if q or not n else int(n) for q, n in _LOC_PART.findall(text)]
        return list(value) if isinstance(value, tuple) else [value]
    return [int(p) if p.isdigit() else p for p in text.split(".")]


_HTML = re.compile(r"<\s*(?:!doctype|html|head|body)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def text_excerpt(text: str, limit: int = 300) -> str:
    """A short one-line excerpt of an error text: an HTML page's title and text without
    markup; cut at a space (a token, which holds none, is never cut in half) to at most
    ``limit`` characters."""
    if _HTML.search(text):
        title = _TITLE.search(text)
        text = _TAG.sub(" ", _SCRIPTS.sub(" ", text))
        if title and title.group(1).strip() not in text[:200]:
            text = f"{title.group(1)} {text}"
        text = html.unescape(text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return (text[:cut] if cut > 0 else text[:limit]) + " ..."


def error_from_response(response: httpx.Response) -> APIStatusError:
    """Build the typed exception for a 4xx/5xx response (its body must be read)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:20000]
    info = parse_error_body(body)
    status = response.status_code
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    text = info.message or response.reason_phrase or "error"
    return cls(
        f"{response.request.method} {response.request.url.path} failed: {text}",
        response=response,
        body=body,
        details=info.details,
        code=info.code,
        error_type=info.error_type,
        request_id=info.request_id,
    )
