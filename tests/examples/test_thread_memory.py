"""examples/thread_memory.py runs: on its own emulator when ZYLON_BASE_URL is unset,
and against the instance ZYLON_BASE_URL names when it is set."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.deprecations import no_deprecations_from

EXAMPLE = ROOT / "examples" / "thread_memory.py"
EXPECTED = [
    # LangGraph: one thread id for the checkpointer and for Zylon
    "Zylon: Your name is Ada. This is turn 2 of this thread.",
    "  the checkpoint holds 4 messages (the graph's state)",
    "  stored HumanMessage: My name is Ada.",
    "  stored AIMessage: Your name is Ada. This is turn 2 of this thread.",
    # a new checkpointer has no state, the Zylon thread still has the conversation
    "With a new checkpointer, same thread id:\nYou: Who am I?\nZylon: Your name is Ada. This is turn 3 of this thread.",
    # LlamaIndex: Memory over ZylonMemoryStore
    "Zylon: Your city is Paris. This is turn 2 of this thread.",
    "  stored user: What is my city?",
    "  stored assistant: Your city is Paris. This is turn 2 of this thread.",
    "Deleted project",
]


def test_example_starts_its_own_emulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYLON_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "using a local Zylon emulator" in done.stdout
    for line in EXPECTED:
        assert line in done.stdout
    assert "Warning" not in done.stderr


def test_example_uses_the_configured_instance(zylon_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    zylon_env.clear_requests()
    with no_deprecations_from(str(EXAMPLE)):
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert f"Zylon instance: {zylon_env.base_url}" in out
    for line in EXPECTED:
        assert line in out
    creates = [r for r in zylon_env.requests if r["method"] == "POST" and r["path"].endswith("/interaction")]
    # Every turn, in both frameworks, sent only its new message: the thread holds the rest.
    assert len(creates) == 5 and all(len(r["json"]["pgpt"]["messages"]) == 1 for r in creates)
