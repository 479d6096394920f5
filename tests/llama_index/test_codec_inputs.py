"""The pure codec, offline: LlamaIndex messages → Zylon request messages (roles, media,
files as ``binary`` / ``document``, tool calls and results, signed thinking, the wire
blocks a decoded answer kept, put back in place)."""

from __future__ import annotations

import base64
import logging

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
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from llama_index_zylon._codec.history import from_zylon_input
from llama_index_zylon._codec.inputs import to_zylon_messages
from llama_index_zylon._codec.outputs import decode_output
from tests.core.real_captures import load
from tests.llama_index.conftest import PNG
from zylon_core._request import build_turn
from zylon_core.models import ChatRequest, MessageInput, MessageOutput

SIG = "sig_85ca5a39637a486ab2db1eecd43cdf15"


def wire(messages, api="workspace"):
    """The request body messages, as they go on the wire."""
    system, out = to_zylon_messages(messages, api=api)
    request = ChatRequest(messages=out)
    return request.to_json_dict()["messages"], system


def user(*blocks):
    return ChatMessage(role="user", blocks=list(blocks))


# -- roles and system ------------------------------------------------------------------------------


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


# -- media and files -------------------------------------------------------------------------------


def test_image_block_from_bytes_path_url_and_data_url(tmp_path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    b64 = base64.b64encode(PNG).decode()
    messages, _ = wire(
        [
            user(
                TextBlock(text="What is this?"),
                ImageBlock(image=PNG),
                ImageBlock(image=b64.encode(), image_mimetype="image/png"),
                ImageBlock(path=path),
                ImageBlock(url="https://example.com/cat.jpg"),
                ImageBlock(url=f"data:image/png;base64,{b64}"),
            )
        ]
    )
    content = messages[0]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}
    for block in content[1:4]:  # the client shape, which both APIs take
        assert block == {"type": "image", "data": b64, "mime_type": "image/png"}
    assert content[4]["data"] == "https://example.com/cat.jpg" and content[4]["type"] == "image"
    assert content[5] == {"type": "image", "data": b64, "mime_type": "image/png"}


def test_audio_block_gets_base64_and_a_mime_type():
    messages, _ = wire([user(AudioBlock(audio=b"ID3fake-mp3", format="mp3"))])
    block = messages[0]["content"][0]
    assert block == {"type": "audio", "data": base64.b64encode(b"ID3fake-mp3").decode(), "mime_type": "audio/mpeg"}


PDF = b"%PDF-1.4 fake"


def documents(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Q1 plan: hire two engineers.")
    return user(
        DocumentBlock(data=PDF, document_mimetype="application/pdf", title="contract.pdf"),
        DocumentBlock(path=notes),
        DocumentBlock(url="https://example.com/report.pdf", document_mimetype="application/pdf"),
        DocumentBlock(url="data:text/csv;base64," + base64.b64encode(b"a,b\n1,2").decode()),
    )


def test_documents_go_to_the_workspace_as_binary_blocks_never_file(tmp_path):
    messages, _ = wire([documents(tmp_path)])
    pdf, notes, url, csv = messages[0]["content"]
    assert pdf == {"type": "binary", "data": base64.b64encode(PDF).decode(), "mime_type": "application/pdf", "filename": "contract.pdf"}
    assert notes == {
        "type": "binary",
        "data": base64.b64encode(b"Q1 plan: hire two engineers.").decode(),
        "mime_type": "text/plain",
        "filename": "notes.txt",
    }
    # Not fetched: the Workspace's binary block takes a URL as its data.
    assert url == {"type": "binary", "data": "https://example.com/report.pdf", "mime_type": "application/pdf", "filename": "report.pdf"}
    assert csv == {"type": "binary", "data": base64.b64encode(b"a,b\n1,2").decode(), "mime_type": "text/csv"}


def test_documents_go_to_zylon_gpt_as_document_blocks(tmp_path):
    messages, _ = wire([documents(tmp_path)], api="gpt")
    pdf, notes, url, csv = messages[0]["content"]
    assert pdf == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": base64.b64encode(PDF).decode()},
        "title": "contract.pdf",
    }
    assert notes == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "Q1 plan: hire two engineers."},
        "title": "notes.txt",
    }
    assert url == {"type": "document", "source": {"type": "url", "url": "https://example.com/report.pdf"}, "title": "report.pdf"}
    assert csv["source"] == {"type": "text", "media_type": "text/csv", "data": "a,b\n1,2"}


