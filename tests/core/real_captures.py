"""Reading the real server's captures (../shared/zylon-api/captures) through the client's
own code: the models, EventParser and StreamAccumulator, the error parser. Helpers only;
the tests that use them take the ``shared_api`` fixture."""

from __future__ import annotations

import codecs
import json
import random
from typing import Any

import httpx

from tests.conftest import SHARED_API
from zylon_core import EventParser, StreamAccumulator, StreamDelta
from zylon_core.errors import APIStatusError, error_from_response
from zylon_core.models import MessageOutput

CAPTURES = SHARED_API / "captures"


def names(suffix: str) -> list[str]:
    """Capture names having a ``<name><suffix>`` file (empty without ../shared)."""
    if not CAPTURES.is_dir():
        return []
    return sorted(p.name[: -len(suffix)] for p in CAPTURES.glob(f"*{suffix}"))


def load(name: str, part: str = "response") -> Any:
    return json.loads((CAPTURES / f"{name}.{part}.json").read_text())


def status(name: str) -> int:
    return int(load(name, "meta").get("status") or 0)


def message_names() -> list[str]:
    """Every capture whose response is a message (``"type": "message"``)."""
    found = []
    for name in names(".response.json"):
        body = load(name)
        if isinstance(body, dict) and body.get("type") == "message":
            found.append(name)
    return found


def error_names() -> list[str]:
    """Every capture answered with a status >= 400."""
    return [name for name in names(".response.json") if status(name) >= 400]


def stream_bytes(name: str) -> bytes:
    return (CAPTURES / f"{name}.stream.sse").read_bytes()


def events(data: bytes, seed: int | None = None) -> list[dict[str, Any]]:
    """The decoded events of an SSE body, fed whole or (with ``seed``) in random byte
    pieces through an incremental UTF-8 decoder, as the transport reads a body."""
    pieces = [data]
    if seed is not None:
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 400))))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    decoder = codecs.getincrementaldecoder("utf-8")()
    parser = EventParser()
    out: list[dict[str, Any]] = []
    for piece in pieces:
        out.extend(parser.feed(decoder.decode(piece)))
    out.extend(parser.feed(decoder.decode(b"", final=True)))
    out.extend(parser.close())
    return out


def accumulate(evts: list[dict[str, Any]]) -> tuple[MessageOutput, list[StreamDelta]]:
    accumulator = StreamAccumulator()
    deltas = [d for d in (accumulator.feed(e) for e in evts) if d is not None]
    return accumulator.finish(), deltas


def error_of(name: str) -> APIStatusError:
    """The exception the client raises for a captured error response."""
    meta = load(name, "meta")
    request = httpx.Request(meta.get("method") or "POST", meta.get("url") or "http://zylon.invalid/api/gpt/v1/messages")
    raw = (CAPTURES / f"{name}.response.json").read_bytes()
    response = httpx.Response(status(name), content=raw, headers={"content-type": "application/json"}, request=request)
    response.read()
    return error_from_response(response)
