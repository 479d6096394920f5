"""A thread's stored conversation → LangChain messages (pure: no I/O, no client).

Each interaction gives, in order:

* its ``user_input``: a ``ToolMessage`` per ``tool_result`` block (``tool_call_id``,
  ``status="error"`` when ``is_error``; its content a string or blocks) and a
  ``HumanMessage`` for the other blocks (a plain string when the input is one text
  block; else content blocks: text, LangChain standard ``image`` / ``audio`` / ``file``
  / ``text-plain`` blocks for media, files and documents, Zylon's own shape for
  anything else, so that sending the message again gives the same Zylon blocks: files
  go back as ``binary``);
* its answer (``assistant_output``, when it has content): the ``AIMessage``
  :func:`~langchain_zylon._codec.outputs.to_ai_message` makes of any answer: clean
  text with citations, tool calls, signed thinking, server tool blocks and sources.

Every rebuilt message carries ``response_metadata["thread_id"]`` and
``["interaction_id"]`` and a stable ``id`` (``"<interaction id>:input"``,
``"<interaction id>:output"``): that is how the history recognises a message the thread
already stored, and LangGraph's ``add_messages`` reducer deduplicates a reloaded history.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Iterable, Literal

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from zylon_core._answers import clean_block, result_blocks
from zylon_core._checks import is_text_mime
from zylon_core._memory import MessageMark, StoredTurn
from zylon_core.models import MessageInput, MessageOutput

from .outputs import to_ai_message

_LINKS = ("http://", "https://", "data:")


def thread_messages(turns: Iterable[StoredTurn], *, thread_id: str, model_name: str | None = None) -> list[BaseMessage]:
    """The whole conversation of a thread's stored turns, in order."""
    messages: list[BaseMessage] = []
    for turn in turns:
        messages.extend(turn_messages(turn, thread_id=thread_id, model_name=model_name))
    return messages


def turn_messages(turn: StoredTurn, *, thread_id: str, model_name: str | None = None) -> list[BaseMessage]:
    model_name = model_name or "default"
    iid = turn.interaction_id
    marks = {"thread_id": thread_id, "interaction_id": iid}
    out: list[BaseMessage] = []
    if turn.user_input is not None:
        pieces = from_zylon_input(turn.user_input, model_name=model_name)
        for position, message in enumerate(pieces):
            message.id = f"{iid}:input" if len(pieces) == 1 else f"{iid}:input:{position}"
            message.response_metadata = {**message.response_metadata, **marks}
        out.extend(pieces)
    answer = turn.answer
    if answer is not None:
        message = to_ai_message(answer, model_name=answer.model or model_name, interaction_id=iid, thread_id=thread_id)
        message.id = f"{iid}:output"
        out.append(message)
    return out


def from_zylon_input(message: MessageInput, *, model_name: str = "default") -> list[BaseMessage]:
    """LangChain messages for one stored Zylon input message."""
    content = message.content
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else [clean_block(b.to_json_dict()) for b in content]
    if message.role == "assistant":
        answer = MessageOutput.model_validate({"role": "assistant", "content": blocks})
        return [to_ai_message(answer, model_name=model_name)]
    if message.role == "system":
        return [SystemMessage("\n\n".join(b.get("text", "") for b in blocks if b.get("type") == "text"))]
    out: list[BaseMessage] = []
    human: list[dict[str, Any]] = []

    def flush() -> None:
        if human:
            out.append(HumanMessage(_content(human)))
            human.clear()

    for block in blocks:
        if block.get("type") == "tool_result":
            flush()
            out.append(_tool_message(block))
        else:
            human.append(_lc_block(block))
    flush()
    return out


def _content(blocks: list[dict[str, Any]]) -> str | list[Any]:
    if len(blocks) == 1 and blocks[0].get("type") == "text" and set(blocks[0]) == {"type", "text"}:
        return blocks[0]["text"]
    return blocks


