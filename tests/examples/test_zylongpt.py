"""examples/zylongpt.py runs end to end: against the instance ZYLON_BASE_URL names (here
the session emulator), and on its own emulator when ZYLON_BASE_URL is unset."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.deprecations import no_deprecations_from

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "zylongpt.py"

EXPECTED = [
    "[ZylonGPT] models: emulator",
    '[ChatZylon api=gpt] answer: You said: "What is a private AI platform?".',
    "  model asked: default, usage: {'input_tokens': 10, 'output_tokens': 8, 'total_tokens': 18}",
    "  with model='emulator': You said: \"Say hello.\".",
    '  stream: You said: "Give me three words about privacy.".',
    "  tokens counted by the server: 8",
    "  profile: context window 8192, output 1024, reasoning True",
    "  status: completed",
    '  resumed: You said: "Summarise the quarterly report in one line.".',
    "[Zylon api=gpt] context window from the model's card: 8192",
    '  chat: You said: "Name one benefit of on-premise AI.".',
]
BACKGROUND = re.compile(r'  background [0-9a-f-]{36}: You said: "Draft a two-line release note\."\.')


def check(out: str) -> None:
    for line in EXPECTED:
        assert line in out, f"missing {line!r} in:\n{out}"
    assert BACKGROUND.search(out), out


def test_example_uses_the_configured_instance(zylon_env: Any, capsys: Any) -> None:
    zylon_env.clear_requests()
    with no_deprecations_from(str(EXAMPLE)):
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert f"Zylon instance: {zylon_env.base_url}" in out
    check(out)
    submitted = out.split("[background] submitted: ")[1].split()[0]
    sent = [(r["method"], r["path"]) for r in zylon_env.requests]
    assert ("POST", "/api/gpt/v1/messages/count_tokens") in sent and ("GET", "/api/gpt/v1/models") in sent
    assert ("GET", f"/api/gpt/v1/messages/async/{submitted}/stream") in sent
    assert not [path for _, path in sent if path.startswith("/api/v1/app/")]  # ZylonGPT only
    assert submitted not in zylon_env.state.async_messages  # the example deleted what it submitted


def test_example_starts_its_own_emulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYLON_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    assert "ZYLON_BASE_URL is not set: using a local Zylon emulator" in done.stdout
    check(done.stdout)
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr
