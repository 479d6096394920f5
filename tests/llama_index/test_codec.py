"""The pure codec, both directions, offline: LlamaIndex messages ⇄ Zylon payloads."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_zylon._codec.history import from_zylon_input
from llama_index_zylon._codec.inputs import to_zylon_messages
from llama_index_zylon._codec.outputs import decode_output, response_metadata, usage_metadata
from llama_index_zylon._codec.streaming import StreamState
from llama_index_zylon._codec.tools import (
    inline_refs,
    response_format_for,
    to_zylon_tool,
    to_zylon_tool_choice,
    to_zylon_tools,
)
from tests.conftest import SHARED_API, example_names, load_example, parse_sse_text
from zylon_core import ServerStreamError, StreamAccumulator, decode_event
from zylon_core.models import ChatRequest, Interaction, MessageInput, MessageOutput

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def wire(messages):
    """The request body messages, as they go on the wire."""
    system, out = to_zylon_messages(messages)
    request = ChatRequest(messages=out)
    return request.to_json_dict()["messages"], system


# --------------------------------------------------------------------------------------
# LlamaIndex → Zylon
# --------------------------------------------------------------------------------------


def test_system_messages_become_system_text_not_a_system_role():
    messages, system = wire(
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="user", content="Hi"),
            ChatMessage(role="developer", content="Answer in English."),
        ]
    )
    assert system == "Be brief.\n\nAnswer in English."
    assert messages == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]


def test_non_text_system_content_is_rejected_by_name():
    with pytest.raises(ValueError, match="system message.*ImageBlock"):
        to_zylon_messages([ChatMessage(role="system", blocks=[ImageBlock(image=PNG)])])


def test_image_block_from_bytes_path_url_and_data_url(tmp_path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    b64 = base64.b64encode(PNG).decode()
    messages, _ = wire(
        [
            ChatMessage(
                role="user",
                blocks=[
                    TextBlock(text="What is this?"),
                    ImageBlock(image=PNG),
                    ImageBlock(image=b64.encode(), image_mimetype="image/png"),
                    ImageBlock(path=path),
                    ImageBlock(url="https://example.com/cat.jpg"),
                    ImageBlock(url=f"data:image/png;base64,{b64}"),
                ],
            )
        ]
    )
    content = messages[0]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}
    for block in content[1:4]:
        assert block == {"type": "image", "data": b64, "mime_type": "image/png"}
    assert content[4]["data"] == "https://example.com/cat.jpg" and content[4]["type"] == "image"
    assert content[5] == {"type": "image", "data": b64, "mime_type": "image/png"}


def test_audio_block_gets_base64_and_a_mime_type():
    messages, _ = wire([ChatMessage(role="user", blocks=[AudioBlock(audio=b"ID3fake-mp3", format="mp3")])])
    block = messages[0]["content"][0]
    assert block == {"type": "audio", "data": base64.b64encode(b"ID3fake-mp3").decode(), "mime_type": "audio/mpeg"}


def test_document_blocks_become_file_or_binary_blocks(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Q1 plan: hire two engineers.")
    pdf = b"%PDF-1.4 fake"
    messages, _ = wire(
        [
            ChatMessage(
                role="user",
                blocks=[
                    DocumentBlock(data=pdf, document_mimetype="application/pdf", title="contract.pdf"),
                    DocumentBlock(path=notes),
                    DocumentBlock(url="https://example.com/report.pdf", document_mimetype="application/pdf"),
                ],
            )
        ]
    )
    pdf_block, text_block, url_block = messages[0]["content"]
    assert pdf_block == {
        "type": "file",
        "content": base64.b64encode(pdf).decode(),
        "content_type": "application/pdf",
        "doc_metadata": {"file_name": "contract.pdf", "file_type": "pdf"},
    }
    assert text_block["content"] == "Q1 plan: hire two engineers."
    assert text_block["content_type"] == "text/plain"
    assert text_block["doc_metadata"]["file_name"] == "notes.txt"
    assert url_block == {
        "type": "binary",
        "data": "https://example.com/report.pdf",
        "mime_type": "application/pdf",
        "filename": "report.pdf",
    }


def test_citable_block_becomes_a_named_text_file_and_citations_and_cache_points_are_dropped():
    messages, _ = wire(
        [
            ChatMessage(
                role="user",
                blocks=[
                    CitableBlock(title="Handbook", source="doc-1", content=[TextBlock(text="Vacation is 25 days.")]),
                    CachePoint(cache_control=CacheControl(type="ephemeral")),
                    TextBlock(text="How many vacation days?"),
                ],
            ),
            ChatMessage(
                role="assistant",
                blocks=[
                    TextBlock(text="25."),
                    CitationBlock(
                        cited_content=TextBlock(text="25 days"), source="doc-1", title="Handbook", additional_location_info={}
                    ),
                ],
            ),
        ]
    )
    assert messages[0]["content"] == [
        {
            "type": "file",
            "content": "Vacation is 25 days.",
            "content_type": "text/plain",
            "doc_metadata": {"file_name": "Handbook", "file_type": "txt"},
        },
        {"type": "text", "text": "How many vacation days?"},
    ]
    assert messages[1]["content"] == [{"type": "text", "text": "25."}]


def test_video_is_rejected_naming_the_block():
    with pytest.raises(ValueError, match="VideoBlock"):
        to_zylon_messages([ChatMessage(role="user", blocks=[VideoBlock(url="https://example.com/v.mp4")])])


def test_unreadable_path_is_a_value_error_naming_it(tmp_path):
    path = tmp_path / "gone.png"
    path.write_bytes(PNG)
    block = ImageBlock(path=path)
    path.unlink()  # removed after the block was built
    with pytest.raises(ValueError, match="ImageBlock path .*gone.png"):
        to_zylon_messages([ChatMessage(role="user", blocks=[block])])
    with pytest.raises(ValueError, match="DocumentBlock path .*missing.pdf"):
        to_zylon_messages([ChatMessage(role="user", blocks=[DocumentBlock(path=str(tmp_path / "missing.pdf"))])])


def test_assistant_tool_calls_from_blocks_and_legacy_kwargs_become_tool_use_once():
    assistant = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="I need the weather."),
            TextBlock(text="Checking."),
            ToolCallBlock(tool_call_id="call_1", tool_name="weather", tool_kwargs={"city": "Paris"}),
        ],
        additional_kwargs={
            "tool_calls": [
                {"id": "call_1", "name": "weather", "input": {"city": "Paris"}},  # duplicate of the block
                {"id": "call_2", "type": "function", "function": {"name": "clock", "arguments": '{"tz": "CET"}'}},
            ]
        },
    )
    messages, _ = wire([ChatMessage(role="user", content="Weather and time?"), assistant])
    assert messages[1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "I need the weather."},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "clock", "input": {"tz": "CET"}},
        ],
    }


def test_string_tool_kwargs_are_parsed_and_bad_json_is_rejected():
    ok = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs='{"a": 1}')])
    assert wire([ok])[0][0]["content"][0]["input"] == {"a": 1}
    bad = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs="{nope")])
    with pytest.raises(ValueError, match="not valid JSON"):
        to_zylon_messages([bad])


def test_consecutive_tool_messages_merge_into_one_user_message_of_tool_results():
    messages, _ = wire(
        [
            ChatMessage(role="user", content="Add 2+3 and 4+5"),
            ChatMessage(
                role="assistant",
                blocks=[
                    ToolCallBlock(tool_call_id="a", tool_name="add", tool_kwargs={"x": 2, "y": 3}),
                    ToolCallBlock(tool_call_id="b", tool_name="add", tool_kwargs={"x": 4, "y": 5}),
                ],
            ),
            ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "a"}),
            ChatMessage(role="tool", content="boom", additional_kwargs={"tool_call_id": "b", "is_error": True}),
            ChatMessage(role="user", content="Thanks"),
        ]
    )
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "user"]
    assert messages[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "a", "content": [{"type": "text", "text": "5"}]},
        {"type": "tool_result", "tool_use_id": "b", "content": [{"type": "text", "text": "boom"}], "is_error": True},
    ]


def test_tool_message_without_tool_call_id_is_rejected():
    with pytest.raises(ValueError, match="tool_call_id"):
        to_zylon_messages([ChatMessage(role="tool", content="5")])


def test_tool_call_block_in_a_user_message_is_rejected():
    with pytest.raises(ValueError, match="ToolCallBlock.*assistant"):
        to_zylon_messages([ChatMessage(role="user", blocks=[ToolCallBlock(tool_call_id="x", tool_name="f")])])


# --------------------------------------------------------------------------------------
# Tools, tool choice, response format
# --------------------------------------------------------------------------------------


class Address(BaseModel):
    street: str
    city: str


class Person(BaseModel):
    """A person."""

    name: str
    address: Address


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class RegisterArgs(BaseModel):
    person: Person


def register(person: Person) -> str:
    """Register a person."""
    return person.name


def test_function_tool_becomes_a_custom_tool_with_camelcase_input_schema():
    tool = to_zylon_tool(FunctionTool.from_defaults(add))
    assert tool["name"] == "add"
    assert "Add two integers" in tool["description"]
    schema = tool["inputSchema"]
    assert schema["type"] == "object" and set(schema["properties"]) == {"a", "b"}
    assert schema["required"] == ["a", "b"]
    assert "input_schema" not in tool


def test_nested_model_references_are_inlined():
    schema = to_zylon_tool(FunctionTool.from_defaults(register, fn_schema=RegisterArgs))["inputSchema"]
    assert "$defs" not in json.dumps(schema) and "$ref" not in json.dumps(schema)
    assert schema["properties"]["person"]["properties"]["address"]["properties"]["city"]["type"] == "string"


def test_recursive_schemas_keep_their_definitions():
    schema = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
    }
    out = inline_refs(schema)
    assert out["properties"]["root"]["properties"]["child"] == {"$ref": "#/$defs/Node"}
    assert "Node" in out["$defs"]


def test_builtin_tool_dicts_pass_through_and_other_dict_shapes_convert():
    tools = to_zylon_tools(
        [
            {"type": "semantic_search_v1", "name": "search"},
            {"type": "function", "function": {"name": "f", "description": "F.", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}},
            {"name": "g", "description": "G.", "input_schema": {"type": "object", "properties": {}}},
            {"name": "h", "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}},
        ]
    )
    assert tools[0] == {"type": "semantic_search_v1", "name": "search"}
    assert tools[1] == {"name": "f", "description": "F.", "inputSchema": {"type": "object", "properties": {"x": {"type": "integer"}}}}
    assert tools[2]["inputSchema"] == {"type": "object", "properties": {}}
    assert tools[3]["inputSchema"]["required"] == ["q"]


def test_unknown_tool_type_and_duplicate_names_are_rejected():
    with pytest.raises(ValueError, match="unknown tool type 'web_magic'"):
        to_zylon_tool({"type": "web_magic", "name": "x"})
    with pytest.raises(ValueError, match="repeated: add"):
        to_zylon_tools([FunctionTool.from_defaults(add), FunctionTool.from_defaults(add)])


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, {"type": "auto"}),
        ("auto", {"type": "auto"}),
        ("any", {"type": "any"}),
        ("required", {"type": "any"}),
        (True, {"type": "any"}),
        ("none", {"type": "none"}),
        ("add", {"type": "tool", "name": "add"}),
        ({"type": "tool", "name": "add"}, {"type": "tool", "name": "add"}),
        ({"type": "function", "function": {"name": "add"}}, {"type": "tool", "name": "add"}),
    ],
)
def test_tool_choice_forms(choice, expected):
    assert to_zylon_tool_choice(choice, tool_names=["add", "mul"]) == expected


def test_tool_choice_required_and_parallel_flags():
    assert to_zylon_tool_choice(None, tool_names=["add"], tool_required=True, allow_parallel_tool_calls=False) == {
        "type": "any",
        "disable_parallel_tool_use": True,
    }
    assert to_zylon_tool_choice("add", tool_names=["add"], allow_parallel_tool_calls=True)["disable_parallel_tool_use"] is False
    with pytest.raises(ValueError, match="tool_choice type must be one of"):
        to_zylon_tool_choice({"type": "sometimes"}, tool_names=["add"])
    with pytest.raises(ValueError, match="not among the tools"):
        to_zylon_tool_choice("mul", tool_names=["add"])


def test_response_format_for_a_model_is_a_self_contained_json_schema():
    fmt = response_format_for(Person)
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["properties"]["address"]["properties"]["street"] == {"title": "Street", "type": "string"}
    assert "$defs" not in fmt["json_schema"]
    assert response_format_for({"type": "text"}) == {"type": "text"}


# --------------------------------------------------------------------------------------
# Zylon → LlamaIndex: documented responses
# --------------------------------------------------------------------------------------

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
    assert kinds == [
        "TextBlock",
        "ImageBlock",
        "AudioBlock",
        "DocumentBlock",
        "DocumentBlock",
        "CitationBlock",
        "CitationBlock",
        "ThinkingBlock",
    ]
    # the tool_use answered by a tool_result in the same output ran on the server
    assert not [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    (server_call,) = message.additional_kwargs["server_tool_calls"]
    assert server_call["id"] == "toolu_123" and server_call["name"] == "semantic_search"
    assert server_call["input"] == {"query": "billing issues"}
    assert server_call["result"] == [{"type": "text", "text": "Found 5 matching passages."}]
    website, chunk = [b for b in message.blocks if isinstance(b, CitationBlock)]
    assert (website.source, website.title) == ("https://example.com/report", "Quarterly Report")
    assert chunk.source == "artifact_123" and chunk.title == "support.csv"
    assert chunk.cited_content.text == "Support backlog dropped 8% week-over-week"
    assert message.additional_kwargs["sources"][1]["score"] == 0.92
    assert message.blocks[-1].content == "I should compare the latest week to the previous one."
    assert [b["text"] for b in message.additional_kwargs["tldr"]] == [
        "User: Analyze support trend",
        "Assistant: Backlog decreased 8%",
    ]
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


# --------------------------------------------------------------------------------------
# Client tools vs. server tools, citations, thinking
# --------------------------------------------------------------------------------------


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


def test_text_citations_and_thinking_citations_are_reachable():
    output = MessageOutput(
        content=[
            {"type": "thinking", "thinking": "hmm", "citations": [{"id": "c0"}]},
            {"type": "text", "text": "Backlog fell [1].", "citations": [{"id": "c1", "artifact_id": "a1"}]},
            {
                "type": "source",
                "sources": [
                    {
                        "type": "context.chunk",
                        "id": "c1",
                        "text": "fell 8%",
                        "document": {"artifact": "a1"},
                        "metadata": {"page": 3.0, "title": "Report"},
                    }
                ],
            },
        ]
    )
    message = decode_output(output).message
    assert message.additional_kwargs["citations"] == [{"id": "c1", "artifact_id": "a1"}]
    assert message.blocks[0].additional_information == {"citations": [{"id": "c0"}]}
    citation = message.blocks[2]
    assert isinstance(citation, CitationBlock)
    assert (citation.source, citation.title, citation.additional_location_info) == ("a1", "Report", {"page": 3})


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


# --------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------

CHAT_STREAMS = [n for n in example_names("*.stream.sse") if not n.startswith("workspace-artifacts")]


def stream_events(name):
    text = (SHARED_API / "examples" / name).read_text()
    return [e for e in (decode_event(event, data) for event, data in parse_sse_text(text)) if e is not None]


def run_stream(events, server_tool_names=()):
    accumulator = StreamAccumulator()
    state = StreamState(frozenset(server_tool_names))
    snapshots = []
    for event in events:
        delta = accumulator.feed(event)
        if delta is not None:
            state.feed(delta)
            snapshots.append((delta, state.message()))
        if accumulator.done:
            break
    return decode_output(accumulator.finish(), server_tool_names=server_tool_names), snapshots


def test_documented_streams_are_all_covered(shared_api):
    assert set(CHAT_STREAMS) == {
        "async-messages.04.stream.sse",
        "interactions.08.stream.sse",
        "messages.13.stream.sse",
        "threads.16.stream.sse",
    }


@pytest.mark.parametrize("name", [n for n in CHAT_STREAMS if n != "async-messages.04.stream.sse"])
def test_documented_stream_partials_end_equal_to_the_final_message(name, shared_api):
    final, snapshots = run_stream(stream_events(name))
    assert snapshots, "the stream produced no deltas"
    assert snapshots[-1][1].content == final.message.content
    assert "".join(d.text for d, _ in snapshots if d.kind == "text") == final.message.content
    assert final.message.content in ("Focus fast daily", "• Ticket volume rose 12%")


def test_documented_error_stream_raises(shared_api):
    with pytest.raises(ServerStreamError, match=r"\(api_error\): <AioRpcError.*failed to connect"):
        run_stream(stream_events("async-messages.04.stream.sse"))


def _tool_stream(pieces, extra_blocks=()):
    events = [{"type": "message_start", "message": {"id": "m1", "role": "assistant", "content": []}}]
    for index, (call_id, name, parts) in enumerate(pieces):
        events.append({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": call_id, "name": name, "input": {}}})
        for part in parts:
            events.append({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": part}})
        events.append({"type": "content_block_stop", "index": index})
    for offset, block in enumerate(extra_blocks, start=len(pieces)):
        events.append({"type": "content_block_synthetic", "index": offset, "block": block})
    events.append({"type": "message_delta", "delta": {"stop_reason": "tool_use"}})
    events.append({"type": "message_stop"})
    return events


def test_streamed_tool_arguments_accumulate_into_the_partial_tool_calls():
    events = _tool_stream([("t1", "add", ['{"a": ', "12", ', "b": 3', "0}"]), ("t2", "mul", ['{"x": 2}'])])
    final, snapshots = run_stream(events)
    seen = [
        [(b.tool_call_id, b.tool_kwargs) for b in message.blocks if isinstance(b, ToolCallBlock)]
        for _, message in snapshots
    ]
    assert ("t1", {"a": 12}) in seen[2] or ("t1", {"a": 12}) in seen[1]
    assert seen[-1] == [("t1", {"a": 12, "b": 30}), ("t2", {"x": 2})]
    assert [(b.tool_call_id, b.tool_kwargs) for b in final.message.blocks] == seen[-1]


def test_streamed_server_tool_stops_being_a_pending_call_once_answered():
    result = {"type": "tool_result", "tool_use_id": "s1", "content": [{"type": "text", "text": "3 hits"}]}
    final, snapshots = run_stream(_tool_stream([("s1", "search", ['{"query": "q"}'])], [result]))
    pending = [m for _, m in snapshots if any(isinstance(b, ToolCallBlock) for b in m.blocks)]
    assert pending, "before its result arrives, the call looks pending"
    last = snapshots[-1][1]
    assert not any(isinstance(b, ToolCallBlock) for b in last.blocks)
    assert last.additional_kwargs["server_tool_calls"][0]["result"][0]["text"] == "3 hits"
    assert final.message.additional_kwargs["server_tool_calls"] == last.additional_kwargs["server_tool_calls"]


def test_streamed_thinking_sources_and_text():
    events = [
        {"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me "}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "think."}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "source_delta", "sources": [{"type": "context.chunk", "id": "c", "text": "t", "document": {"artifact": "a"}}]}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "Answer."}},
        {"type": "message_stop"},
    ]
    final, snapshots = run_stream(events)
    assert [d.kind for d, _ in snapshots] == ["thinking", "thinking", "source", "text"]
    last = snapshots[-1][1]
    assert [type(b).__name__ for b in last.blocks] == ["ThinkingBlock", "CitationBlock", "TextBlock"]
    assert last.blocks[0].content == "Let me think."
    assert [type(b).__name__ for b in final.message.blocks] == ["ThinkingBlock", "CitationBlock", "TextBlock"]
    assert final.message.additional_kwargs["sources"][0]["id"] == "c"


# --------------------------------------------------------------------------------------
# Round trip (property)
# --------------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)
_args = st.dictionaries(st.sampled_from(["a", "b", "q"]), st.one_of(st.integers(-5, 5), _text), max_size=3)


@st.composite
def conversations(draw):
    messages = []
    for turn in range(draw(st.integers(1, 4))):
        messages.append(ChatMessage(role="user", content=draw(_text)))
        calls = draw(st.lists(st.tuples(st.sampled_from(["add", "find"]), _args), max_size=2))
        blocks = [TextBlock(text=draw(_text))]
        blocks += [ToolCallBlock(tool_call_id=f"c{turn}_{i}", tool_name=n, tool_kwargs=a) for i, (n, a) in enumerate(calls)]
        messages.append(ChatMessage(role="assistant", blocks=blocks))
        for i, _ in enumerate(calls):
            messages.append(ChatMessage(role="tool", content=draw(_text), additional_kwargs={"tool_call_id": f"c{turn}_{i}"}))
    return messages


def _essence(messages):
    out = []
    for m in messages:
        calls = [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in m.blocks if isinstance(b, ToolCallBlock)]
        out.append((m.role.value, m.content, calls, m.additional_kwargs.get("tool_call_id")))
    return out


@settings(max_examples=60, deadline=None)
@given(conversations())
def test_round_trip_keeps_text_tool_calls_and_tool_results(messages):
    _, zylon = to_zylon_messages(messages)
    # what the server would store, re-read as LlamaIndex messages
    back = [m for zm in zylon for m in from_zylon_input(MessageInput.model_validate(zm.to_json_dict()))]
    assert _essence(back) == _essence(messages)


def test_stream_state_never_changes_what_the_accumulator_holds():
    """Deltas may carry the accumulator's own dicts: building partial messages must not
    alter them (this once doubled every streamed source)."""
    source = {"type": "context.chunk", "id": "c1", "text": "t", "document": {"artifact": "a"}}
    events = [
        {"type": "message_start", "message": {"id": "m", "role": "assistant", "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "source", "sources": []}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "source_delta", "sources": [source]}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "source_delta", "sources": [{**source, "id": "c2"}]}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_stop"},
    ]
    final, snapshots = run_stream(events)
    assert [s["id"] for s in final.message.additional_kwargs["sources"]] == ["c1", "c2"]
    assert [s["id"] for s in snapshots[-1][1].additional_kwargs["sources"]] == ["c1", "c2"]
