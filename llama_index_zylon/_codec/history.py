"""A thread's stored conversation → LlamaIndex messages (pure: no I/O, no client).

Each interaction gives, in order:

* its ``user_input`` (:func:`from_zylon_input`): a ``role=tool`` message per
  ``tool_result`` block (``additional_kwargs["tool_call_id"]``, ``["is_error"]`` when
  set) and a ``user`` message for the other blocks;
* its answer (``assistant_output``, when it has content): the ``assistant`` message
  :func:`~llama_index_zylon._codec.outputs.decode_output` makes of any answer, with
  tool calls, thinking and citations.

Every rebuilt message carries ``additional_kwargs["thread_id"]`` and
``["interaction_id"]``: that is how the chat store recognises a message the thread
already stored (:func:`mark_of`).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from zylon_core._answers import result_blocks
from zylon_core._memory import MessageMark, StoredTurn
from zylon_core.models import MessageInput

from .inputs import ASSISTANT_ROLES, SYSTEM_ROLES
from .outputs import decode_blocks, decode_output


def thread_messages(turns: Iterable[StoredTurn], *, thread_id: str) -> list[ChatMessage]:
    """The whole conversation of a thread's stored turns, in order."""
    messages: list[ChatMessage] = []
    for turn in turns:
        messages.extend(turn_messages(turn, thread_id=thread_id))
    return messages


def turn_messages(turn: StoredTurn, *, thread_id: str) -> list[ChatMessage]:
    """One stored turn: its user-side messages, then its answer (if it has one yet)."""
    marks = {"thread_id": thread_id, "interaction_id": turn.interaction_id}
    out: list[ChatMessage] = []
    if turn.user_input is not None:
        for message in from_zylon_input(turn.user_input):
            message.additional_kwargs.update(marks)
            out.append(message)
    answer = turn.answer
    if answer is not None:
        message = decode_output(answer, interaction_id=turn.interaction_id, thread_id=thread_id).message
        message.additional_kwargs.update(marks)
        out.append(message)
    return out


def from_zylon_input(message: MessageInput | Mapping[str, Any]) -> list[ChatMessage]:
    """LlamaIndex messages for one Zylon history message (a thread's ``user_input`` or a
    request's message): ``tool_result`` blocks (their content a block list or a string)
    become ``role=tool`` messages with ``additional_kwargs["tool_call_id"]``; an
    assistant message decodes as an answer (server tool blocks, signed thinking,
    citations); documents become ``DocumentBlock`` s; what LlamaIndex cannot hold is kept
    in ``additional_kwargs["zylon_blocks"]`` to go back as it came."""
    if not isinstance(message, MessageInput):
        message = MessageInput.model_validate(dict(message))
    wire = message.to_json_dict().get("content")
    content: list[dict[str, Any]] = [{"type": "text", "text": wire}] if isinstance(wire, str) else list(wire or [])
    if message.role == "assistant":
        return [decode_blocks(content)]
    if message.role == "system":
        return [ChatMessage(role=MessageRole.SYSTEM, content="\n".join(str(b.get("text") or "") for b in content))]
    out: list[ChatMessage] = []
    rest: list[dict[str, Any]] = []
    for block in content:
        if block.get("type") == "tool_result":
            result = decode_blocks(result_blocks(block.get("content")), role=MessageRole.TOOL)
            kwargs: dict[str, Any] = {**result.additional_kwargs, "tool_call_id": block.get("tool_use_id")}
            if block.get("is_error") is not None:
                kwargs["is_error"] = block["is_error"]
            out.append(ChatMessage(role=MessageRole.TOOL, blocks=result.blocks, additional_kwargs=kwargs))
        else:
            rest.append(block)
    if rest or not out:
        role = MessageRole.TOOL if message.role == "tool" else MessageRole.USER
        out.append(decode_blocks(rest, role=role))
    return out


def mark_of(message: ChatMessage) -> MessageMark:
    """What the thread's adding rules need to know about a LlamaIndex message."""
    if message.role in SYSTEM_ROLES:
        role = "system"
    elif message.role in ASSISTANT_ROLES:
        role = "assistant"
    else:
        role = "user"
    extra = message.additional_kwargs or {}
    return MessageMark(
        role=role,  # type: ignore[arg-type]
        thread_id=extra.get("thread_id"),
        interaction_id=extra.get("interaction_id"),
        text=message.content or "",
    )


def describe(message: ChatMessage) -> str:
    """A short label naming a message in errors: ``role('first 57 characters...')``."""
    text = message.content or ""
    short = text if len(text) <= 60 else text[:57] + "..."
    role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
    return f"{role}({short!r})"
