"""The LangChain examples run: on their own emulator when ZYLON_BASE_URL is unset, and
against the instance ZYLON_BASE_URL names when it is set."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deprecations import no_deprecations_from

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXPECTED = {
    "langchain_chain.py": ["Streamed answer: You said:", "closing the billing backlog", "Invoked answer: You said:"],
    "langchain_agent.py": [
        "Agent calls tool: order_status({'order_id': 'A-1001'})",
        "Tool returns: Order A-1001: shipped on 2026-02-03.",
        "Agent answers:",
        "[calling order_status]",
        # HumanInTheLoopMiddleware: the agent pauses before cancel_order, and goes on as decided
        "Approval needed: cancel_order({'order_id': 'A-1002'}) -> approve\nTool returns: Order A-1002 is cancelled.",
        "Approval needed: cancel_order({'order_id': 'A-1001'}) -> reject\n"
        "Tool returns: User rejected the tool call for `cancel_order` with reason: Order A-1001 has already shipped.\n"
        "Agent answers: The tool cancel_order reported an error:",
        "Orders still open: A-1001\n",
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_starts_its_own_emulator(name: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYLON_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "using a local Zylon emulator" in done.stdout
    for line in EXPECTED[name]:
        assert line in done.stdout
    assert "Warning" not in done.stderr


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_uses_the_configured_instance(name: str, zylon_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    zylon_env.clear_requests()
    with no_deprecations_from(str(EXAMPLES / name)):
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    out = capsys.readouterr().out
    assert f"Zylon instance: {zylon_env.base_url}" in out
    for line in EXPECTED[name]:
        assert line in out
    assert any(r["path"] == "/api/v1/app/chat" for r in zylon_env.requests)
