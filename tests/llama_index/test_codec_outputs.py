"""The pure codec, offline: Zylon answers → LlamaIndex messages (documented answers,
client vs. server tools, citations and sources, thinking, blocks LlamaIndex has no type
for) and the response metadata."""

from __future__ import annotations

import base64

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)

from llama_index_zylon._codec.history import from_zylon_input
from llama_index_zylon._codec.inputs import to_zylon_messages
from llama_index_zylon._codec.outputs import decode_blocks, decode_output, response_metadata, usage_metadata
from tests.conftest import example_names, load_example
from tests.llama_index.conftest import PNG
from zylon_core.models import ChatRequest, Interaction, MessageInput, MessageOutput

# -- documented answers ------------------------------------------------------------------------------

MESSAGE_RESPONSES = {
    "chat.02.response.json": "Backlog volume dipped 8%",
    "threads.18.response.json": "Backlog volume dipped 8%",
    "messages.03.response.json": "Deployed the new billing dashboard",
    "messages.07.response.json": "Ada",
    "messages.09.response.json": "Mobile login button not working",
    "messages.11.response.json": '{"status":"success"',
    "messages.14.response.json": "Deployed the new billing dashboard",
}
INTERACTION_RESPONSES = ["interactions.02.response.json", "threads.02.response.json"]


def test_every_documented_answer_is_covered(shared_api):
    with_answers = set()
    for name in example_names("*.response.json"):
        body = load_example(name)
        if isinstance(body, dict) and (body.get("role") == "assistant" or body.get("assistant_output")):
            with_answers.add(name)
    assert with_answers == set(MESSAGE_RESPONSES) | set(INTERACTION_RESPONSES)


@pytest.mark.parametrize("name", sorted(MESSAGE_RESPONSES))
def test_documented_message_decodes(name, shared_api):
    body = load_example(name)
    decoded = decode_output(MessageOutput.model_validate(body))
    assert decoded.message.role == MessageRole.ASSISTANT
    assert decoded.message.content.startswith(MESSAGE_RESPONSES[name])
    assert [type(b) for b in decoded.message.blocks] == [TextBlock]
    assert decoded.additional_kwargs["id"] == body["id"] == decoded.raw["id"]
    if body.get("usage"):
        usage = decoded.additional_kwargs["usage"]
        assert usage["input_tokens"] == usage["prompt_tokens"] == body["usage"]["input_tokens"]
        assert usage["total_tokens"] == body["usage"]["input_tokens"] + body["usage"]["output_tokens"]
        assert decoded.raw["usage"] == body["usage"]  # where LlamaIndex's token counter looks
        assert decoded.additional_kwargs["stop_reason"] == "end_turn"
    else:  # the one-shot chat answer has no stop reason: a complete answer ended its turn
        assert "usage" not in decoded.additional_kwargs and decoded.additional_kwargs["stop_reason"] == "end_turn"


@pytest.mark.parametrize("name", INTERACTION_RESPONSES)
def test_documented_interaction_decodes_with_its_ids(name, shared_api):
    interaction = Interaction.model_validate(load_example(name))
    decoded = decode_output(
        interaction.assistant_output,
        interaction_id=interaction.id,
        thread_id=interaction.thread_id,
        interaction=interaction,
    )
    assert decoded.message.content.startswith("• Ticket volume rose 12%")
    assert decoded.additional_kwargs["interaction_id"] == "inter_5a7b9c1d3e5f7a9b" == decoded.raw["interaction_id"]
    assert decoded.additional_kwargs["thread_id"] == "thread_3f2a1c4d5b6e7f8a" == decoded.raw["thread_id"]
    assert decoded.raw["interaction"]["state"] == "Completed"
    assert decoded.additional_kwargs["usage"]["output_tokens"] == 52
    # and the user side of the interaction reads back as a user message
    (user,) = from_zylon_input(interaction.user_input)
    assert user.role == MessageRole.USER and user.content == "Summarize the artifact in three bullets."