def test_file_blocks_match_the_blocks_the_real_server_took(shared_api):
    notes = DocumentBlock(data=b"The meeting is on Friday.", document_mimetype="text/plain", title="notes.txt")
    (document_message,) = wire([user(notes, TextBlock(text="When is the meeting?"))], api="gpt")[0]
    assert document_message == load("msg_document_text", "request")["messages"][0]
    binary = DocumentBlock(data=b"hello binary", document_mimetype="text/plain", title="b.txt")
    (binary_message,) = wire([user(binary, TextBlock(text="Read it"))])[0]
    assert binary_message == load("msg_binary_legacy", "request")["messages"][0]


def test_non_utf8_text_documents_are_refused_for_zylon_gpt():
    block = DocumentBlock(data=b"caf\xe9", document_mimetype="text/plain", title="latin1.txt")
    assert wire([user(block)])[0][0]["content"][0]["type"] == "binary"  # bytes: fine as binary
    with pytest.raises(ValueError, match="DocumentBlock.*not UTF-8"):
        to_zylon_messages([user(block)], api="gpt")


def test_citable_block_becomes_a_named_text_file_and_citations_and_cache_points_are_dropped():
    handbook = CitableBlock(title="Handbook", source="doc-1", content=[TextBlock(text="Vacation is 25 days."), ImageBlock(image=PNG)])
    answer = ChatMessage(
        role="assistant",
        blocks=[
            TextBlock(text="25."),
            CitationBlock(cited_content=TextBlock(text="25 days"), source="doc-1", title="Handbook", additional_location_info={}),
        ],
    )
    question = user(handbook, CachePoint(cache_control=CacheControl(type="ephemeral")), TextBlock(text="How many vacation days?"))
    messages, _ = wire([question, answer])
    text = base64.b64encode(b"Vacation is 25 days.").decode()
    assert messages[0]["content"] == [
        {"type": "binary", "data": text, "mime_type": "text/plain", "filename": "Handbook"},
        {"type": "image", "data": base64.b64encode(PNG).decode(), "mime_type": "image/png"},
        {"type": "text", "text": "How many vacation days?"},
    ]
    assert messages[1]["content"] == [{"type": "text", "text": "25."}]
    gpt, _ = wire([question], api="gpt")
    assert gpt[0]["content"][0] == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "Vacation is 25 days."},
        "title": "Handbook",
    }


def test_what_the_workspace_refuses_fails_before_any_request():
    """build_turn checks the messages against what the Workspace takes: no file block
    ever comes out of this codec, and a hand-made one is refused by name."""
    _, messages = to_zylon_messages([user(DocumentBlock(data=PDF, document_mimetype="application/pdf"))])
    build_turn(None, messages, configured={}, per_call={})
    hand_made = [MessageInput.model_validate({"role": "user", "content": [{"type": "file", "content": "x"}]})]
    with pytest.raises(ValueError, match=r"messages\[0\]\.content\[0\].*'binary' block"):
        build_turn(None, hand_made, configured={}, per_call={})


def test_video_is_rejected_naming_the_block():
    with pytest.raises(ValueError, match="VideoBlock"):
        to_zylon_messages([user(VideoBlock(url="https://example.com/v.mp4"))])


def test_unreadable_path_is_a_value_error_naming_it(tmp_path):
    path = tmp_path / "gone.png"
    path.write_bytes(PNG)
    block = ImageBlock(path=path)
    path.unlink()  # removed after the block was built
    with pytest.raises(ValueError, match="ImageBlock path .*gone.png"):
        to_zylon_messages([user(block)])
    with pytest.raises(ValueError, match="DocumentBlock path .*missing.pdf"):
        to_zylon_messages([user(DocumentBlock(path=str(tmp_path / "missing.pdf")))])


# -- tool calls and results --------------------------------------------------------------------------


def test_assistant_tool_calls_from_blocks_and_legacy_kwargs_become_tool_use_once():
    assistant = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="I need the weather.", additional_information={"signature": SIG}),
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
            {"type": "thinking", "thinking": "I need the weather.", "signature": SIG},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "clock", "input": {"tz": "CET"}},
        ],
    }


def test_thinking_without_a_signature_is_left_out_with_a_warning(caplog):
    """Zylon answers 400 for it (capture client_C_thinking_history_no_signature): it
    cannot be replayed, and failing the call would break every conversation that went
    through another provider."""
    unsigned = ChatMessage(role="assistant", blocks=[ThinkingBlock(content="Let me think."), TextBlock(text="4")])
    with caplog.at_level(logging.WARNING, logger="llama_index_zylon"):
        messages, _ = wire([ChatMessage(role="user", content="2+2?"), unsigned])
    assert messages[1]["content"] == [{"type": "text", "text": "4"}]
    (record,) = caplog.records
    assert record.getMessage().startswith("messages[1] (assistant): a ThinkingBlock without a signature")


