"""What each API accepts as input (checked before a request: fidelity.md sections 1, 5, 6),
the block shapes read both ways, and embeddings in input order with repeated indexes
(section 14)."""

from __future__ import annotations

import pytest

from tests.core.real_captures import error_of, load
from zylon_core._answers import result_blocks, server_tool_ids
from zylon_core._operations import checked_vectors
from zylon_core.errors import APIError
from zylon_core.models import (
    GPT_INPUT_BLOCK_TYPES,
    WORKSPACE_INPUT_BLOCK_TYPES,
    AudioBlock,
    DocumentBlock,
    DocumentTextSource,
    DocumentUrlSource,
    EmbeddingsResponse,
    ImageBlock,
    MessageInput,
    OtherDocumentSource,
    RedactedThinkingBlock,
    SearchResultBlock,
    ToolResultBlock,
    check_input_blocks,
    parse_block,
)

# -- input checks ----------------------------------------------------------------------------


def test_the_gpt_tags_are_the_servers_own_list(shared_api):
    explanation = load("err_unknown_block_type")["error"]["detail"]["explanation"][1]["msg"]
    listed = explanation.split("expected tags: ")[1]
    assert {tag.strip(" '") for tag in listed.split(",")} == GPT_INPUT_BLOCK_TYPES
    assert len(GPT_INPUT_BLOCK_TYPES) == 31 and "file" not in GPT_INPUT_BLOCK_TYPES
    assert WORKSPACE_INPUT_BLOCK_TYPES <= GPT_INPUT_BLOCK_TYPES


@pytest.mark.parametrize("api", ["workspace", "gpt"])
def test_the_refused_requests_are_refused_before_sending(api, shared_api):
    video = load("err_unknown_block_type", "request")["messages"]
    with pytest.raises(ValueError, match=r"messages\[0\]\.content\[0\]: .*does not accept a 'video' content block; it accepts: audio, .*binary"):
        check_input_blocks(video, api)  # type: ignore[arg-type]
    file = load("msg_file_client_shape", "request")["messages"]
    send = "'document' block" if api == "gpt" else "'binary' block"
    with pytest.raises(ValueError, match=rf"messages\[0\]\.content\[0\]: Zylon has no 'file' input block .* send the file as a {send}"):
        check_input_blocks(file, api)  # type: ignore[arg-type]
    # What the server answered to them, for comparison: the same block named.
    assert "messages[0].content[0]" in str(error_of("err_unknown_block_type"))
    # The same messages still parse (history read back can hold anything).
    assert [MessageInput.model_validate(m).content[0].type for m in video + file] == ["video", "file"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name",
    ["msg_document_text", "msg_binary_legacy", "msg_image_anthropic", "msg_image_client_shape", "msg_audio_client_shape", "msg_tool_result_string", "msg_tool_result_blocks", "msg_tool_result_error_flag", "msg_tool_result_in_assistant"],
)
def test_the_accepted_requests_pass_the_gpt_check_and_round_trip(name, shared_api):
    messages = load(name, "request")["messages"]
    check_input_blocks(messages, "gpt")
    assert [MessageInput.model_validate(m).to_json_dict() for m in messages] == messages


def test_nested_blocks_are_checked_and_models_work_as_well_as_dicts():
    nested = [MessageInput(role="user", content=[ToolResultBlock(tool_use_id="t", content=[parse_block({"type": "hologram"})])])]
    with pytest.raises(ValueError, match=r"messages\[0\]\.content\[0\]\.content\[0\]: .*'hologram'"):
        check_input_blocks(nested, "gpt")
    check_input_blocks([MessageInput(role="user", content="plain text")], "workspace")
    with pytest.raises(ValueError, match="must be an object with a string 'type'"):
        check_input_blocks([{"role": "user", "content": [{"text": "no type"}]}], "gpt")
    with pytest.raises(ValueError, match="unknown Zylon API 'anthropic'"):
        check_input_blocks([], "anthropic")  # type: ignore[arg-type]


def test_gpt_only_blocks_are_refused_on_the_workspace():
    messages = [{"role": "user", "content": [{"type": "mid_conv_system", "text": "x"}]}]
    check_input_blocks(messages, "gpt")
    with pytest.raises(ValueError, match="the Workspace chat API does not accept a 'mid_conv_system'"):
        check_input_blocks(messages, "workspace")


# -- block shapes -----------------------------------------------------------------------------


def test_image_and_audio_in_both_shapes():
    client = parse_block({"type": "image", "data": "iVBOR", "mime_type": "image/png"})
    anthropic = parse_block({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}})
    assert isinstance(client, ImageBlock) and isinstance(anthropic, ImageBlock)
    assert anthropic.source is not None and anthropic.source.media_type == "image/png" and anthropic.data is None
    assert anthropic.to_json_dict() == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}
    assert isinstance(parse_block({"type": "audio", "data": "UklG", "mime_type": "audio/wav"}), AudioBlock)
    with pytest.raises(ValueError, match="an image block needs 'data'"):
        parse_block({"type": "image", "mime_type": "image/png"})


