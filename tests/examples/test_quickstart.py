"""The README's main job (examples/quickstart.py) runs every example."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from zylon_core.emulator.instance import zylon_instance

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_main_job_runs_every_example() -> None:
    tree = ast.parse((EXAMPLES / "quickstart.py").read_text())
    listed = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "EXAMPLES" for t in node.targets)
    )
    assert sorted(listed) == sorted(p.name for p in EXAMPLES.glob("*.py") if p.name != "quickstart.py")


def test_a_base_url_without_a_token_stops_the_examples_with_one_line(monkeypatch) -> None:
    monkeypatch.setenv("ZYLON_BASE_URL", "https://zylon.example.com")
    monkeypatch.delenv("ZYLON_API_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="ZYLON_BASE_URL is set .* but ZYLON_API_TOKEN is not"):
        with zylon_instance():
            raise AssertionError("the block must not run without a token")
