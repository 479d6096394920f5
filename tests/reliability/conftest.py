"""Markers that let the suite count what it proved, and the count itself.

* ``@pytest.mark.fault("recovered")``: a fault the client must survive by recovering
  (retrying, or treating it as benign) and still return the right answer;
* ``@pytest.mark.fault("loud")``: a fault the client must survive by failing loudly,
  with a typed error and never a shorter answer;
* ``@pytest.mark.bad_input``: one bad input, rejected with a ``ValueError`` before any
  request is sent.

At the end of a run that includes them, the terminal summary prints the counts (the
numbers quoted in ``tests/reliability/SUMMARY.md``):
``pytest tests/reliability -q`` recomputes them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.fault_server import FaultServer

_OUTCOMES = ("recovered", "loud")
_kinds: dict[str, str] = {}
_tally: Counter[str] = Counter()
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
_files_run: set[str] = set()  # the test modules of this folder collected
_deselected_here = False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(outcome): a fault injected on the real HTTP path; outcome is 'recovered' or 'loud'")
    config.addinivalue_line("markers", "bad_input: a bad input that must be rejected before any request")


def pytest_deselected(items: list[pytest.Item]) -> None:
    global _deselected_here
    if any(Path(str(item.path)).parent == HERE for item in items):
        _deselected_here = True


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # Every test module of this folder that was collected (a module that skips itself,
    # such as test_live.py without an instance, reports too).
    path = (ROOT / report.nodeid.split("::")[0]).resolve()
    if report.nodeid.endswith(".py") and path.parent == HERE:
        _files_run.add(path.name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fault = item.get_closest_marker("fault")
        if fault is not None:
            outcome = fault.args[0] if fault.args else None
            if outcome not in _OUTCOMES:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.fault needs one of {_OUTCOMES}, got {outcome!r}")
            _kinds[item.nodeid] = f"fault:{outcome}"
        elif item.get_closest_marker("bad_input") is not None:
            _kinds[item.nodeid] = "bad_input"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    kind = _kinds.get(report.nodeid)
    if kind is None or report.when != "call":
        return
    _tally[f"{kind}:tried"] += 1
    if report.passed:
        _tally[f"{kind}:passed"] += 1


def summary() -> dict[str, int]:
    faults = sum(_tally[f"fault:{o}:tried"] for o in _OUTCOMES)
    return {
        "faults_tried": faults,
        "faults_survived": sum(_tally[f"fault:{o}:passed"] for o in _OUTCOMES),
        "faults_recovered": _tally["fault:recovered:passed"],
        "faults_failed_loudly": _tally["fault:loud:passed"],
        "bad_inputs_tried": _tally["bad_input:tried"],
        "bad_inputs_rejected": _tally["bad_input:passed"],
    }


def _count_lines(counts: dict[str, int]) -> list[str]:
    """The lines SUMMARY.md and the README quote, from this run's counts."""
    return [
        f"faults tried: {counts['faults_tried']}, survived: {counts['faults_survived']} "
        f"(recovered: {counts['faults_recovered']}, failed loudly with a typed error: {counts['faults_failed_loudly']})",
        f"bad inputs tried: {counts['bad_inputs_tried']}, rejected before any request: {counts['bad_inputs_rejected']}",
        f"**Faults: {counts['faults_tried']} tried, {counts['faults_survived']} survived**: "
        f"{counts['faults_recovered']} recovered with the full answer, {counts['faults_failed_loudly']} failed",
        f"**Bad input: {counts['bad_inputs_tried']} cases rejected, all before any request",
    ]


def stale_counts() -> list[str]:
    """After a run of this whole folder: the quoted counts SUMMARY.md or the README lacks."""
    whole = not _deselected_here and _files_run == {p.name for p in HERE.glob("test_*.py")}
    counts = summary()
    if not whole or not counts["faults_tried"]:
        return []
    lines = _count_lines(counts)
    summary_md = " ".join((HERE / "SUMMARY.md").read_text(encoding="utf-8").split())
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    missing = [f"tests/reliability/SUMMARY.md: {line}" for line in lines if " ".join(line.split()) not in summary_md]
    missing += [f"README.md: {line}" for line in lines[2:] if " ".join(line.split()) not in readme]
    return missing


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # The counts the docs quote are this folder's: a run of all of it that changes them
    # fails until the docs say the new ones.
    if exitstatus == 0 and stale_counts():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in stale_counts():
        terminalreporter.write_line(f"reliability counts out of date, update: {line}", red=True)
    counts = summary()
    if not counts["faults_tried"] and not counts["bad_inputs_tried"]:
        return
    terminalreporter.write_sep("-", "reliability")
    terminalreporter.write_line(
        f"faults tried: {counts['faults_tried']}, survived: {counts['faults_survived']} "
        f"(recovered: {counts['faults_recovered']}, failed loudly with a typed error: {counts['faults_failed_loudly']})"
    )
    terminalreporter.write_line(
        f"bad inputs tried: {counts['bad_inputs_tried']}, rejected before any request: {counts['bad_inputs_rejected']}"
    )


@pytest.fixture
def server():
    """A fault server on loopback (a test file may override this with the emulator)."""
    with FaultServer() as srv:
        yield srv
