"""``Zylon(api="gpt")`` against the emulator: the ZylonGPT route (sync, stream, async,
per-call ``model``), ``metadata`` from the model's card, request validation on either
API, and background messages submitted here and resumed here, asynchronously, and from
another process."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from llama_index.core.base.llms.types import ChatMessage, DocumentBlock, MessageRole, TextBlock, ToolCallBlock

from llama_index_zylon import Zylon
from tests.conftest import TEST_TOKEN
from zylon_core import ConfigurationError, NotFoundError

ROOT = Path(__file__).resolve().parents[2]
HELLO = [ChatMessage(role="user", content="Hello there")]


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(model_ids=("first", "second")) as running:
        yield running


@pytest.fixture(scope="module")
def solo() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(model_ids=("solo",)) as running:
        yield running


@pytest.fixture(scope="module")
def workspace_token_server() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(token_kind="workspace") as running:
        yield running


def gpt(server: Any, **fields: Any) -> Zylon:
    fields.setdefault("model", "first")
    return Zylon(base_url=server.base_url, api_key=TEST_TOKEN, api="gpt", max_retries=0, **fields)


def sent(server: Any) -> dict[str, Any]:
    return server.requests[-1]["json"]


# -- the route ---------------------------------------------------------------------------------


def test_chat_and_stream_chat_go_to_messages(server: Any) -> None:
    llm = gpt(server)
    server.clear_requests()
    response = llm.chat(HELLO)
    chunks = list(llm.stream_chat(HELLO, model="second"))
    assert response.message.content == chunks[-1].message.content == 'You said: "Hello there".'
    assert "".join(c.delta or "" for c in chunks) == response.message.content
    # LlamaIndex reads metadata on every call: the client's first call reads the models list, once.
    assert [r["path"] for r in server.requests if r["method"] == "GET"] == ["/api/gpt/v1/models"]
    assert [(r["path"], r["json"]["model"], r["json"].get("stream")) for r in server.requests if r["method"] == "POST"] == [
        ("/api/gpt/v1/messages", "first", None),
        ("/api/gpt/v1/messages", "second", True),
    ]
    assert response.additional_kwargs["model"] == "private-gpt"  # what the server reports
    assert llm.complete("Hi").text == 'You said: "Hi".'


async def test_the_async_twins(server: Any) -> None:
    llm = gpt(server)
    response = await llm.achat(HELLO, model="second")
    chunks = [c async for c in await llm.astream_chat(HELLO)]
    assert response.message.content == chunks[-1].message.content
    assert sent(server)["model"] == "first" and sent(server)["stream"] is True


def test_what_the_gpt_route_sends(server: Any) -> None:
    scope = [{"type": "ingested_artifact", "context_filter": {"collection": "nowhere"}}]
    llm = gpt(server, stop=["said"], effort="medium", tool_context=scope)
    response = llm.chat([ChatMessage(role=MessageRole.SYSTEM, content="Be terse."), *HELLO])
    body = sent(server)
    assert body["stop_sequences"] == ["said"] and body["output_config"] == {"effort": "medium"}
    assert body["tool_context"] == scope and body["system"] == {"text": "Be terse."}
    assert response.message.content == "You " and response.additional_kwargs["stop_reason"] == "stop_sequence"


def test_documents_go_as_document_blocks_and_tool_results_as_strings(server: Any) -> None:
    history = [
        ChatMessage(role="user", blocks=[TextBlock(text="read"), DocumentBlock(data=b"notes", document_mimetype="text/plain", title="n.txt")]),
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="toolu_1", tool_name="lookup", tool_kwargs={})]),
        ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "toolu_1"}),
    ]
    gpt(server).chat(history)
    user, _, results = sent(server)["messages"]
    document = user["content"][1]
    assert document["type"] == "document" and document["title"] == "n.txt"
    assert document["source"]["media_type"] == "text/plain"
    data = document["source"]["data"]
    assert data == "notes" or base64.b64decode(data) == b"notes"
    assert results["content"] == [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "42"}]


@pytest.mark.parametrize("field", ["thread_id", "project_id", "artifact_ids", "all_artifacts", "agent"])
def test_workspace_fields_are_refused_by_the_constructor(server: Any, field: str) -> None:
    value: Any = {"artifact_ids": ["a1"], "all_artifacts": True, "agent": "Default"}.get(field, "x1")
    with pytest.raises(ConfigurationError, match=f"{field} belongs to the Workspace API"):
        gpt(server, **{field: value})
    with pytest.raises(ConfigurationError, match="needs api='gpt'"):
        Zylon(base_url=server.base_url, api_key=TEST_TOKEN, effort="low")


def test_a_per_call_model_on_the_workspace_route_is_refused_not_dropped(server: Any) -> None:
    server.clear_requests()
    with pytest.raises(ConfigurationError, match="model= per call needs api='gpt'"):
        Zylon(base_url=server.base_url, api_key=TEST_TOKEN).chat(HELLO, model="second")
    assert server.requests == []


async def test_validate_request_asks_the_apis_own_endpoint(server: Any) -> None:
    server.clear_requests()
    assert gpt(server).validate_request(HELLO).valid
    invalid = await gpt(server, model="nope").avalidate_request(HELLO)
    assert not invalid.valid and "nope" in json.dumps(invalid.errors)
    assert Zylon(base_url=server.base_url, api_key=TEST_TOKEN).validate_request(HELLO).valid
    assert [r["path"] for r in server.requests] == ["/api/gpt/v1/messages/validate"] * 2 + ["/api/v1/app/chat/validate"]


# -- metadata -----------------------------------------------------------------------------------


def test_the_context_window_comes_from_the_models_card_on_the_gpt_route(solo: Any) -> None:
    solo.clear_requests()
    llm = gpt(solo, model="solo")
    first, second = llm.metadata, llm.metadata
    assert (first.context_window, first.num_output, first.model_name) == (8192, 1024, "solo")
    assert second.context_window == 8192 and [r["path"] for r in solo.requests] == ["/api/gpt/v1/models"]  # once
    explicit = gpt(solo, model="solo", context_window=2048, max_tokens=64)
    solo.clear_requests()
    assert (explicit.metadata.context_window, explicit.metadata.num_output) == (2048, 64) and solo.requests == []


def test_the_workspace_route_makes_no_request_for_metadata(solo: Any) -> None:
    llm = Zylon(base_url=solo.base_url, api_key=TEST_TOKEN)
    solo.clear_requests()
    assert llm.metadata.context_window == 32768 and solo.requests == []  # the documented default
    card = llm.fetch_model_info()
    assert card is not None and card.id == "solo"  # "default": the only model listed
    assert llm.metadata.context_window == 8192 and len(solo.requests) == 1


def test_an_unreachable_models_list_gives_the_default_and_is_not_asked_again(workspace_token_server: Any, caplog: Any) -> None:
    server = workspace_token_server
    llm = Zylon(base_url=server.base_url, api_key=TEST_TOKEN, api="gpt", max_retries=0)
    server.clear_requests()
    with caplog.at_level("WARNING", logger="zylon_core"):
        assert llm.metadata.context_window == 32768 and llm.metadata.context_window == 32768
    assert len(server.requests) == 1
    assert [r.getMessage() for r in caplog.records if "models list could not be read" in r.getMessage()]
    assert Zylon(base_url=server.base_url, api_key=TEST_TOKEN).fetch_model_info() is None


def test_an_ambiguous_default_model_keeps_the_configured_values(server: Any) -> None:
    llm = gpt(server, model="default")  # two models listed: the alias names neither for sure
    assert llm.metadata.context_window == 32768 and llm.fetch_model_info() is None


# -- background messages ------------------------------------------------------------------------


def test_submit_then_resume_chat(server: Any) -> None:
    llm = gpt(server, citations=True)
    expected = llm.chat(HELLO)
    message_id = llm.submit(HELLO)
    assert llm.background_status(message_id).status == "completed"
    chunks = list(llm.resume_chat(message_id))
    assert chunks[-1].message.content == expected.message.content
    assert "".join(c.delta or "" for c in chunks) == expected.message.content
    assert chunks[-1].additional_kwargs["usage"] == expected.additional_kwargs["usage"]
    assert list(llm.resume_chat(message_id))[-1].message.content == expected.message.content  # again, from the start
    llm.cancel_background(message_id)
    llm.delete_background(message_id)
    with pytest.raises(NotFoundError, match=f"Stream with message_id {message_id} not found"):
        list(llm.resume_chat(message_id))


def test_submit_takes_chats_keyword_arguments_and_a_chosen_id(server: Any) -> None:
    llm = gpt(server)
    assert llm.submit(HELLO, message_id="li-report-1", model="second", stop=["said"]) == "li-report-1"
    request = server.requests[-1]
    assert request["query"] == {"message_id": "li-report-1"} and request["json"]["model"] == "second"
    assert list(llm.resume_chat("li-report-1", stop=["said"]))[-1].message.content == "You "
    with pytest.raises(ConfigurationError, match=r"submit needs Zylon\(api='gpt'\)"):
        Zylon(base_url=server.base_url, api_key=TEST_TOKEN).submit(HELLO)


async def test_asubmit_and_aresume_chat(server: Any) -> None:
    llm = gpt(server)
    message_id = await llm.asubmit(HELLO)
    chunks = [c async for c in await llm.aresume_chat(message_id)]
    assert chunks[-1].message.content == 'You said: "Hello there".'
    assert (await llm.abackground_status(message_id)).finished
    await llm.acancel_background(message_id)
    await llm.adelete_background(message_id)
    with pytest.raises(NotFoundError):
        await llm.abackground_status(message_id)


RESUME = """
import json, sys
from llama_index_zylon import Zylon
chunks = list(Zylon(api="gpt").resume_chat(sys.argv[1]))
print(json.dumps({"text": chunks[-1].message.content, "deltas": "".join(c.delta or "" for c in chunks),
                  "usage": chunks[-1].additional_kwargs["usage"]["output_tokens"]}))
"""


def test_a_background_message_resumed_from_another_process(server: Any) -> None:
    message_id = gpt(server).submit([ChatMessage(role="user", content="Hello from the first process")])
    env = {**os.environ, "ZYLON_BASE_URL": server.base_url, "ZYLON_API_TOKEN": TEST_TOKEN, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", RESUME, message_id], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    text = 'You said: "Hello from the first process".'
    assert json.loads(done.stdout) == {"text": text, "deltas": text, "usage": 7}