def test_string_tool_kwargs_are_parsed_and_bad_json_is_rejected():
    ok = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs='{"a": 1}')])
    assert wire([ok])[0][0]["content"][0]["input"] == {"a": 1}
    bad = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs="{nope")])
    with pytest.raises(ValueError, match="not valid JSON"):
        to_zylon_messages([bad])


TOOL_TURN = [
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


def test_consecutive_tool_messages_merge_into_one_user_message_of_tool_results():
    messages, _ = wire(TOOL_TURN)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "user"]
    assert messages[2]["content"] == [  # the Workspace's schema: a block list
        {"type": "tool_result", "tool_use_id": "a", "content": [{"type": "text", "text": "5"}]},
        {"type": "tool_result", "tool_use_id": "b", "content": [{"type": "text", "text": "boom"}], "is_error": True},
    ]


def test_text_tool_results_are_strings_for_zylon_gpt(shared_api):
    messages, _ = wire(TOOL_TURN, api="gpt")
    assert messages[2]["content"][1] == {"type": "tool_result", "tool_use_id": "b", "content": "boom", "is_error": True}
    captured = load("msg_tool_result_string", "request")["messages"][2]
    call = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="toolu_01", tool_name="get_weather", tool_kwargs={"city": "Paris"})])
    result = ChatMessage(role="tool", content="18C and sunny", additional_kwargs={"tool_call_id": "toolu_01"})
    assert wire([call, result], api="gpt")[0][1] == captured
    # a result holding more than text stays a list
    image = ChatMessage(role="tool", blocks=[ImageBlock(image=PNG)], additional_kwargs={"tool_call_id": "toolu_01"})
    assert isinstance(wire([call, image], api="gpt")[0][1]["content"][0]["content"], list)


def test_tool_message_without_tool_call_id_is_rejected():
    with pytest.raises(ValueError, match="tool_call_id"):
        to_zylon_messages([ChatMessage(role="tool", content="5")])


def test_tool_call_block_in_a_user_message_is_rejected():
    with pytest.raises(ValueError, match="ToolCallBlock.*assistant"):
        to_zylon_messages([user(ToolCallBlock(tool_call_id="x", tool_name="f"))])


# -- what a decoded answer kept goes back in place -----------------------------------------------------


def test_blocks_llama_index_cannot_hold_go_back_in_place():
    answer = MessageOutput(
        content=[
            {"type": "redacted_thinking", "data": "opaque=="},
            {"type": "text", "text": "Searching.", "start_timestamp": "2026-11-30T00:00:00Z"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {"query": "q", "artifacts": None}, "caller": None},
            {"type": "server_tool_result", "tool_use_id": "srvtoolu_1", "content": "nothing found", "is_error": True},
            {"type": "container_upload", "file_id": "file_01", "_meta": {"k": 1}},
            {"type": "text", "text": "Nothing."},
        ]
    )
    message = decode_output(answer).message
    assert message.content == "Searching.\nNothing."
    sent = wire([ChatMessage(role="user", content="q"), message])[0][1]["content"]
    assert sent == [
        {"type": "redacted_thinking", "data": "opaque=="},
        {"type": "text", "text": "Searching."},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "search", "input": {"query": "q", "artifacts": None}},
        {"type": "server_tool_result", "tool_use_id": "srvtoolu_1", "content": "nothing found", "is_error": True},
        {"type": "container_upload", "file_id": "file_01"},
        {"type": "text", "text": "Nothing."},
    ]


def test_a_kept_block_record_must_hold_a_block():
    bad = ChatMessage(role="assistant", content="x", additional_kwargs={"zylon_blocks": [{"position": 0, "block": "nope"}]})
    with pytest.raises(ValueError, match=r"zylon_blocks.*'position'.*'block'"):
        to_zylon_messages([bad])


# -- round trip (property) -------------------------------------------------------------------------------

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
@given(conversations(), st.sampled_from(["workspace", "gpt"]))
def test_round_trip_keeps_text_tool_calls_and_tool_results(messages, api):
    _, zylon = to_zylon_messages(messages, api=api)
    # what the server would store, re-read as LlamaIndex messages
    back = [m for zm in zylon for m in from_zylon_input(MessageInput.model_validate(zm.to_json_dict()))]
    assert _essence(back) == _essence(messages)
