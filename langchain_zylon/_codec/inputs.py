"""LangChain messages → Zylon ``ChatRequest`` pieces (pure: no I/O, no client).

Rules (the README's "LangChain ⇄ Zylon" table says the same):

* ``SystemMessage`` s become the top-level ``system.text`` (several are joined with a
  blank line), never a system-role message.
* ``HumanMessage`` → ``user``; ``AIMessage`` → ``assistant``; each ``ToolMessage`` → a
  ``tool_result`` block in a ``user`` message. Consecutive user-side messages (tool
  results and human turns) are merged into one ``user`` message, as the Workspace and
  ZylonGPT APIs expect. A tool result's content is a block list for the Workspace (its
  schema); with ``api="gpt"`` a string result stays a string.
* ``AIMessage.tool_calls`` → ``tool_use`` blocks (the tool call's ``args`` win over a
  ``tool_use`` content block with the same id); ``invalid_tool_calls`` are sent too,
  with the arguments that parse, so the ``tool_result`` answering them has a partner.
* What the server ran itself (``server_tool_use`` / ``server_tool_result`` blocks, or
  v1 ``server_tool_call`` / ``server_tool_result``) goes back as those blocks, never as
  a client tool call.
* Text goes back clean: an answer's ``raw_text`` (with citation markup) and its
  citations are not sent.
* Reasoning goes back as a ``thinking`` block only with its ``signature`` (a
  ``thinking`` block's, or a v1 ``reasoning`` block's ``extras.signature``): ZylonGPT
  answers 400 for an unsigned one, so such reasoning (and a bare
  ``additional_kwargs["reasoning_content"]``) is left out with a warning naming the
  message. ``redacted_thinking`` blocks go back untouched.
* Media and files: see :mod:`.files` (files become ``binary`` for the Workspace,
  ``document`` with ``api="gpt"``).
* ``name`` on a message is not sent: Zylon messages have no speaker field.
* A block of a type this module does not know goes as it came when it is an
  ``AIMessage``'s (an answer a server produced) or one of ZylonGPT's input block types
  (the request check then says whether the API accepts it); any other is a
  ``ValueError`` naming it.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Sequence

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from zylon_core._checks import json_object
from zylon_core.models import GPT_INPUT_BLOCK_TYPES, MessageInput

from .files import (
    Api,
    anthropic_document,
    binary_block,
    check_api,
    file_block,
    image_url_block,
    input_audio_block,
    media_block,
    text_plain_block,
    workspace_file,
)

logger = logging.getLogger("langchain_zylon")

_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant"}
_SUPPORTED = (
    "text, image, image_url, audio, input_audio, file, text-plain, document, binary, thinking/reasoning "
    "(signed), redacted_thinking, tool_use/tool_call, tool_result, server_tool_use/server_tool_call, "
    "server_tool_result, source, tldr"
)


def to_zylon_messages(
    messages: Sequence[BaseMessage], *, api: Api = "workspace", warn_unsigned: bool = True
) -> tuple[str | None, list[MessageInput]]:
    """``(system_text, messages)`` for a ``ChatRequest``; raises ``ValueError`` early.

    ``api``: the API the request goes to (``"workspace"``, or ``"gpt"`` for ZylonGPT's
    ``/v1/messages``); it decides how files and tool results are sent.
    ``warn_unsigned``: log a warning for reasoning left out because it has no signature
    (off in thread mode, where earlier answers are not sent at all).
    """
    api = check_api(api)
    system_parts: list[str] = []
    converted: list[dict[str, Any]] = []
    for position, message in enumerate(messages):
        role = _role_of(message)
        if role == "system":
            text = _system_text(message)
            if text:
                system_parts.append(text)
            continue
        where = f"messages[{position}] ({type(message).__name__})"
        if role == "tool":
            blocks = _tool_results(message, where, api)  # type: ignore[arg-type]
            role = "user"
        elif role == "assistant":
            blocks = _assistant_blocks(message, where, api, warn_unsigned)
            if not blocks:
                continue  # nothing to send (an empty AI turn)
        else:
            blocks = _content_blocks(message.content, where=where, api=api)
        if role == "user" and converted and converted[-1]["role"] == "user":
            converted[-1]["content"].extend(blocks)
        else:
            converted.append({"role": role, "content": blocks})
    return ("\n\n".join(system_parts) or None), [MessageInput.model_validate(m) for m in converted]


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


class _Context:
    """What converting one message's blocks needs besides the blocks."""

    __slots__ = ("where", "api", "assistant", "tool_calls", "unsigned")
    api: Api

    def __init__(self, where: str, api: Api, *, assistant: bool = False, tool_calls: dict[str, Any] | None = None) -> None:
        self.where = where
        self.api = api
        self.assistant = assistant
        self.tool_calls = tool_calls
        self.unsigned = 0  # reasoning blocks left out for want of a signature


