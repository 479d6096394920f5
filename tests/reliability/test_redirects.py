"""A redirect (any 3xx) is an error that names where it points; it is never followed
(the token would go with it, or the call would "succeed" without having happened: a
301 used to make ``threads.delete()`` return None and ``interactions.cancel()`` True).
"""

from __future__ import annotations

import asyncio

import pytest
from langchain_core import exceptions as lc_errors
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.reliability.fault_server import FaultServer, respond
from tests.reliability.support import TOKEN
from zylon_core import APIStatusError, AsyncZylonClient, Route, ZylonClient
from zylon_core.models import ChatRequest, MessageInput, TextBlock

REQUEST = ChatRequest(messages=[MessageInput(role="user", content=[TextBlock(text="hi")])])


@pytest.fixture
def elsewhere():
    """Where the redirects point: it must never be asked anything."""
    with FaultServer() as target:
        yield target


def redirect(status: int, target: FaultServer, path: str = "/api/v1/app/moved") -> object:
    return respond(status, {"message": "moved"}, {"Location": f"{target.base_url}{path}"})


CORE = {
    "threads.delete": lambda c: c.threads.delete("t1"),
    "interactions.cancel": lambda c: c.interactions.cancel("i1"),
    "threads.get": lambda c: c.threads.get("t1"),
    "chat.create": lambda c: c.chat.create(REQUEST),
    "run_turn (thread)": lambda c: c.run_turn(Route.create(thread_id="t1"), REQUEST),
    "stream_turn": lambda c: list(c.stream_turn(Route.create(), REQUEST)),
    "embeddings": lambda c: c.embeddings.create("hi"),
}


@pytest.mark.fault("loud")
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("name", CORE)
def test_a_redirect_is_an_error_naming_its_target(server, elsewhere, slept, name, status):
    server.play(redirect(status, elsewhere))
    client = ZylonClient(base_url=server.base_url, api_token=TOKEN)
    with pytest.raises(APIStatusError) as caught:
        CORE[name](client)
    error = caught.value
    assert error.status_code == status
    assert f"redirected ({status}) to {elsewhere.base_url}/api/v1/app/moved" in str(error)
    assert "Check base_url" in str(error)
    assert len(server.requests) == 1 and elsewhere.requests == [] and slept == []


@pytest.mark.fault("loud")
async def test_an_async_redirect_is_an_error_too(server, elsewhere):
    server.play(redirect(307, elsewhere))
    client = AsyncZylonClient(base_url=server.base_url, api_token=TOKEN)
    try:
        with pytest.raises(APIStatusError, match="redirected \\(307\\)"):
            await client.interactions.cancel("i1")
    finally:
        await client.aclose()
    assert elsewhere.requests == []


@pytest.mark.fault("loud")
def test_a_redirect_without_a_location_says_so(server):
    server.play(respond(302, {}))
    with pytest.raises(APIStatusError, match="no Location header"):
        ZylonClient(base_url=server.base_url, api_token=TOKEN).threads.delete("t1")


ADAPTERS = {
    "ChatZylon.invoke": lambda s: ChatZylon(base_url=s.base_url, api_token=TOKEN).invoke([HumanMessage("hi")]),
    "ChatZylon.ainvoke": lambda s: asyncio.run(ChatZylon(base_url=s.base_url, api_token=TOKEN).ainvoke([HumanMessage("hi")])),
    "Zylon.chat": lambda s: Zylon(base_url=s.base_url, api_token=TOKEN).chat([ChatMessage(role="user", content="hi")]),
    "Zylon.stream_chat": lambda s: list(Zylon(base_url=s.base_url, api_token=TOKEN).stream_chat([ChatMessage(role="user", content="hi")])),
}


@pytest.mark.fault("loud")
@pytest.mark.parametrize("name", ADAPTERS)
def test_the_adapters_raise_it_too(server, elsewhere, name):
    server.play(redirect(301, elsewhere, "/login"))
    with pytest.raises(APIStatusError, match=f"redirected \\(301\\) to {elsewhere.base_url}/login") as caught:
        ADAPTERS[name](server)
    if name.startswith("ChatZylon"):
        assert isinstance(caught.value, lc_errors.ModelAPIError)
    assert elsewhere.requests == []


@pytest.mark.fault("loud")
def test_a_redirect_that_percent_encodes_the_token_does_not_show_it(server):
    encoded = "".join(f"%{ord(c):02X}" for c in TOKEN)
    server.play(respond(302, {}, {"Location": f"https://sso.example.com/login?token={encoded}"}))
    with pytest.raises(APIStatusError) as caught:
        ZylonClient(base_url=server.base_url, api_token=TOKEN).threads.delete("t1")
    error = caught.value
    shown = str(error) + repr(error.args) + str(error.response.headers) + error.response.text
    assert "redirected (302) to https://sso.example.com/login?token=[redacted]" in str(error)
    assert encoded not in shown and TOKEN not in shown
