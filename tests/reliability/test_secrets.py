"""The token never leaks, and TLS is verified.

* not in ``repr`` / ``str`` of any configured object, nor in its serialisations
  (``langchain_core.load.dumpd``/``dumps``, ``model_dump``, ``model_dump_json``,
  LlamaIndex ``to_dict``/``to_json``), nor in what the frameworks hand to callbacks;
* not in exception messages, even when the server echoes it back in an error body;
* not in logs at DEBUG, ``httpx`` and ``httpcore`` included (httpcore logs requests as
  ``<Request [b'POST']>`` and response headers, never request headers: checked here);
* not in any file under ``cassettes/``, whatever directory is added there later, and no
  cassette keeps an ``authorization`` / ``x-api-key`` value other than a placeholder;
* TLS verification is on by default (a server with an unknown CA is refused), and
  ``verify=`` takes a CA bundle path or an ``ssl.SSLContext`` for a private CA.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import ssl
from pathlib import Path
from typing import Any

import pytest
import yaml
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, LlamaDebugHandler

from langchain_zylon import ChatZylon
from llama_index_zylon import Zylon
from tests.conftest import ROOT, TEST_TOKEN
from tests.reliability.fault_server import FaultServer, hang, respond, sse
from tests.reliability.support import TOKEN
from zylon_core import AsyncZylonClient, ZylonClient, ZylonSettings
from zylon_core import errors as z

ANSWER = {"id": "msg_1", "role": "assistant", "content": [{"type": "text", "text": "fine"}]}
STREAM = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","role":"assistant","content":[]}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"fine"}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
TLS = Path(__file__).parent / "tls"



@pytest.fixture
def no_sleep(monkeypatch):
    monkeypatch.setattr("zylon_core._transport._sleep", lambda seconds: None)

    async def fake(seconds):
        return None

    monkeypatch.setattr("zylon_core._transport._async_sleep", fake)


def configured(base_url: str) -> list[Any]:
    settings = ZylonSettings.resolve(base_url=base_url, api_token=TOKEN)
    sync, asyn = ZylonClient(settings), AsyncZylonClient(settings)
    return [
        settings,
        sync,
        asyn,
        sync._transport,
        asyn._transport,
        ChatZylon(base_url=base_url, api_token=TOKEN),
        ChatZylon(base_url=base_url, api_key=TOKEN, thread_id="t1", temperature=0.2),
        Zylon(base_url=base_url, api_token=TOKEN),
        Zylon(base_url=base_url, api_key=TOKEN, project_id="p1"),
    ]


# -- repr, str, serialisation -------------------------------------------------------------


def renderings(obj: Any) -> dict[str, str]:
    out = {"repr": repr(obj), "str": str(obj)}
    if hasattr(obj, "model_dump"):
        out["model_dump"] = repr(obj.model_dump())
        out["model_dump(json)"] = json.dumps(obj.model_dump(mode="json"), default=repr)
        out["model_dump_json"] = obj.model_dump_json()
    if isinstance(obj, ChatZylon):
        out["dumpd"] = json.dumps(dumpd(obj))
        out["dumps"] = dumps(obj)
        out["invocation_params"] = repr(obj._get_invocation_params())
        out["asdict"] = repr(obj.asdict())
    if isinstance(obj, Zylon):
        out["to_dict"] = repr(obj.to_dict())
        out["to_json"] = obj.to_json()
        out["metadata"] = repr(obj.metadata)
    return out


def test_the_token_is_in_no_rendering_of_any_configured_object():
    checked = 0
    for obj in configured("https://zylon.example.com"):
        for how, text in renderings(obj).items():
            assert TOKEN not in text, f"{type(obj).__name__} {how}"
            checked += 1
    assert checked >= 30


def test_the_langchain_dump_names_the_secret_by_its_environment_variable():
    dumped = dumpd(ChatZylon(base_url="https://zylon.example.com", api_token=TOKEN))
    assert dumped["kwargs"]["api_token"] == {"lc": 1, "type": "secret", "id": ["ZYLON_API_TOKEN"]}


def test_the_check_can_fail():
    """The renderings above would show a token that were not a SecretStr."""
    assert TOKEN in repr({"api_token": TOKEN})
    assert TOKEN in ChatZylon(base_url="https://x", api_token=TOKEN).api_token.get_secret_value()


# -- callbacks and tracing ----------------------------------------------------------------


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("on_"):
            return lambda *args, **kwargs: self.seen.append(repr((name, args, kwargs)))
        return super().__getattribute__(name)


def test_langchain_callbacks_never_see_the_token(server):
    server.play(respond(200, ANSWER), sse(STREAM))
    llm = ChatZylon(base_url=server.base_url, api_token=TOKEN)
    recorder = Recorder()
    llm.invoke("hi", config={"callbacks": [recorder]})
    list(llm.stream("hi", config={"callbacks": [recorder]}))
    assert any("on_chat_model_start" in s for s in recorder.seen)
    assert not [s for s in recorder.seen if TOKEN in s]


def test_llama_index_callbacks_never_see_the_token(server):
    server.play(respond(200, ANSWER), sse(STREAM))
    debug = LlamaDebugHandler()
    llm = Zylon(base_url=server.base_url, api_token=TOKEN, callback_manager=CallbackManager([debug]))
    llm.chat([ChatMessage(role="user", content="hi")])
    list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    events = debug.get_events()
    assert events
    assert not [e for e in events if TOKEN in repr(e)]


# -- exceptions ---------------------------------------------------------------------------


def _lc(server: FaultServer, **kw: Any) -> Any:
    return ChatZylon(base_url=server.base_url, api_token=TOKEN, max_retries=1, **kw)


def _li(server: FaultServer, **kw: Any) -> Any:
    return Zylon(base_url=server.base_url, api_token=TOKEN, max_retries=1, **kw)


async def _closing(llm: Any, call: Any) -> Any:
    """Run one async call, then close the object's async HTTP client (its pool belongs
    to this event loop, which asyncio.run closes)."""
    try:
        return await call(llm)
    finally:
        await llm.aclose()


CALLS = {
    "ChatZylon.invoke": lambda s, **kw: _lc(s, **kw).invoke("hi"),
    "ChatZylon.stream": lambda s, **kw: list(_lc(s, **kw).stream("hi")),
    "ChatZylon.ainvoke": lambda s, **kw: asyncio.run(_closing(_lc(s, **kw), lambda llm: llm.ainvoke("hi"))),
    "Zylon.chat": lambda s, **kw: _li(s, **kw).chat([ChatMessage(role="user", content="hi")]),
    "Zylon.stream_chat": lambda s, **kw: list(_li(s, **kw).stream_chat([ChatMessage(role="user", content="hi")])),
    "Zylon.achat": lambda s, **kw: asyncio.run(_closing(_li(s, **kw), lambda llm: llm.achat([ChatMessage(role="user", content="hi")]))),
}

ECHOES = {
    # a gateway that puts the header it got into its error page
    "401-text": respond(401, raw=f"Unauthorized: Authorization: Bearer {TOKEN}".encode(), headers={"Content-Type": "text/plain"}),
    "403-json": respond(403, {"error": {"type": "permission_error", "message": f"token {TOKEN} may not use this org"}}),
    "422-details": respond(422, {"detail": [{"loc": ["header", "authorization"], "msg": f"bad value Bearer {TOKEN}"}]}),
    "500-json": respond(500, {"message": f"upstream said no to {TOKEN}"}),
}


def everything_about(error: BaseException) -> str:
    import traceback

    parts = [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(type(error), error, error.__traceback__))]
    for name in ("message", "body", "details"):
        parts.append(repr(getattr(error, name, None)))
    if error.__cause__ is not None:
        parts.append(repr(error.__cause__))
    return "\n".join(parts)


@pytest.mark.parametrize("echo", ECHOES)
@pytest.mark.parametrize("call", CALLS)
def test_an_error_body_echoing_the_token_is_redacted(server, no_sleep, echo, call):
    server.play(ECHOES[echo], ECHOES[echo])
    with pytest.raises(z.APIStatusError) as caught:
        CALLS[call](server)
    text = everything_about(caught.value)
    assert TOKEN not in text
    assert "[redacted]" in str(caught.value)  # the message is kept, only the token goes


@pytest.mark.parametrize("call", CALLS)
def test_transport_errors_carry_no_token(server, no_sleep, call):
    server.play(hang(2))
    with pytest.raises(z.APITimeoutError) as timed_out:
        CALLS[call](server, timeout=0.3)
    assert TOKEN not in everything_about(timed_out.value)


def test_connection_errors_carry_no_token(no_sleep):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    llm = ChatZylon(base_url=f"http://127.0.0.1:{port}", api_token=TOKEN, max_retries=0)
    with pytest.raises(z.APIConnectionError) as caught:
        llm.invoke("hi")
    assert TOKEN not in everything_about(caught.value)


# -- logs at DEBUG --------------------------------------------------------------------------

LOGGERS = ("", "httpx", "httpcore", "zylon_core", "langchain_core", "llama_index", "asyncio")


def test_debug_logs_never_hold_the_token(server, no_sleep, caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    processing = {"id": "inter_1", "thread_id": "t1", "state": "Processing"}
    server.play(
        respond(200, ANSWER),  # ChatZylon.invoke
        sse(STREAM),  # ChatZylon.stream
        respond(503, {"message": "busy"}), respond(200, ANSWER),  # a retry, then Zylon.chat
        respond(201, processing), sse(STREAM),  # thread mode: create, follow the stream
        respond(401, {"message": f"bad token {TOKEN}"}),  # an error echoing the token
        respond(200, ANSWER),  # ChatZylon.ainvoke
    )
    _lc(server).invoke("hi")
    list(_lc(server).stream("hi"))
    _li(server).chat([ChatMessage(role="user", content="hi")])
    _li(server).chat([ChatMessage(role="user", content="hi")], thread_id="t1")
    with pytest.raises(z.AuthenticationError):
        _lc(server).invoke("hi")
    asyncio.run(_closing(_lc(server), lambda llm: llm.ainvoke("hi")))
    assert len(server.requests) == 8
    loggers = {record.name.split(".")[0] for record in caplog.records}
    assert {"httpx", "httpcore", "zylon_core"} <= loggers  # the debug logs were really on
    assert any("send_request_headers" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + repr(record.__dict__.get("exc_text"))
        assert TOKEN not in text, record.name
        assert "Bearer" not in text and "authorization" not in text.lower(), record.name


# -- cassettes ------------------------------------------------------------------------------

CREDENTIAL_HEADERS = ("authorization", "x-api-key", "proxy-authorization", "cookie", "set-cookie")
PLACEHOLDERS = ("PLACEHOLDER", "REDACTED", "FILTERED", "")
BEARER = re.compile(r"bearer\s+(?!PLACEHOLDER\b)[A-Za-z0-9._~+/=-]{4,}", re.IGNORECASE)


DOCS = (".md", ".rst", ".txt")


def recording_tokens() -> list[str]:
    """The tokens the suites record with, and a real one if this run has it."""
    from tests.langchain.conftest import SECRET

    tokens = [TEST_TOKEN, SECRET, TOKEN, real_token()]
    return [t for t in tokens if len(t) >= 6]


def real_token() -> str:
    return os.environ.get("ZYLON_API_TOKEN", "")


def _headers_of(interaction: dict[str, Any]) -> list[tuple[str, Any]]:
    found = []
    for side in ("request", "response"):
        headers = (interaction.get(side) or {}).get("headers") or {}
        for key, value in headers.items():
            found.append((str(key), value))
    return found


def cassette_leaks(root: Path, tokens: list[str]) -> list[str]:
    """Every leak in every file under ``root``: a recording token, a bearer credential,
    or a credential header whose value is not a placeholder.

    Notes beside the cassettes (``.md``...) may name the suites' fake tokens (they say
    what the recordings used); a real token (``ZYLON_API_TOKEN`` of this run) or a
    bearer credential is a leak in any file."""
    leaks = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        where = str(path.relative_to(root))
        text = path.read_text(encoding="utf-8", errors="replace")
        searched = [t for t in tokens if t == real_token()] if path.suffix in DOCS else tokens
        leaks += [f"{where}: holds a recording token" for t in searched if t in text]
        leaks += [f"{where}: holds a bearer credential {m.group(0)[:12]}..." for m in BEARER.finditer(text)]
        if path.suffix in (".yaml", ".yml", ".json"):
            data = yaml.safe_load(text) if path.suffix != ".json" else json.loads(text)
            interactions = (data or {}).get("interactions") or [] if isinstance(data, dict) else []
            for interaction in interactions:
                for key, value in _headers_of(interaction):
                    values = value if isinstance(value, list) else [value]
                    if key.lower() in CREDENTIAL_HEADERS and any(str(v) not in PLACEHOLDERS for v in values):
                        leaks.append(f"{where}: keeps a {key} header value")
    return leaks


def test_no_cassette_holds_a_credential():
    root = ROOT / "cassettes"
    folders = [p for p in root.iterdir() if p.is_dir()]
    assert folders, "no cassette folders found"
    for folder in folders:  # every folder, including ones added later, holds cassettes and is scanned
        assert any(folder.rglob("*.yaml")) or any(folder.rglob("*.json")), f"{folder.name} holds no cassette"
    assert cassette_leaks(root, recording_tokens()) == []


def test_the_cassette_scan_finds_planted_leaks(tmp_path, monkeypatch):
    monkeypatch.setenv("ZYLON_API_TOKEN", "zt-real-instance-token-0042")
    (tmp_path / "new-folder").mkdir()
    clean = {"interactions": [{"request": {"headers": {"authorization": ["PLACEHOLDER"], "x-org": ["acme"]}}, "response": {"headers": {}}}]}
    (tmp_path / "new-folder" / "clean.yaml").write_text(yaml.safe_dump(clean))
    assert cassette_leaks(tmp_path, recording_tokens()) == []
    header = {"interactions": [{"request": {"headers": {"X-Api-Key": ["k-123456"]}}, "response": {"headers": {}}}]}
    (tmp_path / "new-folder" / "header.yaml").write_text(yaml.safe_dump(header))
    (tmp_path / "new-folder" / "deeper").mkdir()
    (tmp_path / "new-folder" / "deeper" / "token.json").write_text(json.dumps({"body": f"echo {TEST_TOKEN}"}))
    (tmp_path / "bearer.yaml").write_text("note: 'Authorization: Bearer abcdef123'\n")
    (tmp_path / "NOTES.md").write_text(f"recorded with the fake token `{TEST_TOKEN}`\n")  # a note may name it
    (tmp_path / "README.md").write_text("recorded against https://zylon.example.com with zt-real-instance-token-0042\n")
    leaks = cassette_leaks(tmp_path, recording_tokens())
    assert len(leaks) == 4, leaks
    assert any("README.md" in leak for leak in leaks)  # a real token is a leak even in a note
    assert any("X-Api-Key" in leak for leak in leaks)
    assert any("token.json" in leak for leak in leaks) and any("bearer.yaml" in leak for leak in leaks)


# -- TLS --------------------------------------------------------------------------------------


@pytest.fixture
def https_server():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server.pem", TLS / "server.key")
    with FaultServer(tls=context) as srv:
        yield srv


def test_tls_verification_is_on_by_default():
    for obj in (ChatZylon(base_url="https://zylon.example.com", api_token=TOKEN), Zylon(base_url="https://zylon.example.com", api_token=TOKEN)):
        client = obj._client._transport.client
        context = client._transport._pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True


@pytest.mark.parametrize("call", ["ChatZylon.invoke", "Zylon.chat", "ChatZylon.ainvoke", "Zylon.achat"])
def test_a_server_signed_by_an_unknown_ca_is_refused_by_default(https_server, no_sleep, call):
    https_server.play(respond(200, ANSWER))
    with pytest.raises(z.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        CALLS[call](https_server)
    assert https_server.requests == []  # nothing was sent over the unverified connection


@pytest.mark.parametrize("verify", ["path", "SSLContext"])
@pytest.mark.parametrize("call", ["ChatZylon.invoke", "Zylon.chat", "ChatZylon.ainvoke", "Zylon.achat", "ChatZylon.stream"])
def test_verify_takes_a_private_ca(https_server, call, verify):
    ca = str(TLS / "ca.pem") if verify == "path" else ssl.create_default_context(cafile=str(TLS / "ca.pem"))
    https_server.play(respond(200, ANSWER) if "stream" not in call else sse(STREAM))
    result = CALLS[call](https_server, verify=ca)
    assert result
    assert len(https_server.requests) == 1 and https_server.requests[0][2]["authorization"] == f"Bearer {TOKEN}"
    assert https_server.tls_failures == []


def test_verify_path_reaches_the_http_client():
    llm = ChatZylon(base_url="https://zylon.example.com", api_token=TOKEN, verify=str(TLS / "ca.pem"))
    context = llm._client._transport.client._transport._pool._ssl_context
    (only,) = context.get_ca_certs()  # exactly the private CA, not the system bundle
    assert "zylon-integrations test CA" in repr(only["subject"])
    li = Zylon(base_url="https://zylon.example.com", api_token=TOKEN, verify=str(TLS / "ca.pem"))
    assert [c["subject"] for c in li._client._transport.client._transport._pool._ssl_context.get_ca_certs()] == [only["subject"]]
