"""Connection settings as Zylon's setup pages give them (fidelity §15): base URL forms,
token and timeout checks at construction, the Gateway-token hint on a 401/403 from
ZylonGPT, ``GET /api/v1/app/me`` and ``GET /api/health``."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from tests.conftest import load_example
from tests.core.mock_server import BASE, MockServer, json_response
from zylon_core import (
    AuthenticationError,
    ConfigurationError,
    InternalServerError,
    PermissionDeniedError,
    ZylonClient,
    ZylonSettings,
)

TOKEN = "sk-zylon-secret-token-1"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG", "ZYLON_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "given",
    [
        "https://zylon.example.com",
        "https://zylon.example.com/",
        "https://zylon.example.com/api",
        "https://zylon.example.com/api/",
        "https://zylon.example.com/api/gpt",
        "https://zylon.example.com/api/gpt/v1/",
        "https://zylon.example.com/api/v1",
        "https://zylon.example.com/api/v1/app",
        "  https://zylon.example.com/api/gpt  ",
    ],
)
def test_base_url_forms_from_the_setup_pages_normalise_to_the_root(given):
    settings = ZylonSettings.resolve(base_url=given, api_token=TOKEN)
    assert settings.base_url == "https://zylon.example.com"
    assert settings.workspace_url("/chat") == "https://zylon.example.com/api/v1/app/chat"
    assert settings.gpt_url("/messages") == "https://zylon.example.com/api/gpt/v1/messages"


def test_a_path_prefix_of_a_reverse_proxy_is_kept():
    settings = ZylonSettings.resolve(base_url="https://host:8443/tenant/zylon/api/gpt", api_token=TOKEN)
    assert settings.base_url == "https://host:8443/tenant/zylon"
    assert settings.gpt_url("/messages") == "https://host:8443/tenant/zylon/api/gpt/v1/messages"
    assert settings.gpt_path_prefix == "/tenant/zylon/api/gpt/"


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("https://h.example.com/api?x=1", "query"),
        ("https://h.example.com#f", "fragment"),
        ("https://:80", "no host"),
        ("https://h.example.com:99999", "invalid port"),
        ("https://h.example.com:abc", "not a valid URL"),
        ("zylon.example.com", "http:// or https://"),
        ("https://h.example .com", "spaces"),
    ],
)
def test_bad_base_urls_are_configuration_errors_at_construction(given, problem):
    with pytest.raises(ConfigurationError, match=problem):
        ZylonSettings.resolve(base_url=given, api_token=TOKEN)
    with pytest.raises(ConfigurationError, match=problem):
        ZylonClient(base_url=given, api_token=TOKEN)


def test_credentials_in_the_base_url_are_refused_without_echoing_them():
    with pytest.raises(ConfigurationError) as caught:
        ZylonSettings.resolve(base_url="https://ada:hunter2@h.example.com", api_token=TOKEN)
    assert "hunter2" not in str(caught.value)


def test_token_whitespace_is_stripped():
    settings = ZylonSettings.resolve(base_url=BASE, api_token=f"  {TOKEN}\n")
    assert settings.api_token.get_secret_value() == TOKEN


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (" \n", "empty"),
        ("sk-\u00e9t\u00e9-secret", "non-ASCII"),
        ("sk-two\nlines-secret", "control or whitespace"),
        ("sk-bell\x07-secret", "control or whitespace"),
        ("sk-two words-secret", "control or whitespace"),
        ("Bearer sk-pasted-with-its-header-secret", "starts with 'Bearer'"),
        ("bearer  sk-lower-case-secret", "starts with 'Bearer'"),
    ],
)
def test_unusable_tokens_are_refused_without_echoing_them(token, problem):
    with pytest.raises(ConfigurationError, match=problem) as caught:
        ZylonSettings.resolve(base_url=BASE, api_token=token)
    assert "secret" not in str(caught.value)


def test_a_token_from_the_environment_is_checked_too(monkeypatch):
    monkeypatch.setenv("ZYLON_API_TOKEN", f"{TOKEN}\r\n")
    assert ZylonSettings.resolve(base_url=BASE).api_token.get_secret_value() == TOKEN
    monkeypatch.setenv("ZYLON_API_TOKEN", "sk-\u2028-secret")
    with pytest.raises(ConfigurationError, match="non-ASCII"):
        ZylonSettings.resolve(base_url=BASE)


def test_api_token_and_api_key_are_one_setting():
    assert ZylonSettings.resolve(base_url=BASE, api_key=TOKEN).api_token.get_secret_value() == TOKEN
    assert ZylonSettings.resolve(base_url=BASE, api_token=TOKEN, api_key=TOKEN).api_token.get_secret_value() == TOKEN
    with pytest.raises(ConfigurationError, match="one setting") as caught:
        ZylonSettings.resolve(base_url=BASE, api_token=TOKEN, api_key="sk-other-secret")
    assert TOKEN not in str(caught.value) and "sk-other-secret" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="one setting"):
        ZylonClient(base_url=BASE, api_token=TOKEN, api_key="sk-other-secret")


def test_adapters_refuse_two_different_tokens():
    from langchain_zylon import ChatZylon, ZylonRetriever
    from llama_index_zylon import Zylon

    for cls in (ChatZylon, ZylonRetriever, Zylon):
        with pytest.raises(ConfigurationError, match="one setting") as caught:
            cls(base_url=BASE, api_token=TOKEN, api_key="sk-other-secret")
        assert TOKEN not in str(caught.value)
        same = cls(base_url=BASE, api_token=TOKEN, api_key=TOKEN)
        assert same.api_token.get_secret_value() == TOKEN


@pytest.mark.parametrize("value", [-1, -0.5, math.nan, math.inf, "60"])
@pytest.mark.parametrize("name", ["timeout", "connect_timeout"])
def test_timeouts_must_be_finite_and_not_negative(name, value):
    with pytest.raises(ConfigurationError, match=name):
        ZylonSettings.resolve(base_url=BASE, api_token=TOKEN, **{name: value})


def test_timeouts_of_the_adapters_are_checked_at_construction():
    from langchain_zylon import ChatZylon

    with pytest.raises(ConfigurationError, match="timeout"):
        ChatZylon(base_url=BASE, api_token=TOKEN, timeout=-3)
    assert ZylonSettings.resolve(base_url=BASE, api_token=TOKEN, timeout=0.5, connect_timeout=0).connect_timeout == 0


def test_paths_setting():
    assert ZylonSettings.resolve(base_url=BASE, api_token=TOKEN).paths == "auto"
    assert ZylonSettings.resolve(base_url=BASE, api_token=TOKEN, paths="legacy").paths == "legacy"
    with pytest.raises(ConfigurationError, match="paths must be one of"):
        ZylonSettings.resolve(base_url=BASE, api_token=TOKEN, paths="old")


# -- 401/403 from ZylonGPT ---------------------------------------------------------------


@pytest.mark.parametrize(("status", "error"), [(401, AuthenticationError), (403, PermissionDeniedError)])
def test_a_refusal_from_zylongpt_says_a_gateway_token_is_needed(status, error):
    server = MockServer({("POST", "/api/gpt/v1/embeddings"): httpx.Response(status, content=b"")})
    with server.client(api_token=TOKEN) as client, pytest.raises(error) as caught:
        client.embeddings.create("hello")
    message = str(caught.value)
    assert "Gateway token" in message and "before Zylon 1.54" in message and "/api/v1 only" in message
    assert TOKEN not in message and TOKEN not in repr(caught.value.args)


def test_a_refusal_from_zylongpt_keeps_the_server_text():
    server = MockServer({("POST", "/api/gpt/v1/embeddings"): json_response(401, {"detail": "Unauthorized"})})
    with server.client(api_token=TOKEN) as client, pytest.raises(AuthenticationError) as caught:
        client.embeddings.create("hello")
    assert "Unauthorized. ZylonGPT (/api/gpt/v1) needs a Gateway token" in str(caught.value)


def test_a_refusal_of_messages_validate_says_so_too():
    from zylon_core.models import ChatRequest, MessageInput

    server = MockServer({("POST", "/api/gpt/v1/messages/validate"): httpx.Response(403, content=b"")})
    with server.client() as client, pytest.raises(PermissionDeniedError, match="Gateway token"):
        client.messages.validate(ChatRequest(messages=[MessageInput(role="user", content="x")]))


def test_a_refusal_from_the_workspace_does_not_mention_gateway_tokens():
    server = MockServer({("POST", "/api/v1/app/chat"): httpx.Response(401, content=b"")})
    from zylon_core.models import ChatRequest, MessageInput

    with server.client(api_token=TOKEN) as client, pytest.raises(AuthenticationError) as caught:
        client.chat.create(ChatRequest(messages=[MessageInput(role="user", content="x")]))
    assert "Gateway" not in str(caught.value) and TOKEN not in str(caught.value)


# -- /me and /api/health -----------------------------------------------------------------

ME = {
    "id": "user_4b7c2a1d9e5f3c8b",
    "org_id": "org_2f3a9d1c7b5e4a8f",
    "account_id": "acct_6c8a1f3b2d4e5f7a",
    "name": "Sasha Patel",
    "email": "sasha@auroralabs.com",
    "state": "Active",
    "roles": ["AppAdmin"],
    "created_at": "2026-02-08T14:12:45Z",
}


def test_me_reads_the_documented_user_and_the_2025_08_one():
    old = {**ME, "created_at": 1739023965, "roles": ["SuperAdmin", "AccountOwner"]}
    server = MockServer({("GET", "/api/v1/app/me"): [json_response(200, ME), json_response(200, old)]})
    with server.client(org="aurora") as client:
        user = client.me()
        assert (user.id, user.org_id, user.roles, user.created_at) == (ME["id"], ME["org_id"], ["AppAdmin"], ME["created_at"])
        earlier = client.me()
        assert earlier.created_at == 1739023965 and earlier.roles == ["SuperAdmin", "AccountOwner"]
    request = server.requests[0]
    assert request.headers["x-org"] == "aurora" and request.headers["authorization"].startswith("Bearer ")


def test_me_reads_the_creator_in_an_interaction_example():
    from zylon_core._system import User

    user = User.model_validate(load_example("interactions.02.response.json")["created_by"])
    assert (user.name, user.state) == ("Sasha Patel", "Active")


def test_health_sends_no_token_and_a_503_raises():
    body = {"status": "ok", "uptime": "3d 04:12:33", "commit": "9f1c2a3"}
    server = MockServer({("GET", "/api/health"): [json_response(200, body), httpx.Response(503, content=b"")]})
    with server.client(api_token=TOKEN) as client:
        health = client.health()
        assert (health.status, health.uptime, health.commit) == ("ok", "3d 04:12:33", "9f1c2a3")
        with pytest.raises(InternalServerError):
            client.health()
    assert str(server.requests[0].url) == f"{BASE}/api/health"
    assert "authorization" not in server.requests[0].headers and "x-org" not in server.requests[0].headers


async def test_async_me_and_health():
    server = MockServer(
        {
            ("GET", "/api/v1/app/me"): json_response(200, ME),
            ("GET", "/api/health"): json_response(200, {"status": "ok", "uptime": "1s", "commit": "abc"}),
        }
    )
    async with server.aclient() as client:
        assert (await client.me()).email == ME["email"]
        assert (await client.health()).commit == "abc"
    assert "authorization" not in server.requests[1].headers
    assert json.loads(server.requests[0].content or b"null") is None
