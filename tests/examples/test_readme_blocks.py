"""Every ```python block of README.md runs, as written, against the emulator.

Each block runs alone, in a fresh namespace, as a script (``__name__ == "__main__"``) with
``ZYLON_BASE_URL`` / ``ZYLON_API_TOKEN`` pointing at the session's ``run_emulator()``, in
a folder holding the files blocks name. The README's placeholders (a quoted id prefix
followed by ``...``) are filled in: ``"proj_..."`` becomes a project holding one ingested
document, ``"thread_..."`` a thread of that project, and ``"019c..."`` (a ZylonGPT
collection) the collection the emulator files that project's chunks in. A block must send at least one request (it
talks to Zylon), raise nothing, and use no deprecated API (:mod:`tests.deprecations`).

A block may opt out only with an HTML comment on the line right before its fence that
names the reason, ``<!-- not run by tests: REASON -->``; such blocks are listed in
:data:`OPTED_OUT`, so a new one shows up in review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

from tests.conftest import ROOT, TEST_TOKEN
from tests.deprecations import no_deprecations_from
from zylon_core import ZylonClient

README = ROOT / "README.md"
OPT_OUT = re.compile(r"^<!--\s*not run by tests:\s*(?P<reason>\S.*?)\s*-->$")
PLACEHOLDER = re.compile(r"""(["'])(?P<kind>[A-Za-z0-9]+_?)\.\.\.\1""")

# (first code line, reason) of every block that opts out; keep in step with README.md.
OPTED_OUT: list[tuple[str, str]] = []

# Files the README's blocks read, made in the folder a block runs in.
FILES = {"handbook.pdf": "Employee handbook. Support tickets are answered within one business day.\n"}


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    code: str
    opt_out: Optional[str]  # the reason, when the block opts out

    @property
    def first_line(self) -> str:
        return next((line for line in self.code.splitlines() if line.strip()), "")


def python_blocks(markdown: str) -> list[Block]:
    """The ```python blocks of ``markdown``, with the opt-out reason of each (None: it runs).

    A fence left open, or an opt-out comment without a reason, is a ValueError.
    """
    lines = markdown.splitlines()
    blocks: list[Block] = []
    position = 0
    while position < len(lines):
        line = lines[position]
        if not line.startswith("```"):
            position += 1
            continue
        start = position
        end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "```"), None)
        if end is None:
            raise ValueError(f"README line {start + 1}: the fence is never closed")
        if line.strip() == "```python":
            before = lines[start - 1].strip() if start > 0 else ""
            reason = None
            if before.startswith("<!--"):
                match = OPT_OUT.match(before)
                if match is None:
                    raise ValueError(f"README line {start}: an opt-out reads <!-- not run by tests: REASON -->, got {before!r}")
                reason = match.group("reason")
            blocks.append(Block(start + 1, "\n".join(lines[start + 1 : end]) + "\n", reason))
        position = end + 1
    return blocks


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))
RUN = [b for b in BLOCKS if b.opt_out is None]


@pytest.fixture
def readme_env(zylon_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Placeholder values, and a working folder holding the files blocks read."""
    with ZylonClient(base_url=zylon_env.base_url, api_token=TEST_TOKEN) as client:
        project_id = client.projects.create("README blocks")["id"]
        client.artifacts.create_document(project_id, "Q1 support summary", "Billing issues drove 38% of support cases in Q1.")
        thread_id = client.threads.create(project_id, "README thread").id
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return {"proj_": project_id, "thread_": thread_id, "019c": project_id}


def fill(code: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        kind = match.group("kind")
        if kind not in values:
            raise KeyError(f"no value for the placeholder {match.group(0)} (known: {', '.join(values)})")
        return f'"{values[kind]}"'

    return PLACEHOLDER.sub(value, code)


@pytest.mark.parametrize("block", RUN, ids=[f"line-{b.line}" for b in RUN])
def test_readme_block_runs(block: Block, readme_env: dict[str, str], zylon_env: Any) -> None:
    code = fill(block.code, readme_env)
    zylon_env.clear_requests()
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(README)}
    with no_deprecations_from(__file__, "README.md"):
        exec(compile(code, f"README.md (block at line {block.line})", "exec"), namespace)
    assert zylon_env.requests, "the block sent no request to Zylon"


def test_every_python_block_is_found_and_opt_outs_are_listed() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(BLOCKS) == text.count("\n```python\n") and RUN
    assert [(b.first_line, b.opt_out) for b in BLOCKS if b.opt_out is not None] == OPTED_OUT


def test_the_parser_reads_fences_and_opt_outs() -> None:
    markdown = (
        "Intro\n\n```python\nprint(1)\n```\n\n```bash\nls\n```\n"
        "<!-- not run by tests: it needs a GPU -->\n```python\ntrain()\n```\n"
    )
    blocks = python_blocks(markdown)
    assert [(b.line, b.code, b.opt_out) for b in blocks] == [(3, "print(1)\n", None), (11, "train()\n", "it needs a GPU")]
    with pytest.raises(ValueError, match="REASON"):
        python_blocks("<!-- skip -->\n```python\nx = 1\n```\n")
    with pytest.raises(ValueError, match="never closed"):
        python_blocks("```python\nx = 1\n")


def test_placeholders_are_filled_or_refused() -> None:
    assert fill('ChatZylon(project_id="proj_...", thread_id=\'thread_...\')', {"proj_": "p1", "thread_": "t1"}) == (
        'ChatZylon(project_id="p1", thread_id="t1")'
    )
    assert fill('ZylonRetriever(collection="019c...")', {"019c": "c1"}) == 'ZylonRetriever(collection="c1")'
    with pytest.raises(KeyError, match="artifact_"):
        fill('x = "artifact_..."', {"proj_": "p1"})
