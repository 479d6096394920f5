"""Content blocks: discriminated on type, unknown fields and unknown types kept."""

from __future__ import annotations

import pytest

from zylon_core.models import (
    ChatRequest,
    MessageInput,
    OtherSource,
    TextBlock,
    ToolResultBlock,
    UnknownBlock,
    parse_block,
)


def test_unknown_block_type_is_kept_whole():
    block = parse_block({"type": "hologram", "data": "x", "_meta": {"k": 1}})
    assert isinstance(block, UnknownBlock) and block.type == "hologram"
    assert block.to_json_dict() == {"type": "hologram", "data": "x", "_meta": {"k": 1}}


def test_unknown_block_type_inside_a_message_parses():
    # History read back from a server can hold anything; sending is checked elsewhere.
    message = MessageInput.model_validate({"role": "user", "content": [{"type": "hologram"}]})
    assert isinstance(message.content[0], UnknownBlock)


@pytest.mark.parametrize("bad", [{"data": "x"}, {"type": 5}, "text", None])
def test_a_block_without_a_string_type_is_refused(bad):
    with pytest.raises(ValueError, match="must be an object with a string 'type'"):
        parse_block(bad)
    with pytest.raises(ValueError, match="must be an object with a string 'type'"):
        MessageInput.model_validate({"role": "user", "content": [bad]})


def test_unknown_fields_survive_a_round_trip():
    data = {"type": "text", "text": "hi", "x_future_field": {"a": 1}, "_meta": {"k": "v"}}
    block = parse_block(data)
    assert block.to_json_dict() == data


def test_discriminator_is_always_serialised():
    assert TextBlock(text="hi").to_json_dict() == {"type": "text", "text": "hi"}
    nested = ToolResultBlock(tool_use_id="t1", content=[TextBlock(text="ok")])
    assert nested.to_json_dict()["content"] == [{"type": "text", "text": "ok"}]


def test_unknown_source_kind_is_kept_not_rejected():
    block = parse_block({"type": "source", "sources": [{"type": "context.video", "url": "u"}]})
    assert isinstance(block.sources[0], OtherSource)
    assert block.to_json_dict()["sources"][0] == {"type": "context.video", "url": "u"}


def test_tool_schema_keeps_camel_case_input_schema():
    request = ChatRequest.model_validate(
        {"messages": [], "tools": [{"name": "t", "inputSchema": {"type": "object", "properties": {}}}]}
    )
    assert "inputSchema" in request.to_json_dict()["tools"][0]


def test_integer_sampling_fields_stay_integers_on_the_wire():
    body = ChatRequest(max_tokens=64, top_k=5, seed=7, temperature=0.2).to_json_dict()
    assert body == {"max_tokens": 64, "top_k": 5, "seed": 7, "temperature": 0.2}
    assert isinstance(body["max_tokens"], int)
