"""A scriptable HTTP server on 127.0.0.1 that misbehaves on purpose.

Each accepted request takes the next action from the script (or the default action,
once the script is exhausted): a status with a body, an SSE body (optionally cut off,
or held back until the test opens a gate), a connection reset before any byte, a hang,
a body dripped a byte at a time, heartbeats only, half a body then a reset, raw bytes,
an echo of the prompt, or the request forwarded to an upstream server (the emulator),
whose answer may be cut off. Written on raw sockets so that resets and half-sent
streams are real, not simulated in the client.

``{TOKEN}`` in a body, chunk or header value is replaced by the token the request
carried (a server or proxy echoing it back). The server counts connections
(``connections``: accepted, ``open_connections``: still open) and records each request
and the client port it came from (``peers``).
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Action:
    kind: str  # respond | reset | hang | raw | drip | heartbeat | half | stall | echo | forward
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: list[bytes] | None = None  # sent with pauses, for streams
    seconds: float = 0.0
    interval: float = 0.0  # drip / heartbeat: pause between pieces
    count: int = 0  # heartbeat: how many; half: bytes of the body sent
    gate: threading.Event | None = None  # chunks after the first wait for it
    upstream: str = ""  # forward: the server to ask
    gate_timed_out: bool = False  # set when the gate was not opened in time
    end_with_last: bool = False  # a chunked body's end goes in the same write as its last chunk; raw: keep the connection


def respond(status: int = 200, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None) -> Action:
    data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
    return Action("respond", status, {"Content-Type": "application/json", **(headers or {})}, data)


def sse(text: str, cut_after: int | None = None, end_with_last: bool = False) -> Action:
    """An event stream; with ``cut_after``, the connection drops after that many bytes;
    with ``end_with_last``, the body's end is sent in the same write as the events."""
    data = text.encode()
    if cut_after is not None:
        return Action("respond", 200, {"Content-Type": "text/event-stream"}, chunks=[data[:cut_after]], seconds=-1)
    return Action("respond", 200, {"Content-Type": "text/event-stream"}, chunks=[data], end_with_last=end_with_last)


def gated_sse(first: str, rest: str, gate: threading.Event, wait: float = 10.0) -> Action:
    """An event stream whose first part is sent at once and the rest only when ``gate``
    is set (or after ``wait`` seconds, noted in ``gate_timed_out``)."""
    return Action(
        "respond", 200, {"Content-Type": "text/event-stream"}, chunks=[first.encode(), rest.encode()], gate=gate, seconds=wait
    )


def reset() -> Action:
    return Action("reset")


def hang(seconds: float) -> Action:
    return Action("hang", seconds=seconds)


def raw(data: bytes, keep_open: bool = False) -> Action:
    """These bytes as the whole answer, then the connection closes (with ``keep_open``,
    the server reads the next request on it)."""
    return Action("raw", body=data, end_with_last=keep_open)


def drip(body: bytes, interval: float, status: int = 200, content_type: str = "application/json") -> Action:
    """The headers, then the body one byte every ``interval`` seconds."""
    return Action("drip", status, {"Content-Type": content_type}, body, interval=interval)


def heartbeat(interval: float, count: int) -> Action:
    """An event stream of ``: ping`` comments only, ``count`` of them, then its end."""
    return Action("heartbeat", 200, {"Content-Type": "text/event-stream"}, interval=interval, count=count)


