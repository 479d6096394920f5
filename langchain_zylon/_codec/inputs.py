"""LangChain messages → Zylon ``ChatRequest`` pieces (pure: no I/O, no client).

Rules (the README's "LangChain ⇄ Zylon" table says the same):

* ``SystemMessage`` s become the top-level ``system.text`` (several are joined with a
  blank line), never a system-role message.
* ``HumanMessage`` → ``user``; ``AIMessage`` → ``assistant``; each ``ToolMessage`` → a
  ``tool_result`` block in a ``user`` message. Consecutive user-side messages (tool
  results and human turns) are merged into one ``user`` message, as the Workspace and
  ZylonGPT APIs expect.
* ``AIMessage.tool_calls`` → ``tool_use`` blocks (the tool call's ``args`` win over a
  ``tool_use`` content block with the same id); ``invalid_tool_calls`` are sent too,
  with the arguments that parse, so the ``tool_result`` answering them has a partner.
* Thinking in an ``AIMessage`` (a ``thinking`` or v1 ``reasoning`` block, or
  ``additional_kwargs["reasoning_content"]``) is passed back as a ``thinking`` block.
* ``name`` on a message is not sent: Zylon messages have no speaker field.
* Multimodal data: LangChain v1 blocks (``image``/``audio``/``file`` with ``base64``
  or ``url``, ``text-plain``), the older ``source_type`` form, OpenAI-style
  ``image_url`` / ``input_audio`` / ``file.file_data``, Anthropic-style ``source``
  dicts and ``document`` blocks, and Zylon's own block shapes.
* Any block this module does not know is a ``ValueError`` naming its type, raised
  before a request is sent.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from typing import Any, Iterable, Sequence

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from zylon_core._checks import check_base64, is_text_mime, json_object, parse_data_uri, utf8_text
from zylon_core.models import (
    AudioBlock,
    BinaryBlock,
    DocMetadata,
    FileBlock,
    ImageBlock,
    MessageInput,
    SourceBlock,
    TextBlock,
    ThinkingBlock,
    TldrBlock,
    ToolResultBlock,
    ToolUseBlock,
)

_AUDIO_FORMATS = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac", "m4a": "audio/mp4"}

_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant"}


def to_zylon_messages(messages: Sequence[BaseMessage]) -> tuple[str | None, list[MessageInput]]:
    """``(system_text, messages)`` for a ``ChatRequest``; raises ``ValueError`` early."""
    system_parts: list[str] = []
    converted: list[MessageInput] = []
    for message in messages:
        role = _role_of(message)
        if role == "system":
            text = _system_text(message)
            if text:
                system_parts.append(text)
            continue
        if role == "tool":
            blocks: list[Any] = _tool_results(message)  # type: ignore[arg-type]
            role = "user"
        elif role == "assistant":
            blocks = _assistant_blocks(message)
            if not blocks:
                continue  # nothing to send (an empty AI turn)
        else:
            blocks = _content_blocks(message.content, where="user message")
        if role == "user" and converted and converted[-1].role == "user":
            previous = converted[-1]
            converted[-1] = MessageInput(role="user", content=[*previous.content, *blocks])
        else:
            converted.append(MessageInput(role=role, content=blocks))
    return ("\n\n".join(system_parts) or None), converted


def _role_of(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, ToolMessage):
        return "tool"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, ChatMessage):
        if message.role == "system":
            return "system"
        role = _ROLES.get(message.role)
        if role is None:
            raise ValueError(
                f"ChatMessage role {message.role!r} is not supported by Zylon; use one of "
                "'system', 'user', 'assistant' (or a ToolMessage for tool results)"
            )
        return role
    raise ValueError(f"message type {message.type!r} ({type(message).__name__}) is not supported by Zylon")


def _system_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(block.get("text") or "")
        else:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise ValueError(
                f"system message content block of type {kind!r} is not supported: Zylon's "
                "system prompt (system.text) is text only"
            )
    return "".join(parts)


# -- content blocks --------------------------------------------------------------------


def _content_blocks(content: str | list[Any], *, where: str, tool_calls: dict[str, Any] | None = None) -> list[Any]:
    if isinstance(content, str):
        return [TextBlock(text=content)] if content else []
    blocks: list[Any] = []
    for item in content:
        blocks.extend(_block(item, where=where, tool_calls=tool_calls))
    return blocks


def _block(item: Any, *, where: str, tool_calls: dict[str, Any] | None = None) -> list[Any]:
    """One LangChain content item → zero or more Zylon blocks."""
    if isinstance(item, str):
        return [TextBlock(text=item)] if item else []
    if not isinstance(item, dict):
        raise ValueError(f"{where}: content item of type {type(item).__name__} is not supported (expected str or dict)")
    kind = item.get("type")
    if kind == "text":
        if "source_type" in item:  # v0 plain-text data block
            return [_text_file(item)]
        text = item.get("text") or ""
        return [TextBlock(text=text)] if text else []
    if kind == "image_url":
        url = item["image_url"] if isinstance(item.get("image_url"), str) else (item.get("image_url") or {}).get("url")
        if not url:
            raise ValueError(f"{where}: image_url block without a url")
        return [_media(ImageBlock, url=url, where=where)]
    if kind == "image":
        return [_media_block(ImageBlock, item, where)]
    if kind == "audio":
        return [_media_block(AudioBlock, item, where)]
    if kind == "input_audio":
        audio = item.get("input_audio") or {}
        if not audio.get("data"):
            raise ValueError(f"{where}: input_audio block without data")
        fmt = (audio.get("format") or "").lower()
        return [AudioBlock(data=audio["data"], mime_type=_AUDIO_FORMATS.get(fmt, f"audio/{fmt}" if fmt else None))]
    if kind == "file":
        return [_file_block(item, where)]
    if kind == "text-plain":
        return [_text_file(item)]
    if kind == "document":
        return [_anthropic_document(item, where)]
    if kind == "binary":
        return [BinaryBlock(**_known(item, ("data", "mime_type", "filename")))]
    if kind in ("thinking", "reasoning"):
        text = item.get("thinking") if kind == "thinking" else item.get("reasoning")
        return [ThinkingBlock(thinking=text)] if text else []
    if kind in ("tool_use", "tool_call", "server_tool_call", "tool_call_chunk", "invalid_tool_call"):
        return [_tool_use(item, tool_calls)]
    if kind == "tool_result":
        return [
            ToolResultBlock(
                tool_use_id=_required(item, "tool_use_id", where),
                content=_result_content(item.get("content"), where),
                **({"is_error": bool(item["is_error"])} if item.get("is_error") is not None else {}),
            )
        ]
    if kind == "server_tool_result":
        return [
            ToolResultBlock(
                tool_use_id=_required(item, "tool_call_id", where),
                content=_result_content(item.get("output"), where),
                is_error=item.get("status") == "error",
            )
        ]
    if kind == "source":
        return [SourceBlock(sources=list(item.get("sources") or ()))]
    if kind == "tldr":
        return [TldrBlock(content=_content_blocks(item.get("content") or [], where=f"{where} tldr"))]
    if kind == "non_standard":
        value = item.get("value")
        if isinstance(value, dict) and value.get("type") and value.get("type") != "non_standard":
            return _block(value, where=where, tool_calls=tool_calls)
        raise ValueError(f"{where}: non_standard block without a known inner type: {value!r:.200}")
    raise ValueError(
        f"{where}: content block type {kind!r} is not supported by Zylon (supported: text, image, "
        "image_url, audio, input_audio, file, text-plain, document, binary, thinking/reasoning, "
        "tool_use/tool_call, tool_result, source, tldr)"
    )


def _base64(data: Any, where: str) -> Any:
    """Base64 payloads are checked here, so a corrupt one fails before any request
    (LangChain has already split data URIs into ``base64`` + ``mime_type``)."""
    return check_base64(data, where) if data else data


def _known(item: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {key: item[key] for key in keys if item.get(key) is not None}


def _required(item: dict[str, Any], key: str, where: str) -> Any:
    value = item.get(key)
    if value in (None, ""):
        raise ValueError(f"{where}: {item.get('type')!r} block needs {key!r}")
    return value


def _media(cls: type, *, url: str | None = None, data: str | None = None, mime_type: str | None = None, where: str) -> Any:
    """Image/audio: Zylon's ``data`` takes base64 or a URL; data URIs are split."""
    if url is not None:
        if url.startswith("data:"):
            uri_mime, data = parse_data_uri(url, where)
            mime_type = mime_type or uri_mime
        elif url.startswith(("http://", "https://")):
            data = url
            mime_type = mime_type or mimetypes.guess_type(url.split("?", 1)[0])[0]
        else:
            raise ValueError(f"{where}: {cls.model_fields['type'].default} url must be http(s) or a base64 data URI")
    if not data:
        raise ValueError(f"{where}: {cls.model_fields['type'].default} block has no data")
    return cls(data=data, mime_type=mime_type) if mime_type else cls(data=data)


