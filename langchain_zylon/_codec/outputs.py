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

from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call

from zylon_core._answers import answer_metadata, clean_block, flat_sources, server_tool_ids, tldr_text, usage_counts
from zylon_core.models import MessageOutput

PROVIDER = "zylon"


def usage_metadata(usage: Any) -> UsageMetadata | None:
    """``usage_metadata`` from a Zylon ``usage`` (model or dict); None when absent."""
    counts = usage_counts(usage)
    if counts is None:
        return None
    return UsageMetadata(input_tokens=counts[0], output_tokens=counts[1], total_tokens=counts[2])


def response_metadata(
    message: MessageOutput,
    *,
    model_name: str,
    interaction_id: str | None = None,
    thread_id: str | None = None,
    sources: list[dict[str, Any]] | None = None,
    tool_calls: bool = False,
) -> dict[str, Any]:
    metadata = answer_metadata(
        message, model_name=model_name, interaction_id=interaction_id, thread_id=thread_id, pending_tool_calls=tool_calls
    )
    metadata["model_provider"] = PROVIDER
    if sources:
        metadata["sources"] = sources
    return metadata


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
    if all(block.type == "text" and not block.citations for block in message.content):
        # Text only (the common case): what the general path below gives, without first
        # turning every block into its wire form.
        return AIMessage(
            content="".join(block.text for block in message.content),
            additional_kwargs={},
            tool_calls=[],
            usage_metadata=usage_metadata(message.usage),
            response_metadata=response_metadata(message, model_name=model_name, interaction_id=interaction_id, thread_id=thread_id),
        )
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
