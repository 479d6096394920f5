"""Request validation: the emulator's schema models, plus what they cannot express.

:func:`parse_body` validates a JSON body with a model from :mod:`.schemas` and turns
every problem into ``{"field": "pgpt.messages[0].content[0].type", "message": "..."}``:
a wrong type, a missing field, an unknown field (``unknown field 'tools[0].input_schema'``).
Content block types are checked first, on the raw JSON, so that an unknown or missing
``type`` is named as such rather than as the failures of every block model.
:func:`check_chat` adds the checks a real server makes that no type says (tool names,
``tool_choice`` against the tools, media data, ``max_tokens >= 1``...).
:class:`~.errors.ApiError` turns the list into the 400 body ``{"message", "errors"}``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterable, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ApiError, error, invalid, join_path
from .schemas import BLOCK_TYPES, BUILTIN_TOOL_TYPES, ChatRequest

M = TypeVar("M", bound=BaseModel)


# -- raw pre-checks (before pydantic, for precise paths) ----------------------------------


def _check_blocks(blocks: Any, path: str, out: list[dict[str, str]]) -> None:
    if not isinstance(blocks, list):
        return
    for position, block in enumerate(blocks):
        where = join_path(path, position)
        if not isinstance(block, dict):
            out.append(error(where, f"a content block must be an object, got {type(block).__name__}"))
            continue
        kind = block.get("type")
        if kind is None:
            out.append(error(join_path(where, "type"), "missing content block 'type'"))
        elif kind not in BLOCK_TYPES:
            out.append(
                error(
                    join_path(where, "type"),
                    f"unknown content block type {kind!r}; expected one of: {', '.join(BLOCK_TYPES)}",
                )
            )
        elif kind in ("tool_result", "tldr"):
            _check_blocks(block.get("content"), join_path(where, "content"), out)


def check_chat_blocks(data: Any, path: str = "") -> list[dict[str, str]]:
    """Unknown / missing block types anywhere in a chat request's messages."""
    out: list[dict[str, str]] = []
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        for position, message in enumerate(data["messages"]):
            if isinstance(message, dict):
                where = join_path(join_path(path, "messages"), position)
                _check_blocks(message.get("content"), join_path(where, "content"), out)
    return out


# -- pydantic errors -> dotted paths ------------------------------------------------------


def _clean_loc(loc: Iterable[Any], data: Any) -> list[str | int]:
    """Follow pydantic's ``loc`` through the input, dropping union/tag segments.

    A segment that is not a key or index of the input at that point is one pydantic
    added (``str``, ``list[...]``, a ``<text>`` tag: see :func:`.schemas._tagged`),
    except the last, which names a missing field.
    """
    parts = list(loc)
    path: list[str | int] = []
    current = data
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(current, dict):
            if isinstance(part, str) and part in current:
                path.append(part)
                current = current[part]
            elif isinstance(part, str) and last:
                path.append(part)  # a missing field
                current = None
        elif isinstance(current, list):
            if isinstance(part, int) and 0 <= part < len(current):
                path.append(part)
                current = current[part]
        # scalars: remaining segments are type tags
    return path


def _render(parts: list[str | int], prefix: str) -> str:
    path = prefix
    for part in parts:
        path = join_path(path, part)
    return path


def pydantic_errors(exc: ValidationError, data: Any, prefix: str = "") -> list[dict[str, str]]:
    """Each pydantic error as ``{field, message}``, its location a dotted path into ``data``."""
    found: list[tuple[list[str | int], str]] = []
    for item in exc.errors(include_url=False):
        parts = _clean_loc(item.get("loc", ()), data)
        if item.get("type") == "extra_forbidden":
            message = f"unknown field '{_render(parts, prefix)}'"
        else:
            message = str(item.get("msg", "invalid value"))
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
        found.append((parts, message))
    # A union reports every branch; keep the most specific (deepest) paths.
    kept = []
    for parts, message in found:
        if any(len(other) > len(parts) and other[: len(parts)] == parts for other, _ in found):
            continue
        entry = error(_render(parts, prefix), message)
        if entry not in kept:
            kept.append(entry)
    return kept


# -- the entry point --------------------------------------------------------------------------


def parse_body(model: type[M], data: Any, prefix: str = "", *, chat_at: str | None = None) -> M:
    """Validate ``data`` as ``model``; raise a 400 :class:`ApiError` naming every field.

    ``chat_at`` is the key holding a chat request inside ``data`` (``"pgpt"``), or ``""``
    when ``data`` is itself one, so block types get checked with exact paths.
    """
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object", [error(prefix, "expected a JSON object")])
    errors: list[dict[str, str]] = []
    if chat_at is not None:
        inner = data if chat_at == "" else data.get(chat_at)
        errors = check_chat_blocks(inner, join_path(prefix, chat_at) if chat_at else prefix)
    if errors:
        raise invalid(errors)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(pydantic_errors(exc, data, prefix)) from None


