"""``zylon-doctor``: check a live Zylon instance the way the integrations will use it,
without changing anything on it, and print what it found (one line per check, or one JSON
document for a bug report). The token is never printed.

Read-only: it sends ``GET`` requests and the two validate endpoints, which judge a request
without running it; it creates, changes and deletes nothing. Each check's verdict is
``ok``, ``differs`` (works, differently: the line says how the integrations cope or what to
change), ``failed`` or ``skipped`` (could not be checked; the line says why). The exit
status is 1 when a check the integrations rely on failed (configuration, reachability and
TLS, health, the token on the Workspace API, reading threads and their pages; ZylonGPT
too with ``--require-gpt``), else 0.

* ``zylon-doctor`` / ``python -m zylon_core.doctor`` (see :mod:`.cli` and ``--help``);
* :func:`run_checks` for the same from Python (a :class:`Report`).

Layout: :mod:`.connection` (reachability, health, identity, ZylonGPT), :mod:`.layout`
(path layout, paging, payloads), :mod:`.shapes` (request shapes through the validate
endpoints), :mod:`.session` (sending the core client's calls, logging them),
:mod:`.report` (results, rendering, the token scrubbed out).
"""

from __future__ import annotations

from typing import Any

import httpx

from .._client import ZylonClient
from .._settings import ZylonSettings
from .connection import Found, identity, reachability_and_health, zylongpt
from .layout import discover, paging, paths, payloads
from .report import CheckResult, Report, Verdict
from .session import Session
from .shapes import shapes

CHECKS: dict[str, str] = {
    "configuration": "the settings used: ZYLON_BASE_URL (normalised to the instance root), ZYLON_ORG, ZYLON_MODEL, ZYLON_API_TOKEN set",
    "reachability": "GET /api/health without the token: the base URL answers, over which TLS version and certificate",
    "health": "GET /api/health answers status ok",
    "identity": "GET /api/v1/app/me with x-org: the Workspace API accepts the token, and whose it is",
    "zylongpt": "GET /api/gpt/v1/models: the token reaches ZylonGPT (a Gateway token) and serves ZYLON_MODEL",
    "paths": "a thread read back at /thread/{id} and /project/{id}/thread/{id}: current layout or pre-1.50",
    "paging": "a list asked with page_order ASC and DESC, then walked by next_cursor/after (or page=2)",
    "workspace.tool_choice": "POST /api/v1/app/chat/validate with tool_choice auto, any, none and tool",
    "workspace.blocks": "the same with text, image, binary, signed thinking and tool_use/tool_result blocks",
    "workspace.sampling": "the same with temperature and top_p 0 and 1 (accepted) and 1.5 (refused)",
    "gpt.tool_choice": "POST /api/gpt/v1/messages/validate with tool_choice auto, any, none and tool",
    "gpt.blocks": "the same with text, image, binary, document, signed thinking and tool_use/tool_result blocks",
    "gpt.sampling": "the same with temperature and top_p 0 and 1 (accepted) and 1.5 (refused)",
    "payloads": "the client's own models read every answer the checks above fetched",
}
"""Every check, in the order it is reported, with what it does."""


def configuration(settings: ZylonSettings | None, given: str | None, **extra: Any) -> dict[str, Any]:
    """The settings as the report shows them (never the token)."""
    if settings is None:
        return {"base_url": None, "base_url_given": given, **extra}
    verify = settings.verify if isinstance(settings.verify, (bool, str)) else type(settings.verify).__name__
    return {
        "base_url": settings.base_url,
        "base_url_given": given,
        "org": settings.org,
        "model": settings.model,
        "timeout": settings.timeout,
        "verify": verify,
        **extra,
    }


def run_checks(
    settings: ZylonSettings,
    *,
    base_url_given: str | None = None,
    token_set: bool = True,
    require_gpt: bool = False,
    project_id: str | None = None,
    thread_id: str | None = None,
    http_client: httpx.Client | None = None,
) -> Report:
    """Run every check against the instance of ``settings`` and return the :class:`Report`.

    ``token_set=False``: the token is missing (``settings`` holds a placeholder, never
    sent): only the checks that need none run. ``require_gpt``: a token that does not
    reach ZylonGPT is a failure, not a difference. ``project_id`` / ``thread_id``: where
    to look for the path layout and paging (else found by listing). Sends only ``GET``
    requests and validate requests (see the module docstring).
    """
    secret = settings.api_token.get_secret_value() if token_set else ""
    report = Report(configuration(settings, base_url_given, token="set (not shown)" if token_set else "missing"), secret=secret)
    client = ZylonClient(settings, http_client=http_client)
    session = Session(client)
    found = Found()
    normalised = f" (given as {base_url_given}: normalised to the instance root)" if base_url_given and base_url_given != settings.base_url else ""
    if token_set:
        report.add(CheckResult("configuration", "ok", f"base URL {settings.base_url}{normalised}; org {settings.org!r}; ZYLON_API_TOKEN set (not shown)"))
    else:
        report.add(CheckResult("configuration", "failed", "ZYLON_API_TOKEN is not set (the doctor reads the token from that variable only)"))
    try:
        _run(report, session, settings, found, token_set, require_gpt, project_id, thread_id, base_url_given)
    finally:
        client.close()
        report.requests = session.requests
    return report


def _run(
    report: Report,
    session: Session,
    settings: ZylonSettings,
    found: Found,
    token_set: bool,
    require_gpt: bool,
    project_id: str | None,
    thread_id: str | None,
    given: str | None,
) -> None:
    for result in reachability_and_health(session, settings, given, found):
        report.add(result)
    if not found.reachable or not token_set:
        skip(report, "not reached" if not found.reachable else "no token: set ZYLON_API_TOKEN")
        return
    report.add(identity(session, settings, found))
    if found.token_refused:  # a Gateway token reaches the Workspace too: this one is not valid
        report.add(CheckResult("zylongpt", "skipped", "the token is refused (see identity)", critical=False))
    else:
        report.add(zylongpt(session, settings, found, require_gpt))
    refused = None if found.workspace else "the Workspace API refused the token (see identity)"
    workspace_shapes, validate_missing = shapes(session, "workspace", refused)
    if found.workspace:
        place = discover(session, found, project_id, thread_id)
        report.add(paths(session, found, place, validate_missing))
        report.add(paging(session, place))
    else:
        skip(report, refused or "", ["paths", "paging"])
    for result in workspace_shapes:
        report.add(result)
    gpt_unavailable = None if found.gpt else "ZylonGPT is not reachable with this token (see zylongpt)"
    for result in shapes(session, "gpt", gpt_unavailable)[0]:
        report.add(result)
    report.add(payloads(found))


def skip(report: Report, reason: str, names: list[str] | None = None) -> None:
    """Report the checks not run yet (or ``names``) as skipped, for ``reason``."""
    done = {c.name for c in report.checks}
    for name in names or list(CHECKS):
        if name not in done:
            report.add(CheckResult(name, "skipped", reason, critical=False))


__all__ = ["CHECKS", "CheckResult", "Report", "Verdict", "run_checks"]