def _content_blocks(content: str | list[Any], *, where: str, api: Api) -> list[dict[str, Any]]:
    return _blocks_of(content, _Context(where, api))


def _blocks_of(content: str | list[Any], ctx: _Context) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for item in content:
        blocks.extend(_block(item, ctx))
    return blocks


def _block(item: Any, ctx: _Context) -> list[dict[str, Any]]:
    """One LangChain content item → zero or more Zylon blocks (wire dicts)."""
    where = ctx.where
    if isinstance(item, str):
        return [{"type": "text", "text": item}] if item else []
    if not isinstance(item, dict):
        raise ValueError(f"{where}: content item of type {type(item).__name__} is not supported (expected str or dict)")
    kind = item.get("type")
    if kind == "text":
        if "source_type" in item:  # v0 plain-text data block
            return [text_plain_block(item, ctx.api)]
        # Only the (clean) text: raw_text, citations and annotations describe an answer.
        text = item.get("text") or ""
        return [{"type": "text", "text": text}] if text else []
    if kind == "image_url":
        return [image_url_block(item, where)]
    if kind in ("image", "audio"):
        return [media_block(item, where)]
    if kind == "input_audio":
        return [input_audio_block(item, where)]
    if kind == "file":
        if ctx.assistant and isinstance(item.get("content"), str):
            return [workspace_file(item, ctx.api)]  # the server's own block: sent without re-checking
        return [file_block(item, where, ctx.api)]
    if kind == "text-plain":
        return [text_plain_block(item, ctx.api)]
    if kind == "document":
        if ctx.assistant:
            return [_as_it_came(item)]  # a document the server's answer held
        return [anthropic_document(item, where, ctx.api)]
    if kind == "binary":
        return [_as_it_came(item) if ctx.assistant else binary_block(item, where)]
    if kind in ("thinking", "reasoning"):
        return _thinking(item, ctx)
    if kind == "redacted_thinking":
        return [_as_it_came(item)]
    if kind in ("tool_use", "tool_call", "tool_call_chunk", "invalid_tool_call"):
        return [_tool_use(item, ctx.tool_calls)]
    if kind in ("server_tool_use", "server_tool_call", "server_tool_call_chunk"):
        return [_server_tool_use(item, where)]
    if kind == "tool_result":
        return [_tool_result(item, ctx)]
    if kind == "server_tool_result":
        return [_server_tool_result(item, ctx)]
    if kind == "source":
        return [{"type": "source", "sources": list(item.get("sources") or ())}]
    if kind == "tldr":
        return [{"type": "tldr", "content": _blocks_of(item.get("content") or [], _Context(f"{where} tldr", ctx.api))}]
    if kind == "non_standard":
        value = item.get("value")
        if isinstance(value, dict) and isinstance(value.get("type"), str) and value["type"] != "non_standard":
            return _block(value, ctx)
        raise ValueError(f"{where}: non_standard block without a Zylon block inside: {value!r:.200}")
    if isinstance(kind, str) and (ctx.assistant or kind in GPT_INPUT_BLOCK_TYPES):
        # A block an answer held, or another Zylon input block: sent as it came (the
        # request check then says whether the API takes it).
        return [_as_it_came(item)]
    raise ValueError(f"{where}: content block type {kind!r} is not supported by Zylon (supported: {_SUPPORTED})")


def _as_it_came(item: dict[str, Any]) -> dict[str, Any]:
    """A block sent back unchanged, without LangChain's stream position."""
    return {k: v for k, v in item.items() if k != "index"}


def _thinking(item: dict[str, Any], ctx: _Context) -> list[dict[str, Any]]:
    if item["type"] == "thinking":
        text, signature = item.get("thinking"), item.get("signature")
    else:
        extras = item.get("extras")
        text, signature = item.get("reasoning"), item.get("signature") or (extras.get("signature") if isinstance(extras, dict) else None)
    if not text and not signature:
        return []
    if not signature:
        ctx.unsigned += 1
        return []
    return [{"type": "thinking", "thinking": text or "", "signature": signature}]


# -- tools -----------------------------------------------------------------------------


def _tool_use(item: dict[str, Any], tool_calls: dict[str, Any] | None) -> dict[str, Any]:
    call_id = item.get("id")
    if tool_calls and call_id in tool_calls:
        call = tool_calls.pop(call_id)
        return {"type": "tool_use", "id": call_id, "name": call["name"], "input": _tool_input(call.get("args"), call_id)}
    name = item.get("name")
    if not call_id or not name:
        raise ValueError(f"a {item.get('type')!r} block needs an 'id' and a 'name'")
    return {"type": "tool_use", "id": call_id, "name": name, "input": _tool_input(_arguments(item), call_id)}


def _server_tool_use(item: dict[str, Any], where: str) -> dict[str, Any]:
    call_id, name = item.get("id"), item.get("name")
    if not call_id or not name:
        raise ValueError(f"{where}: a {item.get('type')!r} block needs an 'id' and a 'name'")
    return {"type": "server_tool_use", "id": call_id, "name": name, "input": _tool_input(_arguments(item), call_id)}


