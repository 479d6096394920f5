"""What the doctor found: one :class:`CheckResult` per check, gathered in a :class:`Report`
that renders as text lines or one JSON document, with the token removed from both.

Verdicts: ``ok`` (the server does what the integrations expect), ``differs`` (it works,
differently: an older path layout, a Workspace-only token, a refused request shape; the
integrations cope or the line says what to change), ``failed`` (something is broken) and
``skipped`` (it could not be checked; the line says why). The exit status is 1 when a
*critical* check failed (one the integrations rely on), else 0.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any, Literal

from .._redaction import REDACTED, scrubber
from .._version import __version__

Verdict = Literal["ok", "differs", "failed", "skipped"]
VERDICTS: tuple[Verdict, ...] = ("ok", "differs", "failed", "skipped")

# Packages whose versions a bug report needs (those installed).
_PACKAGES = ("zylon-integrations", "httpx", "pydantic", "langchain-core", "llama-index-core")


@dataclass
class CheckResult:
    """One check: its ``name``, ``verdict``, a one-line ``summary`` of what it saw, and
    ``details`` (JSON-able) for a bug report. ``critical``: a failure exits non-zero."""

    name: str
    verdict: Verdict
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    critical: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "verdict": self.verdict, "critical": self.critical, "summary": self.summary, "details": self.details}


@dataclass
class Report:
    """Every check's result, the configuration used and the requests made."""

    configuration: dict[str, Any]
    checks: list[CheckResult] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    secret: str = field(default="", repr=False)

    def add(self, result: CheckResult) -> CheckResult:
        self.checks.append(result)
        return result

    def get(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def exit_code(self) -> int:
        """1 if a critical check failed, else 0 (``differs`` and ``skipped`` never fail)."""
        return 1 if any(c.verdict == "failed" and c.critical for c in self.checks) else 0

    def counts(self) -> dict[str, int]:
        return {v: sum(c.verdict == v for c in self.checks) for v in VERDICTS}

    def to_json(self) -> dict[str, Any]:
        """The whole report as one JSON-able document (the token removed)."""
        document = {
            "zylon_doctor": __version__,
            "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "environment": environment(),
            "configuration": self.configuration,
            "checks": [c.to_json() for c in self.checks],
            "counts": self.counts(),
            "requests": self.requests,
            "exit_code": self.exit_code,
        }
        return scrub(document, self.secret)

    def render_json(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False, default=str)

    def render_text(self) -> str:
        """One header line, one line per check (``verdict  name  summary``), a total."""
        config = self.configuration
        given = config.get("base_url_given")
        used = config.get("base_url")
        if used is None:  # the configuration was refused: show what was given, no made-up values
            header = f"zylon-doctor {__version__}: {given or '(no base URL)'}"
        else:
            header = f"zylon-doctor {__version__}: {used}"
            if given and given != used:
                header += f" (given as {given})"
            header += f", org {config.get('org')!r}, model {config.get('model')!r}"
        width = max([len(c.name) for c in self.checks] + [12])
        lines = [header]
        for check in self.checks:
            lines.append(f"{check.verdict:<8} {check.name:<{width}}  {' '.join(check.summary.split())}")
        counts = self.counts()
        parts = [f"{counts[v]} {v}" for v in VERDICTS if counts[v]]
        lines.append(f"{len(self.checks)} checks: {', '.join(parts)}; exit status {self.exit_code}")
        return scrub("\n".join(lines), self.secret)


def environment() -> dict[str, Any]:
    """Python, platform and the versions of the packages involved."""
    versions: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": sys.version.split()[0], "platform": platform.platform(terse=True), "packages": versions}


def scrub(value: Any, secret: str) -> Any:
    """``value`` (a string, or lists/dicts of them) with every occurrence of ``secret``
    (or of a start of it, as a cut excerpt leaves) replaced by ``[redacted]``."""
    if not secret:
        return value
    clean = scrubber(secret)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return clean(item)
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        return item

    return walk(value)


__all__ = ["REDACTED", "CheckResult", "Report", "VERDICTS", "Verdict", "environment", "scrub"]
