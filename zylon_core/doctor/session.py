"""The doctor's connection: the core client's calls, sent one at a time, each logged
(method, path, status) for the report, the first TLS handshake described, and the
helpers that put a failure into one line.

Every request goes through :class:`~zylon_core.ZylonClient` (its settings, headers,
timeouts and typed errors); the doctor only swaps a call's reader when it needs the raw
body (to judge a payload the client's models might not read).
"""

from __future__ import annotations

import dataclasses
import ssl
from typing import Any, Generator, TypeVar

import httpx

from .._client import ZylonClient
from .._transport import Call
from ..errors import APIConnectionError, APIStatusError, APITimeoutError, ZylonError

T = TypeVar("T")


def _one(call: Call[T]) -> Generator[Call[T], Any, T]:
    """A plan of one call (what :meth:`ZylonClient.run` takes)."""
    return (yield call)


def raw_body(response: httpx.Response) -> Any:
    """The body as JSON, the text if it is not JSON, None if empty."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


class Session:
    """Sends the core client's calls for the checks and keeps ``requests`` (one line per
    request: ``GET /api/health -> 200``) and ``tls`` (the first TLS handshake seen)."""

    def __init__(self, client: ZylonClient) -> None:
        self.client = client
        self.requests: list[str] = []
        self.tls: dict[str, Any] | None = None

    def send(self, call: Call[T]) -> T:
        """Send ``call`` as the client would; its value, or the client's typed error."""
        return self._send(call, raw=False)

    def send_raw(self, call: Call[Any]) -> Any:
        """Send ``call`` and return its body as it came (JSON, text or None); errors
        still raise the client's typed errors."""
        return self._send(call, raw=True)

    def _send(self, call: Call[Any], *, raw: bool) -> Any:
        read = call.parse
        label = f"{call.method} {httpx.URL(call.url).path}"

        def reading(response: httpx.Response) -> Any:
            self.requests.append(f"{label} -> {response.status_code}")
            if self.tls is None:
                self.tls = tls_of(response)
            if raw:
                return raw_body(response)
            return read(response) if read is not None else None

        try:
            return self.client.run(_one(dataclasses.replace(call, parse=reading)))
        except APIStatusError as exc:
            if exc.status_code >= 400:
                self.requests.append(f"{label} -> {exc.status_code}")
            raise
        except ZylonError as exc:
            self.requests.append(f"{label} -> {type(exc).__name__}")
            raise


def tls_of(response: httpx.Response) -> dict[str, Any] | None:
    """The TLS version and the server certificate's subject, issuer and expiry of the
    connection ``response`` came on (None over plain HTTP)."""
    stream = response.extensions.get("network_stream")
    ssl_object: Any = stream.get_extra_info("ssl_object") if stream is not None else None
    # An ssl.SSLObject, or the _ssl socket under httpcore's sync backend: both have these.
    if not (callable(getattr(ssl_object, "version", None)) and callable(getattr(ssl_object, "getpeercert", None))):
        return None
    cert: dict[str, Any] = dict(ssl_object.getpeercert() or {})

    def name(part: str) -> str:
        fields: dict[str, Any] = {key: value for rdn in cert.get(part, ()) for key, value in rdn}
        return str(fields.get("commonName") or fields.get("organizationName") or "")

    return {
        "version": ssl_object.version(),
        "subject": name("subject"),
        "issuer": name("issuer"),
        "not_after": cert.get("notAfter"),
        "alt_names": [entry[1] for entry in cert.get("subjectAltName", ())],
    }


def tls_failure(error: BaseException) -> str | None:
    """The TLS problem behind a connection error (an ``ssl.SSLError`` anywhere in its
    causes), or None if it is not one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {current.verify_message}"
        if isinstance(current, ssl.SSLError):
            return str(current.reason or current)
        current = current.__cause__ or current.__context__
    text = str(error)
    return text if "[SSL" in text or "CERTIFICATE_VERIFY" in text else None


def describe(error: ZylonError) -> str:
    """One line for a failed request: the status and the server's explanation, or what
    kept the request from being answered."""
    if isinstance(error, APITimeoutError):
        return f"timed out ({error.message})"
    if isinstance(error, APIConnectionError):
        problem = tls_failure(error)
        return f"TLS failure: {problem}" if problem else error.message
    if isinstance(error, APIStatusError):
        return str(error)
    return str(error)


def status_of(error: ZylonError) -> int | None:
    return error.status_code if isinstance(error, APIStatusError) and error.status_code >= 400 else None