def test_documented_block_catalogue_decodes_every_block_type(shared_api):
    content = load_example("threads.03.response.json")
    decoded = decode_output(MessageOutput(role="assistant", content=content))
    message = decoded.message
    kinds = [type(b).__name__ for b in message.blocks]
    # the sources where the source block stood; tool blocks and tldr kept as they came
    assert kinds == ["TextBlock", "ImageBlock", "AudioBlock", "DocumentBlock", "DocumentBlock", "CitationBlock", "CitationBlock", "ThinkingBlock"]
    kept = message.additional_kwargs["zylon_blocks"]
    assert [(r["position"], r["block"]["type"]) for r in kept] == [(5, "source"), (7, "tool_use"), (7, "tool_result"), (8, "tldr")]
    # the tool_use answered by a tool_result in the same output ran on the server
    assert not [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    (server_call,) = message.additional_kwargs["server_tool_calls"]
    assert server_call["id"] == "toolu_123" and server_call["name"] == "semantic_search"
    assert server_call["input"] == {"query": "billing issues"}
    assert server_call["result"] == [{"type": "text", "text": "Found 5 matching passages."}] and server_call["is_error"] is False
    website, chunk = [b for b in message.blocks if isinstance(b, CitationBlock)]
    assert (website.source, website.title) == ("https://example.com/report", "Quarterly Report")
    assert chunk.source == "artifact_123" and chunk.title == "support.csv"
    assert chunk.cited_content.text == "Support backlog dropped 8% week-over-week"
    assert message.additional_kwargs["sources"][1]["score"] == 0.92
    assert message.blocks[-1].content == "I should compare the latest week to the previous one."
    assert [b["text"] for b in message.additional_kwargs["tldr"]] == ["User: Analyze support trend", "Assistant: Backlog decreased 8%"]
    assert message.blocks[3].title == "blob.bin" and message.blocks[4].title == "contract.pdf"


def _real_data(node):
    """The docs write media data as placeholders like ``<BASE64_IMAGE_DATA>``: use real base64."""
    if isinstance(node, list):
        return [_real_data(item) for item in node]
    if isinstance(node, dict):
        return {
            k: (base64.b64encode(PNG).decode() if k == "data" and str(v).startswith("<") else _real_data(v))
            for k, v in node.items()
        }
    return node


def test_documented_requests_round_trip_through_llama_index_messages(shared_api):
    """Every documented request's messages → LlamaIndex → Zylon gives the same blocks."""
    checked = 0
    for name in example_names("*.request.json"):
        body = load_example(name)
        request = body.get("pgpt") if isinstance(body, dict) and "pgpt" in body else body
        if not isinstance(request, dict) or "messages" not in request:
            continue
        original = ChatRequest.model_validate(_real_data(request))
        chat_messages = [m for zm in original.messages for m in from_zylon_input(zm)]
        system, again = to_zylon_messages(chat_messages)
        expected = []
        for zm in original.messages:
            content = zm.content if isinstance(zm.content, list) else [{"type": "text", "text": zm.content}]
            expected.append(MessageInput(role=zm.role, content=content).to_json_dict())
        assert [m.to_json_dict() for m in again] == expected, name
        assert system is None
        checked += 1
    assert checked >= 10


def test_media_and_documents_in_both_shapes():
    b64 = base64.b64encode(PNG).decode()
    message = decode_blocks(
        [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64}},
            {"type": "image", "data": "https://example.com/cat.png", "mime_type": "image/png"},
            {"type": "audio", "data": base64.b64encode(b"RIFF").decode(), "mime_type": "audio/wav"},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The meeting is on Friday."}, "title": "notes.txt"},
            {"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": "QnVkZ2V0OiA0MmsgRVVS"}, "title": "budget.txt"},
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
            {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "x"}]}},
            {"type": "image", "source": {"type": "file", "file_id": "file_1"}},
        ],
        role=MessageRole.USER,
    )
    image, linked, audio, notes, budget, url = message.blocks
    assert isinstance(image, ImageBlock) and base64.b64decode(image.image) == PNG and image.image_mimetype == "image/png"
    assert isinstance(linked, ImageBlock) and str(linked.url) == "https://example.com/cat.png"
    assert isinstance(audio, AudioBlock) and base64.b64decode(audio.audio) == b"RIFF" and audio.format == "wav"
    assert isinstance(notes, DocumentBlock) and base64.b64decode(notes.data) == b"The meeting is on Friday." and notes.title == "notes.txt"
    assert base64.b64decode(budget.data) == b"Budget: 42k EUR" and budget.document_mimetype == "text/plain"
    assert str(url.url) == "https://example.com/a.pdf"
    # the two shapes LlamaIndex cannot hold are kept, where they stood
    assert [(r["position"], r["block"]["source"]["type"]) for r in message.additional_kwargs["zylon_blocks"]] == [(6, "content"), (6, "file")]


# -- citations and sources -----------------------------------------------------------------------------------

CHUNK = {
    "object": "context.chunk",
    "id": "22bff1e3",
    "score": 1.0000001093922488,
    "document": {"object": "ingest.document", "artifact": "doc_alpha", "doc_metadata": {"file_name": "alpha.md"}},
    "text": "Revenue grew 20% in Q3.",
    "metadata": {"shorter_id": "IK79", "page": 3.0},
}
OTHER = {**CHUNK, "id": "bf43fd2e", "text": "Risks.", "metadata": {"shorter_id": "GA3Q"}}
MARKUP = "<citation id='IK79' index='0' artifact_id='doc_alpha' source_id='22bff1e3' correlation_id='c1'></citation>"
SEARCH = [
    {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {"query": "revenue?", "artifacts": None}},
    {
        "type": "server_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": [
            {"type": "source", "sources": [CHUNK, OTHER]},
            {"type": "text", "text": "Citation identifier [IK79]\n---\nContent:\nRevenue grew 20% in Q3.\n\n==="},
        ],
        "is_error": False,
    },
]
CITED = {
    "type": "text",
    "text": f"Revenue grew 20% in Q3 {MARKUP}.",
    "citations": [{"id": "IK79", "index": 0, "artifact_id": "doc_alpha", "source_id": "22bff1e3"}],
}


