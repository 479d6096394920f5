"""examples/vector_store.py runs end to end: against the instance ZYLON_BASE_URL names (here
the session emulator), and on its own emulator when ZYLON_BASE_URL is unset."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "vector_store.py"

EXPECTED = [
    "[LangChain ZylonVectorStore] added 3 documents: q3-sales, support-august, plan-2025",
    "'How did revenue grow?' with year >= 2025 -> plan-2025 (score ",
    "'How did revenue grow?' with team == sales, year == 2024 -> q3-sales {'file_name': 'q3-sales.md', 'team': 'sales', 'year': 2024}",
    "get_by_ids -> support-august: Support cases fell 15% after the billing fix shipped in August.",
    "[LlamaIndex ZylonIndex] documents in the collection: plan-2025, q3-sales, support-august, tokens",
    "retrieved tokens (score ",
    "from: tokens",
    "answer: According to support-august.md: Support cases fell 15%",
    "Emptied collection vector-store-example-",
]


def check(out: str) -> None:
    for line in EXPECTED:
        assert line in out, f"missing {line!r} in:\n{out}"
    # Only 2025 documents come back under the year filter, and the engine saw the chunk.
    assert "-> q3-sales (score" not in out and "-> support-august (score" not in out
    assert "Access tokens are rotated every 90 days." in out.split("query engine answer:")[1]


def test_example_uses_the_configured_instance(zylon_env: Any, capsys: Any) -> None:
    zylon_env.clear_requests()
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert f"Zylon instance: {zylon_env.base_url}" in out
    check(out)
    collection = out.split("Collection: ")[1].split()[0]
    assert zylon_env.state.collections.get(collection, {}) == {}  # the example emptied it
    sent = {(r["method"], r["path"]) for r in zylon_env.requests}
    assert {("POST", "/api/gpt/v1/artifacts/ingest"), ("POST", "/api/gpt/v1/primitives/search"), ("POST", "/api/gpt/v1/artifacts/delete")} <= sent


def test_example_starts_its_own_emulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYLON_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    assert "ZYLON_BASE_URL is not set: using a local Zylon emulator" in done.stdout
    check(done.stdout)
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr
