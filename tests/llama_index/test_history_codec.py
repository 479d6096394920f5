"""llama_index_zylon._codec.history: a thread's stored turns → LlamaIndex messages, and
what the chat store's adding rules read of a message (pure, no server)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_zylon._codec.history import describe, from_zylon_input, mark_of, thread_messages, turn_messages
from llama_index_zylon._codec.inputs import to_zylon_messages
from zylon_core._memory import PendingTurn, StoredTurn, UnsavedMessagesError
from zylon_core.models import Interaction, MessageInput


def interaction(iid: str, user_input: dict[str, Any], answer: dict[str, Any] | None = None) -> StoredTurn:
    body: dict[str, Any] = {"id": iid, "state": "Completed" if answer else "Processing", "user_input": user_input}
    if answer is not None:
        body["assistant_output"] = answer
    return StoredTurn(Interaction.model_validate(body))


TOOL_TURN = interaction(
    "inter_1",
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "42"}], "is_error": True},
            {"type": "text", "text": "And now?"},
        ],
    },
    {
        "id": "msg_1",
        "model": "m1",
        "content": [
            {"type": "thinking", "thinking": "hmm"},
            {"type": "text", "text": "Let me add."},
            {"type": "tool_use", "id": "toolu_2", "name": "add", "input": {"a": 1}},
        ],
    },
)


def test_turn_messages_rebuild_a_turn_with_the_thread_marks() -> None:
    tool, user, answer = turn_messages(TOOL_TURN, thread_id="thread_1")
    assert [m.role for m in (tool, user, answer)] == [MessageRole.TOOL, MessageRole.USER, MessageRole.ASSISTANT]
    for message in (tool, user, answer):
        assert (message.additional_kwargs["thread_id"], message.additional_kwargs["interaction_id"]) == ("thread_1", "inter_1")
    assert (tool.additional_kwargs["tool_call_id"], tool.additional_kwargs["is_error"], tool.content) == ("toolu_1", True, "42")
    assert user.content == "And now?"
    (call,) = [b for b in answer.blocks if isinstance(b, ToolCallBlock)]
    assert (call.tool_call_id, call.tool_name, call.tool_kwargs) == ("toolu_2", "add", {"a": 1})


def test_a_turn_still_running_gives_its_question_only() -> None:
    (question,) = turn_messages(interaction("inter_2", {"role": "user", "content": "q"}), thread_id="thread_1")
    assert question.role == MessageRole.USER and question.content == "q"
    assert question.additional_kwargs == {"thread_id": "thread_1", "interaction_id": "inter_2"}


def test_thread_messages_keep_the_turns_in_order() -> None:
    second = interaction("inter_3", {"role": "user", "content": "hi"}, {"id": "msg_3", "content": [{"type": "text", "text": "hello"}]})
    messages = thread_messages([TOOL_TURN, second], thread_id="thread_1")
    assert [(m.role.value, m.additional_kwargs["interaction_id"]) for m in messages] == [
        ("tool", "inter_1"),
        ("user", "inter_1"),
        ("assistant", "inter_1"),
        ("user", "inter_3"),
        ("assistant", "inter_3"),
    ]
    assert messages[-1].content == "hello"
    assert thread_messages([], thread_id="thread_1") == []


def test_a_rebuilt_user_input_is_sent_again_as_the_same_blocks() -> None:
    stored = MessageInput.model_validate(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "42"}]},
                {"type": "text", "text": "And now?"},
            ],
        }
    )
    system, again = to_zylon_messages(from_zylon_input(stored))
    assert system is None
    assert [m.to_json_dict() for m in again] == [
        {"role": "user", "content": [stored.to_json_dict()["content"][0]]},
        {"role": "user", "content": [{"type": "text", "text": "And now?"}]},
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (MessageRole.SYSTEM, "system"),
        (MessageRole.DEVELOPER, "system"),
        (MessageRole.ASSISTANT, "assistant"),
        (MessageRole.CHATBOT, "assistant"),
        (MessageRole.MODEL, "assistant"),
        (MessageRole.USER, "user"),
        (MessageRole.TOOL, "user"),
        (MessageRole.FUNCTION, "user"),
    ],
)
def test_mark_of_puts_every_role_on_its_side(role: MessageRole, expected: str) -> None:
    mark = mark_of(ChatMessage(role=role, content="text"))
    assert (mark.role, mark.thread_id, mark.interaction_id, mark.text) == (expected, None, None, "text")


def test_mark_of_reads_the_thread_marks_and_tolerates_no_text() -> None:
    _, _, answer = turn_messages(TOOL_TURN, thread_id="thread_1")
    mark = mark_of(answer)
    assert (mark.role, mark.thread_id, mark.interaction_id, mark.text) == ("assistant", "thread_1", "inter_1", "Let me add.")
    image_only = ChatMessage(role=MessageRole.USER, blocks=[ImageBlock(url="https://example.com/a.png")])
    assert mark_of(image_only).text == ""


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (ChatMessage(role=MessageRole.USER, content="x" * 100), "user('" + "x" * 57 + "...')"),
        (ChatMessage(role=MessageRole.ASSISTANT, content="y" * 60), "assistant('" + "y" * 60 + "')"),
        (ChatMessage(role=MessageRole.TOOL, blocks=[ImageBlock(url="https://example.com/a.png")]), "tool('')"),
    ],
)
def test_describe(message: ChatMessage, expected: str) -> None:
    assert describe(message) == expected


def test_the_adding_rules_read_messages_through_mark_of_and_name_them_with_describe() -> None:
    pending = PendingTurn("thread_1", mark_of, describe)
    stored = thread_messages([TOOL_TURN], thread_id="thread_1")
    question = ChatMessage(role=MessageRole.USER, blocks=[TextBlock(text="next?")])
    pending.add([ChatMessage(role=MessageRole.SYSTEM, content="be brief"), *stored, question])
    assert pending.snapshot() == [question]  # stored messages recognised, system skipped
    stranger = ChatMessage(role=MessageRole.ASSISTANT, content="an answer the thread never gave")
    with pytest.raises(UnsavedMessagesError, match=r"assistant\('an answer the thread never gave'\)"):
        pending.add([stranger], latest_answer="Let me add.")
    assert pending.snapshot() == [question]  # all or nothing


# -- what the real server stores: server tools, signatures, string results, documents ----------------

MARKUP = "<citation id='IK79' index='0' artifact_id='doc_a' source_id='s1' correlation_id='c1'></citation>"
RAG_TURN = interaction(
    "inter_4",
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_9", "content": "18C and sunny"},
            {"type": "binary", "data": "aGVsbG8gYmluYXJ5", "mime_type": "text/plain", "filename": "b.txt"},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Friday."}, "title": "notes.txt"},
            {"type": "text", "text": "How did revenue do?"},
        ],
    },
    {
        "id": "msg_4",
        "content": [
            {"type": "thinking", "thinking": "Search first.", "signature": "sig_85ca5a39637a486ab2db1eecd43cdf15"},
            {"type": "text", "text": "I will call a tool. "},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {"query": "revenue", "artifacts": None}},
            {
                "type": "server_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": [{"type": "source", "sources": [{"object": "context.chunk", "id": "s1", "text": "Revenue grew 20%.", "document": {"artifact": "doc_a", "doc_metadata": {"file_name": "a.md"}}}]}],
                "is_error": False,
            },
            {"type": "text", "text": f"Revenue grew 20% {MARKUP}.", "citations": [{"id": "IK79", "index": 0, "artifact_id": "doc_a", "source_id": "s1"}]},
        ],
    },
)


def test_a_stored_turn_reads_server_tools_signatures_string_results_and_documents() -> None:
    tool, user, answer = turn_messages(RAG_TURN, thread_id="thread_1")
    assert (tool.role, tool.content, tool.additional_kwargs["tool_call_id"]) == (MessageRole.TOOL, "18C and sunny", "toolu_9")
    binary, document, text = user.blocks
    assert isinstance(binary, DocumentBlock) and base64.b64decode(binary.data) == b"hello binary" and binary.title == "b.txt"
    assert isinstance(document, DocumentBlock) and base64.b64decode(document.data) == b"Friday." and document.title == "notes.txt"
    assert text.text == "How did revenue do?"
    thinking = answer.blocks[0]
    assert isinstance(thinking, ThinkingBlock) and thinking.additional_information["signature"] == "sig_85ca5a39637a486ab2db1eecd43cdf15"
    assert answer.content == "I will call a tool. \nRevenue grew 20%."
    (call,) = answer.additional_kwargs["server_tool_calls"]
    assert (call["name"], call["input"]["query"], call["is_error"]) == ("search", "revenue", False)
    (citation,) = [b for b in answer.blocks if isinstance(b, CitationBlock)]
    assert (citation.source, citation.title, citation.cited_content.text) == ("doc_a", "a.md", "Revenue grew 20%.")
    assert not [b for b in answer.blocks if isinstance(b, ToolCallBlock)]


def test_a_stored_turn_goes_back_as_the_server_stored_it() -> None:
    """Sent again (e.g. to a one-shot chat): the same blocks, the answer's text clean."""
    messages = turn_messages(RAG_TURN, thread_id="thread_1")
    _, again = to_zylon_messages(messages)
    tool_result, user, answer = [m.to_json_dict() for m in again]
    stored = RAG_TURN.interaction.to_json_dict()
    assert tool_result["content"] == [{"type": "tool_result", "tool_use_id": "toolu_9", "content": [{"type": "text", "text": "18C and sunny"}]}]
    assert user["content"][0] == stored["user_input"]["content"][1]  # the binary block, as it was
    assert user["content"][1]["type"] == "binary"  # a document goes to the Workspace as binary
    answer_blocks = stored["assistant_output"]["content"]
    assert answer["content"] == [*answer_blocks[:4], {"type": "text", "text": "Revenue grew 20%."}]


def test_an_answer_that_lost_its_ids_is_still_the_latest_answer() -> None:
    """A chat engine may keep only an answer's text: shown clean (no markup) and its text
    blocks joined with a newline, it is still the thread's latest answer (stored raw)."""
    pending = PendingTurn("thread_1", mark_of, describe)
    (_, _, answer) = turn_messages(RAG_TURN, thread_id="thread_1")
    text_only = ChatMessage(role=MessageRole.ASSISTANT, content=answer.content)
    pending.add([ChatMessage(role=MessageRole.USER, content="How did revenue do?")])
    pending.add([text_only], latest_answer=RAG_TURN.answer_text)
    assert pending.snapshot() == []
    with pytest.raises(UnsavedMessagesError):
        pending.add([ChatMessage(role=MessageRole.ASSISTANT, content="Revenue fell.")], latest_answer=RAG_TURN.answer_text)