# -- checks the schema types cannot express -------------------------------------------------

_BASE64 = re.compile(r"^[A-Za-z0-9+/_\-\s]*={0,2}\s*$")


def is_media_data(data: str) -> bool:
    """base64 (standard or URL-safe), a ``data:`` URL, or an http(s) URL."""
    text = data.strip()
    if re.match(r"^https?://\S+$", text):
        return True
    if text.startswith("data:"):
        head, sep, payload = text.partition(",")
        if not sep:
            return False
        text = payload if head.endswith(";base64") else ""
        if not text:
            return bool(sep)
    if not text or not _BASE64.match(text):
        return False
    compact = re.sub(r"\s+", "", text)
    try:
        base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=b"-_" if ("-" in compact or "_" in compact) else None)
    except (binascii.Error, ValueError):
        return False
    return True


def check_chat(request: ChatRequest, prefix: str = "") -> list[dict[str, str]]:
    """Semantic checks of a validated chat request (what a real server would refuse)."""
    out: list[dict[str, str]] = []
    if not request.messages:
        out.append(error(join_path(prefix, "messages"), "must contain at least one message"))
    for m_pos, message in enumerate(request.messages):
        if isinstance(message.content, str):
            continue
        _check_media(message.content, join_path(join_path(join_path(prefix, "messages"), m_pos), "content"), out)
    names: dict[str, int] = {}
    for t_pos, tool in enumerate(request.tools or ()):
        where = join_path(join_path(prefix, "tools"), t_pos)
        if not tool.name:
            out.append(error(join_path(where, "name"), "must not be empty"))
        elif tool.name in names:
            out.append(error(join_path(where, "name"), f"duplicate tool name {tool.name!r}"))
        names[tool.name] = t_pos
        if tool.type is not None and tool.type not in BUILTIN_TOOL_TYPES:
            out.append(
                error(
                    join_path(where, "type"),
                    f"unknown built-in tool type {tool.type!r}; expected one of: {', '.join(BUILTIN_TOOL_TYPES)} "
                    "(custom tools have no 'type': use {name, description, inputSchema})",
                )
            )
        if tool.inputSchema is not None and tool.inputSchema.type not in (None, "object"):
            out.append(error(join_path(join_path(where, "inputSchema"), "type"), "a tool's inputSchema must be of type 'object'"))
    choice = request.tool_choice
    if choice is not None:
        where = join_path(prefix, "tool_choice")
        if choice.type == "tool":
            if not choice.name:
                out.append(error(join_path(where, "name"), "required when tool_choice.type is 'tool'"))
            elif choice.name not in names:
                out.append(error(join_path(where, "name"), f"tool {choice.name!r} is not in the provided tools"))
        elif choice.type == "any" and not names:
            out.append(error(join_path(where, "type"), "'any' needs at least one tool in 'tools'"))
    fmt = request.response_format
    if fmt is not None and fmt.type == "json_schema" and not fmt.json_schema:
        out.append(error(join_path(join_path(prefix, "response_format"), "json_schema"), "required when type is 'json_schema'"))
    if request.max_tokens is not None and request.max_tokens < 1:
        out.append(error(join_path(prefix, "max_tokens"), "must be >= 1"))
    return out


def _check_media(blocks: list[Any], path: str, out: list[dict[str, str]]) -> None:
    for position, block in enumerate(blocks):
        where = join_path(path, position)
        if block.type in ("image", "audio", "binary") and not is_media_data(block.data):
            out.append(
                error(join_path(where, "data"), f"{block.type} data must be base64 or an http(s) URL, got {block.data[:40]!r}")
            )
        elif block.type in ("tool_result", "tldr"):
            _check_media(block.content, join_path(where, "content"), out)


def parse_chat(data: Any, prefix: str = "") -> ChatRequest:
    request = parse_body(ChatRequest, data, prefix, chat_at="")
    errors = check_chat(request, prefix)
    if errors:
        raise invalid(errors)
    return request


def validation_report(data: Any, parse: Any) -> dict[str, Any]:
    """``{"valid": bool, "errors": [str] | None}`` for the validate endpoints."""
    try:
        parse(data)
    except ApiError as exc:
        items = exc.errors or [error("", exc.message)]
        return {"valid": False, "errors": [f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in items]}
    return {"valid": True, "errors": None}
