"""``zylon-doctor``'s verdict rules, one server behaviour at a time: an in-process instance
(``httpx.MockTransport``) that answers as a current Zylon server does, changed per test
into what the emulator cannot imitate (a health page that is HTML, a redirect, a refused
org, lists that ignore ``page_order`` or ``after``, a ZylonGPT that refuses
``tool_choice: any``, a 2025-08 Workspace without ``/chat/validate``...), and the real
ZylonGPT's own validate answers from ``captures/``."""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx
import pytest

from zylon_core import ZylonSettings
from zylon_core.doctor import CHECKS, Report, run_checks

BASE = "https://zylon.example.com"
TOKEN = "zt-doctor-rules-token-0123456789"
W = "/api/v1/app"
G = "/api/gpt/v1"
STAMPS = ["2026-01-0%dT00:00:00Z" % day for day in range(1, 10)]

Handler = Callable[[httpx.Request], httpx.Response]


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers={"content-type": "text/html", **(headers or {})})
    return httpx.Response(status, json=body, headers=headers)


def envelope(field: str, message: str, kind: str = "less_than_equal") -> dict[str, Any]:
    """ZylonGPT's 400 envelope for one item (the shape of captures/validate_temperature_1_5)."""
    item = {"type": kind, "loc": str(("body", field)), "msg": message}
    detail = {"code": "INVALID_REQUEST_ERROR", "explanation": [item]}
    return {"type": "error", "error": {"type": "invalid_request_error", "message": "Invalid Request Error", "detail": detail}, "request_id": None, "detail": [item]}


