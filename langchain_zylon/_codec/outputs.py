"""A Zylon answer (``MessageOutput`` / ``TurnResult``) → LangChain ``AIMessage`` (pure).

Where each part of the answer lands on the message:

==============================  ===================================================
Zylon                           ``AIMessage``
==============================  ===================================================
``text`` blocks                 ``content``: a plain string when the answer is only
                                text without citations, else ``text`` blocks (with
                                Zylon ``citations`` kept on the block)
``thinking``                    a ``thinking`` content block, and the whole
                                reasoning text in ``additional_kwargs
                                ["reasoning_content"]``
``tool_use`` (client tool)      ``tool_calls`` (+ the ``tool_use`` content block)
``tool_use`` + ``tool_result``  run by the server: both kept as content blocks,
                                never a pending ``tool_calls`` entry
``source``                      a ``source`` content block; every source, flat, in
                                ``response_metadata["sources"]`` and
                                ``additional_kwargs["sources"]``
``tldr``                        a ``tldr`` content block; its text in
                                ``additional_kwargs["tldr"]``
``usage``                       ``usage_metadata`` (input/output/total)
id, model, stop reason          ``response_metadata``: ``id``, ``model_name``,
                                ``stop_reason`` (Anthropic-style, see
                                :func:`stop_reason`), ``stop_sequence``,
                                ``model_provider="zylon"``, and in thread mode
                                ``interaction_id`` / ``thread_id``
==============================  ===================================================

``content_blocks`` (and ``output_version="v1"``) map these to LangChain's standard
blocks through the translator in :mod:`.standard`.
"""

from __future__ import annotations

from typing import Any, Iterable

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call

from zylon_core.models import MessageOutput
from zylon_core.streaming import normalize_stop_reason

PROVIDER = "zylon"
_NOISE = frozenset({"start_timestamp", "stop_timestamp", "_meta"})


def clean_block(wire: dict[str, Any]) -> dict[str, Any]:
    """A wire block without server bookkeeping (timestamps, ``_meta``), recursively."""
    block = {k: v for k, v in wire.items() if k not in _NOISE and v is not None}
    inner = block.get("content")
    if isinstance(inner, list) and block.get("type") in ("tldr", "tool_result"):
        block["content"] = [clean_block(b) if isinstance(b, dict) else b for b in inner]
    return block


def usage_metadata(usage: Any) -> UsageMetadata | None:
    """``usage_metadata`` from a Zylon ``usage`` (model or dict); None when absent."""
    if usage is None:
        return None
    if not isinstance(usage, dict):
        usage = usage.model_dump(exclude_none=True)
    if usage.get("input_tokens") is None and usage.get("output_tokens") is None:
        return None
    input_tokens = int(usage.get("input_tokens") or 0)
    output_tokens = int(usage.get("output_tokens") or 0)
    return UsageMetadata(input_tokens=input_tokens, output_tokens=output_tokens, total_tokens=input_tokens + output_tokens)


def flat_sources(blocks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [source for block in blocks if block.get("type") == "source" for source in block.get("sources") or ()]


def tldr_text(block: dict[str, Any]) -> str:
    return "\n".join(b.get("text", "") for b in block.get("content") or () if isinstance(b, dict) and b.get("type") == "text")


def response_metadata(
    message: MessageOutput,
    *,
    model_name: str,
    interaction_id: str | None = None,
    thread_id: str | None = None,
    sources: list[dict[str, Any]] | None = None,
    tool_calls: bool = False,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "id": message.id,
        "model_name": message.model or model_name,
        "model_provider": PROVIDER,
        "stop_reason": stop_reason(message.stop_reason, tool_calls),
    }
    if message.stop_sequence:
        metadata["stop_sequence"] = message.stop_sequence
    if interaction_id:
        metadata["interaction_id"] = interaction_id
    if thread_id:
        metadata["thread_id"] = thread_id
    if sources:
        metadata["sources"] = sources
    return metadata


def stop_reason(raw: str | None, tool_calls: bool) -> str:
    """The Anthropic-style stop reason. The Workspace's own vocabulary (``stop``) and
    its documented streams (no stop reason at all) cannot say "tool_use": a complete
    answer that ends in pending client tool calls is ``tool_use``, any other ``end_turn``."""
    reason = normalize_stop_reason(raw)
    if reason in (None, "end_turn") and tool_calls:
        return "tool_use"
    return reason or "end_turn"


def server_tool_ids(blocks: Iterable[dict[str, Any]]) -> set[str]:
    """Ids of ``tool_use`` blocks the same answer also holds a ``tool_result`` for."""
    return {b["tool_use_id"] for b in blocks if b.get("type") == "tool_result" and b.get("tool_use_id")}


def to_ai_message(
    message: MessageOutput,
    *,
    model_name: str,
    client_tools: frozenset[str] | None = None,
    interaction_id: str | None = None,
    thread_id: str | None = None,
) -> AIMessage:
    """Convert one complete answer.

    ``client_tools`` names the custom tools bound for the request: a ``tool_use`` is a
    pending call only if it is not answered in the same output and (when known) names
    one of them. ``None`` means "unknown": every unanswered ``tool_use`` is a call.
    """
    blocks = [clean_block(block.to_json_dict()) for block in message.content]
    answered = server_tool_ids(blocks)
    tool_calls = []
    reasoning: list[str] = []
    tldr: list[str] = []
    plain = True
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            plain = plain and not block.get("citations")
            continue
        plain = False
        if kind == "thinking":
            reasoning.append(block.get("thinking") or "")
        elif kind == "tool_use":
            block.setdefault("input", {})
            if block["id"] not in answered and (client_tools is None or block["name"] in client_tools):
                tool_calls.append(tool_call(name=block["name"], args=block["input"], id=block["id"]))
        elif kind == "tldr":
            tldr.append(tldr_text(block))
    content: str | list[Any]
    if plain:
        content = "".join(b.get("text", "") for b in blocks)
    else:
        content = blocks
    sources = flat_sources(blocks)
    additional: dict[str, Any] = {}
    if reasoning:
        additional["reasoning_content"] = "".join(reasoning)
    if sources:
        additional["sources"] = sources
    if tldr:
        additional["tldr"] = "\n".join(tldr)
    return AIMessage(
        content=content,
        additional_kwargs=additional,
        tool_calls=tool_calls,
        usage_metadata=usage_metadata(message.usage),
        response_metadata=response_metadata(
            message,
            model_name=model_name,
            interaction_id=interaction_id,
            thread_id=thread_id,
            sources=sources,
            tool_calls=bool(tool_calls),
        ),
    )


def sources_of(message: MessageOutput) -> list[dict[str, Any]]:
    """Every source of an answer, flat, in wire form."""
    return flat_sources(clean_block(b.to_json_dict()) for b in message.content if b.type == "source")
