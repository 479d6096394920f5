"""LlamaIndex messages → Zylon ``MessageInput`` s and ``system.text`` (pure: no client).

Nothing here does I/O beyond reading a local file an ``ImageBlock`` / ``AudioBlock`` /
``DocumentBlock`` names by ``path`` (URLs are passed to Zylon as they are: its media
blocks take base64 *or* a URL). Rules:

* system (and developer) messages become the top-level ``system.text`` (several are
  joined with a blank line), never a system-role message; they hold text only;
* ``role=tool`` (or ``function``) messages → ``tool_result`` blocks in a **user**
  message (consecutive tool messages share one);
* assistant tool calls (``ToolCallBlock`` s or ``additional_kwargs["tool_calls"]``) →
  ``tool_use`` blocks; ``ThinkingBlock`` → ``thinking``;
* ``ImageBlock`` / ``AudioBlock`` → ``image`` / ``audio``; ``DocumentBlock`` → ``file``
  (text types as their text) or, for a plain URL, ``binary``; a ``CitableBlock`` → a
  text ``file`` named after its title; ``CitationBlock`` and ``CachePoint`` are dropped
  (output only / no prompt cache);
* anything else (a ``VideoBlock``, an unknown block) is a ``ValueError`` naming it,
  raised before any request is made.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
from io import IOBase
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import filetype
from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from zylon_core._checks import is_text_mime, json_object, parse_data_uri, utf8_text
from zylon_core.models import MessageInput

# Every LlamaIndex role on each side of a Zylon conversation (also used by .history).
ASSISTANT_ROLES = (MessageRole.ASSISTANT, MessageRole.CHATBOT, MessageRole.MODEL)
SYSTEM_ROLES = (MessageRole.SYSTEM, MessageRole.DEVELOPER)
TOOL_ROLES = (MessageRole.TOOL, MessageRole.FUNCTION)


def to_zylon_messages(messages: Sequence[ChatMessage]) -> tuple[str | None, list[MessageInput]]:
    """``(system_text, messages)`` for a ``ChatRequest``, from LlamaIndex chat messages;
    raises ``ValueError`` naming the message and block that Zylon cannot take.

    * system (and developer) messages → the returned system text, joined by blank lines;
    * ``role=tool`` (or ``function``) messages → ``tool_result`` blocks in a **user**
      message (consecutive tool messages share one user message); each needs
      ``additional_kwargs["tool_call_id"]``; ``additional_kwargs["is_error"]`` is kept;
    * assistant tool calls (``ToolCallBlock`` s, or ``additional_kwargs["tool_calls"]``
      in either the Anthropic ``{id, name, input}`` or the OpenAI
      ``{id, function: {name, arguments}}`` shape) → ``tool_use`` blocks.
    """
    out: list[MessageInput] = []
    system: list[str] = []
    pending_results: list[dict[str, Any]] = []

    def flush_results() -> None:
        if pending_results:
            out.append(MessageInput(role="user", content=list(pending_results)))
            pending_results.clear()

    for position, message in enumerate(messages):
        if not isinstance(message, ChatMessage):
            raise ValueError(f"messages[{position}] is a {type(message).__name__}, not a llama_index ChatMessage")
        role = message.role
        where = f"messages[{position}] ({_role_name(role)})"
        if role in SYSTEM_ROLES:
            for block in message.blocks:
                if isinstance(block, TextBlock):
                    if block.text:
                        system.append(block.text)
                elif not isinstance(block, CachePoint):
                    raise ValueError(
                        f"{where}: a system message can only hold text for Zylon's system.text, "
                        f"got a {type(block).__name__}"
                    )
            continue
        if role in TOOL_ROLES:
            pending_results.append(_tool_result(message, where))
            continue
        flush_results()
        if role in ASSISTANT_ROLES:
            content = _assistant_blocks(message, where)
            out.append(MessageInput(role="assistant", content=content))
        elif role == MessageRole.USER:
            content = to_zylon_blocks(message.blocks, where=where)
            out.append(MessageInput(role="user", content=content or [{"type": "text", "text": ""}]))
        else:  # pragma: no cover - every MessageRole is handled above
            raise ValueError(f"{where}: unsupported message role {role!r}")
    flush_results()
    return ("\n\n".join(system) if system else None), out


def _role_name(role: Any) -> str:
    return role.value if isinstance(role, MessageRole) else str(role)


def _tool_result(message: ChatMessage, where: str) -> dict[str, Any]:
    kwargs = message.additional_kwargs or {}
    tool_use_id = kwargs.get("tool_call_id") or kwargs.get("tool_use_id")
    if not tool_use_id:
        raise ValueError(
            f"{where}: a tool message needs additional_kwargs['tool_call_id'] (the id of the "
            "tool call it answers) to become a Zylon tool_result"
        )
    content = to_zylon_blocks(message.blocks, where=where, allow_tool_calls=False)
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": str(tool_use_id), "content": content}
    if kwargs.get("is_error") is not None:
        result["is_error"] = bool(kwargs["is_error"])
    return result


def _assistant_blocks(message: ChatMessage, where: str) -> list[dict[str, Any]]:
    content = to_zylon_blocks(message.blocks, where=where, allow_tool_calls=True)
    seen = {block["id"] for block in content if block["type"] == "tool_use"}
    for call in (message.additional_kwargs or {}).get("tool_calls") or ():
        block = _legacy_tool_call(call, where)
        if block["id"] not in seen:
            seen.add(block["id"])
            content.append(block)
    return content or [{"type": "text", "text": ""}]


def _legacy_tool_call(call: Any, where: str) -> dict[str, Any]:
    """A tool call kept in ``additional_kwargs["tool_calls"]`` (dict or object)."""
    if not isinstance(call, Mapping):
        dump = getattr(call, "model_dump", None)
        call = dump() if callable(dump) else vars(call)
    function = call.get("function")
    if isinstance(function, Mapping):  # OpenAI shape
        name, arguments = function.get("name"), function.get("arguments")
    else:  # Anthropic / Zylon shape, or a ToolSelection dump
        name = call.get("name") or call.get("tool_name")
        arguments = call.get("input", call.get("tool_kwargs", call.get("arguments")))
    call_id = call.get("id") or call.get("tool_id") or call.get("tool_call_id")
    if not name or not call_id:
        raise ValueError(f"{where}: additional_kwargs['tool_calls'] holds a call without an id and name: {call!r}")
    return {"type": "tool_use", "id": str(call_id), "name": str(name), "input": _arguments(arguments, where)}


def _arguments(arguments: Any, where: str) -> dict[str, Any]:
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError as exc:
            raise ValueError(f"{where}: tool call arguments are not valid JSON: {arguments[:200]!r}") from exc
    if not isinstance(arguments, Mapping):
        raise ValueError(f"{where}: tool call arguments must be a JSON object, got {type(arguments).__name__}")
    return json_object(arguments, f"{where}: tool call arguments")


def to_zylon_blocks(
    blocks: Iterable[Any],
    *,
    where: str = "message",
    allow_tool_calls: bool = False,
) -> list[dict[str, Any]]:
    """Zylon wire blocks for LlamaIndex content blocks (see the module docs for the map)."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            if block.text:
                out.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            out.append(_image(block, where))
        elif isinstance(block, AudioBlock):
            out.append(_audio(block, where))
        elif isinstance(block, DocumentBlock):
            out.append(_document(block, where))
        elif isinstance(block, CitableBlock):
            out.extend(_citable(block, where))
        elif isinstance(block, ThinkingBlock):
            if block.content:
                out.append({"type": "thinking", "thinking": block.content})
        elif isinstance(block, ToolCallBlock):
            if not allow_tool_calls:
                raise ValueError(f"{where}: a ToolCallBlock can only appear in an assistant message")
            call_id = block.tool_call_id
            if not call_id:
                raise ValueError(f"{where}: ToolCallBlock {block.tool_name!r} has no tool_call_id; Zylon needs one")
            out.append(
                {"type": "tool_use", "id": call_id, "name": block.tool_name, "input": _arguments(block.tool_kwargs, where)}
            )
        elif isinstance(block, (CitationBlock, CachePoint)):
            # Citations are output only (Zylon re-derives them); Zylon has no prompt cache.
            continue
        elif isinstance(block, VideoBlock):
            raise ValueError(f"{where}: VideoBlock is not supported by Zylon (no video content block)")
        else:
            raise ValueError(f"{where}: unsupported content block {type(block).__name__} for Zylon")
    return out


