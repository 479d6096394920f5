"""The README's main job (examples/quickstart.py) runs every example."""

from __future__ import annotations

import ast
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_main_job_runs_every_example() -> None:
    tree = ast.parse((EXAMPLES / "quickstart.py").read_text())
    listed = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "EXAMPLES" for t in node.targets)
    )
    assert sorted(listed) == sorted(p.name for p in EXAMPLES.glob("*.py") if p.name != "quickstart.py")
