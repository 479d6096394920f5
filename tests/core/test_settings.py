"""Settings: arguments, environment, defaults, clear errors, and a token that never shows."""

from __future__ import annotations

import logging

import httpx
import pytest

from zylon_core import ConfigurationError, Route, ZylonClient, ZylonSettings
from zylon_core.models import ChatRequest

TOKEN = "sk-very-secret-value"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG", "ZYLON_MODEL"):
        monkeypatch.delenv(name, raising=False)


def test_missing_base_url_names_the_variable():
    with pytest.raises(ConfigurationError, match="ZYLON_BASE_URL"):
        ZylonSettings.resolve(api_token=TOKEN)


def test_missing_token_names_the_variable():
    with pytest.raises(ConfigurationError, match="ZYLON_API_TOKEN"):
        ZylonSettings.resolve(base_url="https://z.example.com")


def test_a_variable_set_under_a_near_name_is_named(monkeypatch):
    monkeypatch.delenv("ZYLON_API_TOKEN", raising=False)
    monkeypatch.delenv("ZYLON_BASE_URL", raising=False)
    monkeypatch.setenv("ZYLON_API_KEY", TOKEN)
    with pytest.raises(ConfigurationError, match=r"set ZYLON_API_TOKEN \(ZYLON_API_KEY is set, but only ZYLON_API_TOKEN is read\)$") as caught:
        ZylonSettings.resolve(base_url="https://z.example.com")
    assert TOKEN not in str(caught.value)
    monkeypatch.setenv("ZYLON_URL", "https://z.example.com")
    with pytest.raises(ConfigurationError, match=r"\(ZYLON_URL is set, but only ZYLON_BASE_URL is read\)$"):
        ZylonSettings.resolve(api_token=TOKEN)


def test_environment_and_defaults(monkeypatch):
    monkeypatch.setenv("ZYLON_BASE_URL", "https://z.example.com/")
    monkeypatch.setenv("ZYLON_API_TOKEN", TOKEN)
    s = ZylonSettings.resolve()
    assert s.base_url == "https://z.example.com"
    assert (s.org, s.model, s.max_retries, s.timeout, s.connect_timeout) == ("default", "default", 2, 60.0, 5.0)
    assert s.workspace_url("/chat") == "https://z.example.com/api/v1/app/chat"
    assert s.gpt_url("/embeddings") == "https://z.example.com/api/gpt/v1/embeddings"
    monkeypatch.setenv("ZYLON_ORG", "acme")
    monkeypatch.setenv("ZYLON_MODEL", "big")
    assert (ZylonSettings.resolve().org, ZylonSettings.resolve().model) == ("acme", "big")


def test_arguments_win_over_environment(monkeypatch):
    monkeypatch.setenv("ZYLON_ORG", "env-org")
    s = ZylonSettings.resolve(base_url="http://x", api_token=TOKEN, org="arg-org", max_retries=0)
    assert (s.org, s.max_retries) == ("arg-org", 0)


def test_base_url_must_be_http():
    with pytest.raises(ConfigurationError, match="http"):
        ZylonSettings.resolve(base_url="zylon.example.com", api_token=TOKEN)


def test_token_never_shows(caplog):
    s = ZylonSettings.resolve(base_url="http://x", api_token=TOKEN)
    client = ZylonClient(s)
    for text in (repr(s), str(s), s.model_dump_json(), repr(client), repr(client._transport)):
        assert TOKEN not in text
    client._transport._client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(500, json={"message": "boom"})),
        headers=client._transport.headers,
    )
    s_fast = s.model_copy(update={"max_retries": 0})
    client._transport.policy = client._transport.policy.__class__(max_retries=s_fast.max_retries)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(Exception) as caught:
            client.chat.create(ChatRequest())
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    assert TOKEN not in caplog.text
    assert "boom" in str(caught.value)


def test_tls_verification_is_on_by_default_and_configurable(tmp_path):
    assert ZylonSettings.resolve(base_url="https://x", api_token=TOKEN).verify is True
    bundle = tmp_path / "private-ca.pem"
    bundle.write_text("placeholder")
    assert ZylonSettings.resolve(base_url="https://x", api_token=TOKEN, verify=str(bundle)).verify == str(bundle)
    with pytest.raises(ConfigurationError, match="no CA bundle"):
        ZylonSettings.resolve(base_url="https://x", api_token=TOKEN, verify=str(tmp_path / "missing.pem"))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"artifact_ids": ["a"]}, "need a project_id or thread_id"), ({"all_artifacts": True}, "need a project_id"),
     ({"agent": "Nope", "thread_id": "t"}, "agent must be one of")],
)
def test_route_rejects_contradictions_before_any_request(kwargs, message):
    with pytest.raises(ConfigurationError, match=message):
        Route.create(**kwargs)


def test_clients_share_one_ssl_context_per_verify_setting(tmp_path):
    import ssl

    from zylon_core._transport import ssl_context

    first = ZylonClient(ZylonSettings.resolve(base_url="https://x", api_token=TOKEN))
    second = ZylonClient(ZylonSettings.resolve(base_url="https://y", api_token=TOKEN))
    assert first._transport.client._transport._pool._ssl_context is second._transport.client._transport._pool._ssl_context
    own = ssl.create_default_context()
    assert ssl_context(own) is own and ssl_context(False) is False
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises((OSError, ssl.SSLError)):
        ssl_context(str(bad))  # a private-CA path is really loaded