def _image(block: ImageBlock, where: str) -> dict[str, Any]:
    mime = block.image_mimetype
    if block.image is not None and mime is None:
        guess = filetype.guess(base64.b64decode(_b64(block.image)))
        mime = guess.mime if guess else None
    return _media("image", block.image, block.path, block.url, mime, where)


def _audio(block: AudioBlock, where: str) -> dict[str, Any]:
    return _media("audio", block.audio, block.path, block.url, _audio_mime(block.format), where)


def _media(kind: str, raw: Any, path: Any, url: Any, mime: str | None, where: str) -> dict[str, Any]:
    """An ``image``/``audio`` wire block from a LlamaIndex block's bytes, path or URL."""
    name = f"{kind.capitalize()}Block"
    if raw is not None:
        data = _b64(raw)
    elif path is not None:
        data = _b64_file(path, name, where)
        mime = mime or mimetypes.guess_type(str(path))[0]
    elif url is not None:
        data, mime = _url(str(url), mime, where)
    else:
        raise ValueError(f"{where}: {name} has no {kind}, path or url")
    out: dict[str, Any] = {"type": kind, "data": data}
    if mime:
        out["mime_type"] = mime
    return out


def _audio_mime(fmt: str | None) -> str | None:
    if not fmt:
        return None
    if "/" in fmt:
        return fmt
    return mimetypes.types_map.get(f".{fmt.lower()}") or {"mp3": "audio/mpeg", "wav": "audio/wav"}.get(
        fmt.lower(), f"audio/{fmt.lower()}"
    )


