"""examples/llama_index_chat.py runs end to end (against the session emulator)."""

from __future__ import annotations

import runpy
from pathlib import Path

from tests.deprecations import no_deprecations_from

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llama_index_chat.py"


def test_example_runs_chat_streaming_and_an_agent(zylon_env, capsys):
    with no_deprecations_from(str(EXAMPLE)):
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert f"Zylon instance: {zylon_env.base_url}" in out
    assert 'chat: You said: "What is a private AI platform?".' in out
    assert 'stream: You said: "Give me three words about privacy.".' in out
    assert "tool multiply({'a': 6, 'b': 7}) -> 42" in out
    assert "agent: The result of multiply is 42." in out