def _arguments(item: dict[str, Any]) -> Any:
    """A call's arguments: ``input`` (Zylon/Anthropic), ``args`` (LangChain), or the
    JSON text a stream left in ``partial_json``."""
    args = item.get("input") if item.get("type") in ("tool_use", "server_tool_use") else item.get("args")
    if isinstance(args, str) or (not args and item.get("partial_json")):
        args = _parse_args(args if isinstance(args, str) else item.get("partial_json"))
    return args


def _tool_input(args: Any, call_id: str) -> dict[str, Any]:
    """Tool call arguments Zylon can receive: a JSON object (checked before any request)."""
    return json_object(args or {}, f"arguments of tool call {call_id!r}")


def _parse_args(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _tool_result(item: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": _required(item, "tool_use_id", ctx.where),
        "content": _result_content(item.get("content"), ctx),
    }
    if item.get("is_error") is not None:
        block["is_error"] = bool(item["is_error"])
    return block


def _server_tool_result(item: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    if "tool_call_id" in item:  # LangChain's standard block
        return {
            "type": "server_tool_result",
            "tool_use_id": _required(item, "tool_call_id", ctx.where),
            "content": _wire_result(item.get("output")),
            "is_error": item.get("status") == "error",
        }
    block = _as_it_came(item)  # Zylon's own, as the answer held it
    _required(item, "tool_use_id", ctx.where)
    return block


def _wire_result(output: Any) -> Any:
    """A standard ``server_tool_result.output`` as Zylon result content (a string or blocks)."""
    if output is None:
        return []
    if isinstance(output, (str, list)):
        return output
    return json.dumps(output) if not isinstance(output, dict) or not output.get("type") else [output]


def _required(item: dict[str, Any], key: str, where: str) -> Any:
    value = item.get(key)
    if value in (None, ""):
        raise ValueError(f"{where}: {item.get('type')!r} block needs {key!r}")
    return value


def _assistant_blocks(message: BaseMessage, where: str, api: Api, warn_unsigned: bool) -> list[dict[str, Any]]:
    pending: dict[str, Any] = {}
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            if call.get("id"):
                pending[call["id"] or ""] = call
        for bad in message.invalid_tool_calls:
            bad_id, bad_name = bad.get("id"), bad.get("name")
            if bad_id and bad_name:
                pending.setdefault(bad_id, {"name": bad_name, "args": _parse_args(bad.get("args"))})
    ctx = _Context(where, api, assistant=True, tool_calls=pending)
    blocks = _blocks_of(message.content, ctx)
    if isinstance(message.content, str):
        blocks = [b for b in blocks if b["text"].strip()]
    # Tool calls not mirrored in the content (OpenAI-style string content).
    for call_id, call in pending.items():
        blocks.append({"type": "tool_use", "id": call_id, "name": call["name"], "input": _tool_input(call.get("args"), call_id)})
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning.strip() and not _has_reasoning(message.content):
        ctx.unsigned += 1  # reasoning text alone carries no signature
    if ctx.unsigned and warn_unsigned:
        logger.warning(
            "%s: %d reasoning/thinking block(s) without a signature left out of the request: Zylon "
            "replays only signed thinking (the server answers 400 otherwise)",
            where,
            ctx.unsigned,
        )
    return [b for b in blocks if not (b["type"] == "text" and not b["text"])]


def _has_reasoning(content: str | list[Any]) -> bool:
    return not isinstance(content, str) and any(
        isinstance(b, dict) and b.get("type") in ("thinking", "reasoning", "redacted_thinking") for b in content
    )


def _result_content(content: Any, ctx: _Context) -> Any:
    """A tool result's content: blocks (the Workspace's schema), or a string as given
    with ``api="gpt"`` (ZylonGPT takes either)."""
    where = f"{ctx.where} tool result"
    inner = _Context(where, ctx.api)
    if content is None:
        return []
    if isinstance(content, str):
        return content if ctx.api == "gpt" else [{"type": "text", "text": content}]
    if isinstance(content, dict):
        return _block(content, inner) if content.get("type") else [{"type": "text", "text": json.dumps(content)}]
    if isinstance(content, list):
        return _blocks_of(content, inner)
    return [{"type": "text", "text": str(content)}]


def _tool_results(message: ToolMessage, where: str, api: Api) -> list[dict[str, Any]]:
    content = message.content
    ctx = _Context(where, api)
    if isinstance(content, list) and content and all(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
        # Already tool_result blocks (Anthropic/Zylon style): send them as they are.
        return [block for item in content for block in _block(item, ctx)]
    if not message.tool_call_id:
        raise ValueError("a ToolMessage needs a tool_call_id (the id of the tool call it answers)")
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": _result_content(content, ctx)}
    if message.status == "error":
        block["is_error"] = True
    return [block]

