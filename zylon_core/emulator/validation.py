"""Request validation, answered the way each API answers it.

* ZylonGPT bodies (and a Workspace request's ``pgpt``, which the Workspace forwards to
  ZylonGPT): :func:`parse_gpt` validates with the models of :mod:`.gpt_schemas` and turns
  pydantic's errors into the real server's 400 envelope (:func:`.errors.gpt_invalid`).
* Workspace bodies: :func:`parse_body` validates with :mod:`.schemas` and answers the
  Kotlin 400 whose message names every bad field with a dotted path
  (``artifacts[0].update.name: ...``).
"""

from __future__ import annotations

from typing import Any, Iterable, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from .errors import ApiError, error, gpt_invalid, invalid, join_path, pydantic_items
from .gpt_schemas import ChatBody

M = TypeVar("M", bound=BaseModel)


# -- ZylonGPT -----------------------------------------------------------------------------------


def parse_gpt(model: type[M], data: Any, root: str = "body", context: dict[str, Any] | None = None) -> M:
    """``data`` validated as ``model``, or the real server's 400 envelope."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise gpt_invalid(pydantic_items(exc.errors(include_url=False), root)) from None


def parse_gpt_union(adapter: TypeAdapter[Any], data: Any, root: str = "body") -> Any:
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise gpt_invalid(pydantic_items(exc.errors(include_url=False), root)) from None


def parse_chat(data: Any, history: list[dict[str, Any]] | None = None) -> ChatBody:
    """A ZylonGPT chat body (``/messages``, or a Workspace ``pgpt``). ``history``: the
    earlier turns of a Workspace thread, whose tool calls the new turn may answer."""
    known = [b.get("id") for m in history or () for b in (m.get("content") or ()) if isinstance(b, dict) and b.get("type") in ("tool_use", "server_tool_use")]
    return parse_gpt(ChatBody, data, context={"tool_use_ids": known})


def gpt_query(value: str | None, name: str) -> str:
    """A required query parameter, or the envelope's ``missing`` item at ``('query', name)``."""
    if value is None:
        raise gpt_invalid([{"type": "missing", "loc": str(("query", name)), "msg": "Field required", "input": None}])
    return value


# -- Workspace --------------------------------------------------------------------------------


def _clean_loc(loc: Iterable[Any], data: Any) -> list[str | int]:
    """Follow pydantic's ``loc`` through the input, dropping union/tag segments.

    A segment that is not a key or index of the input at that point is one pydantic
    added (``str``, ``list[...]``...), except the last, which names a missing field.
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


def parse_body(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate a Workspace body as ``model``; a 400 naming every bad field."""
    if not isinstance(data, dict):
        raise invalid([error(prefix, "expected a JSON object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(pydantic_errors(exc, data, prefix)) from None


def validation_errors(exc: ApiError) -> list[str]:
    """One line per problem of a ZylonGPT error (for ``{"valid": false, "errors": [...]}``)."""
    body = exc.body if isinstance(exc.body, dict) else {}
    found = body.get("detail")
    if isinstance(found, list):
        return [f"{item.get('loc')}: {item.get('msg')}" for item in found]
    return [str(found if found is not None else exc)]
