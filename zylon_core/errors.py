"""One exception tree for everything that can go wrong talking to Zylon.

``ZylonError`` is the root. HTTP statuses map to ``APIStatusError`` subclasses that keep
the server's message and body; transport failures are ``APIConnectionError`` /
``APITimeoutError``; a stream that reports an error or stops early is a ``StreamError``.
No message ever contains the API token: the request's headers are never formatted.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence

import httpx


class ZylonError(Exception):
    """Base class of every error raised by this package."""


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
    """The server answered with a 4xx/5xx status."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any = None,
        details: Any = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.details = details

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
    """The server sent an ``error`` event in a stream (even if ``message_stop`` followed)."""

    def __init__(self, message: str, *, error_type: str | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.body = body


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


def _message_from_body(body: Any) -> tuple[str | None, Any]:
    """Pull a human message and validation details out of the many error shapes."""
    if isinstance(body, str):
        return (body.strip() or None), None
    if not isinstance(body, dict):
        return None, None
    details = body.get("detail") if isinstance(body.get("detail"), list) else body.get("errors")
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"]), details
    for key in ("message", "error", "detail", "title"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value, details
    if isinstance(details, list) and details:
        parts = []
        for item in details:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
                parts.append(f"{loc}: {item.get('msg')}" if loc else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts), details
    return None, details


def error_from_response(response: httpx.Response) -> APIStatusError:
    """Build the typed exception for a 4xx/5xx response (its body must be read)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    message, details = _message_from_body(body)
    status = response.status_code
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    text = message or response.reason_phrase or "error"
    return cls(
        f"{response.request.method} {response.request.url.path} failed: {text}",
        response=response,
        body=body,
        details=details,
    )


REDACTED = "[redacted]"


def redact(error: ZylonError, secret: str) -> ZylonError:
    """The error without the token, should a server (or a proxy) echo it back in an
    error body or a stream's error event: message, args, kept body and details."""
    if not secret:
        return error
    escaped = json.dumps(secret)[1:-1]

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(secret, REDACTED)
        if isinstance(value, (list, dict)) and escaped in json.dumps(value):
            return json.loads(json.dumps(value).replace(escaped, REDACTED))
        return value

    error.args = tuple(clean(a) for a in error.args)
    for name in ("message", "body", "details"):
        if getattr(error, name, None) is not None:
            setattr(error, name, clean(getattr(error, name)))
    return error