def _media_block(cls: type, item: dict[str, Any], where: str) -> Any:
    kind = item["type"]
    mime = item.get("mime_type")
    if item.get("base64"):
        return _media(cls, data=_base64(item["base64"], where), mime_type=mime, where=where)
    source_type = item.get("source_type")
    if source_type == "base64":
        return _media(cls, data=_base64(item.get("data"), where), mime_type=mime, where=where)  # v0 form
    if source_type is None and "data" in item and "source" not in item:
        return _media(cls, data=item.get("data"), mime_type=mime, where=where)  # Zylon's own: base64 or a URL
    if item.get("url") or source_type == "url":
        return _media(cls, url=item.get("url"), mime_type=mime, where=where)
    source = item.get("source")
    if isinstance(source, dict):  # Anthropic style
        if source.get("type") == "base64":
            return _media(cls, data=_base64(source.get("data"), where), mime_type=source.get("media_type"), where=where)
        if source.get("type") == "url":
            return _media(cls, url=source.get("url"), where=where)
    if item.get("file_id") or source_type == "id" or (isinstance(source, dict) and source.get("type") == "file"):
        raise ValueError(
            f"{where}: {kind} blocks that reference a provider file id are not supported by Zylon; "
            "send the data as base64 or a URL"
        )
    raise ValueError(f"{where}: {kind} block needs 'base64' (with 'mime_type') or 'url'")


