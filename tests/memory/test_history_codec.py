"""langchain_zylon._codec.history: stored Zylon input → LangChain messages, and back to
the same Zylon blocks when the rebuilt history is sent again (pure, no server)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_zylon._codec.history import describe, from_zylon_input, mark_of, turn_messages
from langchain_zylon._codec.inputs import to_zylon_messages
from zylon_core._memory import StoredTurn
from zylon_core.models import Interaction, MessageInput

BLOCKS: list[dict[str, Any]] = [
    {"type": "text", "text": "Look at these."},
    {"type": "image", "data": "aGVsbG8=", "mime_type": "image/png"},
    {"type": "image", "data": "https://example.com/cat.jpg", "mime_type": "image/jpeg"},
    {"type": "audio", "data": "UklGRg==", "mime_type": "audio/wav"},
    {"type": "file", "content": "JVBERi0=", "content_type": "application/pdf", "doc_metadata": {"file_name": "a.pdf", "file_type": "pdf"}},
    {"type": "file", "content": "plain words", "content_type": "text/plain", "doc_metadata": {"file_name": "notes.txt", "file_type": "txt"}},
    {"type": "binary", "data": "https://example.com/blob.bin", "mime_type": "application/octet-stream", "filename": "blob.bin"},
    {"type": "binary", "data": "AAEC", "mime_type": "application/octet-stream", "filename": "raw.bin"},
]


def wire(messages: list[Any]) -> list[dict[str, Any]]:
    return [m.to_json_dict() for m in to_zylon_messages(messages)[1]]


def test_user_input_blocks_survive_a_round_trip() -> None:
    stored = MessageInput.model_validate({"role": "user", "content": BLOCKS})
    (human,) = from_zylon_input(stored)
    assert isinstance(human, HumanMessage)
    assert [b["type"] for b in human.content] == ["text", "image", "image", "audio", "file", "text-plain", "file", "binary"]  # type: ignore[index]
    assert wire([human]) == [{"role": "user", "content": BLOCKS}]


def test_tool_results_become_tool_messages_in_order() -> None:
    stored = MessageInput.model_validate(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "42"}]},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "boom"}], "is_error": True},
                {"type": "text", "text": "And now?"},
            ],
        }
    )
    messages = from_zylon_input(stored)
    assert [type(m).__name__ for m in messages] == ["ToolMessage", "ToolMessage", "HumanMessage"]
    first, second, human = messages
    assert isinstance(first, ToolMessage) and (first.tool_call_id, first.content, first.status) == ("toolu_1", "42", "success")
    assert isinstance(second, ToolMessage) and second.status == "error"
    assert human.content == "And now?"
    assert wire(messages) == [stored.to_json_dict()]


def test_system_and_assistant_inputs() -> None:
    (system,) = from_zylon_input(MessageInput(role="system", content="Be brief."))
    assert isinstance(system, SystemMessage) and system.content == "Be brief."
    (ai,) = from_zylon_input(
        MessageInput.model_validate({"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {"x": 1}}]})
    )
    assert isinstance(ai, AIMessage) and ai.tool_calls[0]["args"] == {"x": 1}


def test_turn_messages_carry_the_thread_marks() -> None:
    interaction = Interaction.model_validate(
        {
            "id": "inter_1",
            "state": "Completed",
            "user_input": {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            "assistant_output": {"id": "msg_1", "model": "m1", "content": [{"type": "text", "text": "hello"}]},
        }
    )
    human, ai = turn_messages(StoredTurn(interaction), thread_id="thread_1")
    assert (human.id, ai.id) == ("inter_1:input", "inter_1:output")
    assert mark_of(human).thread_id == mark_of(ai).thread_id == "thread_1"
    assert mark_of(ai).role == "assistant" and mark_of(human).interaction_id == "inter_1"
    assert ai.response_metadata["model_name"] == "m1"
    pending = Interaction.model_validate({"id": "inter_2", "state": "Processing", "user_input": {"role": "user", "content": "q"}})
    assert [type(m).__name__ for m in turn_messages(StoredTurn(pending), thread_id="thread_1")] == ["HumanMessage"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [(HumanMessage("x" * 100), "HumanMessage('" + "x" * 57 + "...')"), (AIMessage("ok", tool_calls=[{"name": "f", "args": {}, "id": "1"}]), "AIMessage('ok', 1 tool call(s))")],
)
def test_describe(message: Any, expected: str) -> None:
    assert describe(message) == expected
