"""LlamaIndex messages → Zylon ``MessageInput`` s and ``system.text`` (pure: no client).

Nothing here does I/O beyond reading a local file an ``ImageBlock`` / ``AudioBlock`` /
``DocumentBlock`` names by ``path`` (URLs are passed to Zylon as they are). Rules:

* system (and developer) messages become the top-level ``system.text`` (several are
  joined with a blank line), never a system-role message; they hold text only;
* ``role=tool`` (or ``function``) messages → ``tool_result`` blocks in a **user**
  message (consecutive tool messages share one); their content is a block list (the
  Workspace's schema) or, with ``api="gpt"``, a string when it is only text;
* assistant tool calls (``ToolCallBlock`` s or ``additional_kwargs["tool_calls"]``) →
  ``tool_use`` blocks; ``ThinkingBlock`` → ``thinking`` with its
  ``additional_information["signature"]`` (one without a signature is omitted, with a
  warning: Zylon answers 400 for it);
* the wire blocks a decoded answer kept in ``additional_kwargs["zylon_blocks"]``
  (server tool calls and results, ``redacted_thinking``, unknown types) go back in
  place, as they came;
* media and files (:mod:`.media`): ``ImageBlock`` / ``AudioBlock`` → ``image`` /
  ``audio``; ``DocumentBlock`` and a ``CitableBlock`` 's text → ``binary`` (Workspace)
  or ``document`` (``api="gpt"``); ``CitationBlock`` and ``CachePoint`` are dropped
  (output only / no prompt cache);
* anything else (a ``VideoBlock``, an unknown block) is a ``ValueError`` naming it,
  raised before any request is made.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Iterable, Mapping, Sequence

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

from zylon_core._answers import clean_block
from zylon_core._checks import json_object
from zylon_core.models import MessageInput

from .media import Api, audio_block, citable_text_block, document_block, image_block
from .outputs import ZYLON_BLOCKS

logger = logging.getLogger("llama_index_zylon")

# Every LlamaIndex role on each side of a Zylon conversation (also used by .history).
ASSISTANT_ROLES = (MessageRole.ASSISTANT, MessageRole.CHATBOT, MessageRole.MODEL)
SYSTEM_ROLES = (MessageRole.SYSTEM, MessageRole.DEVELOPER)
TOOL_ROLES = (MessageRole.TOOL, MessageRole.FUNCTION)


def to_zylon_messages(messages: Sequence[ChatMessage], *, api: Api = "workspace") -> tuple[str | None, list[MessageInput]]:
    """``(system_text, messages)`` for a ``ChatRequest``, from LlamaIndex chat messages;
    raises ``ValueError`` naming the message and block that Zylon cannot take.

    * system (and developer) messages → the returned system text, joined by blank lines;
    * ``role=tool`` (or ``function``) messages → ``tool_result`` blocks in a **user**
      message (consecutive tool messages share one user message); each needs
      ``additional_kwargs["tool_call_id"]``; ``additional_kwargs["is_error"]`` is kept;
    * assistant tool calls (``ToolCallBlock`` s, or ``additional_kwargs["tool_calls"]``
      in either the Anthropic ``{id, name, input}`` or the OpenAI
      ``{id, function: {name, arguments}}`` shape) → ``tool_use`` blocks.

    ``api``: ``"workspace"`` (the chat model's routes) or ``"gpt"`` (ZylonGPT's
    ``/v1/messages``): files go as ``binary`` or ``document``, tool results as block
    lists or (``"gpt"``, text only) strings.
    """
    out: list[MessageInput] = []
    system: list[str] = []
    pending_results: list[dict[str, Any]] = []

    def flush_results() -> None:
        if pending_results:
            out.append(_message("user", list(pending_results)))
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
            pending_results.append(_tool_result(message, where, api))
            continue
        flush_results()
        if role in ASSISTANT_ROLES:
            out.append(_message("assistant", _assistant_blocks(message, where, api)))
        elif role == MessageRole.USER:
            content = message_blocks(message, where=where, api=api)
            out.append(_message("user", content or [{"type": "text", "text": ""}]))
        else:  # pragma: no cover - every MessageRole is handled above
            raise ValueError(f"{where}: unsupported message role {role!r}")
    flush_results()
    return ("\n\n".join(system) if system else None), out


def _message(role: str, content: list[dict[str, Any]]) -> MessageInput:
    return MessageInput.model_validate({"role": role, "content": content})


def _role_name(role: Any) -> str:
    return role.value if isinstance(role, MessageRole) else str(role)


def _tool_result(message: ChatMessage, where: str, api: Api) -> dict[str, Any]:
    kwargs = message.additional_kwargs or {}
    tool_use_id = kwargs.get("tool_call_id") or kwargs.get("tool_use_id")
    if not tool_use_id:
        raise ValueError(
            f"{where}: a tool message needs additional_kwargs['tool_call_id'] (the id of the "
            "tool call it answers) to become a Zylon tool_result"
        )
    blocks = message_blocks(message, where=where, api=api)
    content: Any = blocks
    if api == "gpt" and all(b.get("type") == "text" for b in blocks):
        # ZylonGPT takes a string (it joins a text list with newlines itself).
        content = "\n".join(b.get("text", "") for b in blocks)
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": str(tool_use_id), "content": content}
    if kwargs.get("is_error") is not None:
        result["is_error"] = bool(kwargs["is_error"])
    return result


def _assistant_blocks(message: ChatMessage, where: str, api: Api) -> list[dict[str, Any]]:
    content = message_blocks(message, where=where, api=api, allow_tool_calls=True)
    seen = {block.get("id") for block in content if block.get("type") in ("tool_use", "server_tool_use")}
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


def message_blocks(
    message: ChatMessage, *, where: str = "message", api: Api = "workspace", allow_tool_calls: bool = False
) -> list[dict[str, Any]]:
    """Zylon wire blocks for a message's blocks, with the wire blocks it kept
    (``additional_kwargs["zylon_blocks"]``) back in place."""
    kept = _kept(message, where)
    if not kept:
        return to_zylon_blocks(message.blocks, where=where, allow_tool_calls=allow_tool_calls, api=api)
    out: list[dict[str, Any]] = []
    for position, block in enumerate(message.blocks):
        out.extend(kept.pop(position, ()))
        out.extend(to_zylon_blocks([block], where=where, allow_tool_calls=allow_tool_calls, api=api))
    for position in sorted(kept):  # kept after the last block
        out.extend(kept[position])
    return out


def _kept(message: ChatMessage, where: str) -> dict[int, list[dict[str, Any]]]:
    """The kept wire blocks by the position they go back to (cleaned of timestamps)."""
    records = (message.additional_kwargs or {}).get(ZYLON_BLOCKS) or ()
    kept: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        block = record.get("block") if isinstance(record, Mapping) else None
        if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
            raise ValueError(
                f"{where}: additional_kwargs['{ZYLON_BLOCKS}'] holds {record!r}; each entry must be "
                "{'position': <int>, 'block': <a Zylon block with a 'type'>}"
            )
        position = record.get("position")
        kept.setdefault(position if isinstance(position, int) else len(message.blocks), []).append(clean_block(block))
    return kept


def to_zylon_blocks(
    blocks: Iterable[Any],
    *,
    where: str = "message",
    allow_tool_calls: bool = False,
    api: Api = "workspace",
) -> list[dict[str, Any]]:
    """Zylon wire blocks for LlamaIndex content blocks (see the module docs for the map)."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            if block.text:
                out.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            out.append(image_block(block, where))
        elif isinstance(block, AudioBlock):
            out.append(audio_block(block, where))
        elif isinstance(block, DocumentBlock):
            out.append(document_block(block, where, api))
        elif isinstance(block, CitableBlock):
            text = citable_text_block(block, where, api)
            out.extend([text] if text is not None else [])
            others = [part for part in block.content if not isinstance(part, TextBlock)]
            out.extend(to_zylon_blocks(others, where=f"{where} CitableBlock {block.title!r}", api=api))
        elif isinstance(block, ThinkingBlock):
            thinking = _thinking(block, where)
            out.extend([thinking] if thinking is not None else [])
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


def _thinking(block: ThinkingBlock, where: str) -> dict[str, Any] | None:
    """A signed thinking block, or None (with a warning) for one Zylon cannot take back."""
    signature = (block.additional_information or {}).get("signature")
    if not signature:
        if block.content:
            logger.warning(
                "%s: a ThinkingBlock without a signature (additional_information['signature']) cannot be "
                "replayed to Zylon, which answers 400 for it; it is left out of the request",
                where,
            )
        return None
    return {"type": "thinking", "thinking": block.content or "", "signature": str(signature)}
