"""The retry policy, in one place: what is retried, and how long to wait.

Whether a request may be sent again depends on whether sending it twice could do
something twice (:attr:`~._transport.Call.idempotent`):

* a request that is safe to repeat (``GET``, ``PUT``, ``DELETE``, and ``POST`` s that
  only read: validate, embeddings, chunk search) is retried after a connection error,
  a connection broken before the whole answer arrived, and 408, 409, 429 or 5xx;
* a request that creates something (one-shot, project and thread chat, uploads,
  project and thread creation) is sent again only when it cannot have reached the
  server (the connection could not be made, or no pooled connection was free) or
  when the server refused it before acting on it (408, 429, 503, 529). Once the
  server may have seen it (a reset, a broken answer, a 500, 502 or 504) it is never
  resent: the caller gets the error, and the server holds the turn at most once.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass

import httpx

RETRYABLE_STATUSES = frozenset({408, 409, 429})
REFUSED_STATUSES = frozenset({408, 429, 503, 529})
"""Statuses by which a server says it did not act on the request: a request that
creates something is retried after these only."""
MAX_RETRY_AFTER = 60.0

# Failures before the request could reach the server: any request may be sent again.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures after the request may have reached the server: only a request that is safe
# to repeat is sent again. A read timeout is not among them: the server may still be
# running the request, and it answers nothing sooner for being asked twice.
MAYBE_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25

    def should_retry_status(self, response: httpx.Response, idempotent: bool = True) -> bool:
        """408, 409, 429 and 5xx are retried when the request is safe to repeat; only
        :data:`REFUSED_STATUSES` when it is not. A 409 from a cancel means "already
        finished" and is final (cancel requests accept it as an answer)."""
        status = response.status_code
        if not idempotent:
            return status in REFUSED_STATUSES
        return status in RETRYABLE_STATUSES or status >= 500

    def should_retry_error(self, exc: Exception, idempotent: bool = True) -> bool:
        """Whether a transport failure may be followed by sending the request again."""
        if isinstance(exc, NOT_SENT_ERRORS):
            return True
        return idempotent and isinstance(exc, MAYBE_SENT_ERRORS)

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): ``Retry-After``
        when the server gives a usable one (at most :data:`MAX_RETRY_AFTER`), else
        exponential back-off with jitter. Always a finite number >= 0."""
        retry_after = parse_retry_after(response) if response is not None else None
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        base = min(self.initial_delay * (2**attempt), self.max_delay)
        return base * (1 - self.jitter * random.random())


def _seconds(number: float) -> float | None:
    """A finite wait >= 0, or None for NaN; infinity and huge values become the cap."""
    if math.isnan(number):
        return None
    return min(max(number, 0.0), MAX_RETRY_AFTER)


def parse_retry_after(response: httpx.Response) -> float | None:
    """``retry-after-ms``, else ``Retry-After`` (seconds or an HTTP date), as seconds
    between 0 and :data:`MAX_RETRY_AFTER`; None when absent or unusable (NaN,
    garbage, a date that cannot be read): the caller then backs off on its own."""
    headers = response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name, "").strip()
        if not value:
            continue
        try:
            seconds = _seconds(float(value) / scale)
        except (ValueError, OverflowError):
            seconds = None if name == "retry-after-ms" else _http_date(value)
        if seconds is not None:
            return seconds
    return None


def _http_date(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return _seconds(email.utils.mktime_tz(parsed) - time.time())
    except (ValueError, TypeError, OverflowError, IndexError):  # dates the stdlib cannot place
        return None
