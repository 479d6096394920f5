"""A complete Zylon answer → LlamaIndex ``ChatMessage`` and response metadata (pure).

==============================  ===================================================
Zylon ``MessageOutput``         LlamaIndex
==============================  ===================================================
``text``                        ``TextBlock`` of the text without its citation
                                markup (the server's text, when it differs, in
                                ``additional_kwargs["raw_text"]``); each citation
                                a ``CitationBlock`` after it (:mod:`.citations`),
                                all in ``additional_kwargs["citations"]``
``thinking``                    ``ThinkingBlock``, its ``signature`` in
                                ``additional_information``
``tool_use`` the client runs    ``ToolCallBlock``
``server_tool_use`` (+ result), ran on the server: ``additional_kwargs
``tool_use`` answered in the    ["server_tool_calls"]`` (``{id, name, input,
answer or naming a built-in     result, is_error}``), never a pending call
sources (top level, or nested   ``additional_kwargs["sources"]``; a source no
in a tool result)               citation names: a ``CitationBlock`` after the
                                block that held it
``tldr``                        ``additional_kwargs["tldr"]``
``image`` / ``audio``           ``ImageBlock`` / ``AudioBlock``
``binary`` / ``file`` /         ``DocumentBlock``
``document``
anything LlamaIndex cannot      ``additional_kwargs["zylon_blocks"]``:
hold (server tool blocks,       ``{"position", "block"}`` (the wire block, and the
``redacted_thinking``, source   index in ``message.blocks`` it stood at), put back
and tldr blocks, unknown        in place when the message is sent as history
types)
id, model, stop reason, usage   ``ChatResponse.additional_kwargs`` (see
                                :func:`response_metadata`)
==============================  ===================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from llama_index.core.base.llms.types import (
    ChatMessage,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from zylon_core._answers import (
    collect_sources,
    final_stop_reason,
    result_blocks,
    server_tool_calls,
    server_tool_ids,
    usage_counts,
)
from zylon_core._citations import CitationMark, CitationResolver, CitedSource, parse_citations
from zylon_core.models import Citation, MessageOutput

from .citations import citation_block, pair_citations, source_citation_block
from .media import from_wire

# Where LlamaIndex messages keep what their block types cannot hold (read back by .inputs).
ZYLON_BLOCKS = "zylon_blocks"
_ASSISTANT_ROLES = (MessageRole.ASSISTANT, MessageRole.CHATBOT, MessageRole.MODEL)
_MEDIA = ("image", "audio", "binary", "file", "document")
# Blocks whose sources collect_sources reads.
_SOURCE_HOLDERS = ("source", "server_tool_result", "tool_result")


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
    """An assistant ``ChatMessage`` from a Zylon answer (blocks as in the module's
    table, see :func:`decode_blocks`), the response metadata
    (:func:`response_metadata`) for ``ChatResponse.additional_kwargs``, and ``raw``: the
    wire message plus, in thread mode, ``interaction_id`` / ``thread_id`` (and
    ``interaction``, when given). ``server_tool_names``: the built-in tools of the
    request (a ``tool_use`` naming one ran on the server)."""
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
    texts: Mapping[int, tuple[str, list[CitationMark]]] | None = None,
    resolver: CitationResolver | None = None,
) -> ChatMessage:
    """A ``ChatMessage`` of ``role`` from Zylon wire blocks (the module's table). Never
    fails on a block type: what LlamaIndex cannot hold goes to
    ``additional_kwargs["zylon_blocks"]``.

    Citations and sources are read in assistant messages only. ``texts``: the clean text
    and citation marks of text blocks by index, when already known (a stream strips them
    as it goes); ``resolver``: the answer's :class:`CitationResolver`, when already
    built. A source no citation names becomes a ``CitationBlock`` right after the block
    that held it (the search result)."""
    return _Decoder(content, server_tool_names, role, texts, resolver).message()


class _Decoder:
    def __init__(
        self,
        content: Sequence[Mapping[str, Any]],
        server_tool_names: frozenset[str],
        role: MessageRole,
        texts: Mapping[int, tuple[str, list[CitationMark]]] | None,
        resolver: CitationResolver | None,
    ) -> None:
        self.content, self.role = content, role
        self.server_tool_names = server_tool_names
        self.assistant = role in _ASSISTANT_ROLES
        self.answered = server_tool_ids(content)
        self.resolver = (resolver or CitationResolver(content)) if self.assistant else None
        self.blocks: list[Any] = []
        self.kept: list[dict[str, Any]] = []
        self.kwargs: dict[str, Any] = {}
        self.cited: list[dict[str, Any]] = []
        self.server_calls: list[dict[str, Any]] = []
        self.calls = {call["id"]: call for call in server_tool_calls(content)}
        self.results = {b.get("tool_use_id"): b for b in content if b.get("type") == "tool_result"}
        self.clean_parts: list[str] = []
        self.raw_parts: list[str] = []
        # Each text block's clean text and citations, resolved first: a source the text
        # cites is shown where it is cited, the others where the search returned them.
        self.texts: dict[int, tuple[str, list[tuple[Citation, int | None, int | None, CitedSource | None]]]] = {}
        self.shown: set[Any] = set()
        for index, block in enumerate(content):
            if block.get("type") == "text":
                self._read_text(index, block, texts)

    def _read_text(self, index: int, block: Mapping[str, Any], texts: Mapping[int, Any] | None) -> None:
        raw = block.get("text") or ""
        if self.resolver is None:
            self.texts[index] = (raw, [])
            return
        clean, marks = texts[index] if texts is not None and index in texts else parse_citations(raw)
        pairs = []
        for citation, start, end in pair_citations(marks, block.get("citations") or []):
            found = self.resolver.resolve(citation)
            if found is not None and found.source is not None:
                self.shown.add(_key(found.source))
            pairs.append((citation, start, end, found))
        self.texts[index] = (clean, pairs)

    def message(self) -> ChatMessage:
        for index, block in enumerate(self.content):
            kind = block.get("type")
            if kind == "text":
                self._text(index, block)
            elif kind == "thinking":
                info: dict[str, Any] = {}
                if block.get("signature"):
                    info["signature"] = block["signature"]
                if block.get("citations"):
                    info["citations"] = block["citations"]
                self.blocks.append(ThinkingBlock(content=block.get("thinking") or "", additional_information=info))
            elif kind == "tool_use" and not (block.get("id") in self.answered or block.get("name") in self.server_tool_names):
                arguments = block.get("input") or {}
                self.blocks.append(ToolCallBlock(tool_call_id=block.get("id"), tool_name=block.get("name") or "", tool_kwargs=arguments))
            elif kind in _MEDIA and (media := from_wire(block)) is not None:
                self.blocks.append(media)
            else:
                self._keep(block)
        kwargs = self.kwargs
        if self.resolver is not None and self.resolver.sources:
            kwargs["sources"] = list(self.resolver.sources)
        if self.cited:
            kwargs["citations"] = self.cited
        if self.server_calls:
            kwargs["server_tool_calls"] = self.server_calls
        if self.raw_parts != self.clean_parts:
            kwargs["raw_text"] = "\n".join(self.raw_parts)
        if self.kept:
            kwargs[ZYLON_BLOCKS] = self.kept
        return ChatMessage(role=self.role, blocks=self.blocks, additional_kwargs=kwargs)

    def _text(self, index: int, block: Mapping[str, Any]) -> None:
        raw = block.get("text") or ""
        clean, pairs = self.texts[index]
        if not raw and not pairs:
            return  # an empty text adds nothing, not even a line to message.content
        # Where this text starts in message.content, which joins the texts with "\n".
        offset = sum(len(part) + 1 for part in self.clean_parts)
        self.clean_parts.append(clean)
        self.raw_parts.append(raw)
        self.blocks.append(TextBlock(text=clean))
        for citation, start, end, found in pairs:
            if start is not None and end is not None:
                start, end = offset + start, offset + end
            cblock, entry = citation_block(citation, start, end, found)
            self.blocks.append(cblock)
            self.cited.append(entry)

    def _keep(self, block: Mapping[str, Any]) -> None:
        """A block that ran on the server, or that no LlamaIndex type holds: kept as it
        came, to go back in place."""
        kind = block.get("type")
        self.kept.append({"position": len(self.blocks), "block": dict(block)})
        if kind == "server_tool_use" and block.get("id") in self.calls:
            self.server_calls.append(self.calls[block["id"]])
        elif kind == "tool_use":
            result = self.results.get(block.get("id"))
            self.server_calls.append(
                {
                    "id": block.get("id"),
                    "name": block.get("name"),
                    "input": dict(block.get("input") or {}),
                    "result": None if result is None else result.get("content"),
                    "is_error": None if result is None else result.get("is_error"),
                }
            )
        elif kind == "tldr":
            self.kwargs.setdefault("tldr", []).extend(result_blocks(block.get("content")))
        if self.assistant and kind in _SOURCE_HOLDERS:
            for source in collect_sources([block]):
                key = _key(source)
                if key not in self.shown:
                    self.shown.add(key)
                    self.blocks.append(source_citation_block(source))


def _key(source: Mapping[str, Any]) -> Any:
    """What tells two sources apart: the id, else the whole source."""
    key = source.get("id")
    return key if key is not None else json.dumps(source, sort_keys=True, default=str)