def _doc_metadata(filename: str | None, mime: str | None) -> DocMetadata | None:
    file_type = None
    if filename and "." in filename:
        file_type = filename.rsplit(".", 1)[1].lower()
    elif mime:
        guessed = mimetypes.guess_extension(mime)
        file_type = guessed.lstrip(".") if guessed else None
    if not filename and not file_type:
        return None
    return DocMetadata(**{k: v for k, v in (("file_name", filename), ("file_type", file_type)) if v})


def _filename(item: dict[str, Any]) -> str | None:
    for holder in (item, item.get("extras") or {}, item.get("metadata") or {}):
        for key in ("filename", "file_name", "name", "title"):
            value = holder.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def _encoded_file(data: str, mime: str | None, filename: str | None, where: str) -> FileBlock:
    """A file given as base64: a text type (``text/*``, JSON, ...) goes to Zylon as its
    text, like a ``text-plain`` block; anything else as the base64 content."""
    if is_text_mime(mime):
        return _file(utf8_text(base64.b64decode(data), where), mime, filename)
    return _file(data, mime, filename)


def _file(content: str, mime: str | None, filename: str | None) -> FileBlock:
    fields: dict[str, Any] = {"content": content}
    if mime:
        fields["content_type"] = mime
    metadata = _doc_metadata(filename, mime)
    if metadata is not None:
        fields["doc_metadata"] = metadata
    return FileBlock(**fields)


def _file_block(item: dict[str, Any], where: str) -> Any:
    if "content" in item and isinstance(item["content"], str):  # Zylon's own shape
        metadata = item.get("doc_metadata") or {}
        return _file(item["content"], item.get("content_type"), metadata.get("file_name") or _filename(item))
    mime = item.get("mime_type")
    filename = _filename(item)
    if item.get("base64"):
        return _encoded_file(_base64(item["base64"], where), mime, filename, where)
    source_type = item.get("source_type")
    if source_type == "base64" and item.get("data"):
        return _encoded_file(_base64(item["data"], where), mime, filename, where)
    if source_type == "text" and isinstance(item.get("text"), str):
        return _file(item["text"], mime or "text/plain", filename)
    openai_file = item.get("file")
    if isinstance(openai_file, dict):  # OpenAI chat-completions form
        if openai_file.get("file_data"):
            file_data = openai_file["file_data"]
            if not isinstance(file_data, str) or not file_data.startswith("data:"):
                raise ValueError(f"{where}: file.file_data must be a base64 data URI")
            uri_mime, data = parse_data_uri(file_data, f"{where} file.file_data")
            return _encoded_file(data, uri_mime, openai_file.get("filename") or filename, where)
        raise ValueError(f"{where}: file blocks that reference a provider file id are not supported by Zylon")
    url = item.get("url")
    if url:
        if url.startswith("data:"):
            uri_mime, data = parse_data_uri(url, where)
            return _encoded_file(data, mime or uri_mime, filename, where)
        if url.startswith(("http://", "https://")):
            # Zylon's file block holds content, not a link; a binary block takes a URL.
            mime = mime or mimetypes.guess_type(url.split("?", 1)[0])[0] or "application/octet-stream"
            name = filename or url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None
            return BinaryBlock(data=url, mime_type=mime, **({"filename": name} if name else {}))
    if item.get("file_id") or source_type == "id":
        raise ValueError(
            f"{where}: file blocks that reference a provider file id are not supported by Zylon; "
            "send the file as base64 (or upload it as a project artifact)"
        )
    raise ValueError(f"{where}: file block needs 'base64' (with 'mime_type'), 'url' or text content")