class Instance:
    """A current Zylon server (1.57): two projects, a thread with three interactions, lists
    paged by number and by cursor, validate endpoints that refuse temperature/top_p > 1.
    ``routes`` can be replaced per test; ``requests`` keeps what came."""

    def __init__(self) -> None:
        self.projects = [{"id": "proj_a", "created_at": STAMPS[0]}, {"id": "proj_b", "created_at": STAMPS[1]}]
        self.threads = [{"id": "thread_a", "project_id": "proj_a", "created_at": STAMPS[2]}]
        self.interactions = [{"id": f"inter_{n}", "state": "Completed", "thread_id": "thread_a", "created_at": STAMPS[3 + n]} for n in range(3)]
        self.ignore_order = self.ignore_after = self.never_next = False
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], Handler] = {
            ("GET", "/api/health"): lambda r: reply(200, {"status": "ok", "uptime": "3d 04:12:33", "commit": "9f1c2a3"}),
            ("GET", f"{W}/me"): lambda r: reply(200, {"id": "user_1", "name": "Sasha", "org_id": "org_1", "roles": ["AppAdmin"], "state": "Active"}),
            ("GET", f"{G}/models"): lambda r: reply(200, {"data": [{"id": "mock"}], "has_more": False, "first_id": "mock", "last_id": "mock"}),
            ("GET", f"{W}/user/user_1/project"): lambda r: self.page(r, self.projects),
            ("GET", f"{W}/project/proj_a/thread"): lambda r: self.page(r, self.threads),
            ("GET", f"{W}/project/proj_b/thread"): lambda r: self.page(r, []),
            ("GET", f"{W}/thread/thread_a"): lambda r: reply(200, self.threads[0]),
            ("GET", f"{W}/thread/thread_a/interaction"): lambda r: self.page(r, self.interactions),
            ("POST", f"{W}/chat/validate"): lambda r: self.validate(r, workspace=True),
            ("POST", f"{G}/messages/validate"): lambda r: self.validate(r, workspace=False),
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        handler = self.routes.get((request.method, request.url.path))
        return handler(request) if handler else reply(404, {"type": "not_found", "status": 404, "message": "no such endpoint"})

    def page(self, request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
        """The documented list envelope: page/page_size, page_order, after (an item id)."""
        params = request.url.params
        ordered = list(items)
        if params.get("page_order") == "DESC" and not self.ignore_order:
            ordered.reverse()
        size = int(params.get("page_size", "20"))
        if params.get("after") and not self.ignore_after:
            start = [i["id"] for i in ordered].index(params["after"]) + 1
        else:
            start = (int(params.get("page", "1")) - 1) * size
        data = ordered[start : start + size]
        more = start + size < len(ordered) and not self.never_next
        body: dict[str, Any] = {"data": data, "has_next_page": more, "has_previous_page": start > 0}
        if more and data:
            body["next_cursor"] = data[-1]["id"]
        return reply(200, body)

    def validate(self, request: httpx.Request, workspace: bool) -> httpx.Response:
        body = json.loads(request.content)
        for field in ("temperature", "top_p"):
            if (body.get(field) or 0) > 1:
                return reply(400, envelope(field, "Input should be less than or equal to 1"))
        return reply(204) if workspace else reply(200, {"valid": True, "errors": None})


def run(instance: Instance, base_url: str = BASE, **options: Any) -> Report:
    settings = ZylonSettings.resolve(base_url=base_url, api_token=TOKEN, max_retries=0, model=options.pop("model", None))
    http = httpx.Client(transport=httpx.MockTransport(instance.handle))
    report = run_checks(settings, http_client=http, **options)
    assert [c.name for c in report.checks] == list(CHECKS)
    text, document = report.render_text(), report.render_json()
    assert TOKEN not in text and TOKEN not in document
    assert json.loads(document)["exit_code"] == report.exit_code
    return report


def verdicts(report: Report) -> dict[str, str]:
    return {c.name: c.verdict for c in report.checks}


def summary(report: Report, name: str) -> str:
    result = report.get(name)
    assert result is not None
    return result.summary


ALL_OK = {name: "ok" for name in CHECKS}


def test_a_current_server_is_ok_everywhere_and_only_read():
    instance = Instance()
    report = run(instance)
    assert verdicts(report) == ALL_OK and report.exit_code == 0
    assert {(r.method, r.url.path) for r in instance.requests if r.method != "GET"} == {("POST", f"{W}/chat/validate"), ("POST", f"{G}/messages/validate")}
    assert all("authorization" not in r.headers for r in instance.requests if r.url.path == "/api/health")
    assert all(r.headers["x-org"] == "default" for r in instance.requests if r.url.path.startswith(W))
    assert summary(report, "paging").startswith("the interactions of thread thread_a: page_order=ASC answers oldest first")
    assert "answered over TLS (verified against the default CA bundle)" in summary(report, "reachability")
    assert summary(report, "health") == "status ok (commit 9f1c2a3, uptime 3d 04:12:33)"
    assert summary(report, "identity") == "user_1 (Sasha), org org_1, roles AppAdmin, state Active"


# -- reachability and health --------------------------------------------------------------------


def test_plain_http_to_another_host_differs():
    report = run(Instance(), base_url="http://zylon.example.com")
    assert verdicts(report) == {**ALL_OK, "reachability": "differs"} and report.exit_code == 0
    assert "the token travels unencrypted" in summary(report, "reachability")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (reply(200, "<!doctype html><html><body>Zylon</body></html>"), "an HTML page, not the health JSON: is ZYLON_BASE_URL the instance root"),
        (reply(503, {"type": "unavailable", "status": 503, "message": "health check unavailable"}), "503"),
        (reply(200, {"status": "degraded", "uptime": "1s", "commit": "x"}), "status 'degraded'"),
        (reply(404, None), "is ZYLON_BASE_URL the instance root?"),
    ],
)
def test_an_unhealthy_answer_fails(answer, expected):
    instance = Instance()
    instance.routes[("GET", "/api/health")] = lambda r: answer
    report = run(instance)
    assert report.get("reachability").verdict == "ok"  # type: ignore[union-attr]
    assert report.get("health").verdict == "failed" and expected in summary(report, "health")  # type: ignore[union-attr]
    assert report.exit_code == 1


def test_a_redirect_is_not_followed():
    instance = Instance()
    instance.routes[("GET", "/api/health")] = lambda r: reply(308, None, {"location": "https://zylon.example.com/new/api/health"})
    report = run(instance)
    assert verdicts(report)["reachability"] == "failed" and "https://zylon.example.com/new/api/health" in summary(report, "reachability")
    assert {verdicts(report)[n] for n in CHECKS if n not in ("configuration", "reachability", "payloads")} == {"skipped"}
    assert report.exit_code == 1


# -- identity and ZylonGPT ------------------------------------------------------------------------


def test_an_org_the_token_is_refused_in():
    instance = Instance()
    instance.routes[("GET", f"{W}/me")] = lambda r: reply(403, {"type": "forbidden", "status": 403, "message": "not a member of this organization"})
    report = run(instance)
    workspace = ("paths", "paging", "workspace.tool_choice", "workspace.blocks", "workspace.sampling")
    assert verdicts(report) == {**ALL_OK, "identity": "failed", **{n: "skipped" for n in workspace}} and report.exit_code == 1
    assert "ZYLON_ORG" in summary(report, "identity") and "not a member of this organization" in summary(report, "identity")


