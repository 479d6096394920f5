"""Content blocks: discriminated on type, unknown fields kept, unknown types rejected."""

from __future__ import annotations

import pytest

from zylon_core.models import (
    ChatRequest,
    MessageInput,
    OtherSource,
    TextBlock,
    ToolResultBlock,
    parse_block,
)


def test_unknown_block_type_names_the_type():
    with pytest.raises(ValueError, match="unknown Zylon content block type 'hologram'"):
        parse_block({"type": "hologram", "data": "x"})


def test_unknown_block_type_inside_a_message_is_named():
    with pytest.raises(ValueError, match="'hologram'"):
        MessageInput.model_validate({"role": "user", "content": [{"type": "hologram"}]})


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
