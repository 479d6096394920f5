"""The first checks: can the instance be reached (and over what TLS), is it healthy, who
is the token, and does the token reach ZylonGPT. Each returns its :class:`CheckResult`;
the later checks read what these found from :class:`Found`."""

from __future__ import annotations

import dataclasses
import ipaddress
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from .._settings import ZylonSettings
from .._system import Health, User
from .._transport import Call
from ..errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ZylonError,
)
from .report import CheckResult, Verdict
from .session import Session, describe, raw_body, status_of, tls_failure

EXPIRY_WARNING_DAYS = 14
GATEWAY_USES = "api='gpt', embeddings, chunk search (collection retrievers) and vector stores / managed indexes"


@dataclass
class Found:
    """What the first checks learned, for the ones after them."""

    reachable: bool = False
    workspace: bool = False  # the Workspace API accepted the token
    gpt: bool = False  # ZylonGPT accepted the token
    token_refused: bool = False  # a 401 from the Workspace API: the token is not valid at all
    user_id: str | None = None
    model_ids: list[str] = field(default_factory=list)
    # (what was read, the client's model error or None), for the payloads check.
    payloads: list[tuple[str, str | None]] = field(default_factory=list)

    def readable(self, what: str, model: Any, data: Any) -> Any:
        """``data`` read with the client's ``model``; remembers whether that worked."""
        try:
            value = model.model_validate(data)
        except ValidationError as exc:
            self.payloads.append((what, _first_error(exc)))
            return None
        self.payloads.append((what, None))
        return value


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first: dict[str, Any] = dict(errors[0]) if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    got = first.get("input")
    shown = f" (got {type(got).__name__} {got!r})" if not isinstance(got, (dict, list)) else ""
    return f"{where}: {first.get('msg', exc)}{shown}"[:300]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _trust(settings: ZylonSettings) -> str:
    verify = settings.verify
    if verify is False:
        return "certificate NOT verified (verify=False)"
    if isinstance(verify, str):
        return f"verified against the CA bundle {verify}"
    if isinstance(verify, ssl.SSLContext):
        return "verified with the given SSL context"
    return "verified against the default CA bundle"


def _health_reader(response: httpx.Response) -> tuple[int, str | None, Any]:
    return response.status_code, response.headers.get("location"), raw_body(response)


def reachability_and_health(session: Session, settings: ZylonSettings, given: str | None, found: Found) -> list[CheckResult]:
    """``GET /api/health`` (no token sent): whether anything answers at the base URL,
    over what TLS, and whether the instance says it is healthy."""
    url = httpx.URL(settings.base_url)
    used = {"base_url": settings.base_url, "base_url_given": given}
    try:
        health: Call[Any] = session.client.api.health()
        # Redirects are errors for every other call: here they are the answer to report.
        redirects = frozenset(range(300, 400))
        status, location, body = session.send(dataclasses.replace(health, parse=_health_reader, accept_statuses=redirects))
    except APIConnectionError as exc:
        problem = tls_failure(exc)
        if problem:
            hint = "pass --ca-bundle PATH if the instance uses a private certificate authority"
            summary = f"TLS failure reaching {url.host}: {problem} ({hint})"
            return [
                CheckResult("reachability", "failed", summary, {**used, "tls_error": problem}),
                CheckResult("health", "skipped", "not reached"),
            ]
        summary = f"could not reach {settings.base_url}: {describe(exc)}"
        return [CheckResult("reachability", "failed", summary, {**used, "error": describe(exc)}), CheckResult("health", "skipped", "not reached")]
    except APIStatusError as exc:  # something answered: reached, not healthy
        found.reachable = True
        reach = _reached(settings, session, used)
        hint = " (is ZYLON_BASE_URL the instance root?)" if status_of(exc) == 404 else ""
        return [reach, CheckResult("health", "failed", f"{describe(exc)}{hint}", {"status": status_of(exc)})]
    if 300 <= status < 400:  # nothing else is asked: every request would be redirected too
        summary = (
            f"GET /api/health answered {status}, a redirect to {location}: the integrations do not follow "
            "redirects; set ZYLON_BASE_URL to the address it redirects to"
        )
        return [CheckResult("reachability", "failed", summary, {**used, "status": status, "location": location}), CheckResult("health", "skipped", "redirected")]
    found.reachable = True
    return [_reached(settings, session, used), _health(body, found)]


def _reached(settings: ZylonSettings, session: Session, used: dict[str, Any]) -> CheckResult:
    url = httpx.URL(settings.base_url)
    tls = session.tls
    if url.scheme == "http":
        if _loopback(url.host):
            return CheckResult("reachability", "ok", f"{settings.base_url} answered (plain HTTP on loopback)", used)
        summary = f"{settings.base_url} answered over plain HTTP: the token travels unencrypted (use https://)"
        return CheckResult("reachability", "differs", summary, used)
    details = {**used, "tls": tls, "verification": _trust(settings)}
    if tls is None:
        return CheckResult("reachability", "ok", f"{settings.base_url} answered over TLS ({_trust(settings)})", details)
    summary = f"{settings.base_url} answered over {tls['version']}, certificate for {tls['subject'] or '?'} issued by {tls['issuer'] or '?'}"
    summary += f", valid until {tls['not_after']}, {_trust(settings)}"
    if settings.verify is False:
        return CheckResult("reachability", "differs", summary, details)
    if tls.get("not_after"):
        days = (ssl.cert_time_to_seconds(tls["not_after"]) - time.time()) / 86400
        if days < EXPIRY_WARNING_DAYS:
            return CheckResult("reachability", "differs", f"{summary}: it expires in {max(days, 0):.0f} days", details)
    return CheckResult("reachability", "ok", summary, details)