def test_a_server_without_me():
    instance = Instance()
    del instance.routes[("GET", f"{W}/me")]
    report = run(instance)
    # Without the user id the projects cannot be listed: the layout is not known.
    assert verdicts(report) == {**ALL_OK, "identity": "differs", "paths": "skipped", "paging": "skipped"} and report.exit_code == 0
    assert "no GET /api/v1/app/me" in summary(report, "identity")


def test_no_zylongpt_at_this_address():
    instance = Instance()
    del instance.routes[("GET", f"{G}/models")]
    gpt = {f"gpt.{n}": "skipped" for n in ("tool_choice", "blocks", "sampling")}
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "zylongpt": "differs", **gpt} and report.exit_code == 0
    report = run(instance, require_gpt=True)
    assert verdicts(report) == {**ALL_OK, "zylongpt": "failed", **gpt} and report.exit_code == 1


# -- paths and paging ---------------------------------------------------------------------------


def test_a_2025_08_workspace_without_chat_validate_or_threads():
    instance = Instance()
    instance.threads.clear()
    del instance.routes[("POST", f"{W}/chat/validate")]
    report = run(instance)
    workspace = {f"workspace.{n}": "skipped" for n in ("tool_choice", "blocks", "sampling")}
    assert verdicts(report) == {**ALL_OK, "paths": "differs", "paging": "ok", **workspace} and report.exit_code == 0
    assert "a 2025-08 Workspace" in summary(report, "paths") and "paths='legacy'" in summary(report, "paths")
    assert summary(report, "paging").startswith("the projects (GET /user/user_1/project)")
    assert "a Workspace older than November 2025" in summary(report, "workspace.tool_choice")


def test_no_endpoint_lists_the_projects():
    instance = Instance()
    del instance.routes[("GET", f"{W}/user/user_1/project")]
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "paths": "skipped", "paging": "skipped"}
    assert "no endpoint listed this user's projects" in summary(report, "paths")
    assert [r.url.path for r in instance.requests if "project" in r.url.path] == [f"{W}/user/user_1/project", f"{W}/project"]


def test_a_thread_readable_on_neither_layout_fails():
    instance = Instance()
    del instance.routes[("GET", f"{W}/thread/thread_a")]
    report = run(instance)
    assert verdicts(report)["paths"] == "failed" and report.exit_code == 1
    assert "could not be read on either layout" in summary(report, "paths")


def test_page_order_ignored_differs():
    instance = Instance()
    instance.ignore_order = True
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "paging": "differs"} and report.exit_code == 0
    assert "page_order is ignored (ASC and DESC both answer oldest first)" in summary(report, "paging")


def test_newest_first_for_asc_differs():
    instance = Instance()
    instance.interactions.reverse()  # the server's "ASC" is newest first
    report = run(instance)
    assert verdicts(report)["paging"] == "differs" and "page_order=ASC answers newest first" in summary(report, "paging")


def test_a_cursor_that_does_not_move_fails():
    instance = Instance()
    instance.ignore_after = True
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "paging": "failed"} and report.exit_code == 1
    assert "after=<next_cursor> answered ['inter_0'], not inter_1" in summary(report, "paging")
    assert "cannot read past the first page" in summary(report, "paging")


def test_has_next_page_never_true_fails():
    instance = Instance()
    instance.never_next = True
    report = run(instance)
    assert verdicts(report)["paging"] == "failed" and "has_next_page false" in summary(report, "paging")


def test_paging_by_number_without_cursors():
    instance = Instance()
    original = instance.page

    def no_cursor(request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
        body = original(request, items).json()
        body.pop("next_cursor", None)
        return reply(200, body)

    instance.page = no_cursor  # type: ignore[method-assign]
    report = run(instance)
    assert verdicts(report) == ALL_OK and "no next_cursor; page=2 walks forward" in summary(report, "paging")


def test_answers_the_client_cannot_read():
    instance = Instance()
    instance.interactions[1]["state"] = "Queued"  # not a state the client knows
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "payloads": "failed"} and report.exit_code == 1
    assert "GET interactions page: data.1.state" in summary(report, "payloads")


# -- request shapes -----------------------------------------------------------------------------


