"""Keeping the token out of every error the client raises.

:func:`zylon_core.errors.redact` cleans an error's message, arguments, body and details.
:func:`scrub` adds what else an error carries or shows:

* its other attributes (the :class:`~.models.Interaction` of an
  ``InteractionFailedError``, strings, lists, dicts, pydantic models);
* the ``request`` and ``response`` it keeps: copies whose ``Authorization`` header,
  echoed header values and body hold ``[redacted]`` instead of the token (the originals
  carried it in the request headers, and in the body when a server echoed it);
* its chain (``__cause__`` / ``__context__``), as ``traceback.format_exc()`` renders
  it: an exception there that mentions the token (an httpx protocol error quoting
  what the server sent, a pydantic error quoting the input) is replaced by a
  :class:`RedactedError` holding its type's name and its message, cleaned.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx
from pydantic import BaseModel

from ._redaction import REDACTED, redact, unquoted_if_hidden
from .errors import ZylonError

_REDACTED_BY_REDACT = frozenset({"args", "message", "body", "details"})
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key"})


class RedactedError(Exception):
    """Stands in an exception chain for an exception whose message held the token."""


def scrub(error: BaseException, secret: str) -> BaseException:
    """``error`` (changed in place) without ``secret`` anywhere it carries or renders it."""
    if not secret:
        return error
    clean = _cleaner(secret)
    if isinstance(error, ZylonError):
        _own(error, secret, clean)
    _chain(error, secret, clean)
    return error


def _own(error: ZylonError, secret: str, clean: Callable[[str], str]) -> None:
    redact(error, secret)
    for name, value in list(vars(error).items()):
        if name in _REDACTED_BY_REDACT:
            continue
        if isinstance(value, httpx.Request):
            setattr(error, name, _request_copy(value, clean))
        elif isinstance(value, httpx.Response):
            setattr(error, name, _response_copy(value, secret, clean))
        else:
            cleaned = _value(value, secret, clean)
            if cleaned is not value:
                setattr(error, name, cleaned)


def _cleaner(secret: str) -> Callable[[str], str]:
    # The message rules (a cut token, short tokens) are redact's; apply them to any text.
    def clean(text: str) -> str:
        if secret[:8] not in unquoted_if_hidden(text, secret[:8]):  # also percent-encoded
            return text
        probe = ZylonError(text)
        redact(probe, secret)
        return str(probe.args[0]) if probe.args else text

    return clean


def _value(value: Any, secret: str, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, BaseModel):
        dumped = value.model_dump_json()
        if secret[:8] not in dumped and secret not in dumped:
            return value
        data = _value(json.loads(dumped), secret, clean)
        try:
            return type(value).model_validate(data)
        except ValueError:
            return data
    if isinstance(value, dict):
        return {key: _value(item, secret, clean) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_value(item, secret, clean) for item in value)
    return value


def _headers(headers: httpx.Headers, clean: Callable[[str], str], drop: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    out = []
    for name, value in headers.multi_items():
        lowered = name.lower()
        if lowered in drop:
            continue
        out.append((name, REDACTED if lowered in _SECRET_HEADERS else clean(value)))
    return out


def _request_copy(request: httpx.Request, clean: Callable[[str], str]) -> httpx.Request:
    try:
        content = request.content
    except httpx.RequestNotRead:  # a streamed (multipart) body: not kept
        content = b""
    return httpx.Request(request.method, request.url, headers=_headers(request.headers, clean), content=content)


def _body_text(text: str, secret: str, clean: Callable[[str], str]) -> str:
    text = clean(text)
    if "\\" not in text:
        return text
    # JSON may spell the token with escapes ("\u0073k-..."), which json.loads turns back
    # into the token: such a body is kept as its cleaned, re-serialised value.
    try:
        value = json.loads(text)
    except ValueError:
        return text
    decoded = json.dumps(value, ensure_ascii=False)
    if secret not in decoded and secret[:8] not in decoded:
        return text
    return json.dumps(_value(value, secret, clean), ensure_ascii=False)


def _response_copy(response: httpx.Response, secret: str, clean: Callable[[str], str]) -> httpx.Response:
    try:
        text = _body_text(response.text, secret, clean)
    except (httpx.ResponseNotRead, httpx.StreamError):
        text = ""
    try:
        request: httpx.Request | None = _request_copy(response.request, clean)
    except RuntimeError:  # a response made without a request
        request = None
    return httpx.Response(
        response.status_code,
        # The copy holds the decoded body: no content-encoding to decode it again by.
        headers=_headers(response.headers, clean, drop=("content-encoding", "content-length", "transfer-encoding")),
        content=text.encode("utf-8"),
        request=request,
    )


def _chain(error: BaseException, secret: str, clean: Callable[[str], str]) -> None:
    seen = {id(error)}
    current: BaseException | None = error
    while current is not None:
        for link in ("__cause__", "__context__"):
            linked = getattr(current, link)
            if linked is None or id(linked) in seen:
                continue
            if isinstance(linked, ZylonError):
                _own(linked, secret, clean)
            elif secret[:8] in str(linked) or secret in str(linked) or secret in repr(linked.args):
                stand_in = RedactedError(f"{type(linked).__name__}: {clean(str(linked))}")
                stand_in.__cause__, stand_in.__context__ = linked.__cause__, linked.__context__
                stand_in.__suppress_context__ = linked.__suppress_context__
                setattr(current, link, stand_in)
        following = current.__cause__ if current.__cause__ is not None else current.__context__
        if following is None or id(following) in seen:
            break
        seen.add(id(following))
        current = following