def _document(block: DocumentBlock, where: str) -> dict[str, Any]:
    mime = block.document_mimetype
    title = block.title if block.title and block.title != "input_document" else None
    data_uri = block.data is None and block.path is None and str(block.url or "").startswith("data:")
    if block.data is None and block.path is None and block.url is not None and not data_uri:
        # Not fetched here: Zylon's binary block takes a URL as its data.
        out: dict[str, Any] = {"type": "binary", "data": str(block.url), "mime_type": mime or "application/octet-stream"}
        name = title or Path(str(block.url).split("?")[0]).name
        if name:
            out["filename"] = name
        return out
    if data_uri:
        uri_mime, payload = parse_data_uri(str(block.url), where)
        raw, mime = base64.b64decode(payload), mime or uri_mime
    elif block.data is not None:
        raw = base64.b64decode(_b64(block.data))
    elif block.path is not None:
        raw = _read(block.path, "DocumentBlock", where)
        mime = mime or mimetypes.guess_type(str(block.path))[0]
        title = title or Path(str(block.path)).name
    else:
        raise ValueError(f"{where}: DocumentBlock has no data, path or url")
    content = utf8_text(raw, f"{where} DocumentBlock") if is_text_mime(mime) else base64.b64encode(raw).decode("ascii")
    out = {"type": "file", "content": content}
    if mime:
        out["content_type"] = mime
    metadata: dict[str, Any] = {}
    if title:
        metadata["file_name"] = title
    suffix = Path(title).suffix.lstrip(".") if title else ""
    if suffix or mime:
        metadata["file_type"] = suffix or (mimetypes.guess_extension(mime or "") or "").lstrip(".") or mime
    if metadata:
        out["doc_metadata"] = metadata
    return out


def _citable(block: CitableBlock, where: str) -> list[dict[str, Any]]:
    """Citable content becomes a text ``file`` block named after its title."""
    texts = [part.text for part in block.content if isinstance(part, TextBlock) and part.text]
    out: list[dict[str, Any]] = []
    if texts:
        out.append(
            {
                "type": "file",
                "content": "\n\n".join(texts),
                "content_type": "text/plain",
                "doc_metadata": {"file_name": block.title, "file_type": "txt"},
            }
        )
    others = [part for part in block.content if not isinstance(part, TextBlock)]
    out.extend(to_zylon_blocks(others, where=f"{where} CitableBlock {block.title!r}"))
    return out


def _b64(value: Any) -> str:
    """Base64 text of block data that LlamaIndex stores base64-encoded (or as a stream)."""
    if isinstance(value, IOBase):
        value.seek(0)
        raw = value.read()
        value.seek(0)
        return base64.b64encode(raw if isinstance(raw, bytes) else raw.encode()).decode("ascii")
    if isinstance(value, str):
        value = value.encode()
    try:
        base64.b64decode(value, validate=True)
        return value.decode("ascii")
    except (binascii.Error, ValueError):
        return base64.b64encode(value).decode("ascii")


def _read(path: Any, kind: str, where: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{where}: {kind} path {str(path)!r} cannot be read: {exc.strerror}") from exc


def _b64_file(path: Any, kind: str, where: str) -> str:
    return base64.b64encode(_read(path, kind, where)).decode("ascii")


def _url(url: str, mime: str | None, where: str) -> tuple[str, str | None]:
    """A ``data:`` URL becomes base64 data + mime type (a malformed one is a
    ``ValueError``); other URLs pass through."""
    if url.startswith("data:"):
        uri_mime, data = parse_data_uri(url, where)
        return data, mime or uri_mime
    return url, mime
