"""examples/rag_agent.py runs end to end: against the instance ZYLON_BASE_URL names (here
the session emulator), and on its own emulator when ZYLON_BASE_URL is unset."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.deprecations import no_deprecations_from

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "rag_agent.py"

EXPECTED = [
    "Uploaded and ingested 4 documents",
    # (a) ChatZylon with all_artifacts and citations, and its sources
    "Answer: According to Q1 support summary: Q1 support summary. Billing issues drove 38%",
    "  [1] Q1 support summary.txt: Q1 support summary. Billing issues drove 38%",
    # (b) the agent (create_agent) calls the retriever tool and answers from what it returned
    "Agent calls: search_project_documents(",
    "  retrieved Onboarding guide.txt (score ",
    "Agent answers: The result of search_project_documents is [Onboarding guide.txt] Onboarding guide. New customers finish onboarding in 3 days",
    # (c) the LlamaIndex query engine over ZylonRetriever and Zylon
    "[LlamaIndex RetrieverQueryEngine over ZylonRetriever]",
    "  source release-notes-2.4.md (score ",
    "Deleted project ",
]


def check(out: str) -> None:
    for line in EXPECTED:
        assert line in out, f"missing {line!r} in:\n{out}"
    # The engine's answer was built from the retrieved chunk (the emulator echoes its prompt).
    answer = out.split("[LlamaIndex RetrieverQueryEngine over ZylonRetriever]")[1]
    assert "Duplicate charges are detected automatically." in answer


def test_example_uses_the_configured_instance(zylon_env: Any, capsys: Any) -> None:
    zylon_env.clear_requests()
    with no_deprecations_from(str(EXAMPLE)):
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert f"Zylon instance: {zylon_env.base_url}" in out
    check(out)
    paths = {(r["method"], r["path"].split("/proj_")[0]) for r in zylon_env.requests}
    for expected in [
        ("POST", "/api/v1/app/project"),
        ("DELETE", "/api/v1/app/project"),
        ("POST", "/api/gpt/v1/primitives/search"),
        ("POST", "/api/v1/app/chat"),
    ]:
        assert expected in paths, expected
    created = next(r for r in zylon_env.requests if r["method"] == "POST" and r["path"] == "/api/v1/app/project")
    assert created["json"]["name"] == "RAG example (zylon-integrations)"
    project_ids = [p for p in zylon_env.state.projects.values() if p.data.get("name") == "RAG example (zylon-integrations)"]
    assert project_ids == []  # the example cleaned up after itself


def test_example_starts_its_own_emulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYLON_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    assert "ZYLON_BASE_URL is not set: using a local Zylon emulator" in done.stdout
    check(done.stdout)
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr
