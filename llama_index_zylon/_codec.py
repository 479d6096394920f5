"""Pure conversions between LlamaIndex messages and Zylon payloads.

Nothing here does I/O beyond reading a local file an ``ImageBlock``/``AudioBlock``/
``DocumentBlock`` names by ``path`` (URLs are passed to Zylon as they are: its media
blocks take base64 *or* a URL). Everything that cannot be expressed in Zylon's wire
format is a ``ValueError`` naming it, raised before any request is made.

Directions:

* :func:`to_zylon_messages` - LlamaIndex ``ChatMessage`` s → Zylon ``MessageInput`` s and
  the system text (system messages go to the top-level ``system.text``);
* :func:`to_zylon_tool`, :func:`to_zylon_tool_choice`, :func:`json_schema_for` - tools,
  tool choice and ``response_format`` schemas;
* :func:`decode_output` - a Zylon ``MessageOutput`` → ``ChatMessage`` (+ response
  metadata); :class:`StreamState` builds the partial message while streaming;
* :func:`from_zylon_input` - a Zylon ``MessageInput`` (history) → ``ChatMessage`` s.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import mimetypes
from dataclasses import dataclass, field
from io import IOBase
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import filetype

try:
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
except ImportError as exc:  # pragma: no cover - depends on the installed version
    from importlib.metadata import version

    raise ImportError(
        "llama_index_zylon needs llama-index-core >= 0.14.5 (ToolCallBlock, ThinkingBlock, "
        f"CitationBlock, CitableBlock); installed: {version('llama-index-core')}"
    ) from exc
from llama_index.core.llms.utils import parse_partial_json

from zylon_core._answers import final_stop_reason, server_tool_ids, usage_counts
from zylon_core._checks import is_text_mime, json_object, parse_data_uri, utf8_text
from zylon_core.models import (
    MessageInput,
    MessageOutput,
    ResponseFormat,
    Tool,
    ToolChoice,
    parse_block,
)
from zylon_core._streaming import StreamDelta
from zylon_core._tools import (
    builtin_tool_names,
    check_unique_names,
    custom_tool,
    inline_refs,
    json_schema_of,
    tool_choice,
    tool_from_dict,
)
from zylon_core._tools import response_format_for as core_response_format_for

__all__ = [
    "DecodedOutput",
    "StreamState",
    "builtin_tool_names",
    "decode_output",
    "from_zylon_input",
    "inline_refs",
    "json_schema_for",
    "response_format_for",
    "sources_to_citation_blocks",
    "to_zylon_blocks",
    "to_zylon_messages",
    "to_zylon_tool",
    "to_zylon_tool_choice",
    "to_zylon_tools",
    "usage_dict",
]

_ASSISTANT_ROLES = (MessageRole.ASSISTANT, MessageRole.CHATBOT, MessageRole.MODEL)
_SYSTEM_ROLES = (MessageRole.SYSTEM, MessageRole.DEVELOPER)
_TOOL_ROLES = (MessageRole.TOOL, MessageRole.FUNCTION)


# --------------------------------------------------------------------------------------
# LlamaIndex → Zylon: messages
# --------------------------------------------------------------------------------------


def to_zylon_messages(messages: Sequence[ChatMessage]) -> tuple[list[MessageInput], str | None]:
    """Zylon input messages and the system text, from LlamaIndex chat messages.

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
        if role in _SYSTEM_ROLES:
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
        if role in _TOOL_ROLES:
            pending_results.append(_tool_result(message, where))
            continue
        flush_results()
        if role in _ASSISTANT_ROLES:
            content = _assistant_blocks(message, where)
            out.append(MessageInput(role="assistant", content=content))
        elif role == MessageRole.USER:
            content = to_zylon_blocks(message.blocks, where=where)
            out.append(MessageInput(role="user", content=content or [{"type": "text", "text": ""}]))
        else:  # pragma: no cover - every MessageRole is handled above
            raise ValueError(f"{where}: unsupported message role {role!r}")
    flush_results()
    return out, ("\n\n".join(system) if system else None)


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


# --------------------------------------------------------------------------------------
# LlamaIndex → Zylon: tools, tool choice, response format
# --------------------------------------------------------------------------------------


def to_zylon_tool(tool: Any) -> dict[str, Any]:
    """One tool in Zylon's wire form.

    * a LlamaIndex ``BaseTool`` → a custom tool ``{name, description, inputSchema}``;
    * a dict (or ``zylon_core.models.Tool``): a built-in ``type`` (``semantic_search_v1``,
      ...) passes through as a built-in tool the server runs itself; Zylon, Anthropic and
      OpenAI-style custom tool dicts are converted (see :func:`zylon_core._tools.tool_from_dict`).
    """
    if isinstance(tool, Tool):
        tool = tool.to_json_dict()
    metadata = getattr(tool, "metadata", None)
    if metadata is not None and hasattr(metadata, "get_parameters_dict"):
        return custom_tool(metadata.get_name(), metadata.description, metadata.get_parameters_dict())
    if not isinstance(tool, Mapping):
        raise ValueError(f"cannot use {type(tool).__name__} as a Zylon tool: pass a LlamaIndex tool or a dict")
    converted = tool_from_dict(tool)
    if converted is None:  # a dict with a name and maybe an OpenAI-style ``parameters``
        converted = custom_tool(tool.get("name"), tool.get("description"), tool.get("parameters"))
    return converted


def to_zylon_tools(tools: Iterable[Any] | None) -> list[dict[str, Any]]:
    return check_unique_names([to_zylon_tool(tool) for tool in tools or ()])


def to_zylon_tool_choice(
    choice: Any,
    *,
    tool_names: Iterable[str] = (),
    tool_required: bool = False,
    allow_parallel_tool_calls: bool | None = None,
) -> dict[str, Any] | None:
    """``tool_choice`` in Zylon's wire form (see :func:`zylon_core._tools.tool_choice`);
    None with ``tool_required`` means ``any``, otherwise ``auto``."""
    if isinstance(choice, ToolChoice):
        choice = choice.to_json_dict()
    if choice is None:
        choice = "any" if tool_required else "auto"
    return tool_choice(choice, tool_names, parallel_tool_calls=allow_parallel_tool_calls)


def json_schema_for(output: Any) -> dict[str, Any]:
    """A self-contained JSON schema (``$ref`` s inlined) for a pydantic model or a schema dict."""
    return json_schema_of(output)


def response_format_for(output: Any) -> dict[str, Any]:
    """``response_format`` for a pydantic model, a JSON schema dict, a ``ResponseFormat``,
    or an explicit ``{"type": "json_schema", "json_schema": {...}}`` / ``{"type": "text"}``."""
    if isinstance(output, ResponseFormat):
        output = output.to_json_dict()
    return core_response_format_for(output)


# --------------------------------------------------------------------------------------
# Zylon → LlamaIndex
# --------------------------------------------------------------------------------------


@dataclass
class DecodedOutput:
    """A decoded answer: the chat message and the response-level metadata."""

    message: ChatMessage
    additional_kwargs: dict[str, Any]
    raw: dict[str, Any]


def usage_dict(usage: Any) -> dict[str, int]:
    """``{input_tokens, output_tokens, prompt_tokens, completion_tokens, total_tokens}``,
    empty when the server reported no usage."""
    counts = usage_counts(usage)
    if counts is None:
        return {}
    return {
        "input_tokens": counts[0],
        "prompt_tokens": counts[0],
        "output_tokens": counts[1],
        "completion_tokens": counts[1],
        "total_tokens": counts[2],
    }