def _health(body: Any, found: Found) -> CheckResult:
    if not isinstance(body, dict):
        kind = "an HTML page" if isinstance(body, str) and "<" in body[:200] else f"{type(body).__name__} {str(body)[:80]!r}"
        summary = f"GET /api/health answered {kind}, not the health JSON: is ZYLON_BASE_URL the instance root (not a web page)?"
        return CheckResult("health", "failed", summary)
    health = found.readable("GET /api/health", Health, body)
    status = str(body.get("status", ""))
    details = {k: body.get(k) for k in ("status", "uptime", "commit") if k in body}
    extra = ", ".join(f"{k} {body[k]}" for k in ("commit", "uptime") if body.get(k))
    if status.lower() in ("ok", "up") and health is not None:
        return CheckResult("health", "ok", f"status {status}" + (f" ({extra})" if extra else ""), details)
    return CheckResult("health", "failed", f"GET /api/health says status {status or 'missing'!r}" + (f" ({extra})" if extra else ""), details)


def identity(session: Session, settings: ZylonSettings, found: Found) -> CheckResult:
    """``GET /api/v1/app/me`` with ``x-org``: who the token is, in which organization."""
    try:
        body = session.send_raw(session.client.api.me())
    except (AuthenticationError, PermissionDeniedError) as exc:
        found.token_refused = isinstance(exc, AuthenticationError)
        what = "the token" if isinstance(exc, AuthenticationError) else f"the token for org {settings.org!r}"
        hint = "check ZYLON_API_TOKEN" if isinstance(exc, AuthenticationError) else "check ZYLON_ORG (the organization slug or id) and the token"
        return CheckResult("identity", "failed", f"the Workspace API refused {what}: {describe(exc)} ({hint})", {"status": status_of(exc)})
    except NotFoundError as exc:
        found.workspace = True  # not confirmed; let the later checks say
        summary = f"no GET /api/v1/app/me on this server ({describe(exc)}): who the token is could not be checked"
        return CheckResult("identity", "differs", summary, {"status": 404})
    except ZylonError as exc:
        return CheckResult("identity", "failed", describe(exc), {"status": status_of(exc)})
    found.workspace = True
    user = found.readable("GET /api/v1/app/me", User, body)
    if not isinstance(body, dict) or user is None:
        return CheckResult("identity", "differs", f"the token is accepted, but /me answered {str(body)[:120]!r}")
    found.user_id = user.id
    roles = ", ".join(user.roles) or "none"
    details = {k: body.get(k) for k in ("id", "name", "org_id", "state", "roles") if k in body}
    summary = f"{user.id} ({user.name or 'no name'}), org {user.org_id or settings.org}, roles {roles}, state {user.state or '?'}"
    return CheckResult("identity", "ok", summary, details)


def zylongpt(session: Session, settings: ZylonSettings, found: Found, require: bool) -> CheckResult:
    """``GET /api/gpt/v1/models``: whether the token reaches ZylonGPT (a Gateway token),
    and whether the configured model is one it serves."""
    bad: Verdict = "failed" if require else "differs"
    try:
        body = session.send_raw(session.client.api.models())
    except (AuthenticationError, PermissionDeniedError) as exc:
        summary = (
            f"ZylonGPT refused the token ({status_of(exc)}): a Workspace token, or one made before Zylon 1.54. "
            f"The Workspace integrations work; {GATEWAY_USES} need a Gateway token (Backoffice > Developer Console)"
        )
        return CheckResult("zylongpt", bad, summary, {"status": status_of(exc), "token_kind": "workspace"}, critical=require)
    except NotFoundError as exc:
        summary = f"no ZylonGPT at /api/gpt/v1 ({describe(exc)}): {GATEWAY_USES} cannot work against this address"
        return CheckResult("zylongpt", bad, summary, {"status": 404}, critical=require)
    except ZylonError as exc:
        return CheckResult("zylongpt", "failed", describe(exc), {"status": status_of(exc)}, critical=require)
    found.gpt = True
    data = body.get("data") if isinstance(body, dict) else None
    ids = [str(m.get("id")) for m in data or () if isinstance(m, dict) and m.get("id")]
    found.model_ids = ids
    details = {"token_kind": "gateway", "models": ids, "model": settings.model}
    listed = ", ".join(ids) or "none listed"
    if settings.model != "default" and ids and settings.model not in ids:
        summary = f"a Gateway token reaches ZylonGPT, but ZYLON_MODEL {settings.model!r} is not among its models ({listed})"
        return CheckResult("zylongpt", bad, summary, details, critical=require)
    return CheckResult("zylongpt", "ok", f"a Gateway token: ZylonGPT answers (models: {listed})", details, critical=require)