def test_document_sources_redacted_thinking_and_search_results():
    text = parse_block({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Hi"}, "title": "n.txt"})
    url = parse_block({"type": "document", "source": {"type": "url", "url": "https://x/y.pdf"}})
    content = parse_block({"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "a"}]}, "context": "c"})
    other = parse_block({"type": "document", "source": {"type": "file", "file_id": "f1"}})
    assert isinstance(text, DocumentBlock) and isinstance(text.source, DocumentTextSource) and text.title == "n.txt"
    assert isinstance(url.source, DocumentUrlSource) and content.source.content[0].text == "a"  # type: ignore[union-attr]
    assert isinstance(other.source, OtherDocumentSource) and other.to_json_dict()["source"] == {"type": "file", "file_id": "f1"}
    redacted = parse_block({"type": "redacted_thinking", "data": "opaque=="})
    assert isinstance(redacted, RedactedThinkingBlock) and redacted.to_json_dict() == {"type": "redacted_thinking", "data": "opaque=="}
    found = parse_block({"type": "search_result", "source": "https://x", "title": "T", "content": [{"type": "text", "text": "t"}]})
    assert isinstance(found, SearchResultBlock) and found.content[0].type == "text"


def test_tool_result_content_as_a_string():
    block = parse_block({"type": "tool_result", "tool_use_id": "t", "content": "x", "is_error": True})
    assert isinstance(block, ToolResultBlock) and block.content == "x"
    message = MessageInput.model_validate({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]})
    assert message.to_json_dict()["content"] == [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]
    assert result_blocks("x") == [{"type": "text", "text": "x"}] and result_blocks(None) == []
    assert result_blocks([{"type": "text", "text": "a"}]) == [{"type": "text", "text": "a"}]


def test_server_tool_ids_cover_both_kinds_of_result_and_the_calls():
    blocks = [
        {"type": "tool_use", "id": "w1", "name": "file_semantic_search"},
        {"type": "tool_result", "tool_use_id": "w1", "content": []},
        {"type": "server_tool_use", "id": "s1", "name": "search"},
        {"type": "server_tool_result", "tool_use_id": "s1", "content": "x"},
        {"type": "tool_use", "id": "c1", "name": "get_weather"},
    ]
    assert server_tool_ids(blocks) == {"w1", "s1"}


# -- embeddings -------------------------------------------------------------------------------


@pytest.mark.parametrize("name, count", [("embeddings_batch", 3), ("embeddings_batch_with_model", 2), ("embeddings_single", 1), ("embeddings_empty_list", 0)])
def test_real_embeddings_answers_give_one_vector_per_input(name, count, shared_api):
    body = load(name)
    request = load(name, "request")["input"]
    assert count == (1 if isinstance(request, str) else len(request))
    vectors = checked_vectors(EmbeddingsResponse.model_validate(body), count)
    assert vectors == [item["embedding"] for item in body["data"]]
    assert EmbeddingsResponse.model_validate(body).vectors() == vectors
    if name == "embeddings_batch":
        assert [item["index"] for item in body["data"]] == [0, 0, 0]  # equal vectors, first index repeated


def test_the_wrong_input_type_names_input(shared_api):
    assert "input: Input should be a valid string" in str(error_of("embeddings_wrong_type"))


@pytest.mark.parametrize(
    "indexes, expected",
    [
        ([2, 0, 1], [[1.0], [2.0], [0.0]]),  # a permutation: by index
        ([0, 1, 2], [[0.0], [1.0], [2.0]]),
        ([0, 0, 2], [[0.0], [1.0], [2.0]]),  # repeats: list order
        ([0, 1, 1], [[0.0], [1.0], [2.0]]),
        ([0, 1, 0], [[0.0], [1.0], [2.0]]),  # inputs a, b, a: the third repeats the first's index
    ],
)
def test_vectors_follow_the_index_or_else_the_list(indexes, expected):
    response = EmbeddingsResponse.model_validate({"data": [{"index": i, "embedding": [float(n)]} for n, i in enumerate(indexes)]})
    assert checked_vectors(response, 3) == expected


@pytest.mark.parametrize("got", [2, 4])
def test_a_count_mismatch_is_still_an_error(got):
    response = EmbeddingsResponse.model_validate({"data": [{"index": 0, "embedding": [0.0]}] * got})
    with pytest.raises(APIError, match=f"3 input\\(s\\), {got} vector\\(s\\)"):
        checked_vectors(response, 3)