def _text_file(item: dict[str, Any]) -> FileBlock:
    return _file(item.get("text") or "", item.get("mime_type") or "text/plain", _filename(item))


def _anthropic_document(item: dict[str, Any], where: str) -> Any:
    source = item.get("source") or {}
    filename = _filename(item)
    kind = source.get("type")
    if kind == "base64":
        data = _base64(source.get("data"), where)
        return _encoded_file(data, source.get("media_type"), filename, where) if data else _file("", source.get("media_type"), filename)
    if kind == "text":
        return _file(source.get("data") or "", source.get("media_type") or "text/plain", filename)
    if kind == "url":
        return _file_block({"type": "file", "url": source.get("url"), "filename": filename}, where)
    raise ValueError(f"{where}: document block with source type {kind!r} is not supported by Zylon")


# -- tools -----------------------------------------------------------------------------


def _tool_use(item: dict[str, Any], tool_calls: dict[str, Any] | None) -> ToolUseBlock:
    call_id = item.get("id")
    if tool_calls and call_id in tool_calls:
        call = tool_calls.pop(call_id)
        return ToolUseBlock(id=call_id, name=call["name"], input=_tool_input(call.get("args"), call_id))
    name = item.get("name")
    if not call_id or not name:
        raise ValueError(f"a {item.get('type')!r} block needs an 'id' and a 'name'")
    args = item.get("input") if item.get("type") == "tool_use" else item.get("args")
    if isinstance(args, str) or (not args and item.get("partial_json")):
        args = _parse_args(args if isinstance(args, str) else item.get("partial_json"))
    return ToolUseBlock(id=call_id, name=name, input=_tool_input(args, call_id))


def _tool_input(args: Any, call_id: str) -> dict[str, Any]:
    """Tool call arguments Zylon can receive: a JSON object (checked before any request)."""
    return json_object(args or {}, f"arguments of tool call {call_id!r}")


def _parse_args(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _assistant_blocks(message: BaseMessage) -> list[Any]:
    pending: dict[str, Any] = {}
    if isinstance(message, AIMessage):
        pending = {call["id"]: call for call in message.tool_calls if call.get("id")}
        for bad in message.invalid_tool_calls:
            if bad.get("id") and bad.get("name"):
                pending.setdefault(bad["id"], {"name": bad["name"], "args": _parse_args(bad.get("args"))})
    blocks = _content_blocks(message.content, where="assistant message", tool_calls=pending)
    if isinstance(message.content, str):
        blocks = [b for b in blocks if b.text.strip()]
    # Tool calls not mirrored in the content (OpenAI-style string content).
    for call_id, call in pending.items():
        blocks.append(ToolUseBlock(id=call_id, name=call["name"], input=_tool_input(call.get("args"), call_id)))
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning and not any(b.type == "thinking" for b in blocks):
        blocks.insert(0, ThinkingBlock(thinking=reasoning))
    return [b for b in blocks if not (b.type == "text" and not b.text)]


def _result_content(content: Any, where: str) -> list[Any]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextBlock(text=content)]
    if isinstance(content, dict):
        return _block(content, where=f"{where} tool result") if content.get("type") else [TextBlock(text=json.dumps(content))]
    if isinstance(content, list):
        blocks: list[Any] = []
        for item in content:
            blocks.extend(_block(item, where=f"{where} tool result"))
        return blocks
    return [TextBlock(text=str(content))]


def _tool_results(message: ToolMessage) -> list[ToolResultBlock]:
    content = message.content
    if isinstance(content, list) and content and all(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    ):
        # Already tool_result blocks (Anthropic/Zylon style): send them as they are.
        return [block for item in content for block in _block(item, where="tool message")]
    if not message.tool_call_id:
        raise ValueError("a ToolMessage needs a tool_call_id (the id of the tool call it answers)")
    blocks = _result_content(content, "tool message")
    fields: dict[str, Any] = {"tool_use_id": message.tool_call_id, "content": blocks}
    if message.status == "error":
        fields["is_error"] = True
    return [ToolResultBlock(**fields)]
