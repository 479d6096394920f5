"""Zylon-shaped message content → LangChain standard content blocks (``content_blocks``).

Registered for ``model_provider="zylon"`` so that ``message.content_blocks`` and
``output_version="v1"`` give standard blocks:

* ``text`` → ``text`` (Zylon ``citations`` → ``citation`` annotations, filled with the
  cited source's url/title/text when the message carries that source);
* ``thinking`` → ``reasoning``;
* client ``tool_use`` → ``tool_call`` (``tool_call_chunk`` while streaming);
* server ``tool_use`` → ``server_tool_call``; ``tool_result`` → ``server_tool_result``;
* ``source`` and ``tldr`` (no standard equivalent) → ``non_standard`` with the block.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from .outputs import PROVIDER


def _sources_by_id(message: AIMessage) -> dict[str, dict[str, Any]]:
    sources = message.response_metadata.get("sources") or message.additional_kwargs.get("sources") or ()
    return {s["id"]: s for s in sources if isinstance(s, dict) and s.get("id")}


def citation_annotation(citation: dict[str, Any], sources: dict[str, dict[str, Any]]) -> types.Citation:
    annotation: dict[str, Any] = {"type": "citation"}
    if citation.get("id"):
        annotation["id"] = str(citation["id"])
    source = sources.get(citation.get("source_id") or "") or sources.get(citation.get("id") or "")
    if source:
        if source.get("url"):
            annotation["url"] = source["url"]
        title = source.get("title") or ((source.get("metadata") or {}).get("title") if isinstance(source.get("metadata"), dict) else None)
        if not title:
            doc = ((source.get("document") or {}).get("doc_metadata") or {}) if isinstance(source.get("document"), dict) else {}
            title = doc.get("file_name")
        if title:
            annotation["title"] = title
        if source.get("text"):
            annotation["cited_text"] = source["text"]
    extras = {k: v for k, v in citation.items() if k != "id" and v is not None}
    if extras:
        annotation["extras"] = extras
    return cast("types.Citation", annotation)


def _parse(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _with_index(out: dict[str, Any], block: dict[str, Any]) -> Any:
    if "index" in block:
        out["index"] = block["index"]
    return out


def _media(kind: str, data: str, mime: str | None) -> dict[str, Any]:
    """Zylon's ``data`` holds base64 or a URL."""
    out: dict[str, Any] = {"type": kind}
    out["url" if data.startswith(("http://", "https://")) else "base64"] = data
    if mime:
        out["mime_type"] = mime
    return out


def _convert(message: AIMessage) -> list[types.ContentBlock]:
    return list(_iter(message))


def _iter(message: AIMessage) -> Iterator[Any]:
    content = message.content
    if isinstance(content, str):
        if content:
            yield {"type": "text", "text": content}
        content = []
    is_chunk = isinstance(message, AIMessageChunk)
    streaming = is_chunk and cast(AIMessageChunk, message).chunk_position != "last"
    chunks_by_index = {c.get("index"): c for c in cast(AIMessageChunk, message).tool_call_chunks} if is_chunk else {}
    calls = {c["id"]: c for c in message.tool_calls if c.get("id")}
    sources = _sources_by_id(message)
    emitted: set[Any] = set()
    for block in content:
        if isinstance(block, str):
            if block:
                yield {"type": "text", "text": block}
            continue
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            out: dict[str, Any] = {"type": "text", "text": block.get("text", "")}
            if block.get("citations"):
                out["annotations"] = [citation_annotation(c, sources) for c in block["citations"] if isinstance(c, dict)]
            yield _with_index(out, block)
        elif kind == "thinking":
            yield _with_index({"type": "reasoning", "reasoning": block.get("thinking", "")}, block)
        elif kind in ("tool_use", "input_json_delta"):
            call_chunk = chunks_by_index.get(block.get("index")) if "index" in block else None
            if streaming and call_chunk is not None:
                emitted.add(call_chunk.get("id") or ("index", block.get("index")))
                yield _with_index(
                    {"type": "tool_call_chunk", "id": call_chunk.get("id"), "name": call_chunk.get("name"), "args": call_chunk.get("args")},
                    block,
                )
            elif block.get("id") in calls:
                call = calls[block["id"]]
                emitted.add(call["id"])
                yield _with_index({"type": "tool_call", "id": call["id"], "name": call["name"], "args": call["args"]}, block)
            elif kind == "input_json_delta":
                yield _with_index({"type": "server_tool_call_chunk", "args": block.get("partial_json", "")}, block)
            elif streaming and not block.get("input") and "partial_json" not in block:
                yield _with_index(
                    {"type": "server_tool_call_chunk", "id": block.get("id"), "name": block.get("name"), "args": ""}, block
                )
            else:
                args = block.get("input") or _parse(block.get("partial_json"))
                yield _with_index(
                    {"type": "server_tool_call", "id": block.get("id", ""), "name": block.get("name", ""), "args": args}, block
                )
        elif kind == "tool_result":
            out = {
                "type": "server_tool_result",
                "tool_call_id": block.get("tool_use_id", ""),
                "status": "error" if block.get("is_error") else "success",
            }
            if block.get("content"):
                out["output"] = block["content"]
            yield _with_index(out, block)
        elif kind in ("image", "audio") and block.get("data"):
            yield _with_index(_media(kind, block["data"], block.get("mime_type")), block)
        elif kind == "file" and isinstance(block.get("content"), str):
            mime = block.get("content_type")
            if mime and mime.startswith("text/"):
                out = {"type": "text-plain", "text": block["content"], "mime_type": mime}
            else:
                out = {"type": "file", "base64": block["content"]}
                if mime:
                    out["mime_type"] = mime
            if block.get("doc_metadata"):
                out["extras"] = {"doc_metadata": block["doc_metadata"]}
            yield _with_index(out, block)
        else:
            value = {k: v for k, v in block.items() if k != "index"}
            yield _with_index({"type": "non_standard", "value": value}, block)
    # Tool calls the content does not mirror (e.g. string content).
    if not streaming:
        for call in message.tool_calls:
            if call.get("id") not in emitted:
                yield {"type": "tool_call", "id": call.get("id"), "name": call["name"], "args": call["args"]}
    else:
        for index, call_chunk in chunks_by_index.items():
            key = call_chunk.get("id") or ("index", index)
            if key not in emitted:
                out = {"type": "tool_call_chunk", "id": call_chunk.get("id"), "name": call_chunk.get("name"), "args": call_chunk.get("args")}
                if index is not None:
                    out["index"] = index
                yield out


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    return _convert(message)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    return _convert(message)


register_translator(PROVIDER, translate_content, translate_content_chunk)
