"""A complete Zylon answer → LlamaIndex ``ChatMessage`` and response metadata (pure).

==============================  ===================================================
Zylon ``MessageOutput``         LlamaIndex
==============================  ===================================================
``text``                        ``TextBlock``; its citations in
                                ``additional_kwargs["citations"]``
``thinking``                    ``ThinkingBlock``
``tool_use`` the client runs    ``ToolCallBlock``
``tool_use`` + ``tool_result``  ran on the server: ``additional_kwargs
(or a built-in tool)            ["server_tool_calls"]``, not a pending call
``source``                      a ``CitationBlock`` per source; all sources in
                                ``additional_kwargs["sources"]``
``tldr``                        ``additional_kwargs["tldr"]``
``image`` / ``audio``           ``ImageBlock`` / ``AudioBlock``
``file`` / ``binary``           ``DocumentBlock``
id, model, stop reason, usage   ``ChatResponse.additional_kwargs`` (see
                                :func:`response_metadata`)
==============================  ===================================================
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from zylon_core._answers import final_stop_reason, server_tool_ids, usage_counts
from zylon_core._checks import is_text_mime
from zylon_core.models import MessageOutput


@dataclass
class DecodedOutput:
    """A decoded answer: the chat message and the response-level metadata."""

    message: ChatMessage
    additional_kwargs: dict[str, Any]
    raw: dict[str, Any]


def usage_metadata(usage: Any) -> dict[str, int] | None:
    """``{input_tokens, output_tokens, prompt_tokens, completion_tokens, total_tokens}``
    (token counts, under both the Anthropic and the OpenAI names LlamaIndex callbacks
    read) from a Zylon ``usage`` (model or dict); None when the server reported none."""
    counts = usage_counts(usage)
    if counts is None:
        return None
    return {
        "input_tokens": counts[0],
        "prompt_tokens": counts[0],
        "output_tokens": counts[1],
        "completion_tokens": counts[1],
        "total_tokens": counts[2],
    }


def response_metadata(
    message: MessageOutput,
    *,
    interaction_id: str | None = None,
    thread_id: str | None = None,
    tool_calls: bool = False,
) -> dict[str, Any]:
    """``ChatResponse.additional_kwargs`` for an answer: ``id`` and ``model`` (when the
    server sent them), ``stop_reason`` (Anthropic-style, see
    :func:`zylon_core._answers.final_stop_reason`; ``tool_calls``: the answer holds calls
    the client must run), ``stop_sequence``, ``usage`` (see
    :func:`usage_metadata`) and, in thread mode, ``interaction_id`` / ``thread_id``."""
    metadata: dict[str, Any] = {}
    for key in ("id", "model"):
        value = getattr(message, key)
        if value is not None:
            metadata[key] = value
    metadata["stop_reason"] = final_stop_reason(message.stop_reason, tool_calls)
    if message.stop_sequence:
        metadata["stop_sequence"] = message.stop_sequence
    usage = usage_metadata(message.usage)
    if usage:
        metadata["usage"] = usage
    if interaction_id:
        metadata["interaction_id"] = interaction_id
    if thread_id:
        metadata["thread_id"] = thread_id
    return metadata


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

    The response metadata (:func:`response_metadata`) is returned separately for
    ``ChatResponse.additional_kwargs``; ``raw`` is the wire message plus, in thread mode,
    ``interaction_id`` / ``thread_id`` (and ``interaction``, when given).
    """
    if not isinstance(message, MessageOutput):
        message = MessageOutput.model_validate(dict(message))
    wire = message.to_json_dict()
    chat_message = decode_blocks(wire.get("content") or [], frozenset(server_tool_names))
    has_pending = any(isinstance(b, ToolCallBlock) for b in chat_message.blocks)
    kwargs = response_metadata(message, interaction_id=interaction_id, thread_id=thread_id, tool_calls=has_pending)
    raw = dict(wire)
    if interaction_id:
        raw["interaction_id"] = interaction_id
    if thread_id:
        raw["thread_id"] = thread_id
    if interaction is not None:
        raw["interaction"] = interaction.to_json_dict() if hasattr(interaction, "to_json_dict") else interaction
    return DecodedOutput(chat_message, kwargs, raw)


def decode_blocks(
    content: Sequence[Mapping[str, Any]],
    server_tool_names: frozenset[str] = frozenset(),
    *,
    role: MessageRole = MessageRole.ASSISTANT,
    partial: bool = False,
) -> ChatMessage:
    """A ``ChatMessage`` of ``role`` from Zylon wire blocks (the table above).

    ``partial``: the blocks of an answer still streaming, where a block type this
    module does not know is skipped; otherwise it is a ``ValueError``."""
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
