"""Input checks shared by the core and both adapters (pure; nothing here does I/O).

Every check raises a ``ValueError`` that names the offending value, so a bad call fails
before any request is sent instead of as a vague 400 (or, worse, as a request that
does something else than the caller meant).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import numbers
import re
from typing import Any, Mapping, Sequence

from .errors import ConfigurationError

# data:[<mime>][;<param>=<value>]*;base64,<payload>
_DATA_URI = re.compile(r"^data:(?P<mime>[^;,]*)(?:;[^,;]+=[^,;]*)*;base64,(?P<data>.*)$", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")


def check_base64(data: Any, where: str = "content") -> str:
    """``data`` as base64 text without whitespace, after checking it decodes; anything
    else (not a string, empty, not base64) is a ``ValueError`` naming ``where``."""
    if not isinstance(data, str):
        raise ValueError(f"{where}: base64 data must be a string, got {type(data).__name__}")
    data = _WHITESPACE.sub("", data)
    if not data:
        raise ValueError(f"{where}: the base64 data is empty")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{where}: the data is not valid base64 ({exc})") from None
    return data


# Non-``text/*`` types whose content is text: a Zylon ``file`` block carries them as text.
TEXT_MIME_TYPES = ("application/json", "application/xml", "application/x-yaml", "application/yaml", "text/csv")


def is_text_mime(mime: str | None) -> bool:
    """Whether a ``file`` block of this type holds text (else base64 content)."""
    return bool(mime) and (mime.startswith("text/") or mime in TEXT_MIME_TYPES)  # type: ignore[union-attr]


def utf8_text(raw: bytes, where: str = "content") -> str:
    """Text content of a document declared as text: UTF-8, or a ``ValueError`` (never
    a silent replacement of the bytes that do not decode)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{where}: the document is declared as text but is not UTF-8 ({exc.reason} at byte {exc.start}); "
            "decode it to UTF-8 first, or give it a binary MIME type"
        ) from None


def parse_data_uri(uri: str, where: str = "content") -> tuple[str | None, str]:
    """``(mime type or None, base64 payload)`` of a ``data:...;base64,...`` URI.

    A data URI that is not base64-encoded, has no payload, or whose payload is not
    valid base64 is a ``ValueError`` naming ``where``.
    """
    match = _DATA_URI.match(uri)
    if match is None:
        raise ValueError(
            f"{where}: malformed data URI {uri[:60]!r}: expected 'data:<mime type>;base64,<base64 data>'"
        )
    if not match.group("data").strip():
        raise ValueError(f"{where}: the data URI {uri[:60]!r} has no data after 'base64,'")
    return (match.group("mime") or None), check_base64(match.group("data"), f"{where} (data URI)")


def json_object(value: Any, where: str) -> dict[str, Any]:
    """``value`` as a dict, after checking it is a JSON object Zylon can receive:
    string keys, JSON values only (no ``datetime``, ``set``, arbitrary objects), no
    NaN or infinity."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: must be a JSON object (a dict), got {type(value).__name__}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: not JSON-serialisable: {exc}") from None
    return dict(value)


# name: (lowest allowed, highest allowed, must be an integer). ZylonGPT refuses
# temperature and top_p above 1 (``less_than_equal``, captures err_temperature_1_5 and
# err_top_p_2); the Workspace passes ``pgpt`` on to it, so the same bounds hold there.
SAMPLING_RANGES: dict[str, tuple[float, float, bool]] = {
    "temperature": (0.0, 1.0, False),
    "top_p": (0.0, 1.0, False),
    "min_p": (0.0, 1.0, False),
    "top_k": (1, math.inf, True),
    "max_tokens": (1, math.inf, True),
}


def check_sampling(values: Mapping[str, Any]) -> None:
    """Sampling parameters in range: ``temperature``, ``top_p`` and ``min_p`` in
    ``[0, 1]``, ``top_k >= 1`` and ``max_tokens >= 1`` (integers). None means unset."""
    for name, (low, high, integer) in SAMPLING_RANGES.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or (integer and not float(value).is_integer()):
            kind = "an integer" if integer else "a number"
            raise ValueError(f"{name} must be {kind}, got {value!r}")
        number = float(value)
        if not math.isfinite(number) or not low <= number <= high:
            bounds = f">= {low:g}" if high == math.inf else f"between {low:g} and {high:g}"
            raise ValueError(f"{name} must be {bounds}, got {value!r}")


# Characters that would change the meaning of a URL path if an id carried them.
_UNSAFE_ID = re.compile(r"[/\\?#%\s\x00-\x1f\x7f]")


def check_path_id(name: str, value: Any) -> str:
    """An id that goes into a URL path (``/thread/{id}/...``): a non-empty string that
    cannot escape its path segment (no ``/``, ``?``, ``#``, ``%``, ``\\``, whitespace,
    control characters, and not ``.`` or ``..``)."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string (or None), got {value!r}")
    if value in (".", "..") or _UNSAFE_ID.search(value):
        raise ConfigurationError(
            f"{name}={value!r} is not a valid Zylon id: it would change the request's URL path "
            "(ids hold no '/', '?', '#', '%', '\\', spaces or control characters)"
        )
    return value


