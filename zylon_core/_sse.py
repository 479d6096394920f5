"""Server-sent events: the body's text in, decoded JSON event dicts out.

:class:`EventParser` follows the SSE spec's rules (as ``httpx-sse``'s decoder does) in
one pass per piece of body text; :func:`decode_event` turns one event's data into a
dict, its ``type`` filled from the event name when the payload has none. Also how a
response is told to be an event stream, and the body's decoder (always UTF-8).
"""

from __future__ import annotations

import codecs
import json
from typing import Any, Iterator

import httpx

from ._call import BASE_URL_HINT, html_page
from .errors import StreamError


def utf8_decoder() -> codecs.IncrementalDecoder:
    """An event stream is UTF-8 whatever ``charset`` the server names (the SSE spec);
    bytes that do not decode become U+FFFD, as the spec says."""
    return codecs.getincrementaldecoder("utf-8")("replace")


def is_event_stream(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "").partition(";")[0].strip()
    return content_type.lower() == "text/event-stream"


def check_event_stream(response: httpx.Response) -> None:
    if not is_event_stream(response):
        content_type = response.headers.get("content-type", "").partition(";")[0].strip()
        problem = (
            f"Zylon did not answer with an event stream: expected content-type text/event-stream, "
            f"got {content_type or 'none'!r}"
        )
        if "html" in content_type.lower():  # the web app, a login page or a proxy answered
            problem += f": {html_page(content_type)}; {BASE_URL_HINT}"
        raise StreamError(problem)


class EventParser:
    """Server-sent events to decoded JSON events, fed the body's text as it arrives.

    The SSE spec's rules, as ``httpx-sse``'s decoder follows them: lines end at ``\r\n``,
    ``\r`` or ``\n`` only (not at the other characters ``str.splitlines`` breaks on, such
    as U+2028 or U+0085, which JSON text may hold unescaped); ``data`` lines join with
    ``\n``; a blank line ends an event; one space after the colon is dropped; comments,
    ``id``, ``retry`` and unknown fields are ignored; a leading byte order mark is
    dropped. :meth:`close` completes a last event
    that lacks its closing blank line (as the docs' own examples do) instead of dropping
    it. Each piece of text is split and parsed in one call, so the per-line cost is a few
    string operations rather than a decoder call per line, and a piece that ends no line
    is only kept (one large event costs linear time, however many pieces it comes in).
    """

    __slots__ = ("_pending", "_name", "_data", "_started")

    def __init__(self) -> None:
        self._pending: list[str] = []  # the pieces of a line whose end has not arrived yet
        self._name = ""  # the current event's name
        self._data: list[str] = []  # the current event's data lines
        self._started = False  # the stream's first character (a byte order mark) is behind us

    def feed(self, text: str) -> Iterator[dict[str, Any]]:
        """The events that ``text`` (the next piece of the body) completes."""
        if not self._started and text:
            self._started = True
            if text[0] == "\ufeff":  # a leading byte order mark is not part of the first line
                text = text[1:]
        pending = self._pending
        if "\n" not in text and "\r" not in text and not (pending and pending[-1].endswith("\r")):
            # No line ends here: keep the piece, do not rescan what came before (a large
            # event would otherwise cost quadratic time).
            if text:
                pending.append(text)
            return iter(())
        if pending:
            pending.append(text)
            text = "".join(pending)
            pending.clear()
        if "\r" in text:
            held = text.endswith("\r")  # may be the first half of a \r\n
            lines = (text[:-1] if held else text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
            tail = lines.pop() + ("\r" if held else "")
        else:
            lines = text.split("\n")
            tail = lines.pop()
        if tail:
            pending.append(tail)
        return self._parse(lines)

    def close(self) -> Iterator[dict[str, Any]]:
        """The events the end of the body completes."""
        tail = "".join(self._pending)
        self._pending.clear()
        return self._parse([tail.rstrip("\r"), ""])

    def _parse(self, lines: list[str]) -> Iterator[dict[str, Any]]:
        data = self._data
        for line in lines:
            if line.startswith("data:"):
                data.append(line[6:] if line.startswith(" ", 5) else line[5:])
            elif not line:
                name, self._name = self._name, ""
                if data:
                    payload = data[0] if len(data) == 1 else "\n".join(data)
                    data.clear()
                    # Most events: one JSON object, nothing around it. decode_event's
                    # result, without its calls; anything else goes through it.
                    try:
                        event, end = _scan_json(payload, 0)
                    except (StopIteration, ValueError, RecursionError):
                        end = -1
                    if end != len(payload) or type(event) is not dict:
                        event = decode_event(name, payload)
                    elif "type" not in event and name and name != "message":
                        event["type"] = name
                    if event is not None:
                        yield event
            elif line.startswith("event:"):
                self._name = line[7:] if line.startswith(" ", 6) else line[6:]
            elif line[0] != ":":
                field, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if field == "data":
                    data.append(value)
                elif field == "event":
                    self._name = value


# json.loads minus its per-call wrapping (two whitespace regexes, a type check): the same
# C scanner, so the same values. Anything it does not take whole (surrounding whitespace,
# a BOM, bad JSON) goes through json.loads, which gives the answer or the error.
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # C scanner, not in the stubs


def _loads(data: str) -> Any:
    try:
        value, end = _scan_json(data, 0)
    except StopIteration:
        return json.loads(data)
    return value if end == len(data) else json.loads(data)


def decode_event(event_name: str, data: str) -> dict[str, Any] | None:
    """One SSE event's JSON payload, with its ``type`` filled from the event name."""
    if not data or data.isspace():
        return None
    try:
        payload = _loads(data)
    except RecursionError:
        raise StreamError(f"Zylon stream event {event_name!r} holds JSON nested too deep to read") from None
    except ValueError as exc:
        raise StreamError(f"malformed JSON in Zylon stream event {event_name!r}: {data[:200]!r}") from exc
    if not isinstance(payload, dict):
        raise StreamError(f"Zylon stream event {event_name!r} is not a JSON object")
    if "type" not in payload and event_name and event_name != "message":
        payload["type"] = event_name
    return payload
