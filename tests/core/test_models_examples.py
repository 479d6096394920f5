"""Every documented payload parses into the core models and serialises back unchanged."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from tests.conftest import example_names, load_example
from zylon_core.models import (
    ChatRequest,
    ChatValidationResult,
    ChunkSearchResponse,
    CreateInteractionDTO,
    CreateThreadDTO,
    EmbeddingsBody,
    EmbeddingsResponse,
    Interaction,
    MessageOutput,
    Page,
    Thread,
    UpdateThreadDTO,
    parse_blocks,
)

# Which model reads each documented request body.
REQUESTS: dict[str, type[BaseModel]] = {
    "chat.01.request.json": ChatRequest,
    "chat.03.request.json": ChatRequest,
    "threads.01.request.json": CreateInteractionDTO,
    "threads.04.request.json": CreateInteractionDTO,
    "threads.05.request.json": CreateThreadDTO,
    "threads.08.request.json": UpdateThreadDTO,
    "threads.09.request.json": CreateThreadDTO,
    "threads.17.request.json": ChatRequest,
    "threads.19.request.json": ChatRequest,
    "interactions.01.request.json": CreateInteractionDTO,
    "custom-tools.01.request.json": ChatRequest,
    "embeddings.01.request.json": EmbeddingsBody,
    "embeddings.03.request.json": EmbeddingsBody,
    "async-messages.01.request.json": ChatRequest,
    **{name: ChatRequest for name in example_names("messages.*.request.json")},
}

RESPONSES: dict[str, type[BaseModel]] = {
    "chat.02.response.json": MessageOutput,
    "threads.18.response.json": MessageOutput,
    "threads.02.response.json": Interaction,
    "interactions.02.response.json": Interaction,
    "interactions.04.response.json": Interaction,
    "interactions.06.response.json": Interaction,
    "threads.07.response.json": Page[Thread],
    "custom-tools.02.response.json": ChatValidationResult,
    "messages.05.response.json": ChatValidationResult,
    "embeddings.02.response.json": EmbeddingsResponse,
    "embeddings.04.response.json": EmbeddingsResponse,
    **{name: MessageOutput for name in ("messages.03.response.json", "messages.07.response.json", "messages.09.response.json", "messages.11.response.json", "messages.14.response.json")},
}


def test_every_chat_example_is_covered(shared_api):
    """A new chat/thread/interaction example in the docs must be added to the tables."""
    documented = set(example_names("chat.*.json")) | set(example_names("interactions.*.json"))
    documented |= {n for n in example_names("threads.*.json") if n != "threads.03.response.json"}
    missing = documented - set(REQUESTS) - set(RESPONSES)
    assert not missing, f"examples without a model: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_request_example_round_trips(name):
    data = load_example(name)
    model = REQUESTS[name].model_validate(data)
    assert model.to_json_dict() == data


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_example_parses_and_round_trips(name):
    data = load_example(name)
    model = RESPONSES[name].model_validate(data)
    assert model.model_dump(mode="json", by_alias=True, exclude_unset=True) == data


def test_block_reference_example_covers_every_block_type():
    data = load_example("threads.03.response.json")
    blocks = parse_blocks(data)
    assert [b.type for b in blocks] == [
        "text", "image", "audio", "binary", "file", "source", "tool_use", "tool_result", "thinking", "tldr",
    ]
    assert [b.to_json_dict() for b in blocks] == data
    source = blocks[5]
    assert source.sources[1].document.artifact == "artifact_123"
    assert source.sources[0].url == "https://example.com/report"


def test_chunk_search_response_from_the_openapi_example(shared_api):
    import json

    spec = json.loads((shared_api / "gpt.openapi.json").read_text())
    examples = spec["paths"]["/v1/primitives/search"]["post"]["responses"]["200"]["content"]["application/json"]["examples"]
    for example in examples.values():
        parsed = ChunkSearchResponse.model_validate(example["value"])
        assert parsed.to_json_dict() == example["value"]
        assert all(chunk.document.artifact for chunk in parsed.data)


def test_embeddings_vectors_follow_index_not_list_order():
    response = EmbeddingsResponse.model_validate(
        {"data": [{"index": 1, "embedding": [2.0]}, {"index": 0, "embedding": [1.0]}]}
    )
    assert response.vectors() == [[1.0], [2.0]]
