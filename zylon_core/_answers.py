"""Reading a Zylon answer, framework-free: which tool calls are pending, which ran on
the server, where the sources are, the usage, and the ids to report.

Both adapters build their framework's message from these; the rules live here once.
Functions take the answer's blocks in wire form (dicts); ``collect_sources`` and
``server_tool_calls`` take block models too.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from pydantic import BaseModel

from ._streaming import normalize_stop_reason

_NOISE = frozenset({"start_timestamp", "stop_timestamp", "_meta"})
# Blocks whose ``content`` is a list of blocks (or, for tool results, a string).
_NESTING = frozenset({"tldr", "tool_result", "server_tool_result", "search_result"})


def clean_block(wire: Mapping[str, Any]) -> dict[str, Any]:
    """A wire block without server bookkeeping (timestamps, ``_meta``, nulls), recursively."""
    block = {k: v for k, v in wire.items() if k not in _NOISE and v is not None}
    inner = block.get("content")
    if isinstance(inner, list) and block.get("type") in _NESTING:
        block["content"] = [clean_block(b) if isinstance(b, Mapping) else b for b in inner]
    return block


def result_blocks(content: Any) -> list[Any]:
    """A tool result's ``content`` as a block list: a string (which the server sends for
    failures, and callers may send) becomes one text block; ``None`` none."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content)


def _wire(block: Any) -> Mapping[str, Any]:
    if isinstance(block, BaseModel):
        return block.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return block


def server_tool_ids(blocks: Iterable[Mapping[str, Any]]) -> set[str]:
    """Ids of tool calls the server ran itself, so none is a pending call: every
    ``server_tool_use``, and every ``tool_use`` the same answer holds a ``tool_result``
    or ``server_tool_result`` for (the Workspace's built-ins)."""
    ids: set[str] = set()
    for b in blocks:
        kind = b.get("type")
        if kind in ("tool_result", "server_tool_result") and b.get("tool_use_id"):
            ids.add(b["tool_use_id"])
        elif kind == "server_tool_use" and b.get("id"):
            ids.add(b["id"])
    return ids


def server_tool_calls(blocks: Iterable[Any]) -> list[dict[str, Any]]:
    """Each ``server_tool_use`` of an answer with its ``server_tool_result``, in order:
    ``{"id", "name", "input", "result", "is_error"}``. ``result`` is the result's
    ``content`` as sent (a string, or a list of wire blocks), ``None`` (and ``is_error``
    ``None``) when the answer holds no result for the call."""
    wire = [_wire(b) for b in blocks]
    results = {b.get("tool_use_id"): b for b in wire if b.get("type") == "server_tool_result"}
    calls = []
    for b in wire:
        if b.get("type") != "server_tool_use":
            continue
        result = results.get(b.get("id"))
        calls.append(
            {
                "id": b.get("id"),
                "name": b.get("name"),
                "input": dict(b.get("input") or {}),
                "result": None if result is None else result.get("content"),
                "is_error": None if result is None else result.get("is_error"),
            }
        )
    return calls


def pending_tool_uses(
    blocks: list[Mapping[str, Any]], client_tools: frozenset[str] | None = None
) -> list[Mapping[str, Any]]:
    """The ``tool_use`` blocks the caller must run: not answered in the same output and,
    when the bound custom tools are known, naming one of them. A ``server_tool_use`` is
    never one."""
    answered = server_tool_ids(blocks)
    return [
        b
        for b in blocks
        if b.get("type") == "tool_use"
        and b.get("id") not in answered
        and (client_tools is None or b.get("name") in client_tools)
    ]


def flat_sources(blocks: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every source of every top-level ``source`` block, in order (the Workspace's own
    answers). :func:`collect_sources` also finds the ones ZylonGPT nests in tool results."""
    return [dict(s) for b in blocks if b.get("type") == "source" for s in b.get("sources") or ()]


def collect_sources(blocks: Iterable[Any]) -> list[dict[str, Any]]:
    """Every source of an answer, in order, each id once (the first wins; sources
    without an id are all kept): those of top-level ``source`` blocks and of the
    ``source`` blocks ZylonGPT nests in ``server_tool_result.content`` (with
    ``system.extensions: ["zylon"]``) or the Workspace in ``tool_result.content``.
    Wire-form dicts, keyed ``type`` or ``object`` as they came."""
    found: list[dict[str, Any]] = []
    seen: set[Any] = set()

    def take(block: Mapping[str, Any]) -> None:
        for source in block.get("sources") or ():
            if not isinstance(source, Mapping):
                continue
            key = source.get("id")
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            found.append(dict(source))

    for block in blocks:
        b = _wire(block)
        kind = b.get("type")
        if kind == "source":
            take(b)
        elif kind in ("server_tool_result", "tool_result") and isinstance(b.get("content"), list):
            for inner in b["content"]:
                if isinstance(inner, Mapping) and inner.get("type") == "source":
                    take(inner)
    return found


def tldr_text(block: Mapping[str, Any]) -> str:
    return "\n".join(
        b.get("text", "") for b in block.get("content") or () if isinstance(b, Mapping) and b.get("type") == "text"
    )


def usage_counts(usage: Any) -> tuple[int, int, int] | None:
    """(input, output, total) tokens from a usage model or dict; None when absent."""
    if usage is None:
        return None
    if isinstance(usage, Mapping):
        input_tokens, output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
    else:  # a Usage model: its fields (or extra fields) by name, without dumping it
        input_tokens, output_tokens = getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None)
    if input_tokens is None and output_tokens is None:
        return None
    input_tokens = int(input_tokens or 0)
    output_tokens = int(output_tokens or 0)
    return input_tokens, output_tokens, input_tokens + output_tokens


def final_stop_reason(raw: str | None, pending_tool_calls: bool = False) -> str:
    """The Anthropic-style stop reason of a complete answer. The Workspace's own
    vocabulary (``stop``) and its documented streams (no stop reason at all) cannot say
    "tool_use": an answer ending in pending client tool calls is ``tool_use``, any other
    unmarked one ``end_turn``."""
    reason = normalize_stop_reason(raw)
    if reason in (None, "end_turn") and pending_tool_calls:
        return "tool_use"
    return reason or "end_turn"


def answer_metadata(
    message: Any,
    *,
    model_name: str,
    interaction_id: str | None = None,
    thread_id: str | None = None,
    pending_tool_calls: bool = False,
    model_sent: bool = False,
) -> dict[str, Any]:
    """``id``, ``model_name``, ``model``, ``stop_reason`` (see :func:`final_stop_reason`),
    ``stop_sequence`` and, in thread mode, ``interaction_id`` / ``thread_id``: what both
    adapters report.

    ``model_name`` is the model that answered as far as the client can tell: the one the
    request named when the API takes a model (``model_sent``: ZylonGPT, which refuses an
    unknown one and reports every answer as ``"private-gpt"``), else the answer's own
    ``model``, else the configured ``model_name``. ``model`` is the answer's ``model``
    as the server reported it (``model_name`` when it reported none)."""
    reported = message.model
    name = model_name if model_sent else (reported or model_name)
    metadata: dict[str, Any] = {
        "id": message.id,
        "model_name": name,
        "model": reported or name,
        "stop_reason": final_stop_reason(message.stop_reason, pending_tool_calls),
    }
    if message.stop_sequence:
        metadata["stop_sequence"] = message.stop_sequence
    if interaction_id:
        metadata["interaction_id"] = interaction_id
    if thread_id:
        metadata["thread_id"] = thread_id
    return metadata
