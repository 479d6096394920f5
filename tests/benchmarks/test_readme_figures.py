"""The README's Performance figures are the ones benchmarks/RESULTS.md reports: every
decimal figure in that section (milliseconds, ratios) is a figure of RESULTS.md rounded
to the README's precision, so a re-run that changes RESULTS.md without the README fails."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"(?<![\w.])(\d+\.\d+)(?![\w.])")


def performance_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Performance")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def results_figures() -> list[str]:
    return NUMBER.findall((ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8"))


def quoted_by(figure: str, results: list[str]) -> bool:
    places = len(figure.split(".")[1])
    return any(f"{float(r):.{places}f}" == figure for r in results)


def test_every_readme_performance_figure_comes_from_results() -> None:
    section = performance_section()
    figures = NUMBER.findall(section.split("```")[0])  # the prose, not the command block
    assert len(figures) >= 8, f"the Performance section quotes too few figures to check: {figures}"
    results = results_figures()
    missing = [f for f in figures if not quoted_by(f, results)]
    assert missing == [], f"README Performance figures not in benchmarks/RESULTS.md: {missing}"


def test_the_check_catches_a_figure_results_does_not_have() -> None:
    assert not quoted_by("987.654", results_figures())
    assert quoted_by("1.3", ["0.9", "1.34"]) and quoted_by("0.80", ["0.796"])
    assert not quoted_by("1.3", ["1.36"]) and not quoted_by("0.80", ["0.81"])
