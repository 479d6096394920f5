"""Zylon-shaped message content → LangChain standard content blocks (``content_blocks``).

Registered for ``model_provider="zylon"`` so that ``message.content_blocks`` and
``output_version="v1"`` give standard blocks:

* ``text`` → ``text`` with its ``annotations`` (``raw_text`` in ``extras``); Zylon
  ``citations`` on older content → ``citation`` annotations, filled from the message's
  sources;
* ``thinking`` → ``reasoning`` (``extras.signature``);
* client ``tool_use`` → ``tool_call`` (``tool_call_chunk`` while streaming);
* ``server_tool_use`` → ``server_tool_call`` (``server_tool_call_chunk`` while
  streaming); ``server_tool_result`` → ``server_tool_result`` (``status`` ``"error"``
  when ``is_error``); a Workspace ``tool_use`` answered in the same message →
  ``server_tool_call`` and its ``tool_result`` → ``server_tool_result``;
* ``image`` / ``audio`` / ``binary`` → ``image`` / ``audio`` / ``file``;
* ``source``, ``tldr``, ``redacted_thinking``, ``document`` and any other type →
  ``non_standard`` with the block as it came.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from zylon_core._answers import result_blocks
from zylon_core._citations import CitationResolver

from .cited import annotation
from .outputs import PROVIDER

_HTTP = ("http://", "https://")


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
    out["url" if data.startswith(_HTTP) else "base64"] = data
    if mime:
        out["mime_type"] = mime
    return out


def _resolver(message: AIMessage) -> CitationResolver:
    sources = message.response_metadata.get("sources") or message.additional_kwargs.get("sources") or ()
    return CitationResolver([{"type": "source", "sources": list(sources)}])


def _text(block: dict[str, Any], message: AIMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "text", "text": block.get("text", "")}
    if block.get("annotations"):
        out["annotations"] = block["annotations"]
    elif block.get("citations"):  # Zylon's citations on content made by an older version
        resolver = _resolver(message)
        out["annotations"] = [annotation(c, resolver) for c in block["citations"] if isinstance(c, dict)]
    if block.get("raw_text"):
        out["extras"] = {"raw_text": block["raw_text"]}
    return out


def _server_result(block: dict[str, Any]) -> dict[str, Any]:
    out = {
        "type": "server_tool_result",
        "tool_call_id": block.get("tool_use_id", ""),
        "status": "error" if block.get("is_error") else "success",
    }
    content = block.get("content")
    if content:
        out["output"] = content
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
    emitted: set[Any] = set()
    for block in content:
        if isinstance(block, str):
            if block:
                yield {"type": "text", "text": block}
            continue
        if not isinstance(block, dict) or "type" not in block:
            continue  # a piece a stream's last chunk merges into an earlier block (its input)
        kind = block.get("type")
        if kind == "text":
            yield _with_index(_text(block, message), block)
        elif kind == "thinking":
            out: dict[str, Any] = {"type": "reasoning", "reasoning": block.get("thinking", "")}
            if block.get("signature"):
                out["extras"] = {"signature": block["signature"]}
            yield _with_index(out, block)
        elif kind == "server_tool_use":
            if streaming:
                args = block.get("partial_json") or (json.dumps(block["input"]) if block.get("input") else "")
                out = {"type": "server_tool_call_chunk", "args": args}
                if block.get("id"):
                    out.update(id=block["id"], name=block.get("name"))
                yield _with_index(out, block)
            else:
                args = block.get("input") or _parse(block.get("partial_json"))
                yield _with_index({"type": "server_tool_call", "id": block.get("id", ""), "name": block.get("name", ""), "args": args}, block)
        elif kind == "server_tool_result":
            yield _with_index(_server_result(block), block)
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
            out = _server_result({**block, "content": result_blocks(block.get("content"))})
            yield _with_index(out, block)
        elif kind in ("image", "audio") and block.get("data"):
            yield _with_index(_media(kind, block["data"], block.get("mime_type")), block)
        elif kind == "binary" and block.get("data"):
            out = _media("file", block["data"], block.get("mime_type"))
            if block.get("filename"):
                out["extras"] = {"filename": block["filename"]}
            yield _with_index(out, block)
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
