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
from typing import Any

import pytest

from tests.reliability.fault_server import FaultServer

_OUTCOMES = ("recovered", "loud")
_kinds: dict[str, str] = {}
_tally: Counter[str] = Counter()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(outcome): a fault injected on the real HTTP path; outcome is 'recovered' or 'loud'")
    config.addinivalue_line("markers", "bad_input: a bad input that must be rejected before any request")


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


def pytest_terminal_summary(terminalreporter: Any) -> None:
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
