"""Which request shapes the server accepts, asked through its validate endpoints
(``POST /api/v1/app/chat/validate``, ``POST /api/gpt/v1/messages/validate``), which judge a
request without running it: the ``tool_choice`` values, the block types the integrations
send, and the sampling ranges.

A plain text request goes first: if the server refuses even that (or has no validate
endpoint), the other probes are not sent.
"""

from __future__ import annotations

import base64
from typing import Any, Literal, Mapping

from ..errors import NotFoundError, ZylonError
from ..models import ChatRequest, ChatValidationResult
from .report import CheckResult
from .session import Session, describe

Api = Literal["workspace", "gpt"]
ENDPOINT = {"workspace": "/api/v1/app/chat/validate", "gpt": "/api/gpt/v1/messages/validate"}

PROBE_TOOL = {
    "name": "doctor_probe",
    "description": "A tool zylon-doctor offers to see whether the request is valid; never run.",
    "inputSchema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
}
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC"
TEXT = "zylon-doctor probe: a request that is validated, never run."
# The format of the signatures the server writes (``sig_`` + 32 hex); the server is not
# known to check the value (the emulator does not).
SIGNATURE = "sig_" + "0" * 32


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": [_text(TEXT), *blocks]}


BASELINE: dict[str, Any] = {"messages": [_user()]}

TOOL_CHOICES: dict[str, dict[str, Any]] = {
    name: {"messages": [_user()], "tools": [PROBE_TOOL], "tool_choice": choice}
    for name, choice in (
        ("auto", {"type": "auto"}),
        ("any", {"type": "any"}),
        ("none", {"type": "none"}),
        ("tool", {"type": "tool", "name": "doctor_probe"}),
    )
}

_BINARY = base64.b64encode(TEXT.encode()).decode()
BLOCKS: dict[str, dict[str, Any]] = {
    "text": BASELINE,
    "image": {"messages": [_user({"type": "image", "data": PNG_1X1, "mime_type": "image/png"})]},
    "binary": {"messages": [_user({"type": "binary", "data": _BINARY, "mime_type": "text/plain", "filename": "probe.txt"})]},
    "document": {"messages": [_user({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": TEXT}, "title": "probe.txt"})]},
    "signed thinking": {
        "messages": [
            _user(),
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "A probe.", "signature": SIGNATURE}, _text("Noted.")]},
            _user(),
        ],
        "thinking": {"enabled": True},
    },
    "tool_use/tool_result": {
        "messages": [
            _user(),
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_doctor_1", "name": "doctor_probe", "input": {"query": "x"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_doctor_1", "content": "probe result"}]},
        ],
        "tools": [PROBE_TOOL],
    },
}
# ZylonGPT takes ``document`` blocks; the integrations send ``binary`` to the Workspace.
BLOCKS_FOR: dict[Api, tuple[str, ...]] = {
    "workspace": ("text", "image", "binary", "signed thinking", "tool_use/tool_result"),
    "gpt": ("text", "image", "binary", "document", "signed thinking", "tool_use/tool_result"),
}

# name -> (extra request fields, whether the integrations expect it accepted)
SAMPLING: dict[str, tuple[dict[str, Any], bool]] = {
    "temperature=0 top_p=0": ({"temperature": 0.0, "top_p": 0.0}, True),
    "temperature=1 top_p=1": ({"temperature": 1.0, "top_p": 1.0}, True),
    "temperature=1.5": ({"temperature": 1.5}, False),
    "top_p=1.5": ({"top_p": 1.5}, False),
}


