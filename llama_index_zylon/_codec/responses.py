"""A turn's result, and its stream, → LlamaIndex responses (pure: no client).

* :func:`chat_response`: a finished turn → ``ChatResponse`` (message, metadata, raw);
* :func:`stream_chunk`: one stream delta → a ``ChatResponse`` chunk: the answer so far,
  ``delta`` the new clean text, ``raw`` the delta, ``additional_kwargs["thinking_delta"]``
  for reasoning;
* :func:`final_chunk`: the last chunk, built from the finished turn like
  :func:`chat_response` (so a stream ends on the message the non-streamed call gives);
* :func:`completion_response`: a ``ChatResponse`` as a ``CompletionResponse``.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import ChatResponse, CompletionResponse, ThinkingBlock, ToolCallBlock

from zylon_core import StreamDelta, TurnResult

from .outputs import decode_output
from .streaming import StreamState


def chat_response(result: TurnResult, server_tools: frozenset[str] = frozenset()) -> ChatResponse:
    """The ``ChatResponse`` of a finished turn. ``server_tools``: the built-in tools of
    the request (a ``tool_use`` naming one ran on the server)."""
    decoded = decode_output(
        result.message,
        interaction_id=result.interaction_id,
        thread_id=result.thread_id,
        server_tool_names=server_tools,
        interaction=result.interaction,
    )
    if result.route.thread_id and result.interaction_id:
        # On the message too: memory that keeps the message (ChatMemoryBuffer over a
        # ZylonChatStore) then knows the thread already stored this answer.
        decoded.message.additional_kwargs["thread_id"] = result.thread_id
        decoded.message.additional_kwargs["interaction_id"] = result.interaction_id
    return ChatResponse(message=decoded.message, raw=decoded.raw, additional_kwargs=decoded.additional_kwargs)


def stream_chunk(state: StreamState, delta: StreamDelta) -> ChatResponse:
    """The chunk for one delta (fed to ``state`` here)."""
    text = state.feed(delta)
    if delta.kind == "text" and delta.text and delta.block is None and not delta.citations:
        # Most deltas: what chunk_of gives for them, built directly.
        raw_text = {"kind": "text", "index": delta.index, "text": delta.text}
        return ChatResponse(message=state.message(), delta=text, raw=raw_text, additional_kwargs={})
    return chunk_of(state, delta, text)


def chunk_of(state: StreamState, delta: StreamDelta, text: str) -> ChatResponse:
    """The chunk for ``delta``, already fed to ``state`` (``text``: what it showed)."""
    raw: dict[str, Any] = {"kind": delta.kind, "index": delta.index}
    if delta.text:
        raw["text"] = delta.text
    if delta.block is not None:
        raw["block"] = delta.block
    if delta.citations:
        raw["citations"] = delta.citations
    kwargs = {"thinking_delta": delta.text} if delta.kind == "thinking" else {}
    return ChatResponse(message=state.message(), delta=text, raw=raw, additional_kwargs=kwargs)


def final_chunk(state: StreamState, result: TurnResult | None, server_tools: frozenset[str] = frozenset()) -> ChatResponse:
    """The stream's last chunk: the finished answer, ``delta`` the text not given yet."""
    assert result is not None, "the stream ended without a result"
    response = chat_response(result, server_tools)
    response.delta = state.new_text(response.message.content or "")
    return response


def completion_response(response: ChatResponse) -> CompletionResponse:
    """``text`` is the message's text; ``additional_kwargs`` merges the response's and
    the message's, with ``thinking`` (the reasoning text) and ``tool_calls``
    (``{id, name, input}``) when there are any."""
    message = response.message
    extra = {**response.additional_kwargs, **message.additional_kwargs}
    thinking = "".join(b.content or "" for b in message.blocks if isinstance(b, ThinkingBlock))
    if thinking:
        extra["thinking"] = thinking
    calls = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if calls:
        extra["tool_calls"] = [{"id": c.tool_call_id, "name": c.tool_name, "input": c.tool_kwargs} for c in calls]
    return CompletionResponse(text=message.content or "", delta=response.delta, raw=response.raw, additional_kwargs=extra)