def half(status: int, body: Any, sent: int | None = None) -> Action:
    """The headers (with the whole body's length), part of the body, then a reset."""
    data = json.dumps(body).encode()
    return Action("half", status, {"Content-Type": "application/json"}, data, count=len(data) // 2 if sent is None else sent)


def stall(body: bytes, seconds: float, content_type: str = "text/event-stream") -> Action:
    """The headers and the start of a body, then nothing for ``seconds``."""
    return Action("stall", 200, {"Content-Type": content_type}, body, seconds=seconds)


def echo() -> Action:
    """A one-shot chat answer whose text is the last user text of the request."""
    return Action("echo")


def forward(upstream: str, cut_after: int | None = None) -> Action:
    """The request sent on to ``upstream``; its answer relayed (whole, or the headers and
    ``cut_after`` bytes of the body, then a reset)."""
    return Action("forward", upstream=upstream, count=-1 if cut_after is None else cut_after)


class FaultServer:
    """``tls``: an ``ssl.SSLContext`` to serve HTTPS with (the handshake happens per
    connection; one a client refuses is recorded in ``tls_failures``). ``default``: the
    action for requests beyond the script (a 500 saying so, unless given); ``port``: the
    port to listen on (any free one by default)."""

    def __init__(self, tls: ssl.SSLContext | None = None, default: Action | None = None, port: int = 0) -> None:
        self.tls = tls
        self.tls_failures: list[str] = []
        self.script: list[Action] = []
        self.default = default
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.peers: list[int] = []  # the client port of each request
        self.connections = 0
        self.open_connections = 0
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "FaultServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() at once (Linux)
        except OSError:
            pass
        self._thread.join(timeout=5)
        self._sock.close()

    def play(self, *actions: Action) -> None:
        with self._lock:
            self.script.extend(actions)

    def paths(self) -> list[str]:
        return [path for _, path, _, _ in self.requests]

    def _next(self) -> Action:
        with self._lock:
            if self.script:
                return self.script.pop(0)
        return self.default or respond(500, {"message": "fault server: script exhausted"})

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        if self.tls is not None:
            try:
                conn.settimeout(10)
                conn = self.tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                self.tls_failures.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                return
        with self._lock:
            self.connections += 1
            self.open_connections += 1
        try:
            with conn:
                self._converse(conn)
        finally:
            with self._lock:
                self.open_connections -= 1

    def _converse(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        peer = conn.getpeername()[1]
        while not self._stop.is_set():
            request = _read_request(conn)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
                self.peers.append(peer)
            action = _with_token(self._next(), request)
            try:
                if not self._act(conn, action, request):
                    return
            except OSError:  # the client went away
                return

    def _act(self, conn: socket.socket, action: Action, request: tuple[str, str, dict[str, str], bytes]) -> bool:
        """Carry out ``action``; False when the connection must close after it."""
        kind = action.kind
        if kind == "reset":
            _reset(conn)
            return False
        if kind == "hang":
            self._stop.wait(action.seconds)
            return False
        if kind == "raw":
            conn.sendall(action.body)
            return action.end_with_last
        if kind == "echo":
            return self._send(conn, respond(200, _echo_answer(request[3])))
        if kind == "forward":
            return self._forward(conn, action, request)
        if kind in ("drip", "heartbeat", "stall"):
            return self._trickle(conn, action)
        if kind == "half":
            conn.sendall(_head(action.status, {**action.headers, "Content-Length": str(len(action.body))}) + action.body[: action.count])
            _reset(conn)
            return False
        return self._send(conn, action)

    def _trickle(self, conn: socket.socket, action: Action) -> bool:
        if action.kind == "drip":
            conn.sendall(_head(action.status, {**action.headers, "Content-Length": str(len(action.body))}))
            for index in range(len(action.body)):
                if self._stop.wait(action.interval):
                    return False
                conn.sendall(action.body[index : index + 1])
            return True
        conn.sendall(_head(action.status, {**action.headers, "Transfer-Encoding": "chunked"}))
        if action.kind == "stall":
            conn.sendall(_chunk(action.body))
            self._stop.wait(action.seconds)
            return False
        for _ in range(action.count):
            if self._stop.wait(action.interval):
                return False
            conn.sendall(_chunk(b": ping\n\n"))
        conn.sendall(b"0\r\n\r\n")
        return True

    def _forward(self, conn: socket.socket, action: Action, request: tuple[str, str, dict[str, str], bytes]) -> bool:
        method, path, headers, body = request
        skip = ("host", "content-length", "connection", "transfer-encoding", "accept-encoding")
        sent = {k: v for k, v in headers.items() if k not in skip}
        with httpx.Client(timeout=30) as upstream:
            answer = upstream.request(method, action.upstream + path, headers=sent, content=body)
        drop = ("content-length", "transfer-encoding", "content-encoding", "connection")
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in drop}
        content = answer.content
        head = _head(answer.status_code, {**kept, "Content-Length": str(len(content))})
        if action.count >= 0:
            conn.sendall(head + content[: action.count])
            _reset(conn)
            return False
        conn.sendall(head + content)
        return True

    @staticmethod
    def _send(conn: socket.socket, action: Action) -> bool:
        """Send a response; False when the connection must close after it."""
        headers = dict(action.headers)
        if action.chunks is None:
            headers["Content-Length"] = str(len(action.body))
            conn.sendall(_head(action.status, headers) + action.body)
            return True
        headers["Transfer-Encoding"] = "chunked"
        conn.sendall(_head(action.status, headers))
        for position, chunk in enumerate(action.chunks):
            if position and action.gate is not None and not action.gate.wait(action.seconds):
                action.gate_timed_out = True
            last = position == len(action.chunks) - 1
            conn.sendall(_chunk(chunk) + (b"0\r\n\r\n" if last and action.end_with_last else b""))
        if action.seconds == -1:  # cut off: drop the connection mid-stream
            _reset(conn)
            return False
        if not action.end_with_last:
            conn.sendall(b"0\r\n\r\n")
        return True


def head(status: int, headers: dict[str, str]) -> bytes:
    """A status line and headers, as sent (for :func:`raw` answers)."""
    return _head(status, headers)


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body, as sent (for :func:`raw` answers)."""
    return _chunk(data)


def _head(status: int, headers: dict[str, str]) -> bytes:
    reason = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 307: "Temporary Redirect"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _with_token(action: Action, request: tuple[str, str, dict[str, str], bytes]) -> Action:
    """``action`` with ``{TOKEN}`` replaced by the token the request carried."""
    token = request[2].get("authorization", "").removeprefix("Bearer ").strip()
    marker = b"{TOKEN}"
    if not token or not (
        marker in action.body
        or any(marker in c for c in action.chunks or ())
        or any("{TOKEN}" in v for v in action.headers.values())
    ):
        return action
    data = token.encode()
    return Action(
        action.kind,
        action.status,
        {k: v.replace("{TOKEN}", token) for k, v in action.headers.items()},
        action.body.replace(marker, data),
        [c.replace(marker, data) for c in action.chunks] if action.chunks is not None else None,
        action.seconds,
        action.interval,
        action.count,
        action.gate,
        action.upstream,
        end_with_last=action.end_with_last,
    )


def _echo_answer(body: bytes) -> dict[str, Any]:
    text = ""
    try:
        messages = json.loads(body).get("messages") or json.loads(body).get("pgpt", {}).get("messages") or []
        for block in messages[-1]["content"] if messages else ():
            if isinstance(block, dict) and block.get("type") == "text":
                text = block["text"]
    except (ValueError, KeyError, TypeError, AttributeError):
        text = "(unreadable request)"
    return {"id": "msg_echo", "role": "assistant", "content": [{"type": "text", "text": text}], "stop_reason": "end_turn"}


def _read_request(conn: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            piece = conn.recv(65536)
        except OSError:
            return None
        if not piece:
            return None
        data += piece
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        try:
            piece = conn.recv(65536)
        except OSError:
            return None
        if not piece:
            return None
        body += piece
    return method, path, headers, body
