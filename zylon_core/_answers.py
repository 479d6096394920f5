"""Reading a Zylon answer, framework-free: which tool calls are pending, which ran on
the server, where the sources are, the usage, and the ids to report.

Both adapters build their framework's message from these; the rules live here once.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ._streaming import normalize_stop_reason

_NOISE = frozenset({"start_timestamp", "stop_timestamp", "_meta"})


def clean_block(wire: Mapping[str, Any]) -> dict[str, Any]:
    """A wire block without server bookkeeping (timestamps, ``_meta``, nulls), recursively."""
    block = {k: v for k, v in wire.items() if k not in _NOISE and v is not None}
    inner = block.get("content")
    if isinstance(inner, list) and block.get("type") in ("tldr", "tool_result"):
        block["content"] = [clean_block(b) if isinstance(b, Mapping) else b for b in inner]
    return block


def server_tool_ids(blocks: Iterable[Mapping[str, Any]]) -> set[str]:
    """Ids of ``tool_use`` blocks that the same answer also holds a ``tool_result`` for:
    the server ran those tools itself, so they are not pending calls."""
    return {b["tool_use_id"] for b in blocks if b.get("type") == "tool_result" and b.get("tool_use_id")}


def pending_tool_uses(
    blocks: list[Mapping[str, Any]], client_tools: frozenset[str] | None = None
) -> list[Mapping[str, Any]]:
    """The ``tool_use`` blocks the caller must run: not answered in the same output and,
    when the bound custom tools are known, naming one of them."""
    answered = server_tool_ids(blocks)
    return [
        b
        for b in blocks
        if b.get("type") == "tool_use"
        and b.get("id") not in answered
        and (client_tools is None or b.get("name") in client_tools)
    ]


def flat_sources(blocks: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every source of every ``source`` block, in order."""
    return [dict(s) for b in blocks if b.get("type") == "source" for s in b.get("sources") or ()]


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
) -> dict[str, Any]:
    """``id``, ``model_name``, ``stop_reason`` (see :func:`final_stop_reason`),
    ``stop_sequence`` and, in thread mode, ``interaction_id`` / ``thread_id``: what both
    adapters report."""
    metadata: dict[str, Any] = {
        "id": message.id,
        "model_name": message.model or model_name,
        "stop_reason": final_stop_reason(message.stop_reason, pending_tool_calls),
    }
    if message.stop_sequence:
        metadata["stop_sequence"] = message.stop_sequence
    if interaction_id:
        metadata["interaction_id"] = interaction_id
    if thread_id:
        metadata["thread_id"] = thread_id
    return metadata