# Ids of tool calls, as the README states the server's rule (no capture shows a refusal:
# unverified, but every id the server itself makes, ``tool_<hex>``, matches).
TOOL_ID = re.compile(r"^[a-zA-Z0-9_-]+$")


def _blocks(message: Any) -> list[Any]:
    content = getattr(message, "content", None)
    return content if isinstance(content, list) else []


def _field(block: Any, name: str) -> Any:
    return block.get(name) if isinstance(block, Mapping) else getattr(block, name, None)


def check_tool_blocks(messages: Sequence[Any], *, history_on_server: bool = False) -> None:
    """The tool blocks of outgoing messages: every ``tool_use`` id and ``tool_result``
    ``tool_use_id`` matches ``^[a-zA-Z0-9_-]+$``, and every ``tool_result`` answers a
    ``tool_use`` of an earlier message. With ``history_on_server`` (a thread turn) and
    no assistant message among ``messages``, the calls are in the server's history and
    only the ids are checked. ``ValueError`` naming the id."""
    called: set[str] = set()
    check_pairs = not history_on_server or any(getattr(m, "role", None) == "assistant" for m in messages)
    for message in messages:
        answered: list[str] = []
        for block in _blocks(message):
            kind = _field(block, "type")
            if kind == "tool_use":
                tool_id = _field(block, "id")
                _check_tool_id(tool_id, "tool_use id")
                called.add(tool_id)
            elif kind == "tool_result":
                tool_id = _field(block, "tool_use_id")
                _check_tool_id(tool_id, "tool_result tool_use_id")
                answered.append(tool_id)
        for tool_id in answered:
            if check_pairs and tool_id not in called:
                raise ValueError(
                    f"tool_result for {tool_id!r} answers no earlier tool_use: every tool result must follow "
                    "the assistant message that called the tool with that id"
                )


def _check_tool_id(value: Any, where: str) -> None:
    if not isinstance(value, str) or not TOOL_ID.match(value):
        raise ValueError(
            f"{where} {value!r} is not a valid Zylon tool id: ids hold only letters, digits, '_' and '-' "
            "(^[a-zA-Z0-9_-]+$)"
        )


def check_text(value: Any, where: str) -> str:
    """A text block's ``text``: a string (``None``, a number... would be dropped or
    sent as something else). ``ValueError`` naming ``where``."""
    if not isinstance(value, str):
        raise ValueError(f"{where}: a text block's 'text' must be a string, got {value!r:.60}")
    return value


def check_user_content(messages: Sequence[Any]) -> None:
    """Every user message says something: a ``ValueError`` naming the first one whose
    content is empty (no blocks, or only empty text), which would be sent as an empty
    turn (a LlamaIndex ``ChatMessage(content=None)``, a ``HumanMessage("")``)."""
    for position, message in enumerate(messages):
        if getattr(message, "role", None) != "user":
            continue
        content = getattr(message, "content", None)
        blocks = [content] if isinstance(content, str) else list(content or ())
        if all(_empty(block) for block in blocks):
            raise ValueError(
                f"messages[{position}] (user) is empty: it has no text and no other content, and an empty "
                "turn asks nothing (content=None or '' sends nothing); give it text or content blocks"
            )


def _empty(block: Any) -> bool:
    if isinstance(block, str):
        return not block
    return _field(block, "type") == "text" and not _field(block, "text")
