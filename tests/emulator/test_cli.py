"""The ``zylon-emulator`` console script starts without a token and serves requests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx

from zylon_core.emulator.__main__ import build_parser


def test_parser_defaults_and_options() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.stream_shape, args.stop_reason_style) == ("127.0.0.1", 8765, "full", "anthropic")
    args = build_parser().parse_args(["--port", "9000", "--stream-shape", "minimal", "--ping", "--always-processing", "--stream-delay", "0.1"])
    assert (args.port, args.stream_shape, args.ping, args.always_processing, args.stream_delay) == (9000, "minimal", True, True, 0.1)


def test_console_script_serves() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "zylon_core.emulator", "--port", str(port), "--log-level", "warning"],
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
    finally:
        process.terminate()
        process.wait(timeout=10)
