"""The retry policy, in one place: what is retried, and how long to wait."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

import httpx

RETRYABLE_STATUSES = frozenset({408, 409, 429})
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25

    def should_retry_status(self, response: httpx.Response) -> bool:
        """408, 409, 429 and 5xx are retried; a 409 from a cancel means "already
        finished" and is final (the caller marks cancel requests not retryable)."""
        return response.status_code in RETRYABLE_STATUSES or response.status_code >= 500

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        retry_after = parse_retry_after(response) if response is not None else None
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        base = min(self.initial_delay * (2**attempt), self.max_delay)
        return base * (1 - self.jitter * random.random())


def parse_retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``, if usable."""
    headers = response.headers
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(email.utils.mktime_tz(parsed) - time.time(), 0.0)
