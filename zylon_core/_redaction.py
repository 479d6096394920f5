"""Removing the API token from text and from an error's message, arguments, kept body
and details (:func:`redact`, public as ``zylon_core.errors.redact``). It knows no error
class, so that :mod:`.errors` can use it and :mod:`._scrub` build on it."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, Callable, TypeVar

E = TypeVar("E", bound=BaseException)


# -- keeping the token out -------------------------------------------------------------

REDACTED = "[redacted]"
# A token at least this long is removed wherever it (or a start of it this long, as an
# excerpt cut through it leaves) appears; a shorter one only where it stands alone, so
# that a one-letter "token" does not replace every such letter of a message.
MIN_SUBSTRING_SECRET = 8
_TOKEN_CHARS = r"A-Za-z0-9._~+/=-"


def scrubber(secret: str) -> Callable[[str], str]:
    if len(secret) < MIN_SUBSTRING_SECRET:
        alone = re.compile(rf"(?<![{_TOKEN_CHARS}]){re.escape(secret)}(?![{_TOKEN_CHARS}])")
        return lambda text: alone.sub(REDACTED, unquoted_if_hidden(text, secret))
    head = secret[:MIN_SUBSTRING_SECRET]

    def scrub(text: str) -> str:
        text = unquoted_if_hidden(text, head)
        if head not in text:
            return text
        out, start = [], 0
        while (found := text.find(head, start)) >= 0:
            end, k = found + len(head), len(head)
            while end < len(text) and k < len(secret) and text[end] == secret[k]:
                end, k = end + 1, k + 1
            out += [text[start:found], REDACTED]
            start = end
        return "".join(out) + text[start:]

    return scrub


def unquoted_if_hidden(text: str, head: str) -> str:
    """``text`` percent-decoded when only that shows ``head`` (a server or proxy that
    percent-encodes the token in a URL it echoes, e.g. a redirect's ``Location``)."""
    if "%" not in text or head in text:
        return text
    decoded = urllib.parse.unquote(text)
    return decoded if head in decoded else text


def redact(error: E, secret: str) -> E:
    """The error without the token, should a server (or a proxy) echo it back in an
    error body or a stream's error event: message, args, kept body and details."""
    if not secret:
        return error
    scrub = scrubber(secret)

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, tuple):
            return tuple(clean(v) for v in value)
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        return value

    error.args = tuple(clean(a) for a in error.args)
    for name in ("message", "body", "details"):
        if getattr(error, name, None) is not None:
            setattr(error, name, clean(getattr(error, name)))
    return error
