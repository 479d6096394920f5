"""A Zylon answer (``MessageOutput`` / ``TurnResult``) → LangChain ``AIMessage`` (pure).

Where each part of the answer lands on the message:

===================================  ================================================
Zylon                                ``AIMessage``
===================================  ================================================
``text`` blocks                      ``content``: a plain string when the answer is
                                     only text without citations; else ``text``
                                     blocks holding the clean text (citation markup
                                     removed), ``annotations`` (standard ``citation``
                                     dicts: cited text, title, offsets into the clean
                                     text, Zylon's fields in ``extras``) and
                                     ``raw_text`` (the server's text) when it differs
``thinking``                         ``{"type": "thinking", "thinking", "signature"}``
                                     (as langchain-anthropic has it; the signature
                                     lets it go back as history), and the reasoning
                                     text in ``additional_kwargs["reasoning_content"]``
``redacted_thinking``                kept as it came
``tool_use`` (client tool)           ``tool_calls`` (+ the ``tool_use`` content block)
``server_tool_use`` /                run by the server (built-in search,
``server_tool_result``               ``document_preprocessing``): content blocks in
                                     Zylon's form, never ``tool_calls``
``tool_use`` + ``tool_result``       a Workspace built-in the server ran: both kept as
                                     content blocks, never a pending ``tool_calls``
``source`` (also nested in tool      every source, once, in
results)                             ``response_metadata["sources"]`` and
                                     ``additional_kwargs["sources"]``
``tldr``                             a ``tldr`` content block; its text in
                                     ``additional_kwargs["tldr"]``
``document``, any other type         kept as it came (nothing is dropped)
``usage``                            ``usage_metadata`` (input/output/total)
id, model, stop reason               ``response_metadata``: ``id``, ``model_name``,
                                     ``model`` (the server's), ``stop_reason``
                                     (Anthropic-style),
                                     ``stop_sequence``, ``model_provider="zylon"``,
                                     and in thread mode ``interaction_id`` /
                                     ``thread_id``
===================================  ================================================

``content_blocks`` (and ``output_version="v1"``) map these to LangChain's standard
blocks through the translator in :mod:`.standard`.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call

from zylon_core._answers import answer_metadata, clean_block, collect_sources, server_tool_ids, tldr_text, usage_counts
from zylon_core._citations import CitationResolver
from zylon_core.models import MessageOutput

from .cited import text_block

PROVIDER = "zylon"
# Blocks a citation may point into: building a resolver is needed only when one is there.
_CITABLE = frozenset({"source", "server_tool_result", "tool_result"})


def usage_metadata(usage: Any) -> UsageMetadata | None:
    """``usage_metadata`` from a Zylon ``usage`` (model or dict); None when absent."""
    counts = usage_counts(usage)
    if counts is None:
        return None
    # A cast: both type checkers read the NotRequired token details as required here.
    return cast(UsageMetadata, {"input_tokens": counts[0], "output_tokens": counts[1], "total_tokens": counts[2]})


def response_metadata(
    message: MessageOutput,
    *,
    model_name: str,
    interaction_id: str | None = None,
    thread_id: str | None = None,
    sources: list[dict[str, Any]] | None = None,
    tool_calls: bool = False,
    model_sent: bool = False,
) -> dict[str, Any]:
    metadata = answer_metadata(
        message,
        model_name=model_name,
        interaction_id=interaction_id,
        thread_id=thread_id,
        pending_tool_calls=tool_calls,
        model_sent=model_sent,
    )
    metadata["model_provider"] = PROVIDER
    if sources:
        metadata["sources"] = sources
    return metadata


def thinking_block(block: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "thinking", "thinking": block.get("thinking") or ""}
    if block.get("signature"):
        out["signature"] = block["signature"]
    return out


def to_ai_message(
    message: MessageOutput,
    *,
    model_name: str,
    client_tools: frozenset[str] | None = None,
    interaction_id: str | None = None,
    thread_id: str | None = None,
    model_sent: bool = False,
) -> AIMessage:
    """Convert one complete answer.

    ``client_tools`` names the custom tools bound for the request: a ``tool_use`` is a
    pending call only if it is not answered in the same output and (when known) names
    one of them. ``None`` means "unknown": every unanswered ``tool_use`` is a call.
    ``model_sent``: the request named ``model_name`` (ZylonGPT), which is then the
    reported ``model_name`` (see :func:`zylon_core._answers.answer_metadata`).
    """
    if all(block.type == "text" and not block.citations and "<citation" not in block.text for block in message.content):
        # Text only (the common case): what the general path below gives, without first
        # turning every block into its wire form.
        return AIMessage(
            content="".join(block.text for block in message.content),  # type: ignore[union-attr]
            additional_kwargs={},
            tool_calls=[],
            usage_metadata=usage_metadata(message.usage),
            response_metadata=response_metadata(
                message, model_name=model_name, interaction_id=interaction_id, thread_id=thread_id, model_sent=model_sent
            ),
        )
    wire = [clean_block(block.to_json_dict()) for block in message.content]
    resolver = CitationResolver(wire) if any(b.get("type") in _CITABLE for b in wire) else None
    answered = server_tool_ids(wire)
    content: list[Any] = []
    tool_calls = []
    reasoning: list[str] = []
    tldr: list[str] = []
    for block in wire:
        kind = block.get("type")
        if kind == "text":
            block = text_block(block, resolver)
            if not block["text"] and len(block) == 2:
                continue  # an empty text block says nothing (the server refuses one as input)
        elif kind == "thinking":
            block = thinking_block(block)
            reasoning.append(block["thinking"])
        elif kind == "tool_use":
            block.setdefault("input", {})
            if block["id"] not in answered and (client_tools is None or block["name"] in client_tools):
                tool_calls.append(tool_call(name=block["name"], args=block["input"], id=block["id"]))
        elif kind == "tldr":
            tldr.append(tldr_text(block))
        content.append(block)
    plain = all(b.get("type") == "text" and len(b) == 2 for b in content)
    sources = collect_sources(wire)
    additional: dict[str, Any] = {}
    if reasoning:
        additional["reasoning_content"] = "".join(reasoning)
    if sources:
        additional["sources"] = sources
    if tldr:
        additional["tldr"] = "\n".join(tldr)
    return AIMessage(
        content="".join(b["text"] for b in content) if plain else content,
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
            model_sent=model_sent,
        ),
    )


def sources_of(message: MessageOutput) -> list[dict[str, Any]]:
    """Every source of an answer (top-level and nested in tool results), once, in wire form."""
    return collect_sources(message.content)
