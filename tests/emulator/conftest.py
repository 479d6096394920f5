"""Helpers for the emulator tests: raw HTTP against the emulator, SSE decoding, a small
reference accumulator, and shape comparison with the real server's captures.

These tests use no client code (``zylon_core`` outside the emulator): they check the
emulator's bytes against what the real server sent (``../shared/zylon-api/captures``),
so they keep passing while the client catches up with the real server.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.conftest import TEST_TOKEN, parse_sse_text

W = "/api/v1/app"
G = "/api/gpt/v1"
HEADERS = {"Authorization": f"Bearer {TEST_TOKEN}", "x-org": "default"}
_names = itertools.count(1)


def client_for(server: Any, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=15, **kwargs)


@pytest.fixture
def api(emulator: Any) -> Iterator[httpx.Client]:
    with client_for(emulator) as client:
        yield client


def new_project(api: httpx.Client, name: str | None = None) -> dict[str, Any]:
    response = api.post(f"{W}/project", json={"name": name or f"Project {next(_names)}"})
    assert response.status_code == 200, response.text
    return response.json()


def new_thread(api: httpx.Client, project_id: str, name: str = "Thread") -> dict[str, Any]:
    response = api.post(f"{W}/project/{project_id}/thread", json={"name": name, "visibility": "Private"})
    assert response.status_code == 200, response.text
    return response.json()


def new_document(api: httpx.Client, project_id: str, name: str, text: str) -> dict[str, Any]:
    body = {"type": "Document", "name": name, "raw_content": text, "props": {"file_name": f"{name}.txt"}}
    response = api.post(f"{W}/project/{project_id}/artifact", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def ingest(api: httpx.Client, collection: str, artifact: str, text: str, **metadata: Any) -> dict[str, Any]:
    body = {"collection": collection, "artifact": artifact, "input": {"type": "text", "value": text}, "metadata": metadata}
    response = api.post(f"{G}/artifacts/ingest", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def project(api: httpx.Client) -> dict[str, Any]:
    return new_project(api)


@pytest.fixture
def thread(api: httpx.Client, project: dict[str, Any]) -> dict[str, Any]:
    return new_thread(api, project["id"])


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


# -- streams -------------------------------------------------------------------------------------


def events_of(sse_text: str) -> list[dict[str, Any]]:
    """The data of every event, checking each ``event:`` name equals the data's ``type``
    (the real server's rule) where the data has one."""
    out = []
    for name, data in parse_sse_text(sse_text):
        if not data:
            continue
        event = json.loads(data)
        assert event.get("type", name) == name, (name, event)
        out.append(event)
    return out


def rebuild(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The message a ``full`` stream delivers, by the real server's rules: blocks keyed by
    ``index`` start whole from ``content_block_start``; text, thinking and citations
    accumulate; a tool's input is the joined ``partial_json`` when not blank, else the
    last ``partial_json_obj``; ``message_delta`` gives the stop reason and usage; no
    ``content_block_stop`` is needed. An ``error`` event is an AssertionError."""
    message: dict[str, Any] = {}
    blocks: dict[Any, dict[str, Any]] = {}
    partial: dict[Any, list[str]] = {}
    finished = False
    for event in events:
        kind = event["type"]
        assert kind != "error", event
        if kind == "message_start":
            message = {k: v for k, v in event["message"].items() if k != "content"}
        elif kind == "content_block_start":
            blocks[event["index"]] = json.loads(json.dumps(event["content_block"]))
        elif kind == "content_block_delta":
            block, delta = blocks[event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] = block.get("text", "") + delta["text"]
                if delta.get("citations"):
                    block.setdefault("citations", []).extend(delta["citations"])
            elif delta["type"] == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta["thinking"]
            elif delta["type"] == "input_json_delta":
                partial.setdefault(event["index"], []).append(delta.get("partial_json") or "")
                if delta.get("partial_json_obj") is not None:
                    block["input"] = delta["partial_json_obj"]
        elif kind == "content_block_stop":
            if event.get("stop_timestamp"):
                blocks[event["index"]]["stop_timestamp"] = event["stop_timestamp"]
        elif kind == "message_delta":
            message.update({k: v for k, v in event.get("delta", {}).items()})
            if event.get("usage"):
                message["usage"] = {**(message.get("usage") or {}), **event["usage"]}
        elif kind == "message_stop":
            finished = True
    assert finished, "the stream ended without message_stop"
    for index, pieces in partial.items():
        text = "".join(pieces)
        if text.strip():
            blocks[index]["input"] = json.loads(text)
    message["content"] = [blocks[i] for i in sorted(blocks)]
    return message


def texts(message: dict[str, Any]) -> str:
    return " ".join(b["text"] for b in message["content"] if b.get("type") == "text")


def without_stamps(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks without timestamps and null ``cache_control``/``caller`` (what a stream omits)."""
    out = []
    for block in content:
        block = {k: v for k, v in block.items() if k not in ("start_timestamp", "stop_timestamp")}
        for key in ("cache_control", "caller"):
            if key in block and block[key] is None:
                del block[key]
        if isinstance(block.get("content"), list):
            block["content"] = without_stamps(block["content"])
        out.append(block)
    return out


_CORRELATION = re.compile(r"correlation_id='[^']*'")


def comparable(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks as :func:`without_stamps`, with the ids each request makes anew (tool ids,
    signatures, citation correlation ids) replaced by their order of appearance."""
    ids: dict[str, str] = {}
    out = []
    for block in without_stamps(content):
        block = dict(block)
        for key in ("id", "tool_use_id", "signature"):
            if isinstance(block.get(key), str):
                block[key] = ids.setdefault(block[key], f"<{len(ids)}>")
        if isinstance(block.get("text"), str):
            block["text"] = _CORRELATION.sub("correlation_id=''", block["text"])
        out.append(block)
    return out


# -- the real server's captures ---------------------------------------------------------------------


class Capture:
    """One captured exchange: ``request``, ``response`` (JSON), ``events`` (SSE), ``status``."""

    def __init__(self, folder: Path, name: str) -> None:
        self.name = name
        files = {p.name[len(name) + 1 :]: p for p in folder.glob(f"{name}.*") if p.name.split(".")[0] == name}
        assert files, f"no capture named {name}"
        self.raw_request = files["request.json"].read_bytes() if "request.json" in files else None
        try:
            self.request = json.loads(self.raw_request) if self.raw_request is not None else None
        except ValueError:  # err_malformed_json
            self.request = None
        self.response = json.loads(files["response.json"].read_text()) if "response.json" in files else None
        self.events = events_of(files["stream.sse"].read_text()) if "stream.sse" in files else None
        meta = json.loads(files["meta.json"].read_text()) if "meta.json" in files else {}
        self.status = meta.get("status")


@pytest.fixture(scope="session")
def captures(shared_api: Path) -> Any:
    folder = shared_api / "captures"

    def load(name: str) -> Capture:
        return Capture(folder, name)

    return load


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def assert_shape(ours: Any, real: Any, path: str = "$", loose: frozenset[str] = frozenset()) -> None:
    """``ours`` has the keys and value types ``real`` has, all the way down.

    Lists of typed blocks are matched by ``type`` (each of ours needs a real one of its
    type); other lists compare each of our items with the real first one. A key in
    ``loose`` may differ in type (e.g. a value the real server left null)."""
    if isinstance(real, dict):
        assert isinstance(ours, dict), f"{path}: expected an object, got {_kind(ours)}"
        assert set(ours) == set(real), f"{path}: keys differ: ours only {sorted(set(ours) - set(real))}, real only {sorted(set(real) - set(ours))}"
        for key in real:
            if key in loose and _kind(ours[key]) != _kind(real[key]):
                continue
            assert_shape(ours[key], real[key], f"{path}.{key}", loose)
    elif isinstance(real, list):
        assert isinstance(ours, list), f"{path}: expected a list, got {_kind(ours)}"
        typed = all(isinstance(x, dict) and "type" in x for x in real) and real
        for position, item in enumerate(ours):
            if typed:
                same = [x for x in real if x.get("type") == (item.get("type") if isinstance(item, dict) else None)]
                assert same, f"{path}[{position}]: the real server has no block of type {item.get('type') if isinstance(item, dict) else item!r}"
                # Prefer the real block with the same keys (a RAG answer's first and last
                # texts differ: only the last has citations and lacks stop_timestamp).
                alike = [x for x in same if isinstance(item, dict) and set(x) == set(item)]
                assert_shape(item, (alike or same)[0], f"{path}[{position}]", loose)
            elif real:
                assert_shape(item, real[0], f"{path}[{position}]", loose)
    else:
        assert _kind(ours) == _kind(real), f"{path}: {_kind(ours)} where the real server has {_kind(real)} ({real!r})"


def signature(event: dict[str, Any]) -> tuple[Any, ...]:
    kind = event["type"]
    if kind == "content_block_start":
        block = event["content_block"]
        return kind, block["type"], block.get("name") == "document_preprocessing"
    if kind == "content_block_delta":
        delta = event["delta"]
        return kind, delta["type"], "citations" in delta, bool(delta.get("partial_json"))
    return (kind,)


def assert_events_like(ours: list[dict[str, Any]], real: list[dict[str, Any]], loose: frozenset[str] = frozenset()) -> None:
    """Every kind of event we send, the real stream sends too, with the same shape."""
    for event in ours:
        same = [e for e in real if signature(e) == signature(event)]
        assert same, f"the real stream has no event like {signature(event)}: {event}"
        assert_shape(event, same[0], f"<{event['type']}>", loose)
