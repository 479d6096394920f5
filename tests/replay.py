"""A loopback HTTP server that answers with bytes a real Zylon server produced.

``captures/`` in the reference material holds exchanges recorded from a real ZylonGPT
server (``NAME.meta.json`` with the status and headers, ``NAME.response.json`` or
``NAME.stream.sse`` with the body). :class:`ReplayServer` serves one of them, byte for
byte, to whatever request comes next (the Workspace forwards the ``pgpt`` body to
ZylonGPT, so a captured ZylonGPT answer is what a Workspace chat returns too), and
records each request so a test can check what the client sent.

Streams are sent in small chunks (as a server flushes them), so the client's SSE
parser meets events cut at arbitrary bytes.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from tests.conftest import SHARED_API

CAPTURES = SHARED_API / "captures"
# Response headers a replay must not copy: they describe the original connection.
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "date", "server", "keep-alive"}


@dataclass(frozen=True)
class Capture:
    """One recorded exchange: what was asked and the exact answer."""

    name: str
    status: int
    headers: dict[str, str]
    body: bytes
    request: Any  # the recorded request body (parsed JSON, the text if it is not JSON) or None

    @property
    def is_stream(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/event-stream")

    @classmethod
    def load(cls, name: str, folder: Path = CAPTURES) -> Capture:
        meta = json.loads((folder / f"{name}.meta.json").read_text())
        headers = {k.lower(): v for k, v in meta.get("response_headers", {}).items() if k.lower() not in _HOP_BY_HOP}
        stream, response = folder / f"{name}.stream.sse", folder / f"{name}.response.json"
        body = stream.read_bytes() if stream.exists() else response.read_bytes() if response.exists() else b""
        request_file = folder / f"{name}.request.json"
        request = _json_or_text(request_file.read_text()) if request_file.exists() else None
        return cls(name, int(meta.get("status", 200)), headers, body, request)


def _json_or_text(text: str) -> Any:
    """A recorded request body: its JSON, or the text as sent when it is not JSON (the
    capture of a malformed body)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def capture_names(kind: str = "any") -> list[str]:
    """Names of the recorded exchanges (``kind``: ``"stream"``, ``"message"``, ``"any"``);
    empty without the reference material (tests then skip through ``shared_api``)."""
    if not CAPTURES.is_dir():
        return []
    names = sorted(p.name[: -len(".meta.json")] for p in CAPTURES.glob("*.meta.json"))
    if kind == "stream":
        return [n for n in names if (CAPTURES / f"{n}.stream.sse").exists()]
    if kind == "message":
        return [n for n in names if _is_message(CAPTURES / f"{n}.response.json")]
    return names


def _is_message(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "message"


class ReplayServer:
    """Serves the queued captures, one per request, on 127.0.0.1 (HTTP/1.1, keep-alive)."""

    def __init__(self, chunk_size: int = 97) -> None:
        self.chunk_size = chunk_size
        self.queue: list[Capture] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def play(self, *captures: Capture | str) -> ReplayServer:
        with self._lock:
            self.queue.extend(c if isinstance(c, Capture) else Capture.load(c) for c in captures)
        return self

    def reset(self) -> ReplayServer:
        """Forget the queue and the recorded requests (one server for many tests)."""
        with self._lock:
            self.queue.clear()
            self.requests.clear()
        return self

    def bodies(self) -> list[Any]:
        """The JSON bodies the client sent, in order."""
        return [json.loads(r["body"]) if r["body"] else None for r in self.requests]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            reader = conn.makefile("rb")
            while not self._stop.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                    capture = self.queue.pop(0) if self.queue else None
                if capture is None:
                    body = json.dumps({"detail": "replay server: nothing queued"}).encode()
                    self._send(conn, 500, {"content-type": "application/json"}, [body])
                else:
                    self._send(conn, capture.status, capture.headers, list(self._pieces(capture)))

    def _pieces(self, capture: Capture) -> Iterator[bytes]:
        if not capture.is_stream:
            yield capture.body
            return
        for start in range(0, len(capture.body), self.chunk_size):
            yield capture.body[start : start + self.chunk_size]

    @staticmethod
    def _send(conn: socket.socket, status: int, headers: dict[str, str], pieces: list[bytes]) -> None:
        head = [f"HTTP/1.1 {status} Replay", *(f"{k}: {v}" for k, v in headers.items()), "transfer-encoding: chunked"]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        for piece in pieces:
            if piece:
                conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        conn.sendall(b"0\r\n\r\n")


def _read_request(reader: Any) -> dict[str, Any] | None:
    try:
        line = reader.readline()
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            header = reader.readline().decode("latin-1").rstrip("\r\n")
            if not header:
                break
            key, _, value = header.partition(":")
            headers[key.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", "0") or 0))
    except (OSError, ValueError):
        return None
    return {"method": method, "path": path, "headers": headers, "body": body}
