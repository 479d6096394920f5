"""Request validation: the core models, plus what they are lenient about.

The core models keep unknown fields (so a client never loses data from a newer
server); a *server* must instead reject them, because an unknown field in a request is
almost always a client codec bug (``input_schema`` for ``inputSchema``, a framework's
``name`` on a message...). :func:`parse_body` validates with the core model, then walks
the validated tree and reports every ``model_extra`` key with its dotted path.

Every problem is reported as ``{"field": "pgpt.messages[0].content[0].type",
"message": "..."}``; :class:`ApiError` turns a list of them into the 400 body
``{"message": ..., "errors": [...]}``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterable, Literal, TypeVar, Union

from pydantic import BaseModel, Field, ValidationError

from ..models import (
    BLOCK_TYPES,
    BUILTIN_TOOL_TYPES,
    ChatRequest,
    ChunkSource,
    Citation,
    DocMetadata,
    OtherSource,
    SourceDocument,
    Tool,
    ToolChoice,
    ToolInputSchema,
    WebsiteSource,
    ZylonModel,
)
from ..models.artifacts import ARTIFACT_TYPES
from ..models.blocks import SourceMetadata

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An HTTP error answer: ``{"message": ..., "errors": [...]}`` with ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"{kind} {ident!r} not found")


def invalid(errors: list[dict[str, str]]) -> ApiError:
    shown = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return ApiError(400, f"invalid request body: {shown}{more}", errors)


def join_path(prefix: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


def error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


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
    """Follow pydantic's ``loc`` through the input, dropping union/tag segments."""
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
    found: list[tuple[list[str | int], str]] = []
    for item in exc.errors(include_url=False):
        parts = _clean_loc(item.get("loc", ()), data)
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


# -- unknown fields -------------------------------------------------------------------------

# Models whose extra keys are legitimate: JSON Schema documents, metadata, and the
# server-produced source/citation objects a client may echo back in its history.
_FREE_FORM: tuple[type[BaseModel], ...] = (
    ToolInputSchema,
    DocMetadata,
    SourceDocument,
    SourceMetadata,
    ChunkSource,
    WebsiteSource,
    OtherSource,
    Citation,
)
# Fields ZylonGPT's schema documents that the core models do not declare.
_ALLOWED_EXTRA: dict[type[BaseModel], frozenset[str]] = {
    ToolChoice: frozenset({"validation_mode"}),
    Tool: frozenset({"context"}),
}


def unknown_fields(value: Any, path: str = "") -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    _walk(value, path, out)
    return out


def _walk(value: Any, path: str, out: list[dict[str, str]]) -> None:
    if isinstance(value, BaseModel):
        cls = type(value)
        if isinstance(value, _FREE_FORM):
            return
        allowed = _ALLOWED_EXTRA.get(cls, frozenset())
        for key in value.model_extra or {}:
            if key not in allowed:
                where = join_path(path, key)
                out.append(error(where, f"unknown field '{where}'"))
        for name, info in cls.model_fields.items():
            if name in value.model_fields_set:
                _walk(getattr(value, name), join_path(path, info.alias or name), out)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _walk(item, join_path(path, position), out)


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
        parsed = model.model_validate(data)
    except ValidationError as exc:
        # The tree cannot be walked; still name the top-level strangers (often the typo
        # behind the "Field required").
        known = {info.alias or name for name, info in model.model_fields.items()} | set(model.model_fields)
        strangers = [error(join_path(prefix, k), f"unknown field '{join_path(prefix, k)}'") for k in data if k not in known]
        raise invalid(pydantic_errors(exc, data, prefix) + strangers) from None
    errors = unknown_fields(parsed, prefix)
    if errors:
        raise invalid(errors)
    return parsed


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


# -- bodies the core models do not cover (projects, artifacts, ZylonGPT ingestion) --------

ProjectVisibility = Literal["Public", "Private"]
MemberRole = Literal["Viewer", "Commenter", "Editor", "Admin", "Owner"]
# The artifact types the docs use (the schema enum plus "Analysis"), from the core.
ArtifactType = Literal[ARTIFACT_TYPES]  # type: ignore[valid-type]
ArtifactSource = Literal["User", "SharePoint", "Confluence", "Claromentis", "FileSystem", "Mock"]


class CreateProjectBody(ZylonModel):
    name: str
    goal: str | None = None
    deadline: Union[float, str, None] = None
    visibility: ProjectVisibility | None = None


class UpdateProjectBody(ZylonModel):
    name: str | None = None
    goal: str | None = None
    deadline: Union[float, str, None] = None
    default_member_role: MemberRole | None = None
    default_role_enabled: bool | None = None
    visibility: ProjectVisibility | None = None
    project_context: str | None = None
    answer_context: str | None = None
    is_pinned: bool | None = None


class CreateArtifactBody(ZylonModel):
    type: ArtifactType
    source: ArtifactSource | None = None
    name: str
    parent_id: str | None = None
    integration_id: str | None = None
    external_url: str | None = None
    description: str | None = None
    raw_content: str | None = None
    keep_file_after_ingestion: bool | None = None
    props: dict[str, Any]
    private_props: dict[str, Any] | None = None
    ws_auto_select: bool | None = None


class UpdateArtifactBody(ZylonModel):
    name: str | None = None
    parent_id: str | None = None
    reset_parent_id: bool | None = None
    external_url: str | None = None
    props: dict[str, Any] | None = None
    private_props: dict[str, Any] | None = None
    description: str | None = None
    content: str | None = None
    plain_text_content: str | None = None
    ws_auto_select: bool | None = None


class IngestInput(ZylonModel):
    type: Literal["text", "file", "uri"] = "text"
    value: str


class IngestBody(ZylonModel):
    artifact: str = Field(min_length=1, max_length=255)
    collection: str = Field(default="pgpt_collection", min_length=1, max_length=255)
    input: IngestInput
    metadata: dict[str, Any] | None = None


class DeleteIngestedBody(ZylonModel):
    artifact: str
    collection: str = "pgpt_collection"
