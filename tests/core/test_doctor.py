"""``zylon-doctor`` against the emulator in each of its modes, over real HTTP on loopback:
every check's verdict, the exit status, ``--json``, ``--help``, the console script run as a
subprocess, an unreachable address, a TLS failure (and a private CA that fixes it), and a
server that echoes the token back (never printed)."""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from importlib import metadata
from typing import Any, Iterator

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import ROOT
from zylon_core.doctor import CHECKS
from zylon_core.doctor.cli import main
from zylon_core.emulator import create_app
from zylon_core.emulator.testing import EmulatorServer, run_emulator
from zylon_core.models import Interaction, Page, Thread

TOKEN = "zt-doctor-test-token-0123456789abcdef"
W = "/api/v1/app"
VALIDATE = {f"{W}/chat/validate", "/api/gpt/v1/messages/validate"}
TLS = ROOT / "tests" / "reliability" / "tls"

# The emulator's defaults: the real server's behaviour, with a model that takes no images.
DEFAULT = {
    "configuration": "ok",
    "reachability": "ok",
    "health": "ok",
    "identity": "ok",
    "zylongpt": "ok",
    "paths": "ok",
    "paging": "ok",
    "workspace.tool_choice": "ok",
    "workspace.blocks": "differs",
    "workspace.sampling": "ok",
    "gpt.tool_choice": "ok",
    "gpt.blocks": "ok",
    "gpt.sampling": "ok",
    "payloads": "ok",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZYLON_BASE_URL", "ZYLON_API_TOKEN", "ZYLON_ORG", "ZYLON_MODEL"):
        monkeypatch.delenv(name, raising=False)


def seed(base_url: str, *, legacy: bool = False, turns: int = 3, verify: Any = True) -> tuple[str, str]:
    """A project, one thread and ``turns`` interactions, made by the test (not the doctor)."""
    headers = {"Authorization": f"Bearer {TOKEN}", "x-org": "default"}
    with httpx.Client(base_url=base_url, headers=headers, verify=verify) as http:
        pid = http.post(f"{W}/project", json={"name": "doctor"}).json()["id"]
        tid = http.post(f"{W}/project/{pid}/thread", json={"name": "t", "visibility": "Private"}).json()["id"]
        url = f"{W}/project/{pid}/interaction" if legacy else f"{W}/thread/{tid}/interaction"
        for n in range(turns):
            pgpt = {"messages": [{"role": "user", "content": [{"type": "text", "text": f"turn {n}"}]}]}
            assert http.post(url, json={"thread_id": tid, "pgpt": pgpt}).status_code == 201
    return pid, tid


def doctor(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], base_url: str | None, *args: str, token: str | None = TOKEN, **env: str) -> tuple[int, dict[str, Any]]:
    """Run the command in-process with ``--json``; its exit status and its document."""
    if base_url is not None:
        monkeypatch.setenv("ZYLON_BASE_URL", base_url)
    if token is not None:
        monkeypatch.setenv("ZYLON_API_TOKEN", token)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main([*args, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == code
    assert [c["name"] for c in document["checks"]] == list(CHECKS)  # every check, in order, once
    return code, document


def verdicts(document: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["verdict"] for c in document["checks"]}


def check(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in document["checks"] if c["name"] == name)


def state_counts(server: EmulatorServer) -> tuple[int, ...]:
    s = server.state
    return len(s.projects), len(s.threads), len(s.interactions), len(s.artifacts)


def assert_read_only(server: EmulatorServer, since: int, before: tuple[int, ...]) -> None:
    sent = server.requests[since:]
    assert sent, "the doctor sent nothing"
    for request in sent:
        assert request["method"] == "GET" or (request["method"] == "POST" and request["path"] in VALIDATE), request
    assert state_counts(server) == before


def client_reads_numeric_dates() -> bool:
    """Whether the client's models read the numeric ``created_at`` of a pre-1.50 server."""
    try:
        Thread.model_validate({"id": "t", "created_at": 1767225600.0})
        Page[Interaction].model_validate({"data": [{"id": "i", "state": "Completed", "created_at": 1767225600.0}]})
    except ValidationError:
        return False
    return True


# -- the emulator's modes ------------------------------------------------------------------------


def test_default_emulator_every_check_and_read_only(monkeypatch, capsys):
    with run_emulator() as server:
        seed(server.base_url)
        since, before = len(server.requests), state_counts(server)
        code, document = doctor(monkeypatch, capsys, server.base_url + "/api/gpt")
        assert_read_only(server, since, before)
    assert verdicts(document) == DEFAULT and code == 0
    assert document["configuration"]["base_url"] == server.base_url
    assert document["configuration"]["base_url_given"] == server.base_url + "/api/gpt"
    assert "normalised to the instance root" in check(document, "configuration")["summary"]
    assert "The LLM does not support images" in check(document, "workspace.blocks")["details"]["image"]["reason"]
    paging = check(document, "paging")
    assert paging["summary"].startswith("the interactions of thread") and "oldest first" in paging["summary"]
    assert check(document, "zylongpt")["details"] == {"token_kind": "gateway", "models": ["emulator"], "model": "default"}
    assert check(document, "identity")["details"]["id"] == "user_emulator"
    assert "GET /api/health -> 200" in document["requests"]
    assert document["counts"] == {"ok": 13, "differs": 1, "failed": 0, "skipped": 0}
    assert "packages" in document["environment"] and document["zylon_doctor"]


def test_a_model_that_takes_images(monkeypatch, capsys):
    with run_emulator(image_input=True) as server:
        seed(server.base_url)
        code, document = doctor(monkeypatch, capsys, server.base_url)
    assert verdicts(document) == {**DEFAULT, "workspace.blocks": "ok"} and code == 0


def test_a_server_before_zylon_1_50(monkeypatch, capsys):
    with run_emulator(paths="legacy") as server:
        seed(server.base_url, legacy=True)
        since, before = len(server.requests), state_counts(server)
        code, document = doctor(monkeypatch, capsys, server.base_url)
        assert_read_only(server, since, before)
    readable = client_reads_numeric_dates()
    assert verdicts(document) == {**DEFAULT, "paths": "differs", "payloads": "ok" if readable else "failed"}
    assert code == (0 if readable else 1)
    paths = check(document, "paths")
    assert paths["details"]["current"] is False and paths["details"]["legacy"] is True and paths["details"]["layout"] == "legacy"
    assert "/project/{projectId}/" in paths["summary"] and "project_id" in paths["summary"]
    assert check(document, "paging")["summary"].startswith("the interactions of thread")  # read on the legacy layout
    if not readable:  # what a user would attach to a bug report
        assert "created_at" in check(document, "payloads")["summary"]


def test_a_server_serving_both_layouts(monkeypatch, capsys):
    with run_emulator(paths="both") as server:
        seed(server.base_url)
        code, document = doctor(monkeypatch, capsys, server.base_url)
    assert verdicts(document) == DEFAULT and code == 0
    assert check(document, "paths")["details"]["legacy"] is True
    assert "answer too" in check(document, "paths")["summary"]


def test_a_workspace_token(monkeypatch, capsys):
    with run_emulator(token_kind="workspace") as server:
        seed(server.base_url)
        code, document = doctor(monkeypatch, capsys, server.base_url)
        gpt_skipped = {f"gpt.{n}": "skipped" for n in ("tool_choice", "blocks", "sampling")}
        assert verdicts(document) == {**DEFAULT, "zylongpt": "differs", **gpt_skipped} and code == 0
        summary = check(document, "zylongpt")["summary"]
        assert "Gateway token" in summary and "api='gpt'" in summary and "embeddings" in summary
        code, document = doctor(monkeypatch, capsys, server.base_url, "--require-gpt")
    assert verdicts(document) == {**DEFAULT, "zylongpt": "failed", **gpt_skipped} and code == 1


def test_a_server_that_pages_by_cursor_only(monkeypatch, capsys):
    with run_emulator(paging="cursor") as server:
        seed(server.base_url)
        code, document = doctor(monkeypatch, capsys, server.base_url)
    assert verdicts(document) == DEFAULT and code == 0
    paging = check(document, "paging")
    assert "cursor paging only" in paging["summary"]
    assert paging["details"]["after_cursor"] == [paging["details"]["asc"][1]]
    assert paging["details"]["page_2"] == [paging["details"]["asc"][0]]  # page= ignored


@pytest.mark.parametrize(
    "options",
    [
        {"project_chat_shape": "message", "stream_profile": "A", "stream_shape": "minimal", "total_count": "requested", "ping": True},
        {"project_chat_shape": "sse", "always_processing": True, "stop_reason_style": "workspace", "source_key": "type", "download": "url", "embedding_index": "position"},
    ],
)
def test_modes_that_do_not_change_what_the_doctor_reads(monkeypatch, capsys, options):
    with run_emulator(**options) as server:
        seed(server.base_url)
        since, before = len(server.requests), state_counts(server)
        code, document = doctor(monkeypatch, capsys, server.base_url)
        assert_read_only(server, since, before)  # project chat is never used: it would create an interaction
    assert verdicts(document) == DEFAULT and code == 0


def test_an_empty_instance_says_what_could_not_be_checked(monkeypatch, capsys):
    with run_emulator() as server:
        code, document = doctor(monkeypatch, capsys, server.base_url)
    assert verdicts(document) == {**DEFAULT, "paths": "skipped", "paging": "skipped"} and code == 0
    assert "could not tell the layout" in check(document, "paths")["summary"] and "--project-id" in check(document, "paths")["summary"]


def test_project_and_thread_given(monkeypatch, capsys):
    with run_emulator(paths="legacy") as server:
        pid, tid = seed(server.base_url, legacy=True, turns=1)
        seed(server.base_url, legacy=True, turns=2)  # another project, found first by listing
        code, document = doctor(monkeypatch, capsys, server.base_url, "--project-id", pid, "--thread-id", tid)
        assert check(document, "paths")["verdict"] == "differs"
        assert check(document, "paths")["details"]["thread_id"] == tid
        assert check(document, "paging")["verdict"] == "skipped"  # one interaction, and no list given to walk
        code, document = doctor(monkeypatch, capsys, server.base_url, "--thread-id", tid)
    assert check(document, "paths")["verdict"] == "skipped" and "--project-id" in check(document, "paths")["summary"]


def test_a_refused_token_fails_and_skips_what_needs_it(monkeypatch, capsys):
    with run_emulator(token="the-right-token-0000") as server:
        code, document = doctor(monkeypatch, capsys, server.base_url)
    expected = {name: "skipped" for name in CHECKS}
    expected.update(configuration="ok", reachability="ok", health="ok", identity="failed", payloads="ok")  # the health answer was read
    assert verdicts(document) == expected and code == 1
    assert "refused the token" in check(document, "identity")["summary"] and "ZYLON_API_TOKEN" in check(document, "identity")["summary"]


def test_a_model_zylongpt_does_not_serve(monkeypatch, capsys):
    with run_emulator() as server:
        seed(server.base_url)
        code, document = doctor(monkeypatch, capsys, server.base_url, ZYLON_MODEL="no-such-model")
    assert verdicts(document) == {**DEFAULT, "zylongpt": "differs", "gpt.tool_choice": "failed", "gpt.blocks": "skipped", "gpt.sampling": "skipped"}
    assert code == 0  # the Workspace integrations still work; --require-gpt would fail
    assert "'no-such-model' is not among its models (emulator)" in check(document, "zylongpt")["summary"]
    assert "Model 'no-such-model' not found" in check(document, "gpt.tool_choice")["summary"]


# -- configuration ---------------------------------------------------------------------------------


def test_no_token_runs_what_needs_none(monkeypatch, capsys):
    with run_emulator() as server:
        code, document = doctor(monkeypatch, capsys, server.base_url, token=None)
        assert {r["path"] for r in server.requests} == {"/api/health"}
    expected = {name: "skipped" for name in CHECKS}
    expected.update(configuration="failed", reachability="ok", health="ok")
    assert verdicts(document) == expected and code == 1
    assert "ZYLON_API_TOKEN is not set" in check(document, "configuration")["summary"]
    assert document["configuration"]["token"] == "missing"


@pytest.mark.parametrize(
    ("base_url", "message"),
    [(None, "ZYLON_BASE_URL"), ("https://zylon.example.com/api?x=1", "must not have a query"), ("zylon.example.com", "http:// or https://")],
)
def test_a_bad_configuration_is_a_failed_check(monkeypatch, capsys, base_url, message):
    code, document = doctor(monkeypatch, capsys, base_url)
    assert check(document, "configuration")["verdict"] == "failed" and message in check(document, "configuration")["summary"]
    assert {v for n, v in verdicts(document).items() if n != "configuration"} == {"skipped"}
    assert code == 1 and document["requests"] == []


def test_a_refused_token_does_not_make_the_header_lose_the_base_url(monkeypatch, capsys):
    monkeypatch.setenv("ZYLON_BASE_URL", "https://zylon.example.com")
    monkeypatch.setenv("ZYLON_API_TOKEN", "Bearer sk-doctor-header-secret")
    assert main([]) == 1
    header, configuration_line = capsys.readouterr().out.splitlines()[:2]
    assert header.endswith(": https://zylon.example.com")  # not "(no base URL) (given as ...), org None, model None"
    assert "starts with 'Bearer'" in configuration_line and "secret" not in header + configuration_line


def test_the_token_is_never_a_flag():
    with pytest.raises(SystemExit) as exit_:
        main(["--api-token", "x"])
    assert exit_.value.code == 2


def test_help_explains_each_check_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for name, description in CHECKS.items():
        assert any(line.split() == [name, *description.split()] for line in text.splitlines()), name
    assert "read-only" in text.lower() and "ZYLON_API_TOKEN" in text and "--json" in text


# -- the console script, end to end ----------------------------------------------------------------


def test_the_console_script_is_installed():
    scripts = {e.name: e.value for e in metadata.entry_points(group="console_scripts")}
    assert scripts.get("zylon-doctor") == "zylon_core.doctor.cli:main"


def run_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ZYLON_")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "zylon_core.doctor", *args], capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=120)


def test_end_to_end_in_a_subprocess(monkeypatch, capsys):
    with run_emulator(token_kind="workspace") as server:
        seed(server.base_url)
        env = {"ZYLON_BASE_URL": server.base_url, "ZYLON_API_TOKEN": TOKEN}
        text = run_command(env=env)
        as_json = run_command("--json", env=env)
        monkeypatch.setenv("ZYLON_BASE_URL", server.base_url)
        monkeypatch.setenv("ZYLON_API_TOKEN", TOKEN)
        monkeypatch.setenv("ZYLON_ORG", "acme")
        failing = main(["--require-gpt"])
    assert text.returncode == 0 and as_json.returncode == 0, text.stderr + as_json.stderr
    lines = text.stdout.strip().splitlines()
    assert lines[0].startswith("zylon-doctor ") and server.base_url in lines[0] and "org 'default'" in lines[0]
    rows = {line.split()[1]: line.split()[0] for line in lines[1:-1]}
    assert rows == verdicts(json.loads(as_json.stdout))
    assert rows["zylongpt"] == "differs" and lines[-1].endswith("exit status 0")
    failing_text = capsys.readouterr().out
    assert failing == 1 and "org 'acme'" in failing_text and failing_text.splitlines()[-1].endswith("exit status 1")
    assert any(line.startswith("failed   zylongpt") for line in failing_text.splitlines())
    for output in (text.stdout + text.stderr, as_json.stdout + as_json.stderr, failing_text):
        assert TOKEN not in output


# -- network failures ------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_address(monkeypatch, capsys):
    code, document = doctor(monkeypatch, capsys, f"http://127.0.0.1:{free_port()}")
    expected = {name: "skipped" for name in CHECKS}
    expected.update(configuration="ok", reachability="failed")
    assert verdicts(document) == expected and code == 1
    assert "could not reach" in check(document, "reachability")["summary"]
    assert document["requests"] == ["GET /api/health -> APIConnectionError"]


@contextlib.contextmanager
def serve(app: Starlette, **config: Any) -> Iterator[str]:
    """``app`` on 127.0.0.1 (HTTPS with ``ssl_certfile``/``ssl_keyfile``); its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"{'https' if 'ssl_certfile' in config else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture
def https_emulator() -> Iterator[str]:
    with serve(create_app(image_input=True), ssl_certfile=str(TLS / "server.pem"), ssl_keyfile=str(TLS / "server.key")) as url:
        yield url


def test_a_certificate_the_system_does_not_trust(monkeypatch, capsys, https_emulator):
    code, document = doctor(monkeypatch, capsys, https_emulator)
    expected = {name: "skipped" for name in CHECKS}
    expected.update(configuration="ok", reachability="failed")
    assert verdicts(document) == expected and code == 1
    reach = check(document, "reachability")
    assert "TLS failure" in reach["summary"] and "certificate verify failed" in reach["summary"] and "--ca-bundle" in reach["summary"]


def test_a_private_ca_given_with_ca_bundle(monkeypatch, capsys, https_emulator):
    seed(https_emulator, verify=ssl.create_default_context(cafile=str(TLS / "ca.pem")))
    code, document = doctor(monkeypatch, capsys, https_emulator, "--ca-bundle", str(TLS / "ca.pem"))
    assert verdicts(document) == {**DEFAULT, "workspace.blocks": "ok"} and code == 0
    reach = check(document, "reachability")
    assert reach["details"]["tls"]["version"].startswith("TLSv1.")
    assert reach["details"]["tls"]["issuer"].startswith("zylon-integrations test CA")
    assert "127.0.0.1" in reach["details"]["tls"]["alt_names"]
    assert f"the CA bundle {TLS / 'ca.pem'}" in reach["summary"]


# -- the token is never printed --------------------------------------------------------------------


def echo_app(seen: list[tuple[str, str]]) -> Starlette:
    """A server that puts the Authorization header it receives into every answer: names,
    roles, error messages, validation errors."""

    async def answer(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        seen.append((request.url.path, auth))
        path = request.url.path
        page = {"has_next_page": False, "has_previous_page": False}
        if path == "/api/health":
            return JSONResponse({"status": "ok", "commit": auth or "none", "uptime": "1s"})
        if path == f"{W}/me":
            return JSONResponse({"id": "user_echo", "name": auth, "roles": [auth], "org_id": "org_1", "state": "Active"})
        if path == "/api/gpt/v1/models":
            return JSONResponse({"detail": f"{auth} is not a Gateway token"}, status_code=401)
        if path == f"{W}/user/user_echo/project":
            return JSONResponse({"data": [{"id": "proj_1", "name": auth}], **page})
        if path == f"{W}/project/proj_1/thread":
            return JSONResponse({"data": [{"id": "thread_1", "name": auth}], **page})
        if path == f"{W}/thread/thread_1":
            return JSONResponse({"type": "not_found", "status": 404, "message": f"no thread for {auth}"}, status_code=404)
        if path == f"{W}/project/proj_1/thread/thread_1":
            return JSONResponse({"id": "thread_1", "name": auth, "created_at": "2026-01-01T00:00:00Z"})
        if path == f"{W}/chat/validate":
            return JSONResponse({"type": "bad_request", "status": 400, "message": f"refused for {auth}"}, status_code=400)
        return JSONResponse({"type": "error", "status": 500, "message": f"echo {auth}"}, status_code=500)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])


def test_the_token_a_server_echoes_is_never_printed(monkeypatch, capsys):
    seen: list[tuple[str, str]] = []
    with serve(echo_app(seen)) as url:
        as_json = run_command("--json", env={"ZYLON_BASE_URL": url, "ZYLON_API_TOKEN": TOKEN})
        monkeypatch.setenv("ZYLON_BASE_URL", url)
        monkeypatch.setenv("ZYLON_API_TOKEN", TOKEN)
        code = main([])
    text = capsys.readouterr().out
    assert seen and all(auth == f"Bearer {TOKEN}" for path, auth in seen if path != "/api/health")
    assert [auth for path, auth in seen if path == "/api/health"] == ["", ""]  # health is asked without the token
    for output in (as_json.stdout + as_json.stderr, text):
        assert TOKEN not in output and TOKEN[:12] not in output
        assert "[redacted]" in output
    document = json.loads(as_json.stdout)
    assert check(document, "identity")["details"]["name"] == "Bearer [redacted]"
    assert "refused for Bearer [redacted]" in check(document, "workspace.tool_choice")["summary"]
    assert check(document, "paths")["verdict"] == "differs"  # what the echo server answers: the legacy layout
    assert code == as_json.returncode == document["exit_code"]