def test_a_citation_is_taken_out_of_the_text_and_points_into_the_sources():
    message = decode_output(MessageOutput(content=[{"type": "text", "text": "Let me look. "}, *SEARCH, CITED])).message
    assert message.content == "Let me look. \nRevenue grew 20% in Q3."
    assert message.additional_kwargs["raw_text"] == f"Let me look. \nRevenue grew 20% in Q3 {MARKUP}."
    kinds = [type(b).__name__ for b in message.blocks]
    # the uncited source after the search that found it, the cited one after its text
    assert kinds == ["TextBlock", "CitationBlock", "TextBlock", "CitationBlock"]
    uncited, cited = message.blocks[1], message.blocks[3]
    assert uncited.cited_content.text == "Risks." and uncited.additional_location_info == {}
    assert (cited.source, cited.title, cited.cited_content.text) == ("doc_alpha", "alpha.md", "Revenue grew 20% in Q3.")
    location = cited.additional_location_info
    assert message.content[location["start_index"] : location["end_index"]] == "Revenue grew 20% in Q3"
    assert location == {"start_index": 14, "end_index": 36, "index": 0, "page": 3}
    (entry,) = message.additional_kwargs["citations"]
    assert entry == {**CITED["citations"][0], "correlation_id": "c1", "start_index": 14, "end_index": 36}
    assert [s["id"] for s in message.additional_kwargs["sources"]] == ["22bff1e3", "bf43fd2e"]
    (call,) = message.additional_kwargs["server_tool_calls"]
    assert call["name"] == "search" and call["result"] == SEARCH[1]["content"]


def test_a_citation_resolves_by_shorter_id_or_by_the_search_text():
    by_short = {"type": "text", "text": "Up <citation id='IK79' index='0'></citation>."}
    message = decode_output(MessageOutput(content=[*SEARCH, by_short])).message
    cited = [b for b in message.blocks if isinstance(b, CitationBlock)]
    assert [b.cited_content.text for b in cited] == ["Risks.", "Revenue grew 20% in Q3."]
    # without the zylon extension the search result is text only: the section is the cited text
    text_only = [SEARCH[0], {**SEARCH[1], "content": [SEARCH[1]["content"][1]]}, CITED]
    message = decode_output(MessageOutput(content=text_only)).message
    (cited,) = [b for b in message.blocks if isinstance(b, CitationBlock)]
    assert (cited.source, cited.title, cited.cited_content.text) == ("doc_alpha", "doc_alpha", "Revenue grew 20% in Q3.\n")
    assert "sources" not in message.additional_kwargs


def test_a_listed_citation_without_markup_still_counts_and_nothing_resolves_it_softly():
    listed = {"type": "text", "text": "Backlog fell.", "citations": [{"id": "c1", "artifact_id": "a1", "index": "2"}]}
    message = decode_output(MessageOutput(content=[listed])).message
    assert message.content == "Backlog fell." and "raw_text" not in message.additional_kwargs
    (block,) = [b for b in message.blocks if isinstance(b, CitationBlock)]
    assert (block.source, block.cited_content.text, block.additional_location_info) == ("a1", "", {"index": 2})
    assert message.additional_kwargs["citations"] == [{"id": "c1", "index": 2, "artifact_id": "a1"}]


def test_markup_in_a_user_message_is_the_user_text():
    (message,) = from_zylon_input({"role": "user", "content": [{"type": "text", "text": f"Quote: {MARKUP}"}]})
    assert message.content == f"Quote: {MARKUP}" and not [b for b in message.blocks if isinstance(b, CitationBlock)]


def test_a_workspace_source_block_becomes_citation_blocks_where_it_stood():
    output = MessageOutput(
        content=[
            {"type": "thinking", "thinking": "hmm", "signature": "sig_1", "citations": [{"id": "c0"}]},
            {"type": "text", "text": "Backlog fell [1]."},
            {"type": "source", "sources": [{"type": "context.chunk", "id": "c1", "text": "fell 8%", "document": {"artifact": "a1"}, "metadata": {"page": 3.0, "title": "Report"}}]},
        ]
    )
    message = decode_output(output).message
    assert message.blocks[0].additional_information == {"signature": "sig_1", "citations": [{"id": "c0"}]}
    citation = message.blocks[2]
    assert isinstance(citation, CitationBlock)
    assert (citation.source, citation.title, citation.additional_location_info) == ("a1", "Report", {"page": 3})
    assert message.additional_kwargs["zylon_blocks"][0]["position"] == 2


