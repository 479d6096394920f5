"""Zylon answers → AIMessage, offline: every documented response plus each block kind."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_zylon._codec import to_ai_message, to_zylon_messages
from langchain_zylon._codec.outputs import sources_of
from tests.conftest import example_names, load_example
from zylon_core._streaming import normalize_stop_reason
from zylon_core.models import Interaction, MessageOutput

PAGES = ("interactions", "threads", "chat", "messages")
RESPONSES = [name for page in PAGES for name in example_names(f"{page}.*.response.json")]
# Documented responses that are not an answer, with what they are instead.
NOT_ANSWERS = {
    "messages.05.response.json": "chat validation result",
    "messages.15.response.json": "async message status",
    "threads.07.response.json": "page of threads",
}


def answer_of(name: str) -> tuple[MessageOutput, Interaction | None] | None:
    data = load_example(name)
    if isinstance(data, list):  # a documented list of content blocks
        return MessageOutput(id="msg_blocks", content=data), None
    if "state" in data:
        interaction = Interaction.model_validate(data)
        return (interaction.assistant_output, interaction) if interaction.assistant_output else None
    if isinstance(data.get("content"), list):
        return MessageOutput.model_validate(data), None
    return None


def text_of(message: MessageOutput) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


def test_the_documented_responses_are_all_classified(shared_api):
    assert RESPONSES, "no documented responses found"
    for name in RESPONSES:
        data = load_example(name)
        if name in NOT_ANSWERS:
            assert answer_of(name) is None and "content" not in data, name
        else:
            assert answer_of(name) is not None or ("state" in data and "assistant_output" not in data), name


@pytest.mark.parametrize("name", [n for n in RESPONSES if n not in NOT_ANSWERS])
def test_documented_response(name):
    found = answer_of(name)
    if found is None:  # an interaction document without its output (get/delete bodies)
        interaction = Interaction.model_validate(load_example(name))
        assert interaction.assistant_output is None and interaction.state == "Completed"
        return
    message, interaction = found
    ai = to_ai_message(
        message,
        model_name="configured-model",
        client_tools=frozenset(),
        interaction_id=interaction.id if interaction else None,
        thread_id=interaction.thread_id if interaction else None,
    )
    assert ai.text == text_of(message)
    assert ai.response_metadata["id"] == message.id
    assert ai.response_metadata["model_name"] == (message.model or "configured-model")
    assert ai.response_metadata["stop_reason"] == (normalize_stop_reason(message.stop_reason) or "end_turn")
    assert ai.response_metadata["model_provider"] == "zylon"
    if interaction is not None:
        assert ai.response_metadata["interaction_id"] == interaction.id
        assert ai.response_metadata["thread_id"] == interaction.thread_id
    if message.usage is not None:
        assert ai.usage_metadata == {
            "input_tokens": message.usage.input_tokens,
            "output_tokens": message.usage.output_tokens,
            "total_tokens": message.usage.input_tokens + message.usage.output_tokens,
        }
    else:
        assert ai.usage_metadata is None
    assert ai.tool_calls == []  # no documented answer has a pending client tool call
    if all(b.type == "text" and not b.citations for b in message.content):
        assert ai.content == text_of(message)
    # Feeding the answer back as history sends the same blocks (minus server bookkeeping),
    # except what Zylon refuses as input: a file goes as binary, unsigned thinking is left out.
    _, history = to_zylon_messages([HumanMessage("q"), ai], warn_unsigned=False)
    sent = history[-1].to_json_dict()["content"] if len(history) > 1 else []
    assert sent == _as_input(_without_noise([b.to_json_dict() for b in message.content if not (b.type == "text" and not b.text)]))


def _without_noise(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    noise = {"start_timestamp", "stop_timestamp", "_meta"}
    out = []
    for block in blocks:
        block = {k: v for k, v in block.items() if k not in noise}
        if isinstance(block.get("content"), list):
            block["content"] = _without_noise(block["content"])
        out.append(block)
    return out


def _as_input(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for block in blocks:
        if block["type"] == "thinking" and not block.get("signature"):
            continue
        if block["type"] == "file":
            block = {"type": "binary", "data": block["content"], "mime_type": block["content_type"], "filename": block["doc_metadata"]["file_name"]}
        out.append(block)
    return out


def test_every_block_kind_from_the_documented_block_list(shared_api):
    message, _ = answer_of("threads.03.response.json")
    ai = to_ai_message(message, model_name="m", client_tools=frozenset())
    kinds = [b["type"] for b in ai.content]
    assert kinds == ["text", "image", "audio", "binary", "file", "source", "tool_use", "tool_result", "thinking", "tldr"]
    # tool_use answered by a tool_result in the same output ran on the server.
    assert ai.tool_calls == []
    assert ai.additional_kwargs["reasoning_content"] == "I should compare the latest week to the previous one."
    assert [s["type"] for s in ai.response_metadata["sources"]] == ["context.website", "context.chunk"]
    assert ai.additional_kwargs["sources"] == ai.response_metadata["sources"]
    assert ai.additional_kwargs["tldr"] == "User: Analyze support trend\nAssistant: Backlog decreased 8%"
    standard = [b["type"] for b in ai.content_blocks]
    assert standard == [
        "text", "image", "audio", "file", "file", "non_standard",
        "server_tool_call", "server_tool_result", "reasoning", "non_standard",
    ]


def out(*blocks: dict[str, Any], **fields: Any) -> MessageOutput:
    return MessageOutput.model_validate({"id": "msg_1", "model": "private-gpt", "stop_reason": "end_turn", "content": list(blocks), **fields})


def test_text_only_answer_is_a_string():
    ai = to_ai_message(out({"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}), model_name="m")
    assert ai.content == "Hello" and ai.additional_kwargs == {}


def test_empty_answer():
    ai = to_ai_message(MessageOutput(id="x"), model_name="cfg")
    assert ai.content == "" and ai.response_metadata["model_name"] == "cfg" and ai.usage_metadata is None


def test_client_tool_call():
    ai = to_ai_message(
        out({"type": "text", "text": "Let me add."}, {"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 1}}, stop_reason="tool_use"),
        model_name="m",
        client_tools=frozenset({"add"}),
    )
    assert ai.tool_calls == [{"name": "add", "args": {"a": 1}, "id": "t1", "type": "tool_call"}]
    assert ai.response_metadata["stop_reason"] == "tool_use"
    assert [b["type"] for b in ai.content_blocks] == ["text", "tool_call"]
    assert ai.content_blocks[1] == {"type": "tool_call", "id": "t1", "name": "add", "args": {"a": 1}}


def test_unanswered_tool_use_of_an_unbound_tool_is_not_a_call():
    ai = to_ai_message(out({"type": "tool_use", "id": "t1", "name": "web_search", "input": {}}), model_name="m", client_tools=frozenset({"add"}))
    assert ai.tool_calls == []
    assert ai.content_blocks[0]["type"] == "server_tool_call"


def test_unknown_client_tools_means_every_unanswered_tool_use_is_a_call():
    ai = to_ai_message(
        out(
            {"type": "tool_use", "id": "s1", "name": "semantic_search", "input": {"q": "x"}},
            {"type": "tool_result", "tool_use_id": "s1", "content": [{"type": "text", "text": "found"}]},
            {"type": "tool_use", "id": "c1", "name": "add", "input": {}},
        ),
        model_name="m",
    )
    assert [c["id"] for c in ai.tool_calls] == ["c1"]


def test_citations_become_annotations_on_the_clean_text():
    raw = "Backlog fell 8% <citation id='K3' index='0' artifact_id='a1' source_id='src1' correlation_id='c-1'></citation>."
    ai = to_ai_message(
        out(
            {"type": "source", "sources": [{"type": "context.chunk", "id": "src1", "text": "Backlog fell 8%", "document": {"artifact": "a1", "doc_metadata": {"file_name": "report.pdf"}}}]},
            {"type": "text", "text": raw, "citations": [{"id": "K3", "index": "0", "source_id": "src1", "artifact_id": "a1"}]},
        ),
        model_name="m",
    )
    assert isinstance(ai.content, list)
    cited = {
        "type": "citation",
        "id": "K3",
        "title": "report.pdf",
        "cited_text": "Backlog fell 8%",
        "start_index": 0,
        "end_index": 15,
        # A digit-string index (the Workspace schema's type) reads as the int ZylonGPT sends.
        "extras": {"index": 0, "artifact_id": "a1", "source_id": "src1", "correlation_id": "c-1"},
    }
    assert ai.content[1] == {"type": "text", "text": "Backlog fell 8%.", "annotations": [cited], "raw_text": raw}
    assert ai.text == "Backlog fell 8%." and ai.text[0:15] == "Backlog fell 8%"
    assert ai.content_blocks[1] == {"type": "text", "text": "Backlog fell 8%.", "annotations": [cited], "extras": {"raw_text": raw}}
    assert ai.response_metadata["sources"][0]["id"] == "src1"


def test_a_listed_citation_without_markup_has_no_offsets():
    ai = to_ai_message(
        out(
            {"type": "text", "text": "Backlog fell [1].", "citations": [{"id": "src1", "index": "1", "source_id": "src1", "artifact_id": "a1"}]},
            {"type": "source", "sources": [{"type": "context.chunk", "id": "src1", "text": "Backlog fell 8%"}]},
        ),
        model_name="m",
    )
    assert ai.content[0] == {
        "type": "text",
        "text": "Backlog fell [1].",
        "annotations": [{"type": "citation", "id": "src1", "cited_text": "Backlog fell 8%", "extras": {"index": 1, "source_id": "src1", "artifact_id": "a1"}}],
    }


def test_website_source_fills_citation_url():
    ai = to_ai_message(
        out(
            {"type": "text", "text": "See [1].", "citations": [{"source_id": "w1"}]},
            {"type": "source", "sources": [{"type": "context.website", "id": "w1", "url": "https://example.com/r", "title": "Report"}]},
        ),
        model_name="m",
    )
    assert ai.content_blocks[0]["annotations"][0] == {"type": "citation", "url": "https://example.com/r", "title": "Report", "extras": {"source_id": "w1"}}


def test_zylon_citations_on_older_content_still_translate():
    ai = AIMessage(
        [{"type": "text", "text": "See.", "citations": [{"id": "s1", "index": 0, "source_id": "s1"}]}],
        response_metadata={"model_provider": "zylon", "sources": [{"type": "context.chunk", "id": "s1", "text": "T"}]},
    )
    assert ai.content_blocks[0]["annotations"] == [{"type": "citation", "id": "s1", "cited_text": "T", "extras": {"index": 0, "source_id": "s1"}}]


def test_server_tools_thinking_and_unknown_blocks():
    ai = to_ai_message(
        out(
            {"type": "thinking", "thinking": "Hmm.", "signature": "sig_1", "citations": []},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {"query": "q", "artifacts": None}, "caller": None},
            {"type": "server_tool_result", "tool_use_id": "srvtoolu_1", "content": "no hits", "is_error": True},
            {"type": "container_upload", "file_id": "f1"},
            {"type": "text", "text": ""},
            {"type": "text", "text": "Done."},
        ),
        model_name="m",
        client_tools=frozenset({"search"}),  # a client tool with the same name changes nothing
    )
    assert ai.tool_calls == [] and ai.response_metadata["stop_reason"] == "end_turn"
    assert ai.content == [
        {"type": "thinking", "thinking": "Hmm.", "signature": "sig_1"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {"query": "q", "artifacts": None}},
        {"type": "server_tool_result", "tool_use_id": "srvtoolu_1", "content": "no hits", "is_error": True},
        {"type": "container_upload", "file_id": "f1"},
        {"type": "text", "text": "Done."},
    ]
    assert ai.additional_kwargs == {"reasoning_content": "Hmm."}
    assert ai.content_blocks == [
        {"type": "reasoning", "reasoning": "Hmm.", "extras": {"signature": "sig_1"}},
        {"type": "non_standard", "value": {"type": "redacted_thinking", "data": "opaque"}},
        {"type": "server_tool_call", "id": "srvtoolu_1", "name": "search", "args": {"query": "q", "artifacts": None}},
        {"type": "server_tool_result", "tool_call_id": "srvtoolu_1", "status": "error", "output": "no hits"},
        {"type": "non_standard", "value": {"type": "container_upload", "file_id": "f1"}},
        {"type": "text", "text": "Done."},
    ]


def test_stop_reason_vocabularies_are_normalised():
    assert to_ai_message(out({"type": "text", "text": "x"}, stop_reason="stop"), model_name="m").response_metadata["stop_reason"] == "end_turn"
    assert to_ai_message(out({"type": "text", "text": "x"}, stop_reason="max_tokens"), model_name="m").response_metadata["stop_reason"] == "max_tokens"


@pytest.mark.parametrize(
    ("raw", "calls", "expected"),
    [("stop", False, "end_turn"), (None, False, "end_turn"), ("stop", True, "tool_use"), (None, True, "tool_use"), ("end_turn", True, "tool_use"), ("max_tokens", True, "max_tokens"), ("cancelled", False, "cancelled")],
)
def test_stop_reason_says_tool_use_when_the_workspace_cannot(raw, calls, expected):
    blocks = [{"type": "tool_use", "id": "t", "name": "f", "input": {}}] if calls else [{"type": "text", "text": "x"}]
    message = MessageOutput.model_validate({"id": "m", "stop_reason": raw, "content": blocks})
    assert to_ai_message(message, model_name="m", client_tools=frozenset({"f"})).response_metadata["stop_reason"] == expected


def test_usage_with_only_output_tokens():
    ai = to_ai_message(out({"type": "text", "text": "x"}, usage={"output_tokens": 4}), model_name="m")
    assert ai.usage_metadata == {"input_tokens": 0, "output_tokens": 4, "total_tokens": 4}


def test_sources_of_is_flat():
    message = out(
        {"type": "source", "sources": [{"type": "context.website", "url": "https://a"}]},
        {"type": "text", "text": "x"},
        {"type": "server_tool_result", "tool_use_id": "s", "content": [{"type": "source", "sources": [{"object": "context.chunk", "id": "c"}]}]},
        {"type": "source", "sources": [{"type": "context.chunk", "id": "c"}]},
    )
    # Nested in server tool results too, each id once (the first wins).
    assert sources_of(message) == [{"type": "context.website", "url": "https://a"}, {"object": "context.chunk", "id": "c"}]


def test_v1_content_of_an_answer_round_trips_as_history():
    ai = to_ai_message(
        out({"type": "thinking", "thinking": "t", "signature": "sig_t"}, {"type": "text", "text": "a"}, {"type": "tool_use", "id": "c", "name": "f", "input": {"x": 1}}),
        model_name="m",
        client_tools=frozenset({"f"}),
    )
    v1 = AIMessage(content=ai.content_blocks, tool_calls=ai.tool_calls, response_metadata={"output_version": "v1"})
    _, history = to_zylon_messages([HumanMessage("q"), v1])
    assert history[1].to_json_dict()["content"] == [
        {"type": "thinking", "thinking": "t", "signature": "sig_t"},
        {"type": "text", "text": "a"},
        {"type": "tool_use", "id": "c", "name": "f", "input": {"x": 1}},
    ]
