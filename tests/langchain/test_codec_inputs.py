"""LangChain messages → Zylon request, offline (the pure codec)."""

from __future__ import annotations

import base64
import json

import pytest
from langchain_core.messages import AIMessage, ChatMessage, FunctionMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_zylon._codec import to_zylon_messages

PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
PDF_B64 = base64.b64encode(b"%PDF-1.4 fake").decode()


def wire(messages):
    system, converted = to_zylon_messages(messages)
    return system, [m.to_json_dict() for m in converted]


def user_blocks(*content_items):
    _, messages = wire([HumanMessage(list(content_items))])
    assert len(messages) == 1 and messages[0]["role"] == "user"
    return messages[0]["content"]


# -- text and system ------------------------------------------------------------------


def test_string_content_becomes_one_text_block():
    assert wire([HumanMessage("hi")]) == (None, [{"role": "user", "content": [{"type": "text", "text": "hi"}]}])


def test_system_messages_go_to_system_text_joined_by_blank_lines():
    system, messages = wire(
        [SystemMessage("Be brief."), SystemMessage([{"type": "text", "text": "Answer in French."}]), HumanMessage("hi")]
    )
    assert system == "Be brief.\n\nAnswer in French."
    assert [m["role"] for m in messages] == ["user"]


def test_system_message_with_an_image_is_rejected():
    with pytest.raises(ValueError, match="'image'"):
        to_zylon_messages([SystemMessage([{"type": "image", "url": "https://x/y.png"}]), HumanMessage("hi")])


def test_text_block_keeps_only_the_text():
    assert user_blocks({"type": "text", "text": "a", "id": "lc_1", "cache_control": {"type": "ephemeral"}}) == [
        {"type": "text", "text": "a"}
    ]


def test_bare_strings_in_a_list_and_empty_text_dropped():
    assert user_blocks("a", {"type": "text", "text": ""}, "b") == [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]


def test_name_on_a_message_is_not_sent():
    _, messages = wire([HumanMessage("hello", name="example_user")])
    assert messages == [{"role": "user", "content": [{"type": "text", "text": "hello"}]}]


def test_chat_message_roles():
    system, messages = wire([ChatMessage(role="system", content="S"), ChatMessage(role="user", content="U")])
    assert system == "S" and messages[0]["role"] == "user"
    with pytest.raises(ValueError, match="'critic'"):
        to_zylon_messages([ChatMessage(role="critic", content="x")])


def test_function_message_is_rejected():
    with pytest.raises(ValueError, match="function"):
        to_zylon_messages([FunctionMessage(name="f", content="x")])


# -- multimodal ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        {"type": "image", "source_type": "base64", "data": PNG_B64, "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
        {"type": "image_url", "image_url": f"data:image/png;base64,{PNG_B64}"},
        {"type": "image", "url": f"data:image/png;base64,{PNG_B64}"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
        {"type": "image", "data": PNG_B64, "mime_type": "image/png"},  # Zylon's own shape
    ],
    ids=["v1-base64", "v0-base64", "openai-data-uri", "openai-str", "v1-data-uri", "anthropic", "zylon"],
)
def test_base64_images(block):
    assert user_blocks(block) == [{"type": "image", "data": PNG_B64, "mime_type": "image/png"}]


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "url": "https://example.com/cat.png"},
        {"type": "image", "source_type": "url", "url": "https://example.com/cat.png"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
    ],
)
def test_image_urls_go_in_data(block):
    assert user_blocks(block) == [{"type": "image", "data": "https://example.com/cat.png", "mime_type": "image/png"}]


def test_audio_blocks():
    wav = base64.b64encode(b"RIFFfake").decode()
    assert user_blocks({"type": "audio", "base64": wav, "mime_type": "audio/wav"}) == [
        {"type": "audio", "data": wav, "mime_type": "audio/wav"}
    ]
    assert user_blocks({"type": "input_audio", "input_audio": {"data": wav, "format": "mp3"}}) == [
        {"type": "audio", "data": wav, "mime_type": "audio/mpeg"}
    ]