# -- blocks LlamaIndex has no type for -------------------------------------------------------------------------


def test_unknown_and_redacted_blocks_never_fail_and_are_kept():
    output = MessageOutput(content=[{"type": "redacted_thinking", "data": "opaque"}, {"type": "web_fetch_result", "url": "u"}, {"type": "text", "text": "ok"}])
    message = decode_output(output).message
    assert [type(b) for b in message.blocks] == [TextBlock]
    assert [r["block"] for r in message.additional_kwargs["zylon_blocks"]] == [{"type": "redacted_thinking", "data": "opaque"}, {"type": "web_fetch_result", "url": "u"}]


def test_an_empty_text_block_adds_no_line():
    message = decode_output(MessageOutput(content=[{"type": "text", "text": ""}, {"type": "tool_use", "id": "t", "name": "f", "input": {}}])).message
    assert [type(b) for b in message.blocks] == [ToolCallBlock] and message.content is None


# -- client tools vs. server tools ---------------------------------------------------------------------------------


def test_unanswered_tool_use_is_a_client_call_and_parallel_calls_are_kept():
    output = MessageOutput(
        role="assistant",
        stop_reason="tool_use",
        content=[
            {"type": "text", "text": "Let me add."},
            {"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 1, "b": 2}},
            {"type": "tool_use", "id": "t2", "name": "add", "input": {"a": 3, "b": 4}},
        ],
    )
    decoded = decode_output(output)
    calls = [b for b in decoded.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(c.tool_call_id, c.tool_kwargs) for c in calls] == [("t1", {"a": 1, "b": 2}), ("t2", {"a": 3, "b": 4})]
    assert decoded.additional_kwargs["stop_reason"] == "tool_use"
    assert "server_tool_calls" not in decoded.message.additional_kwargs


def test_builtin_tool_names_mark_server_tools_even_without_a_result():
    output = MessageOutput(content=[{"type": "tool_use", "id": "s", "name": "search", "input": {"query": "q"}}])
    decoded = decode_output(output, server_tool_names={"search"})
    assert not [b for b in decoded.message.blocks if isinstance(b, ToolCallBlock)]
    assert decoded.message.additional_kwargs["server_tool_calls"][0]["name"] == "search"


# -- response metadata -----------------------------------------------------------------------------------------------


def test_usage_metadata_fills_both_names_and_the_total():
    assert usage_metadata(None) is None and usage_metadata({}) is None
    assert usage_metadata({"input_tokens": 3}) == {
        "input_tokens": 3, "prompt_tokens": 3, "output_tokens": 0, "completion_tokens": 0, "total_tokens": 3,
    }


def test_response_metadata_keys_in_order_and_only_what_the_server_sent():
    full = MessageOutput(
        id="msg_1", model="m1", stop_reason="stop_sequence", stop_sequence="END", usage={"input_tokens": 2, "output_tokens": 5}
    )
    metadata = response_metadata(full, interaction_id="inter_1", thread_id="thread_1")
    assert list(metadata) == ["id", "model", "stop_reason", "stop_sequence", "usage", "interaction_id", "thread_id"]
    assert (metadata["id"], metadata["model"], metadata["stop_reason"], metadata["stop_sequence"]) == ("msg_1", "m1", "stop_sequence", "END")
    assert metadata["usage"] == usage_metadata(full.usage) and metadata["usage"]["total_tokens"] == 7
    # the one-shot chat answer: no model, stop reason or usage, and no thread
    assert response_metadata(MessageOutput(id="msg_2")) == {"id": "msg_2", "stop_reason": "end_turn"}
    # pending client tool calls turn an unmarked ending into tool_use, not an explicit one
    assert response_metadata(MessageOutput(), tool_calls=True) == {"stop_reason": "tool_use"}
    assert response_metadata(MessageOutput(stop_reason="max_tokens"), tool_calls=True)["stop_reason"] == "max_tokens"


def test_decode_output_reports_response_metadata_and_keeps_the_ids_in_raw():
    output = MessageOutput(id="msg_1", content=[{"type": "tool_use", "id": "t1", "name": "add", "input": {}}])
    decoded = decode_output(output, interaction_id="inter_1", thread_id="thread_1")
    assert decoded.additional_kwargs == response_metadata(output, interaction_id="inter_1", thread_id="thread_1", tool_calls=True)
    assert (decoded.raw["interaction_id"], decoded.raw["thread_id"], decoded.raw["id"]) == ("inter_1", "thread_1", "msg_1")
    assert "interaction" not in decoded.raw