def test_an_older_zylongpt_refusing_tool_choice_any():
    instance = Instance()
    plain = instance.routes[("POST", f"{G}/messages/validate")]

    def older(request: httpx.Request) -> httpx.Response:
        if (json.loads(request.content).get("tool_choice") or {}).get("type") == "any":
            return reply(400, envelope("tool_choice", "Input should be 'auto', 'tool' or 'none'", "literal_error"))
        return plain(request)

    instance.routes[("POST", f"{G}/messages/validate")] = older
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "gpt.tool_choice": "differs"} and report.exit_code == 0
    assert summary(report, "gpt.tool_choice") == (
        "tool_choice: any refused (tool_choice: Input should be 'auto', 'tool' or 'none'); accepted: auto, none, tool"
    )


def test_a_server_refusing_binary_and_signed_thinking():
    instance = Instance()
    plain = instance.routes[("POST", f"{G}/messages/validate")]

    def refuse(request: httpx.Request) -> httpx.Response:
        kinds = {b.get("type") for m in json.loads(request.content)["messages"] for b in m["content"] if isinstance(b, dict)}
        if "binary" in kinds:
            return reply(400, {"valid": False, "errors": ["binary blocks are not supported"]})
        if "thinking" in kinds:
            return reply(400, envelope("messages", "Field required", "missing"))
        return plain(request)

    instance.routes[("POST", f"{G}/messages/validate")] = refuse
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "gpt.blocks": "differs"}
    text = summary(report, "gpt.blocks")
    assert "binary refused (binary blocks are not supported)" in text and "signed thinking refused (messages: Field required)" in text
    assert text.endswith("accepted: text, image, document, tool_use/tool_result")


def test_a_server_accepting_temperature_1_5():
    instance = Instance()
    instance.routes[("POST", f"{W}/chat/validate")] = lambda r: reply(204)
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "workspace.sampling": "differs"} and report.exit_code == 0
    text = summary(report, "workspace.sampling")
    assert "temperature=1.5 accepted (the client refuses it before sending)" in text and "top_p=1.5 accepted" in text


def test_a_validate_endpoint_that_breaks_is_reported_without_failing_the_run():
    instance = Instance()
    plain = instance.routes[("POST", f"{W}/chat/validate")]
    instance.routes[("POST", f"{W}/chat/validate")] = lambda r: reply(500, {"message": "boom"}) if b'"image"' in r.content else plain(r)
    report = run(instance)
    assert verdicts(report) == {**ALL_OK, "workspace.blocks": "failed"} and report.exit_code == 0  # not relied on by the integrations
    assert "failed on image (500: POST /api/v1/app/chat/validate failed: boom)" in summary(report, "workspace.blocks")


# -- ZylonGPT's own answers (captures/) -----------------------------------------------------------


def captured(shared: Any, name: str) -> httpx.Response:
    meta = json.loads((shared / "captures" / f"{name}.meta.json").read_text())
    return httpx.Response(meta["status"], content=(shared / "captures" / f"{name}.response.json").read_bytes(), headers={"content-type": "application/json"})


def test_the_real_zylongpt_answers(shared_api):
    instance = Instance()
    instance.routes[("GET", f"{G}/models")] = lambda r: captured(shared_api, "models_list")

    def real(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("model") == "no-such-model":
            return captured(shared_api, "validate_unknown_model")
        if (body.get("temperature") or 0) > 1:
            return captured(shared_api, "validate_temperature_1_5")
        if (body.get("top_p") or 0) > 1:
            return captured(shared_api, "err_top_p_2")  # the same envelope, for top_p
        return captured(shared_api, "validate_ok")

    instance.routes[("POST", f"{G}/messages/validate")] = real
    report = run(instance)
    assert verdicts(report) == ALL_OK
    assert report.get("zylongpt").details["models"] == ["mock"]  # type: ignore[union-attr]
    details = report.get("gpt.sampling").details  # type: ignore[union-attr]
    assert details["temperature=1.5"] == {"outcome": "refused", "reason": "temperature: Input should be less than or equal to 1"}
    assert details["top_p=1.5"] == {"outcome": "refused", "reason": "top_p: Input should be less than or equal to 1"}
    report = run(instance, model="no-such-model")
    assert verdicts(report) == {**ALL_OK, "zylongpt": "differs", "gpt.tool_choice": "failed", "gpt.blocks": "skipped", "gpt.sampling": "skipped"}
    assert "Model 'no-such-model' not found. Available: {'default', 'mock'}" in summary(report, "gpt.tool_choice")
