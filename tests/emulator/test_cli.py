"""The ``zylon-emulator`` console script starts without a token and serves requests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from zylon_core.emulator.__main__ import build_parser, main


def test_parser_defaults_and_options() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.stream_shape, args.stop_reason_style) == ("127.0.0.1", 8765, "full", "anthropic")
    assert (args.stream_profile, args.paths, args.token_kind, args.project_chat_shape, args.embedding_index) == ("C", "current", "gateway", "interaction", "lookup")
    args = build_parser().parse_args(["--port", "9000", "--stream-shape", "minimal", "--ping", "--always-processing", "--stream-delay", "0.1"])
    assert (args.port, args.stream_shape, args.ping, args.always_processing, args.stream_delay) == (9000, "minimal", True, True, 0.1)
    args = build_parser().parse_args(
        ["--stream-profile", "A", "--paths", "legacy", "--token-kind", "workspace", "--paging", "cursor", "--download", "url",
         "--project-chat-shape", "sse", "--embedding-index", "position", "--total-count", "requested", "--image-input", "--model-id", "m1"]
    )
    assert (args.stream_profile, args.paths, args.token_kind, args.paging, args.download) == ("A", "legacy", "workspace", "cursor", "url")
    assert (args.project_chat_shape, args.embedding_index, args.total_count, args.image_input, args.model_id) == ("sse", "position", "requested", True, ["m1"])


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error_not_a_traceback(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--port", port])
    assert exit_.value.code == 2
    assert f"argument --port: invalid port (1 to 65535) value: '{port}'" in capsys.readouterr().err


def test_console_script_serves() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "zylon_core.emulator", "--port", str(port), "--log-level", "warning", "--token-kind", "workspace"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.post(f"{base}/api/v1/app/chat", json={"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}, headers={"Authorization": "Bearer x", "x-org": "default"})
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else "exited"
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.05)
        assert response.status_code == 200
        assert response.json()["content"][0]["text"] == 'You said: "hi".'
        gpt = httpx.post(f"{base}/api/gpt/v1/messages", json={"messages": [{"role": "user", "content": "hi"}]}, headers={"Authorization": "Bearer x"})
        assert gpt.status_code == 401  # the --token-kind flag reached the app
        gpt = httpx.post(f"{base}/api/gpt/v1/messages", json={"messages": [{"role": "user", "content": "hi"}]}, headers={"Authorization": "Bearer x"})
        assert gpt.status_code == 401  # the flag reached the app
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_port_in_use_is_one_usage_line_before_any_banner(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as exit_:
            main(["--host", "127.0.0.1", "--port", str(port)])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert f"cannot listen on 127.0.0.1:{port}:" in err and "Traceback" not in err
