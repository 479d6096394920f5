"""LangChain messages → Zylon request, offline (the pure codec)."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from langchain_core.messages import AIMessage, ChatMessage, FunctionMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_zylon._codec import to_zylon_messages
from tests.conftest import SHARED_API

PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
PDF_B64 = base64.b64encode(b"%PDF-1.4 fake").decode()


def wire(messages, api="workspace"):
    system, converted = to_zylon_messages(messages, api=api)
    return system, [m.to_json_dict() for m in converted]


def user_blocks(*content_items, api="workspace"):
    _, messages = wire([HumanMessage(list(content_items))], api=api)
    assert len(messages) == 1 and messages[0]["role"] == "user"
    return messages[0]["content"]


def gpt_blocks(*content_items):
    return user_blocks(*content_items, api="gpt")


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


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_pdf_as_v1_file_block_becomes_binary_on_the_workspace_and_a_document_on_zylongpt():
    block = {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf", "extras": {"filename": "contract.pdf"}}
    assert user_blocks(block) == [{"type": "binary", "data": PDF_B64, "mime_type": "application/pdf", "filename": "contract.pdf"}]
    assert gpt_blocks(block) == [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64}, "title": "contract.pdf"}
    ]


def test_a_file_without_a_name_or_a_type():
    assert user_blocks({"type": "file", "base64": PDF_B64, "mime_type": "application/pdf"}) == [
        {"type": "binary", "data": PDF_B64, "mime_type": "application/pdf"}
    ]
    assert user_blocks({"type": "file", "base64": PDF_B64}) == [{"type": "binary", "data": PDF_B64, "mime_type": "application/octet-stream"}]


def test_openai_file_data_and_v0_file():
    openai = {"type": "file", "file": {"filename": "test_file.pdf", "file_data": f"data:application/pdf;base64,{PDF_B64}"}}
    v0 = {"type": "file", "source_type": "base64", "data": PDF_B64, "mime_type": "application/pdf", "filename": "test_file.pdf"}
    expected = [{"type": "binary", "data": PDF_B64, "mime_type": "application/pdf", "filename": "test_file.pdf"}]
    assert user_blocks(openai) == expected
    assert user_blocks(v0) == expected


def test_plain_text_documents():
    forms = [
        {"type": "text-plain", "text": "hello", "mime_type": "text/plain", "filename": "notes.txt"},
        {"type": "document", "source": {"type": "text", "data": "hello", "media_type": "text/plain"}, "title": "notes.txt"},
        {"type": "file", "source_type": "text", "text": "hello", "filename": "notes.txt"},
        # The Workspace's older file block, which ZylonGPT refuses: sent as binary instead.
        {"type": "file", "content": "hello", "content_type": "text/plain", "doc_metadata": {"file_name": "notes.txt"}},
    ]
    for form in forms:
        assert user_blocks(form) == [{"type": "binary", "data": b64("hello"), "mime_type": "text/plain", "filename": "notes.txt"}], form
        assert gpt_blocks(form) == [
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "hello"}, "title": "notes.txt"}
        ], form


def test_file_url_goes_as_a_link():
    url = "https://example.com/docs/report.pdf"
    assert user_blocks({"type": "file", "url": url}) == [{"type": "binary", "data": url, "mime_type": "application/pdf", "filename": "report.pdf"}]
    assert gpt_blocks({"type": "file", "url": url}) == [{"type": "document", "source": {"type": "url", "url": url}, "title": "report.pdf"}]
    anthropic = {"type": "document", "source": {"type": "url", "url": url}}
    assert gpt_blocks(anthropic) == gpt_blocks({"type": "file", "url": url})


def test_anthropic_content_document():
    block = {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}, "title": "t"}
    assert user_blocks(block) == [{"type": "binary", "data": b64("a\nb"), "mime_type": "text/plain", "filename": "t"}]
    assert gpt_blocks(block) == [block]


def test_zylon_native_blocks_pass_through():
    binary = {"type": "binary", "data": PNG_B64, "mime_type": "application/octet-stream", "filename": "blob.bin"}
    linked = {"type": "binary", "data": "https://example.com/blob.bin", "mime_type": "application/octet-stream"}
    assert user_blocks(binary, linked) == [binary, linked]
    assert gpt_blocks(binary) == [binary]
    with pytest.raises(ValueError, match="'binary' block needs 'data'"):
        user_blocks({"type": "binary", "data": PNG_B64})


def test_the_api_must_be_known():
    with pytest.raises(ValueError, match="unknown Zylon API 'v2'"):
        to_zylon_messages([HumanMessage("x")], api="v2")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("block", "named"),
    [
        ({"type": "image", "file_id": "file-123"}, "file id"),
        ({"type": "file", "file_id": "file-123"}, "file id"),
        ({"type": "file", "file": {"file_id": "file-123"}}, "file id"),
        ({"type": "video", "base64": "AAAA", "mime_type": "video/mp4"}, "'video'"),
        ({"type": "container", "data": "xx"}, "'container'"),
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
            {"type": "reasoning", "reasoning": "think", "extras": {"signature": "sig_1"}},
            {"type": "text", "text": "answer", "annotations": [{"type": "citation", "url": "https://x"}], "extras": {"raw_text": "answer <citation/>"}},
            {"type": "tool_call", "id": "c9", "name": "f", "args": {"x": 1}},
            {"type": "server_tool_call", "id": "s1", "name": "semantic_search", "args": {"query": "q"}},
            {"type": "server_tool_result", "tool_call_id": "s1", "status": "success", "output": "found"},
            {"type": "non_standard", "value": {"type": "tldr", "content": [{"type": "text", "text": "short"}]}},
            {"type": "non_standard", "value": {"type": "web_fetch_result", "url": "https://x"}},
        ],
        response_metadata={"output_version": "v1"},
    )
    _, converted = wire([HumanMessage("x"), ai])
    assert converted[1]["content"] == [
        {"type": "thinking", "thinking": "think", "signature": "sig_1"},
        {"type": "text", "text": "answer"},
        {"type": "tool_use", "id": "c9", "name": "f", "input": {"x": 1}},
        # What the server ran goes back as server tool blocks, never as a client call.
        {"type": "server_tool_use", "id": "s1", "name": "semantic_search", "input": {"query": "q"}},
        {"type": "server_tool_result", "tool_use_id": "s1", "content": "found", "is_error": False},
        {"type": "tldr", "content": [{"type": "text", "text": "short"}]},
        {"type": "web_fetch_result", "url": "https://x"},
    ]


def test_zylon_answer_blocks_go_back_as_they_came():
    server_use = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {"query": "q", "artifacts": None}}
    server_result = {"type": "server_tool_result", "tool_use_id": "srvtoolu_1", "content": "boom", "is_error": True}
    redacted = {"type": "redacted_thinking", "data": "opaque=="}
    unknown = {"type": "container_upload", "file_id": "f1", "extra": {"k": [1]}}
    ai = AIMessage(
        [
            {**redacted, "index": 0},
            {**server_use, "partial_json": '{"query": "q", "artifacts": null}', "index": 1},
            {**server_result, "index": 2},
            {"type": "text", "text": "Clean.", "raw_text": "Clean <citation id='A'></citation>.", "annotations": [{"type": "citation"}], "index": 3},
            unknown,
        ]
    )
    _, converted = wire([HumanMessage("x"), ai])
    assert converted[1]["content"] == [redacted, server_use, server_result, {"type": "text", "text": "Clean."}, unknown]


def test_signed_thinking_goes_back_with_its_signature(caplog):
    ai = AIMessage([{"type": "thinking", "thinking": "hmm", "signature": "sig_abc"}, {"type": "text", "text": "Hello"}])
    _, converted = wire([HumanMessage("Hi"), ai, HumanMessage("Well")])
    assert converted[1]["content"] == [{"type": "thinking", "thinking": "hmm", "signature": "sig_abc"}, {"type": "text", "text": "Hello"}]
    assert not caplog.records


@pytest.mark.parametrize(
    "ai",
    [
        AIMessage([{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Hello"}]),
        AIMessage([{"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "Hello"}]),
        AIMessage("Hello", additional_kwargs={"reasoning_content": "They greeted me."}),
    ],
    ids=["thinking", "v1-reasoning", "reasoning_content"],
)
def test_unsigned_reasoning_is_left_out_with_a_warning_naming_the_message(ai, caplog):
    with caplog.at_level(logging.WARNING, logger="langchain_zylon"):
        _, converted = wire([HumanMessage("Hi"), ai, HumanMessage("Well")])
    assert converted[1]["content"] == [{"type": "text", "text": "Hello"}]
    (record,) = caplog.records
    assert "messages[1] (AIMessage)" in record.getMessage() and "without a signature" in record.getMessage()
    caplog.clear()
    to_zylon_messages([HumanMessage("Hi"), ai, HumanMessage("Well")], warn_unsigned=False)
    assert not caplog.records


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
# (what the real server was sent: ../shared/zylon-api/captures/*.request.json)


def captured_request(name: str) -> dict:
    return json.loads((SHARED_API / "captures" / f"{name}.request.json").read_text())


def test_documents_as_the_captured_requests_sent_them(shared_api):
    text_doc = captured_request("msg_document_text")["messages"][0]["content"][0]
    base64_doc = captured_request("msg_document_base64_stream")["messages"][0]["content"][0]
    binary = captured_request("msg_binary_legacy")["messages"][0]["content"][0]
    # ZylonGPT (api="gpt"): a document block, text given as text, bytes as base64.
    assert gpt_blocks({"type": "text-plain", "text": "The meeting is on Friday.", "mime_type": "text/plain", "filename": "notes.txt"}) == [text_doc]
    assert gpt_blocks({"type": "document", "source": text_doc["source"], "title": "notes.txt"}) == [text_doc]
    assert gpt_blocks({"type": "file", "base64": base64_doc["source"]["data"], "mime_type": "text/plain", "filename": "budget.txt"}) == [base64_doc]
    # The Workspace: a binary block.
    assert user_blocks({"type": "file", "base64": binary["data"], "mime_type": "text/plain", "filename": "b.txt"}) == [binary]
    assert user_blocks({"type": "text-plain", "text": "hello binary", "mime_type": "text/plain", "filename": "b.txt"}) == [binary]


def test_the_refused_file_block_is_never_sent(shared_api):
    refused = captured_request("msg_file_client_shape")["messages"][0]["content"][0]
    assert refused["type"] == "file"
    for api in ("workspace", "gpt"):
        (sent,) = user_blocks(refused, api=api)
        assert sent["type"] == ("binary" if api == "workspace" else "document")


@pytest.mark.parametrize("name", ["msg_tool_result_string", "msg_tool_result_blocks", "msg_tool_result_error_flag"])
def test_tool_results_as_the_captured_requests_sent_them(name, shared_api):
    captured = captured_request(name)["messages"]
    result = captured[2]["content"][0]
    content = result["content"] if isinstance(result["content"], str) else [dict(b) for b in result["content"]]
    messages = [
        HumanMessage(captured[0]["content"]),
        AIMessage(captured[1]["content"]),
        ToolMessage(content, tool_call_id="toolu_01", status="error" if result.get("is_error") else "success"),
    ]
    _, sent = wire(messages, api="gpt")
    assert sent[1:] == captured[1:]
    assert sent[0] == {"role": "user", "content": [{"type": "text", "text": captured[0]["content"]}]}
    # The Workspace's schema takes a block list only.
    _, workspace = wire(messages)
    assert workspace[2]["content"][0]["content"] == ([{"type": "text", "text": content}] if isinstance(content, str) else content)


def test_thinking_history_is_the_refused_request_plus_the_signature(shared_api, caplog):
    refused = captured_request("client_C_thinking_history_no_signature")
    first, answer, second = refused["messages"]
    thinking, text = answer["content"]
    signed = AIMessage([{**thinking, "signature": "sig_85ca5a39637a486ab2db1eecd43cdf15"}, text])
    _, sent = wire([HumanMessage(first["content"][0]["text"]), signed, HumanMessage(second["content"][0]["text"])])
    assert sent == [first, {"role": "assistant", "content": [{**thinking, "signature": "sig_85ca5a39637a486ab2db1eecd43cdf15"}, text]}, second]
    # The request the server refused (thinking without its signature) is not sent again.
    _, resent = wire([HumanMessage(first["content"][0]["text"]), AIMessage([thinking, text]), HumanMessage(second["content"][0]["text"])])
    assert resent[1]["content"] == [text]
    assert "without a signature" in caplog.text


def test_bytes_declared_as_text_must_be_utf8():
    for api in ("workspace", "gpt"):
        with pytest.raises(ValueError, match=r"file 'a.txt'.*not UTF-8"):
            user_blocks({"type": "file", "base64": "/////w==", "mime_type": "text/plain", "filename": "a.txt"}, api=api)
    # Other types are bytes: anything goes.
    assert user_blocks({"type": "file", "base64": "/////w==", "mime_type": "application/octet-stream"})[0]["data"] == "/////w=="
