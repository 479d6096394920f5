"""The errors the transport raises for what went wrong on the wire (pure builders):
transport failures (saying when a request was not sent again), answers that broke off,
bodies that cannot be decoded, redirects, and the Gateway-token hint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from ._deadline import Deadline, Timeouts
from .errors import APIConnectionError, APIError, APIStatusError, APITimeoutError, StreamError

if TYPE_CHECKING:
    from ._call import Call


GATEWAY_HINT = (
    "ZylonGPT (/api/gpt/v1) needs a Gateway token (Backoffice > Developer Console); Workspace tokens, "
    "and every token created before Zylon 1.54, reach /api/v1 only"
)


def add_gateway_hint(error: Exception) -> None:
    """Say, on a 401/403 from ZylonGPT, which kind of token it takes."""
    message = getattr(error, "message", None) or str(error)
    message = f"{message.rstrip('. ')}. {GATEWAY_HINT}"
    error.message = message  # type: ignore[attr-defined]
    error.args = (message, *error.args[1:])


def redirect_error(call: Call[Any], response: httpx.Response) -> APIStatusError:
    location = response.headers.get("location", "").strip()
    try:
        target = str(response.url.join(location)) if location else "nowhere (no Location header)"
    except (httpx.InvalidURL, ValueError):
        target = repr(location[:200])
    return APIStatusError(
        f"{call.method} {call.path} was redirected ({response.status_code}) to {target}: Zylon's API does not "
        "redirect, so it was not followed. Check base_url (the instance root, with the scheme and host "
        "Zylon is served on)",
        response=response,
        body={"location": location} if location else None,
    )


def transport_error(call: Call[Any], exc: Exception, *, maybe_sent: bool) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request to Zylon timed out: {type(exc).__name__}")
    message = f"could not reach Zylon: {type(exc).__name__}: {exc}"
    if maybe_sent:
        message += (
            f". {call.method} {call.path} was not sent again: Zylon may have received it, and sending it twice "
            "could do it twice"
        )
    return APIConnectionError(message)


def broken_answer(call: Call[Any], exc: Exception, deadline: Deadline, timeouts: Timeouts) -> APIError:
    """A transport failure while reading an answer whose status had arrived."""
    if timeouts.expired(exc):
        return deadline.error()
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{call.method} {call.path}: Zylon's answer timed out while being read: {type(exc).__name__}")
    tail = (
        "" if call.idempotent else
        "; it was not sent again, since Zylon had started answering and may have acted on it"
    )
    return APIConnectionError(f"{call.method} {call.path}: the connection broke while Zylon's answer was read "
                              f"({type(exc).__name__}: {exc}){tail}")


def decoding_error(call: Call[Any], exc: httpx.DecodingError) -> APIError:
    return APIError(f"{call.method} {call.path}: Zylon's response body could not be decoded ({exc})")


def read_error(exc: Exception, deadline: Deadline, timeouts: Timeouts) -> APIError:
    if timeouts.expired(exc):
        return deadline.error()
    if isinstance(exc, httpx.TimeoutException):
        return StreamError(f"Zylon stream timed out while reading: {type(exc).__name__}")
    return StreamError(f"Zylon stream broke off: {type(exc).__name__}: {exc}")
