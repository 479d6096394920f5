"""ZylonGPT's models list (with the per-client catalog), token counts and background
messages, through the core clients against the emulator (real HTTP on loopback)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.conftest import TEST_TOKEN
from zylon_core import (
    AsyncZylonClient,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    Route,
    ZylonClient,
)
from zylon_core._gpt_models import count_tokens, model_info
from zylon_core._request import build_turn
from zylon_core.models import ChatRequest, MessageInput, TextBlock

HELLO = [MessageInput(role="user", content=[TextBlock(text="Hello there")])]


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(model_ids=("solo",)) as running:
        yield running


@pytest.fixture(scope="module")
def workspace_token_server() -> Iterator[Any]:
    from zylon_core.emulator.testing import run_emulator

    with run_emulator(token_kind="workspace") as running:
        yield running


def client(server: Any, **settings: Any) -> ZylonClient:
    return ZylonClient(base_url=server.base_url, api_token=TEST_TOKEN, max_retries=0, **settings)


def paths(server: Any) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in server.requests]


# -- models -----------------------------------------------------------------------------------


def test_the_models_list_and_one_model(server: Any) -> None:
    with client(server) as zylon:
        listed = zylon.models.list()
        one = zylon.models.get("solo")
        with pytest.raises(BadRequestError, match="Model config 'nope' not found"):
            zylon.models.get("nope")  # a 400, as the real server answers (not a 404)
    assert [m.id for m in listed.data] == ["solo"] and listed.has_more is False
    assert one.id == "solo" and one.max_input_tokens == 8192 and one.max_tokens == 1024
    assert one.supports("thinking") is True and one.supports("image_input") is False and one.supports("nothing") is None
    assert one.effort_levels == ("low", "medium", "high", "max", "xhigh")


def test_the_card_is_read_once_per_client_and_default_means_the_only_model(server: Any) -> None:
    with client(server) as zylon:
        server.clear_requests()
        assert zylon.models.cached() is None  # nothing read yet: no request either
        first, again = zylon.models.info(), zylon.models.info("default")
        assert first is not None and again is not None and first.id == again.id == "solo"
        assert zylon.models.info("other") is None and zylon.models.cached("solo") is first
    assert paths(server) == ["GET /api/gpt/v1/models"]
    with client(server) as fresh:
        fresh.models.info()
    assert paths(server) == ["GET /api/gpt/v1/models"] * 2  # a new client asks again


def test_a_quiet_lookup_remembers_a_token_that_does_not_reach_zylongpt(workspace_token_server: Any) -> None:
    server = workspace_token_server
    with client(server) as zylon:
        server.clear_requests()
        with pytest.raises(AuthenticationError, match="Gateway token"):
            zylon.models.info()
        assert zylon.run(model_info(zylon.api, quiet=True)) is None
        assert zylon.run(model_info(zylon.api, quiet=True)) is None  # not asked again
        assert zylon.api.catalog.reaches is False
    assert paths(server) == ["GET /api/gpt/v1/models"] * 2


async def test_the_async_models_resource(server: Any) -> None:
    async with AsyncZylonClient(base_url=server.base_url, api_token=TEST_TOKEN) as zylon:
        listed = await zylon.models.list()
        card = await zylon.models.info()
        assert zylon.models.cached() is card
        assert (await zylon.models.get("solo")).id == "solo"
    assert card is not None and [m.id for m in listed.data] == [card.id]


# -- token counts -------------------------------------------------------------------------------


def test_count_tokens_sends_only_what_it_counts(server: Any) -> None:
    request = build_turn("Be terse.", HELLO, configured={"api": "gpt", "model": "solo", "temperature": 0.2}, per_call={}).request
    with client(server) as zylon:
        server.clear_requests()
        tokens = zylon.messages.count_tokens(request)
        without_system = zylon.messages.count_tokens(ChatRequest(messages=HELLO))
    assert isinstance(tokens, int) and tokens > without_system > 0
    assert set(server.requests[0]["json"]) == {"model", "messages", "system"}  # no temperature, no stream
    assert server.requests[1]["json"]["model"] == "default"


def test_a_workspace_token_counts_nothing_and_says_so_once(workspace_token_server: Any) -> None:
    server = workspace_token_server
    request = ChatRequest(messages=HELLO)
    with client(server) as zylon:
        server.clear_requests()
        with pytest.raises(AuthenticationError):
            zylon.run(count_tokens(zylon.api, request))  # the gpt route needs it
        assert zylon.run(count_tokens(zylon.api, request, required=False)) is None
        assert zylon.run(count_tokens(zylon.api, request, required=False)) is None
    assert paths(server) == ["POST /api/gpt/v1/messages/count_tokens"]  # the refusal was remembered


# -- background messages ------------------------------------------------------------------------


def gpt_turn(**per_call: Any) -> Any:
    return build_turn(None, HELLO, configured={"api": "gpt", "model": "solo"}, per_call=per_call)


def test_submit_then_resume_from_the_start(server: Any) -> None:
    turn = gpt_turn(citations=True)
    with client(server) as zylon:
        whole = zylon.run_turn(turn.route, turn.request).message
        server.clear_requests()
        created = zylon.submit_turn(turn.route, turn.request)
        status = zylon.background.status(created.message_id)
        first = zylon.resume_turn(created.message_id)
        deltas = list(first)
        second = zylon.resume_turn(created.message_id)  # the whole stream again
        list(second)
    assert created.status == "pending" and created.message == "Request initiated successfully"
    assert status.message_id == created.message_id and status.status == "completed" and status.finished
    assert status.metadata == {"message_count": 1, "thinking_enabled": False}
    assert first.result is not None and second.result is not None
    text = "".join(d.text for d in deltas if d.kind == "text")
    assert text == whole.content[0].text == second.result.message.content[0].text  # type: ignore[union-attr]
    assert first.result.route.api == "gpt" and first.result.message.id != created.message_id  # msg_... is not the async id
    body = server.requests[0]["json"]
    assert server.requests[0]["path"] == "/api/gpt/v1/messages/async" and "stream" not in body
    assert body["system"] == {"citations": {"enabled": True}, "extensions": ["zylon"]} and body["model"] == "solo"
    assert paths(server)[2:] == [f"GET /api/gpt/v1/messages/async/{created.message_id}/stream"] * 2


def test_a_callers_message_id_cancel_and_delete(server: Any) -> None:
    turn = gpt_turn()
    with client(server) as zylon:
        server.clear_requests()
        created = zylon.submit_turn(turn.route, turn.request, message_id="report-42")
        cancelled = zylon.background.cancel("report-42")
        events = list(zylon.background.events("report-42"))
        zylon.background.delete("report-42")
        with pytest.raises(NotFoundError, match="Stream with message_id report-42 not found"):
            zylon.background.status("report-42")
        with pytest.raises(NotFoundError, match="report-42 not found"):
            list(zylon.resume_turn("report-42"))
        with pytest.raises(ConfigurationError, match="not a valid Zylon id"):
            zylon.background.status("../models")
    assert created.message_id == "report-42" and server.requests[0]["query"] == {"message_id": "report-42"}
    assert cancelled == {"message": "Stream cancelled successfully", "message_id": "report-42"}
    assert events[0]["type"] == "message_start" and events[-1]["type"] == "message_stop"


def test_background_messages_need_the_gpt_route(server: Any) -> None:
    turn = build_turn(None, HELLO, configured={}, per_call={})
    with client(server) as zylon:
        server.clear_requests()
        with pytest.raises(ConfigurationError, match="they need api='gpt'"):
            zylon.submit_turn(turn.route, turn.request)
    assert server.requests == []
    assert Route.create().api == "workspace"


def test_a_failed_background_message_resumes_as_the_servers_error(server: Any) -> None:
    turn = build_turn(None, HELLO, configured={"api": "gpt", "model": "nope"}, per_call={})
    with client(server) as zylon:
        created = zylon.submit_turn(turn.route, turn.request)
        status = zylon.background.status(created.message_id)
        assert status.status == "failed" and "nope" in (status.error_message or "")
        with pytest.raises(Exception, match="nope") as caught:
            list(zylon.resume_turn(created.message_id))
    assert type(caught.value).__name__ == "ServerStreamError"


async def test_the_async_client_submits_and_resumes(server: Any) -> None:
    turn = gpt_turn()
    async with AsyncZylonClient(base_url=server.base_url, api_token=TEST_TOKEN) as zylon:
        created = await zylon.submit_turn(turn.route, turn.request, message_id="async-1")
        stream = zylon.resume_turn("async-1")
        text = "".join([d.text async for d in stream if d.kind == "text"])
        status = await zylon.background.status("async-1")
        events = [e async for e in zylon.background.events("async-1")]
        await zylon.background.cancel("async-1")
        await zylon.background.delete("async-1")
        with pytest.raises(NotFoundError):
            await zylon.background.status("async-1")
        again = await zylon.background.create(turn.request)
    assert created.message_id == "async-1" and text == 'You said: "Hello there".' and status.finished
    assert events[0]["type"] == "message_start" and again.message_id != "async-1"