def decode_output(
    message: MessageOutput | Mapping[str, Any],
    *,
    interaction_id: str | None = None,
    thread_id: str | None = None,
    server_tool_names: Iterable[str] = (),
    interaction: Any = None,
) -> DecodedOutput:
    """An assistant ``ChatMessage`` from a Zylon answer.

    Blocks: ``text`` → ``TextBlock``; ``thinking`` → ``ThinkingBlock``; a ``tool_use`` the
    client must run → ``ToolCallBlock``; a ``tool_use`` answered by a ``tool_result`` in
    the same output (or naming a built-in tool) ran on the server: it is listed in
    ``additional_kwargs["server_tool_calls"]`` and is not a pending call; each source of a
    ``source`` block → a ``CitationBlock`` (all sources also in
    ``additional_kwargs["sources"]``); text citations in ``additional_kwargs["citations"]``;
    ``tldr`` in ``additional_kwargs["tldr"]``; media blocks → ``ImageBlock`` /
    ``AudioBlock`` / ``DocumentBlock``.

    The response metadata (``id``, ``model``, normalised ``stop_reason``, usage and, in
    thread mode, ``interaction_id`` / ``thread_id``) is returned separately for
    ``ChatResponse.additional_kwargs``; ``raw`` is the wire message plus those ids.
    """
    if not isinstance(message, MessageOutput):
        message = MessageOutput.model_validate(dict(message))
    wire = message.to_json_dict()
    chat_message = _decode_blocks(wire.get("content") or [], frozenset(server_tool_names))
    kwargs: dict[str, Any] = {}
    for key in ("id", "model"):
        if wire.get(key) is not None:
            kwargs[key] = wire[key]
    has_pending = any(isinstance(b, ToolCallBlock) for b in chat_message.blocks)
    kwargs["stop_reason"] = final_stop_reason(message.stop_reason, has_pending)
    if message.stop_sequence:
        kwargs["stop_sequence"] = message.stop_sequence
    usage = usage_dict(message.usage)
    if usage:
        kwargs["usage"] = usage
    raw = dict(wire)
    if interaction_id:
        kwargs["interaction_id"] = raw["interaction_id"] = interaction_id
    if thread_id:
        kwargs["thread_id"] = raw["thread_id"] = thread_id
    if interaction is not None:
        raw["interaction"] = interaction.to_json_dict() if hasattr(interaction, "to_json_dict") else interaction
    return DecodedOutput(chat_message, kwargs, raw)


def _decode_blocks(
    content: Sequence[Mapping[str, Any]],
    server_tool_names: frozenset[str] = frozenset(),
    *,
    role: MessageRole = MessageRole.ASSISTANT,
    partial: bool = False,
) -> ChatMessage:
    answered = server_tool_ids(content)
    blocks: list[Any] = []
    extras: dict[str, list[Any]] = {}
    server_calls: dict[str, dict[str, Any]] = {}
    for block in content:
        kind = block.get("type")
        if kind == "text":
            blocks.append(TextBlock(text=block.get("text") or ""))
            if block.get("citations"):
                extras.setdefault("citations", []).extend(block["citations"])
        elif kind == "thinking":
            info = {"citations": block["citations"]} if block.get("citations") else {}
            blocks.append(ThinkingBlock(content=block.get("thinking") or "", additional_information=info))
        elif kind == "tool_use":
            call_id, name = block.get("id"), block.get("name") or ""
            arguments = block.get("input") or {}
            if call_id in answered or name in server_tool_names:
                server_calls.setdefault(call_id, {}).update(id=call_id, name=name, input=arguments)
            else:
                blocks.append(ToolCallBlock(tool_call_id=call_id, tool_name=name, tool_kwargs=arguments))
        elif kind == "tool_result":
            call_id = block.get("tool_use_id")
            entry = server_calls.setdefault(call_id, {"id": call_id})
            entry["result"] = block.get("content") or []
            if block.get("is_error") is not None:
                entry["is_error"] = block["is_error"]
        elif kind == "source":
            sources = list(block.get("sources") or ())
            extras.setdefault("sources", []).extend(sources)
            blocks.extend(sources_to_citation_blocks(sources))
        elif kind == "tldr":
            extras.setdefault("tldr", []).extend(block.get("content") or [])
        elif kind in ("image", "audio", "binary", "file"):
            blocks.append(_media_from_zylon(block))
        elif not partial:
            raise ValueError(f"unknown Zylon content block type {kind!r}")
    kwargs: dict[str, Any] = dict(extras)
    if server_calls:
        kwargs["server_tool_calls"] = list(server_calls.values())
    return ChatMessage(role=role, blocks=blocks, additional_kwargs=kwargs)


