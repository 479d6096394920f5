"""Checks that read the instance's own data, without changing it: which path layout it
uses (current, or before Zylon 1.50), how its lists page, and whether the client's models
read what it answers.

A thread to look at is found by listing the user's projects (``GET /user/{id}/project``,
or ``GET /project`` on servers that have it) and their threads, or taken from
``--project-id`` / ``--thread-id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .._api import PageQuery
from .._transport import Call
from ..errors import NotFoundError, ZylonError
from ..models import Interaction, Page, Thread
from .connection import Found
from .report import CheckResult
from .session import Session, describe

MAX_PROJECTS = 10  # projects whose threads are listed while looking for one
PAGE = 10  # items per page when judging the order

ListCall = Callable[[PageQuery], Call[Any]]


@dataclass
class Place:
    """Where the layout and paging checks look: a project, a thread of it, and the lists
    seen on the way (each a label, how to ask for a page, and its first page's ids)."""

    project_id: str | None = None
    thread_id: str | None = None
    projects_seen: int = 0
    lists: list[tuple[str, ListCall]] = field(default_factory=list)
    problem: str | None = None  # why nothing could be listed


def _ids(page: Any) -> list[str]:
    data = page.get("data") if isinstance(page, dict) else None
    return [str(item["id"]) for item in data or () if isinstance(item, dict) and item.get("id") is not None]


def discover(session: Session, found: Found, project_id: str | None, thread_id: str | None) -> Place:
    """A project and a thread to check, listing as little as needed."""
    place = Place(project_id=project_id, thread_id=thread_id)
    if thread_id:
        return place
    if project_id:
        projects = [project_id]
    else:
        projects = _projects(session, found, place)
    for pid in projects[:MAX_PROJECTS]:
        place.projects_seen += 1
        threads = _thread_list(session, pid)
        try:
            page = session.send_raw(threads(PageQuery(page_size=PAGE)))
        except ZylonError as exc:
            place.problem = f"listing the threads of project {pid}: {describe(exc)}"
            continue
        found.readable("GET /project/{id}/thread", Page[Thread], page)
        ids = _ids(page)
        if ids:
            place.project_id, place.thread_id = pid, ids[0]
            place.lists.append((f"the threads of project {pid}", threads))
            break
    return place


def _thread_list(session: Session, project_id: str) -> ListCall:
    return lambda query: session.client.api.thread_page(project_id, query)


def _projects(session: Session, found: Found, place: Place) -> list[str]:
    api = session.client.api
    user = found.user_id
    candidates: list[tuple[str, ListCall]] = []
    if user:
        candidates.append((f"GET /user/{user}/project", lambda q: api.user_projects(user, q)))
    # Not in the published OpenAPI document, but served by some servers (and the emulator).
    candidates.append(("GET /project", lambda q: Call("GET", api.settings.workspace_url("/project"), params=q.params())))
    for label, build in candidates:
        try:
            page = session.send_raw(build(PageQuery(page_size=PAGE)))
        except NotFoundError:
            continue
        except ZylonError as exc:
            place.problem = f"{label}: {describe(exc)}"
            return []
        place.lists.append((f"the projects ({label})", build))
        return _ids(page)
    place.problem = "no endpoint listed this user's projects"
    return []


def paths(session: Session, found: Found, place: Place, validate_missing: bool) -> CheckResult:
    """Read the thread back on the current layout (``/thread/{id}``) and on the one before
    Zylon 1.50 (``/project/{projectId}/thread/{id}``)."""
    api = session.client.api
    tid, pid = place.thread_id, place.project_id
    if not tid:
        if validate_missing:
            summary = (
                "no /chat/validate on this server (a 2025-08 Workspace): threads and interactions live under "
                "/project/{projectId}/... (before Zylon 1.50); pass project_id to the integrations or set paths='legacy'"
            )
            return CheckResult("paths", "differs", summary, {"layout": "legacy", "evidence": "chat/validate 404"})
        why = place.problem or f"no thread visible to this token in {place.projects_seen} project(s)"
        summary = (
            f"could not tell the layout: {why}. Pass --project-id (and --thread-id) of a thread to check it; "
            "the integrations detect it on first use when given project_id"
        )
        return CheckResult("paths", "skipped", summary)
    answers: dict[str, Any] = {}
    for layout in ("current", "legacy"):
        if layout == "legacy" and not pid:
            answers[layout] = None
            continue
        try:
            body = session.send_raw(api.thread_get(tid, pid, legacy=layout == "legacy"))
            found.readable(f"GET thread ({layout} layout)", Thread, body)
            answers[layout] = True
        except NotFoundError:
            answers[layout] = False
        except ZylonError as exc:
            return CheckResult("paths", "failed", f"reading thread {tid}: {describe(exc)}", {"thread_id": tid})
    current, legacy = answers["current"], answers["legacy"]
    details = {"thread_id": tid, "project_id": pid, "current": current, "legacy": legacy}
    if current or legacy:
        layout = "current" if current else "legacy"
        details["layout"] = layout
        _interactions(session, found, place, layout == "legacy")
    if current:
        also = "; the pre-1.50 /project/{projectId}/... paths answer too" if legacy else ""
        return CheckResult("paths", "ok", f"current layout (Zylon 1.50 and later): /thread/{{id}}, /interaction/{{id}}{also}", details)
    if legacy:
        summary = (
            "pre-1.50 layout: threads and interactions live under /project/{projectId}/... (/thread/{id} is 404). "
            "The integrations reach them when given project_id (or set paths='legacy')"
        )
        return CheckResult("paths", "differs", summary, details)
    if legacy is None:
        summary = f"thread {tid} is not at /thread/{{id}}, and without its project the pre-1.50 layout could not be checked (pass --project-id)"
        return CheckResult("paths", "skipped", summary, details)
    return CheckResult("paths", "failed", f"thread {tid} of project {pid} could not be read on either layout", details)


def _interactions(session: Session, found: Found, place: Place, legacy: bool) -> None:
    api, tid, pid = session.client.api, place.thread_id or "", place.project_id

    def build(query: PageQuery) -> Call[Any]:
        return api.interaction_page(tid, query, pid, legacy=legacy)

    try:
        page = session.send_raw(build(PageQuery(page_size=PAGE, order="ASC")))
    except ZylonError:
        return
    found.readable("GET interactions page", Page[Interaction], page)
    place.lists.insert(0, (f"the interactions of thread {tid}", build))


def paging(session: Session, place: Place) -> CheckResult:
    """On the first list with two items or more: does ``page_order`` change the order
    (``ASC`` oldest first), and does the walk the client makes (``next_cursor`` sent back
    as ``after``, else ``page`` + 1) reach the second item?"""
    for label, build in place.lists:
        try:
            asc = session.send_raw(build(PageQuery(page_size=PAGE, order="ASC")))
            if len(_ids(asc)) < 2:
                continue
            return _judge(session, label, build, asc)
        except ZylonError as exc:
            return CheckResult("paging", "failed", f"{label}: {describe(exc)}", {"list": label})
    return CheckResult("paging", "skipped", "no list with two items or more is visible to this token (projects, threads, interactions)")


def _judge(session: Session, label: str, build: ListCall, asc: Any) -> CheckResult:
    desc = session.send_raw(build(PageQuery(page_size=PAGE, order="DESC")))
    ids_asc, ids_desc = _ids(asc), _ids(desc)
    details: dict[str, Any] = {"list": label, "asc": ids_asc, "desc": ids_desc}
    order = _order(asc)
    if ids_asc == ids_desc:
        order_note, order_ok = f"page_order is ignored (ASC and DESC both answer {order or 'the same order'})", False
    elif order == "newest first":
        order_note, order_ok = "page_order=ASC answers newest first", False
    else:
        order_note, order_ok = "page_order=ASC answers oldest first", True
    first = session.send_raw(build(PageQuery(page_size=1, order="ASC")))
    cursor = first.get("next_cursor") if isinstance(first, dict) else None
    details["next_cursor"] = cursor is not None
    if not (isinstance(first, dict) and first.get("has_next_page")):
        summary = f"{label}: a page of 1 of {len(ids_asc)}+ items says has_next_page false: the client would stop after the first page"
        return CheckResult("paging", "failed", summary, details)
    by_page = _ids(session.send_raw(build(PageQuery(page=2, page_size=1, order="ASC"))))
    by_cursor = _ids(session.send_raw(build(PageQuery(page_size=1, after=cursor, order="ASC")))) if cursor else None
    details.update(page_2=by_page, after_cursor=by_cursor)
    second = ids_asc[1]
    page_ok = by_page[:1] == [second]
    if cursor is not None:
        walk_ok = by_cursor is not None and by_cursor[:1] == [second]
        walk = "next_cursor/after walks forward" if walk_ok else f"after=<next_cursor> answered {by_cursor}, not {second}"
        walk += "" if page_ok else " (page= is ignored: cursor paging only)"
    else:
        walk_ok = page_ok
        walk = "no next_cursor; page=2 walks forward" if page_ok else f"no next_cursor, and page=2 answered {by_page}, not {second}"
    summary = f"{label}: {order_note}; {walk}"
    if not walk_ok:
        return CheckResult("paging", "failed", summary + ": the client cannot read past the first page", details)
    return CheckResult("paging", "ok" if order_ok else "differs", summary, details)


def _order(page: Any) -> str | None:
    """``oldest first`` / ``newest first`` by the items' ``created_at``, if they all have one of one kind."""
    data = page.get("data") if isinstance(page, dict) else None
    stamps: list[Any] = [item.get("created_at") for item in data or () if isinstance(item, dict)]
    if len(stamps) < 2 or any(s is None for s in stamps):
        return None
    kinds = {isinstance(s, str) for s in stamps}
    if len(kinds) != 1:
        return None
    pairs = list(zip(stamps[:-1], stamps[1:], strict=True))
    if all(a <= b for a, b in pairs):
        return "oldest first"
    if all(a >= b for a, b in pairs):
        return "newest first"
    return "unordered"


def payloads(found: Found) -> CheckResult:
    """Whether the client's own models read every answer the other checks fetched."""
    if not found.payloads:
        return CheckResult("payloads", "skipped", "nothing was read")
    bad = [(what, error) for what, error in found.payloads if error]
    read = sorted({what for what, _ in found.payloads})
    details = {"read": read, "unreadable": [{"answer": w, "error": e} for w, e in bad]}
    if bad:
        listed = "; ".join(f"{what}: {error}" for what, error in bad)
        return CheckResult("payloads", "failed", f"the client's models cannot read {listed}", details)
    return CheckResult("payloads", "ok", f"the client's models read every answer ({', '.join(read)})", details)