def _tool_message(block: dict[str, Any]) -> ToolMessage:
    # The content may be a string (ZylonGPT's form) or blocks (the Workspace's).
    inner = [_lc_block(b) for b in result_blocks(block.get("content")) if isinstance(b, dict)]
    if all(b.get("type") == "text" and set(b) == {"type", "text"} for b in inner):
        content: str | list[Any] = "".join(b["text"] for b in inner)
    else:
        content = inner
    return ToolMessage(
        content=content,
        tool_call_id=block.get("tool_use_id") or "",
        status="error" if block.get("is_error") else "success",
    )


def _media(kind: str, data: str, mime: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": kind}
    if data.startswith(_LINKS):
        block["url"] = data
    else:
        block["base64"] = data
    if mime:
        block["mime_type"] = mime
    return block


def _named(block: dict[str, Any], name: Any) -> dict[str, Any]:
    if isinstance(name, str) and name:
        block["filename"] = name
    return block


def _text_of(data: str, mime: str | None) -> str | None:
    """The text of base64 ``data`` of a text type, or None (a link, not base64, not UTF-8)."""
    if not is_text_mime(mime) or data.startswith(_LINKS):
        return None
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _lc_block(block: dict[str, Any]) -> dict[str, Any]:
    """A Zylon input block as LangChain content: standard blocks where one fits, which
    the codec sends back as the same Zylon blocks (files as ``binary``)."""
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": block.get("text") or ""}
    if kind in ("image", "audio") and isinstance(block.get("data"), str):
        return _media(kind, block["data"], block.get("mime_type"))
    if kind == "binary" and isinstance(block.get("data"), str):
        text = _text_of(block["data"], block.get("mime_type"))
        if text is not None:  # a text file: its text, which goes back as the same bytes
            return _named({"type": "text-plain", "text": text, "mime_type": block["mime_type"]}, block.get("filename"))
        return _named(_media("file", block["data"], block.get("mime_type")), block.get("filename"))
    if kind == "file" and isinstance(block.get("content"), str):  # the Workspace's older shape
        mime = block.get("content_type")
        name = (block.get("doc_metadata") or {}).get("file_name")
        if is_text_mime(mime):
            return _named({"type": "text-plain", "text": block["content"], "mime_type": mime}, name)
        return _named(_media("file", block["content"], mime), name)
    if kind == "document" and isinstance(block.get("source"), dict):
        source = block["source"]
        if source.get("type") == "text":
            return _named({"type": "text-plain", "text": source.get("data") or "", "mime_type": source.get("media_type") or "text/plain"}, block.get("title"))
        if source.get("type") == "base64":
            return _named(_media("file", source.get("data") or "", source.get("media_type")), block.get("title"))
        if source.get("type") == "url":
            return _named({"type": "file", "url": source.get("url") or ""}, block.get("title"))
    return block  # Zylon's own shape (thinking, source, tldr, tool_use, ...): sent back as is


def mark_of(message: BaseMessage) -> MessageMark:
    """What the thread's adding rules need to know about a LangChain message."""
    role: Literal["system", "user", "assistant"]
    if isinstance(message, SystemMessage) or (isinstance(message, ChatMessage) and message.role == "system"):
        role = "system"
    elif isinstance(message, (AIMessage, AIMessageChunk)) or (
        isinstance(message, ChatMessage) and message.role in ("ai", "assistant")
    ):
        role = "assistant"
    else:
        role = "user"
    metadata = message.response_metadata or {}
    return MessageMark(
        role=role,
        thread_id=metadata.get("thread_id"),
        interaction_id=metadata.get("interaction_id"),
        text=message.text,
    )


def describe(message: BaseMessage) -> str:
    text = message.text
    short = text if len(text) <= 60 else text[:57] + "..."
    calls = getattr(message, "tool_calls", None)
    extra = f", {len(calls)} tool call(s)" if calls else ""
    return f"{type(message).__name__}({short!r}{extra})"