def sources_to_citation_blocks(sources: Iterable[Mapping[str, Any]]) -> list[CitationBlock]:
    """One ``CitationBlock`` per Zylon source: the cited text, where it comes from
    (artifact id, or URL for a website) and a title (file name, page title...)."""
    out = []
    for source in sources:
        kind = source.get("type") or source.get("object")
        location: dict[str, int] = {}
        if kind == "context.website":
            text = source.get("content") or source.get("description") or source.get("title") or source.get("url") or ""
            origin = source.get("url") or source.get("id") or ""
            title = source.get("title") or origin
        else:
            document = source.get("document") or {}
            doc_meta = document.get("doc_metadata") or {}
            meta = source.get("metadata") or {}
            text = source.get("text") or ""
            origin = document.get("artifact") or source.get("artifact_id") or source.get("id") or ""
            title = doc_meta.get("file_name") or meta.get("title") or origin
            if isinstance(meta.get("page"), (int, float)):
                location["page"] = int(meta["page"])
        out.append(
            CitationBlock(
                cited_content=TextBlock(text=str(text)),
                source=str(origin),
                title=str(title),
                additional_location_info=location,
            )
        )
    return out


def _media_from_zylon(block: Mapping[str, Any]) -> Any:
    kind = block["type"]
    if kind == "file":
        content = block.get("content") or ""
        mime = block.get("content_type")
        name = (block.get("doc_metadata") or {}).get("file_name")
        # Text content is encoded here: handed over as bytes, a text that happens to be
        # valid base64 ("test", "0000") would be taken for base64 by LlamaIndex.
        data = base64.b64encode(content.encode("utf-8")) if is_text_mime(mime) else _data_bytes(content)
        return DocumentBlock(data=data, document_mimetype=mime, title=name)
    data, mime = block.get("data") or "", block.get("mime_type")
    is_url = data.startswith(("http://", "https://", "data:"))
    if kind == "image":
        return ImageBlock(url=data, image_mimetype=mime) if is_url else ImageBlock(image=_data_bytes(data), image_mimetype=mime)
    if kind == "audio":
        fmt = (mimetypes.guess_extension(mime) or "").lstrip(".") or None if mime else None
        return AudioBlock(url=data, format=fmt) if is_url else AudioBlock(audio=_data_bytes(data), format=fmt)
    title = block.get("filename")
    if is_url:
        return DocumentBlock(url=data, document_mimetype=mime, title=title)
    return DocumentBlock(data=_data_bytes(data), document_mimetype=mime, title=title)


def _data_bytes(data: str) -> bytes:
    """Bytes LlamaIndex will base64-encode if they are not base64 already."""
    return data.encode("utf-8")


