"""langchain_zylon._codec.history: stored Zylon input → LangChain messages, and back to
the same Zylon blocks when the rebuilt history is sent again (pure, no server)."""

from __future__ import annotations

import base64
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
    {"type": "binary", "data": "https://example.com/blob.bin", "mime_type": "application/octet-stream", "filename": "blob.bin"},
    {"type": "binary", "data": "AAEC", "mime_type": "application/octet-stream", "filename": "raw.bin"},
    {"type": "binary", "data": "aGVsbG8gYmluYXJ5", "mime_type": "text/plain", "filename": "b.txt"},
]


def wire(messages: list[Any]) -> list[dict[str, Any]]:
    return [m.to_json_dict() for m in to_zylon_messages(messages)[1]]


def test_user_input_blocks_survive_a_round_trip() -> None:
    stored = MessageInput.model_validate({"role": "user", "content": BLOCKS})
    (human,) = from_zylon_input(stored)
    assert isinstance(human, HumanMessage)
    # A text file (UTF-8 bytes of a text type) comes back as its text.
    assert [b["type"] for b in human.content] == ["text", "image", "image", "audio", "file", "file", "text-plain"]  # type: ignore[index]
    assert human.content[-1] == {"type": "text-plain", "text": "hello binary", "mime_type": "text/plain", "filename": "b.txt"}
    assert wire([human]) == [{"role": "user", "content": BLOCKS}]


def test_documents_and_the_older_file_block_come_back_as_files_sent_as_binary() -> None:
    stored = MessageInput.model_validate(
        {
            "role": "user",
            "content": [
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The meeting is on Friday."}, "title": "notes.txt"},
                {"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": "QnVkZ2V0OiA0MmsgRVVS"}, "title": "budget.txt"},
                {"type": "file", "content": "JVBERi0=", "content_type": "application/pdf", "doc_metadata": {"file_name": "a.pdf", "file_type": "pdf"}},
                {"type": "file", "content": "plain words", "content_type": "text/plain", "doc_metadata": {"file_name": "notes.txt"}},
            ],
        }
    )
    (human,) = from_zylon_input(stored)
    assert human.content == [
        {"type": "text-plain", "text": "The meeting is on Friday.", "mime_type": "text/plain", "filename": "notes.txt"},
        {"type": "file", "base64": "QnVkZ2V0OiA0MmsgRVVS", "mime_type": "text/plain", "filename": "budget.txt"},
        {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf", "filename": "a.pdf"},
        {"type": "text-plain", "text": "plain words", "mime_type": "text/plain", "filename": "notes.txt"},
    ]
    # Zylon refuses a file block as input: each goes back as binary (its bytes, base64).
    assert wire([human])[0]["content"] == [
        {"type": "binary", "data": base64.b64encode(b"The meeting is on Friday.").decode(), "mime_type": "text/plain", "filename": "notes.txt"},
        {"type": "binary", "data": "QnVkZ2V0OiA0MmsgRVVS", "mime_type": "text/plain", "filename": "budget.txt"},
        {"type": "binary", "data": "JVBERi0=", "mime_type": "application/pdf", "filename": "a.pdf"},
        {"type": "binary", "data": base64.b64encode(b"plain words").decode(), "mime_type": "text/plain", "filename": "notes.txt"},
    ]


def test_a_string_tool_result_is_one_tool_message() -> None:
    stored = MessageInput.model_validate({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x", "is_error": True}]})
    (tool,) = from_zylon_input(stored)
    assert isinstance(tool, ToolMessage) and (tool.content, tool.tool_call_id, tool.status) == ("x", "t", "error")
    assert wire([AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "t"}]), tool])[1]["content"] == [
        {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "x"}], "is_error": True}
    ]


def test_an_answer_keeps_server_tools_signatures_citations_and_sources() -> None:
    raw = "Revenue grew <citation id='IK79' index='0' artifact_id='a' source_id='c1' correlation_id='x'></citation>."
    interaction = Interaction.model_validate(
        {
            "id": "inter_9",
            "state": "Completed",
            "user_input": {"role": "user", "content": [{"type": "text", "text": "How did revenue do?"}]},
            "assistant_output": {
                "id": "msg_9",
                "content": [
                    {"type": "thinking", "thinking": "Search.", "signature": "sig_9", "citations": []},
                    {"type": "server_tool_use", "id": "srvtoolu_9", "name": "search", "input": {"query": "revenue"}},
                    {
                        "type": "server_tool_result",
                        "tool_use_id": "srvtoolu_9",
                        "content": [{"type": "source", "sources": [{"object": "context.chunk", "id": "c1", "text": "Revenue grew 20%."}]}],
                        "is_error": False,
                    },
                    {"type": "text", "text": raw, "citations": [{"id": "IK79", "index": 0, "artifact_id": "a", "source_id": "c1"}]},
                ],
            },
        }
    )
    human, ai = turn_messages(StoredTurn(interaction), thread_id="thread_9")
    assert isinstance(ai, AIMessage) and ai.tool_calls == []
    assert ai.text == "Revenue grew." and ai.content[3]["raw_text"] == raw  # type: ignore[index]
    assert ai.content[3]["annotations"][0]["cited_text"] == "Revenue grew 20%."  # type: ignore[index]
    assert ai.response_metadata["sources"] == [{"object": "context.chunk", "id": "c1", "text": "Revenue grew 20%."}]
    assert mark_of(ai).text == StoredTurn(interaction).answer_text == "Revenue grew."
    # Sent again (one-shot chat, another route): the signed thinking and the server's blocks, clean text.
    sent = wire([human, ai])[1]["content"]
    assert [b["type"] for b in sent] == ["thinking", "server_tool_use", "server_tool_result", "text"]
    assert sent[0]["signature"] == "sig_9" and sent[3] == {"type": "text", "text": "Revenue grew."}


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