def test_pdf_as_v1_file_block_with_doc_metadata():
    block = {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf", "extras": {"filename": "contract.pdf"}}
    assert user_blocks(block) == [
        {
            "type": "file",
            "content": PDF_B64,
            "content_type": "application/pdf",
            "doc_metadata": {"file_name": "contract.pdf", "file_type": "pdf"},
        }
    ]


def test_pdf_without_a_name_gets_its_type_from_the_mime_type():
    assert user_blocks({"type": "file", "base64": PDF_B64, "mime_type": "application/pdf"}) == [
        {"type": "file", "content": PDF_B64, "content_type": "application/pdf", "doc_metadata": {"file_type": "pdf"}}
    ]


def test_openai_file_data_and_v0_file():
    openai = {"type": "file", "file": {"filename": "test_file.pdf", "file_data": f"data:application/pdf;base64,{PDF_B64}"}}
    v0 = {"type": "file", "source_type": "base64", "data": PDF_B64, "mime_type": "application/pdf", "filename": "test_file.pdf"}
    expected = [
        {
            "type": "file",
            "content": PDF_B64,
            "content_type": "application/pdf",
            "doc_metadata": {"file_name": "test_file.pdf", "file_type": "pdf"},
        }
    ]
    assert user_blocks(openai) == expected
    assert user_blocks(v0) == expected


def test_plain_text_documents():
    expected = [
        {"type": "file", "content": "hello", "content_type": "text/plain", "doc_metadata": {"file_name": "notes.txt", "file_type": "txt"}}
    ]
    assert user_blocks({"type": "text-plain", "text": "hello", "mime_type": "text/plain", "filename": "notes.txt"}) == expected
    assert user_blocks({"type": "document", "source": {"type": "text", "data": "hello", "media_type": "text/plain"}, "title": "notes.txt"}) == expected
    assert user_blocks({"type": "file", "source_type": "text", "text": "hello", "filename": "notes.txt"}) == expected


def test_file_url_becomes_a_binary_block():
    assert user_blocks({"type": "file", "url": "https://example.com/docs/report.pdf"}) == [
        {"type": "binary", "data": "https://example.com/docs/report.pdf", "mime_type": "application/pdf", "filename": "report.pdf"}
    ]


def test_zylon_native_blocks_pass_through():
    file_block = {"type": "file", "content": "abc", "content_type": "text/csv", "doc_metadata": {"file_name": "a.csv", "file_type": "csv"}}
    binary = {"type": "binary", "data": PNG_B64, "mime_type": "application/octet-stream", "filename": "blob.bin"}
    assert user_blocks(file_block, binary) == [file_block, binary]


@pytest.mark.parametrize(
    ("block", "named"),
    [
        ({"type": "image", "file_id": "file-123"}, "file id"),
        ({"type": "file", "file_id": "file-123"}, "file id"),
        ({"type": "file", "file": {"file_id": "file-123"}}, "file id"),
        ({"type": "video", "base64": "AAAA", "mime_type": "video/mp4"}, "'video'"),
        ({"type": "redacted_thinking", "data": "xx"}, "'redacted_thinking'"),
        ({"type": "weird_block"}, "'weird_block'"),
        ({"text": "no type"}, "None"),
        ({"type": "image"}, "base64"),
    ],
)
def test_unsupported_blocks_are_value_errors_naming_them(block, named):
    with pytest.raises(ValueError, match=named):
        to_zylon_messages([HumanMessage([block])])


def test_unsupported_block_fails_before_any_request_is_built():
    with pytest.raises(ValueError, match="'video'"):
        to_zylon_messages([HumanMessage([{"type": "video", "url": "https://x/y.mp4"}])])


# -- tools -----------------------------------------------------------------------------


def test_ai_tool_calls_become_tool_use_and_tool_messages_tool_results():
    messages = [
        HumanMessage("What is 1 + 2 and 3 + 4?"),
        AIMessage(
            "",
            tool_calls=[
                {"name": "add", "args": {"a": 1, "b": 2}, "id": "c1", "type": "tool_call"},
                {"name": "add", "args": {"a": 3, "b": 4}, "id": "c2", "type": "tool_call"},
            ],
        ),
        ToolMessage("3", tool_call_id="c1", name="add"),
        ToolMessage([{"type": "text", "text": "7"}], tool_call_id="c2"),
        HumanMessage("thanks"),
    ]
    _, converted = wire(messages)
    assert converted == [
        {"role": "user", "content": [{"type": "text", "text": "What is 1 + 2 and 3 + 4?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "c1", "name": "add", "input": {"a": 1, "b": 2}},
                {"type": "tool_use", "id": "c2", "name": "add", "input": {"a": 3, "b": 4}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": [{"type": "text", "text": "3"}]},
                {"type": "tool_result", "tool_use_id": "c2", "content": [{"type": "text", "text": "7"}]},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]


def test_error_status_sets_is_error():
    _, converted = wire(
        [
            HumanMessage("x"),
            AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": "c1"}]),
            ToolMessage("Error: missing b", tool_call_id="c1", status="error"),
        ]
    )
    assert converted[-1]["content"] == [
        {"type": "tool_result", "tool_use_id": "c1", "content": [{"type": "text", "text": "Error: missing b"}], "is_error": True}
    ]


def test_tool_message_with_an_image():
    _, converted = wire(
        [
            HumanMessage("x"),
            AIMessage([], tool_calls=[{"name": "img", "args": {}, "id": "1"}]),
            ToolMessage([{"type": "image", "base64": PNG_B64, "mime_type": "image/png"}], tool_call_id="1"),
        ]
    )
    assert converted[-1]["content"][0]["content"] == [{"type": "image", "data": PNG_B64, "mime_type": "image/png"}]


def test_tool_use_content_block_and_tool_call_with_the_same_id_are_sent_once():
    ai = AIMessage(
        [
            {"type": "text", "text": "some text"},
            {"type": "tool_use", "id": "abc", "name": "add", "input": {"a": 0}},
        ],
        tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "abc", "type": "tool_call"}],
    )
    _, converted = wire([HumanMessage("x"), ai])
    assert converted[1]["content"] == [
        {"type": "text", "text": "some text"},
        {"type": "tool_use", "id": "abc", "name": "add", "input": {"a": 1, "b": 2}},
    ]


def test_streamed_tool_use_with_partial_json_and_invalid_calls():
    ai = AIMessage(
        [{"type": "tool_use", "id": "t1", "name": "srv", "input": {}, "partial_json": '{"q": "x"}', "index": 1}],
        invalid_tool_calls=[{"type": "invalid_tool_call", "id": "t2", "name": "bad", "args": "{not json", "error": None}],
    )
    _, converted = wire([HumanMessage("x"), ai])
    assert converted[1]["content"] == [
        {"type": "tool_use", "id": "t1", "name": "srv", "input": {"q": "x"}},
        {"type": "tool_use", "id": "t2", "name": "bad", "input": {}},
    ]


def test_v1_standard_blocks_from_an_ai_message():
    ai = AIMessage(
        [
            {"type": "reasoning", "reasoning": "think"},
            {"type": "text", "text": "answer", "annotations": [{"type": "citation", "url": "https://x"}]},
            {"type": "tool_call", "id": "c9", "name": "f", "args": {"x": 1}},
            {"type": "server_tool_call", "id": "s1", "name": "semantic_search", "args": {"query": "q"}},
            {"type": "server_tool_result", "tool_call_id": "s1", "status": "success", "output": "found"},
            {"type": "non_standard", "value": {"type": "tldr", "content": [{"type": "text", "text": "short"}]}},
        ],
        response_metadata={"output_version": "v1"},
    )
    _, converted = wire([HumanMessage("x"), ai])
    assert converted[1]["content"] == [
        {"type": "thinking", "thinking": "think"},
        {"type": "text", "text": "answer"},
        {"type": "tool_use", "id": "c9", "name": "f", "input": {"x": 1}},
        {"type": "tool_use", "id": "s1", "name": "semantic_search", "input": {"query": "q"}},
        {"type": "tool_result", "tool_use_id": "s1", "content": [{"type": "text", "text": "found"}], "is_error": False},
        {"type": "tldr", "content": [{"type": "text", "text": "short"}]},
    ]


def test_thinking_passes_back_and_signature_is_dropped():
    ai = AIMessage([{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "Hello"}])
    _, converted = wire([HumanMessage("Hi"), ai, HumanMessage("Well")])
    assert converted[1]["content"] == [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Hello"}]


def test_reasoning_content_in_additional_kwargs_is_passed_back():
    ai = AIMessage("Hello", additional_kwargs={"reasoning_content": "They greeted me."})
    _, converted = wire([HumanMessage("Hi"), ai])
    assert converted[1]["content"] == [{"type": "thinking", "thinking": "They greeted me."}, {"type": "text", "text": "Hello"}]


def test_empty_ai_message_is_skipped_and_trailing_whitespace_ai_text_dropped():
    _, converted = wire([HumanMessage("a"), AIMessage(""), HumanMessage("b"), AIMessage("  ")])
    assert [m["role"] for m in converted] == ["user"]
    assert converted[0]["content"] == [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]


def test_tool_message_without_id_is_rejected():
    with pytest.raises(ValueError, match="tool_call_id"):
        to_zylon_messages([HumanMessage("x"), ToolMessage("r", tool_call_id="")])


def test_tool_message_holding_tool_result_blocks_is_sent_as_is():
    block = {"type": "tool_result", "tool_use_id": "c1", "content": [{"type": "text", "text": "ok"}], "is_error": False}
    _, converted = wire([HumanMessage("x"), AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": "c1"}]), ToolMessage([block], tool_call_id="c1")])
    assert converted[-1]["content"] == [block]


def test_json_tool_output_dict_is_text():
    _, converted = wire([HumanMessage("x"), AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": "c1"}]), ToolMessage(json.dumps({"result": 3}), tool_call_id="c1")])
    assert converted[-1]["content"][0]["content"] == [{"type": "text", "text": '{"result": 3}'}]


# -- the whole request ----------------------------------------------------------------