class Prober:
    """Asks one API's validate endpoint about request bodies."""

    def __init__(self, session: Session, api: Api) -> None:
        self.session = session
        self.api = api

    def validate(self, body: Mapping[str, Any]) -> ChatValidationResult:
        client = self.session.client
        if self.api == "workspace":
            return self.session.send(client.api.chat_validate(ChatRequest.model_validate(dict(body))))
        return self.session.send(client.api.messages_validate(dict(body)))

    def ask(self, probes: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
        """Each probe's outcome: ``("accepted", "")``, ``("refused", reason)`` or ``("error", what)``."""
        outcomes: dict[str, tuple[str, str]] = {}
        for name, body in probes.items():
            try:
                result = self.validate(body)
            except ZylonError as exc:
                outcomes[name] = ("error", describe(exc))
                continue
            outcomes[name] = ("accepted", "") if result.valid else ("refused", _reasons(result))
        return outcomes


def _reasons(result: ChatValidationResult) -> str:
    lines = [e if isinstance(e, str) else str(e) for e in result.errors or ()]
    text = "; ".join(" ".join(line.split()) for line in lines) or "no reason given"
    return text if len(text) <= 200 else text[:197] + "..."


def shapes(session: Session, api: Api, reason_unavailable: str | None) -> tuple[list[CheckResult], bool]:
    """The three shape checks of ``api`` and whether its validate endpoint is missing (404)."""
    names = [f"{api}.tool_choice", f"{api}.blocks", f"{api}.sampling"]
    if reason_unavailable:
        return [CheckResult(n, "skipped", reason_unavailable, critical=False) for n in names], False
    prober = Prober(session, api)
    endpoint = ENDPOINT[api]
    try:
        baseline = prober.validate(BASELINE)
    except NotFoundError as exc:
        why = f"no POST {endpoint} on this server ({describe(exc)})"
        if api == "workspace":
            why += ": a Workspace older than November 2025"
        return [CheckResult(n, "skipped", why, critical=False) for n in names], True
    except ZylonError as exc:
        first = CheckResult(names[0], "failed", f"POST {endpoint}: {describe(exc)}", critical=False)
        return [first, *(CheckResult(n, "skipped", "the validate endpoint failed", critical=False) for n in names[1:])], False
    if not baseline.valid:
        summary = f"POST {endpoint} refuses even a plain text message: {_reasons(baseline)}"
        first = CheckResult(names[0], "failed", summary, {"errors": baseline.errors}, critical=False)
        return [first, *(CheckResult(n, "skipped", "a plain text message is refused", critical=False) for n in names[1:])], False
    tool_choice = prober.ask(TOOL_CHOICES)
    blocks = prober.ask({name: BLOCKS[name] for name in BLOCKS_FOR[api]})
    sampling = prober.ask({name: {**BASELINE, **fields} for name, (fields, _) in SAMPLING.items()})
    return [
        _verdict(names[0], "tool_choice", tool_choice, {name: True for name in tool_choice}),
        _verdict(names[1], "block types", blocks, {name: True for name in blocks}),
        _verdict(names[2], "sampling", sampling, {name: expected for name, (_, expected) in SAMPLING.items()}),
    ], False


def _verdict(name: str, what: str, outcomes: dict[str, tuple[str, str]], expected: dict[str, bool]) -> CheckResult:
    details = {probe: {"outcome": outcome, "reason": reason} if reason else {"outcome": outcome} for probe, (outcome, reason) in outcomes.items()}
    errors = [f"{probe} ({reason})" for probe, (outcome, reason) in outcomes.items() if outcome == "error"]
    if errors:
        return CheckResult(name, "failed", f"{what}: the validate endpoint failed on {'; '.join(errors)}", details, critical=False)
    unexpected = []
    for probe, (outcome, reason) in outcomes.items():
        accepted = outcome == "accepted"
        if accepted != expected[probe]:
            unexpected.append(f"{probe} refused ({reason})" if expected[probe] else f"{probe} accepted (the client refuses it before sending)")
    accepted_names = [p for p, (o, _) in outcomes.items() if o == "accepted" and expected[p]]
    refused_names = [p for p, (o, _) in outcomes.items() if o != "accepted" and not expected[p]]
    seen = f"accepted: {', '.join(accepted_names) or 'none'}" + (f"; refused as expected: {', '.join(refused_names)}" if refused_names else "")
    if unexpected:
        return CheckResult(name, "differs", f"{what}: {'; '.join(unexpected)}; {seen}", details, critical=False)
    return CheckResult(name, "ok", f"{what} {seen}", details, critical=False)