def from_zylon_input(message: MessageInput | Mapping[str, Any]) -> list[ChatMessage]:
    """LlamaIndex messages for one Zylon history message (a thread's ``user_input`` or a
    request's message): ``tool_result`` blocks become ``role=tool`` messages with
    ``additional_kwargs["tool_call_id"]``; an assistant message decodes as an answer."""
    if not isinstance(message, MessageInput):
        message = MessageInput.model_validate(dict(message))
    content = message.content
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    else:
        content = [parse_block(b).to_json_dict() if not isinstance(b, dict) else b for b in content]
    if message.role == "assistant":
        return [_decode_blocks(content)]
    if message.role == "system":
        return [ChatMessage(role=MessageRole.SYSTEM, content="\n".join(b.get("text", "") for b in content))]
    out: list[ChatMessage] = []
    rest: list[Mapping[str, Any]] = []
    for block in content:
        if block.get("type") == "tool_result":
            result = _decode_blocks(block.get("content") or [], role=MessageRole.TOOL)
            kwargs = {"tool_call_id": block.get("tool_use_id")}
            if block.get("is_error") is not None:
                kwargs["is_error"] = block["is_error"]
            out.append(ChatMessage(role=MessageRole.TOOL, blocks=result.blocks, additional_kwargs=kwargs))
        else:
            rest.append(block)
    if rest or not out:
        role = MessageRole.TOOL if message.role == "tool" else MessageRole.USER
        out.append(_decode_blocks(rest, role=role))
    return out


# --------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------


@dataclass
class StreamState:
    """The answer so far, in Zylon wire form, rebuilt into a ``ChatMessage`` per delta.

    Tool-call arguments arrive as partial JSON; they are parsed leniently so each
    streamed message carries the arguments known so far.
    """

    server_tool_names: frozenset[str] = frozenset()
    blocks: dict[int, dict[str, Any]] = field(default_factory=dict)
    _json: dict[int, str] = field(default_factory=dict)

    def feed(self, delta: StreamDelta) -> None:
        index = delta.index
        if delta.kind == "text":
            block = self.blocks.get(index)
            if block is None:
                block = self.blocks[index] = {"type": "text", "text": ""}
            block["text"] = block.get("text", "") + delta.text
            if delta.citations:
                block.setdefault("citations", []).extend(copy.deepcopy(delta.citations))
        elif delta.kind == "thinking":
            block = self.blocks.setdefault(index, {"type": "thinking", "thinking": ""})
            block["thinking"] = block.get("thinking", "") + delta.text
        elif delta.kind == "tool_use":
            # Copies: the accumulator keeps (and keeps changing) the dicts it hands out.
            self.blocks[index] = {**copy.deepcopy(delta.block or {}), "type": "tool_use"}
            self._json[index] = ""
        elif delta.kind == "input_json":
            block = self.blocks.setdefault(index, {"type": "tool_use", "id": f"toolu_{index}", "name": "", "input": {}})
            if delta.block:
                for key in ("id", "name"):
                    if delta.block.get(key):
                        block[key] = delta.block[key]
            self._json[index] = self._json.get(index, "") + delta.text
            block["input"] = self._parse_partial(index, block)
        elif delta.kind == "source":
            block = self.blocks.setdefault(index, {"type": "source", "sources": []})
            block.setdefault("sources", []).extend(copy.deepcopy((delta.block or {}).get("sources") or []))
        elif delta.kind == "block" and delta.block is not None:
            incoming = copy.deepcopy(delta.block)
            current = self.blocks.get(index)
            if incoming.get("type") == "tldr" and current is not None and current.get("type") == "tldr":
                current.setdefault("content", []).extend(incoming.get("content") or [])
            else:
                self.blocks[index] = incoming

    def _parse_partial(self, index: int, block: Mapping[str, Any]) -> dict[str, Any]:
        text = self._json.get(index, "")
        if not text.strip():
            return dict(block.get("input") or {})
        try:
            value = parse_partial_json(text)
        except ValueError:
            return dict(block.get("input") or {})
        return value if isinstance(value, dict) else dict(block.get("input") or {})

    def message(self) -> ChatMessage:
        blocks = self.blocks
        if len(blocks) == 1:
            (block,) = blocks.values()
            if block.get("type") == "text" and len(block) == 2:  # plain text: the common case
                # What _decode_blocks gives for it, without its per-call set-up.
                return ChatMessage(role=MessageRole.ASSISTANT, content=block["text"] or "")
        content = [blocks[i] for i in sorted(blocks)]
        return _decode_blocks(content, self.server_tool_names, partial=True)
