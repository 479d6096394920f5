"""A scriptable HTTP server on 127.0.0.1 that misbehaves on purpose.

Each accepted request takes the next action from the script: a status with a body, an
SSE body (optionally cut off), a connection reset before any byte, or a hang. Written on
raw sockets so that resets and half-sent streams are real, not simulated in the client.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Action:
    kind: str  # "respond" | "reset" | "hang" | "close"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: list[bytes] | None = None  # sent with pauses, for streams
    seconds: float = 0.0


def respond(status: int = 200, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None) -> Action:
    data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
    return Action("respond", status, {"Content-Type": "application/json", **(headers or {})}, data)


def sse(text: str, cut_after: int | None = None) -> Action:
    """An event stream; with ``cut_after``, the connection drops after that many bytes."""
    data = text.encode()
    if cut_after is not None:
        return Action("respond", 200, {"Content-Type": "text/event-stream"}, chunks=[data[:cut_after]], seconds=-1)
    return Action("respond", 200, {"Content-Type": "text/event-stream"}, chunks=[data])


def reset() -> Action:
    return Action("reset")


def hang(seconds: float) -> Action:
    return Action("hang", seconds=seconds)


class FaultServer:
    """``tls``: an ``ssl.SSLContext`` to serve HTTPS with (the handshake happens per
    connection; one a client refuses is recorded in ``tls_failures``)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.tls_failures: list[str] = []
        self.script: list[Action] = []
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
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

    def _next(self) -> Action:
        with self._lock:
            return self.script.pop(0) if self.script else respond(500, {"message": "fault server: script exhausted"})

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
        with conn:
            conn.settimeout(10)
            while not self._stop.is_set():
                request = _read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                action = self._next()
                if action.kind == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if action.kind == "hang":
                    time.sleep(action.seconds)
                    return
                if not self._send(conn, action):
                    return

    @staticmethod
    def _send(conn: socket.socket, action: Action) -> bool:
        """Send a response; False when the connection must close after it."""
        reason = {200: "OK", 201: "Created", 204: "No Content"}.get(action.status, "Status")
        head = [f"HTTP/1.1 {action.status} {reason}"]
        headers = dict(action.headers)
        if action.chunks is None:
            headers["Content-Length"] = str(len(action.body))
            head += [f"{k}: {v}" for k, v in headers.items()]
            conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + action.body)
            return True
        headers["Transfer-Encoding"] = "chunked"
        head += [f"{k}: {v}" for k, v in headers.items()]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        for chunk in action.chunks:
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        if action.seconds == -1:  # cut off: drop the connection mid-stream
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        conn.sendall(b"0\r\n\r\n")
        return True


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
        piece = conn.recv(65536)
        if not piece:
            return None
        body += piece
    return method, path, headers, body
