"""HTTP transport: one sync and one async httpx client per configured object.

Both share :class:`BaseTransport` (headers, request building, the retry decision, error
mapping); only the I/O calls differ. Streams are decoded by
:class:`~zylon_core._sse.EventParser` and are retried only while nothing has been read
from them.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import logging
import os
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, AsyncGenerator, Callable, Generator, Generic, Iterator, TypeVar

import httpx

from ._retries import RetryPolicy
from ._settings import ZylonSettings
from ._sse import EventParser
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    StreamError,
    error_from_response,
    redact,
)

logger = logging.getLogger("zylon_core")

T = TypeVar("T")

USER_AGENT = f"zylon-integrations/{__version__} (python; httpx)"


@dataclass
class Call(Generic[T]):
    """One HTTP request and how to read its answer; built once, sent sync or async."""

    method: str
    url: str
    json: Any = None
    params: dict[str, Any] | None = None
    parse: Callable[[httpx.Response], T] | None = None
    retry: bool = True
    files: Any = None
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Error statuses handed to ``parse`` instead of raised (409 on cancel: finished).
    accept_statuses: frozenset[int] = frozenset()
    # False: sent without ``Authorization`` and ``x-org`` (``/api/health``, a pre-signed URL).
    auth: bool = True

    def read(self, response: httpx.Response) -> T:
        if self.parse is None:
            return None  # type: ignore[return-value]
        try:
            return self.parse(response)
        except (ValueError, RecursionError) as exc:  # malformed JSON, JSON nested too deep, an unexpected shape
            raise APIStatusError(
                f"{self.method} {httpx.URL(self.url).path}: could not read the response: {exc}",
                response=response,
                body=response.text[:2000],
            ) from exc


class BaseTransport:
    def __init__(self, settings: ZylonSettings) -> None:
        self.settings = settings
        self.policy = RetryPolicy(max_retries=settings.max_retries)
        self.headers = {
            "Authorization": f"Bearer {settings.api_token.get_secret_value()}",
            "x-org": settings.org,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        self.timeout = httpx.Timeout(settings.timeout, connect=settings.connect_timeout)
        self._headed: object = None  # the client we made, which carries self.headers itself

    def __repr__(self) -> str:  # never show headers (they hold the token)
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, org={self.settings.org!r})"

    def build(self, client: httpx.Client | httpx.AsyncClient, call: Call[Any], stream: bool = False) -> httpx.Request:
        # A caller's own http_client gets the auth headers on every request; the client we
        # made has them already (merging them per request costs ~12 us a call).
        if client is self._headed:
            headers = {**_STREAM_HEADERS, **call.headers} if stream else call.headers
        else:
            headers = {**self.headers, **_STREAM_HEADERS, **call.headers} if stream else {**self.headers, **call.headers}
        request = client.build_request(
            call.method,
            _parsed_url(call.url),
            json=call.json,
            params=call.params,
            files=call.files,
            data=call.data,
            headers=headers,
        )
        if not call.auth:
            for name in _AUTH_HEADERS:
                request.headers.pop(name, None)
        return request

    @contextlib.contextmanager
    def redacting(self) -> Iterator[None]:
        """Errors raised inside carry no token, even one a server echoed back."""
        try:
            yield
        except APIError as exc:
            raise redact(exc, self.settings.api_token.get_secret_value()) from exc.__cause__

    def retry_delay(
        self,
        call: Call[Any],
        attempt: int,
        *,
        response: httpx.Response | None = None,
        exc: Exception | None = None,
    ) -> float:
        """Seconds to wait before trying again; raises the typed error when we stop."""
        if exc is not None:
            error: Exception = _transport_error(exc)
            retryable = isinstance(exc, _RETRYABLE_TRANSPORT_ERRORS)
        else:
            assert response is not None
            error = redact(error_from_response(response), self.settings.api_token.get_secret_value())
            if response.status_code in (401, 403) and response.request.url.path.startswith(self.settings.gpt_path_prefix):
                _add_gateway_hint(error)
            retryable = self.policy.should_retry_status(response)
        logger.debug("%s %s -> %s (attempt %d)", call.method, call.url, type(error).__name__, attempt + 1)
        if not call.retry or not retryable or attempt >= self.policy.max_retries:
            raise error from exc
        return self.policy.delay(attempt, response)


_STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
_AUTH_HEADERS = ("authorization", "x-org")

GATEWAY_HINT = (
    "ZylonGPT (/api/gpt/v1) needs a Gateway token (Backoffice > Developer Console); Workspace tokens, "
    "and every token created before Zylon 1.54, reach /api/v1 only"
)


def _add_gateway_hint(error: Exception) -> None:
    """Say, on a 401/403 from ZylonGPT, which kind of token it takes."""
    message = getattr(error, "message", None) or str(error)
    message = f"{message.rstrip('. ')}. {GATEWAY_HINT}"
    error.message = message  # type: ignore[attr-defined]
    error.args = (message, *error.args[1:])


@functools.lru_cache(maxsize=512)
def _parsed_url(url: str) -> httpx.URL:
    """Parsing a URL string costs httpx ~9 us a request; the same few URLs come back."""
    return httpx.URL(url)


# Failures before the server could have acted on the request. A read timeout is not
# retried: the server may be running the (non-idempotent) chat request.
_RETRYABLE_TRANSPORT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


@functools.lru_cache(maxsize=16)
def _cached_ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    if verify is False:
        return False
    if isinstance(verify, str):  # a private CA: that bundle file (or directory) only
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=True)


def ssl_context(verify: Any) -> Any:
    """One SSL context per ``verify`` setting, shared by every client: building one
    loads the CA bundle (~20 ms), which a client per configured object (or per
    ``configurable_fields`` copy) would otherwise pay again. An ``SSLContext`` the
    caller made is used as it is."""
    if isinstance(verify, (bool, str)):
        return _cached_ssl_context(verify)
    return verify


def _transport_error(exc: Exception) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request to Zylon timed out: {type(exc).__name__}")
    return APIConnectionError(f"could not reach Zylon: {type(exc).__name__}: {exc}")


def _decoding_error(call: Call[Any], exc: httpx.DecodingError) -> APIError:
    return APIError(f"{call.method} {httpx.URL(call.url).path}: Zylon's response body could not be decoded ({exc})")


def _read_error(exc: Exception) -> StreamError:
    if isinstance(exc, httpx.TimeoutException):
        return StreamError(f"Zylon stream timed out while reading: {type(exc).__name__}")
    return StreamError(f"Zylon stream broke off: {type(exc).__name__}: {exc}")


def _utf8() -> codecs.IncrementalDecoder:
    """An event stream is UTF-8 whatever ``charset`` the server names (the SSE spec);
    bytes that do not decode become U+FFFD, as the spec says."""
    return codecs.getincrementaldecoder("utf-8")("replace")


def _check_event_stream(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "").partition(";")[0].strip()
    if content_type.lower() != "text/event-stream":
        raise StreamError(
            f"Zylon did not answer with an event stream: expected content-type text/event-stream, "
            f"got {content_type or 'none'!r}"
        )


# Back-off waits go through these names so tests can record them instead of sleeping.
_sleep = time.sleep
_async_sleep = asyncio.sleep


class SyncTransport(BaseTransport):
    def __init__(self, settings: ZylonSettings, client: httpx.Client | None = None) -> None:
        super().__init__(settings)
        self._client = client

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = self._headed = httpx.Client(
                timeout=self.timeout, verify=ssl_context(self.settings.verify), headers=self.headers
            )
        return self._client

    def _send(self, call: Call[Any], stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            request = self.build(self.client, call, stream)
            try:
                response = self.client.send(request, stream=stream)
            except httpx.DecodingError as exc:
                raise _decoding_error(call, exc) from exc
            except httpx.TransportError as exc:
                _sleep(self.retry_delay(call, attempt, exc=exc))
            else:
                logger.debug("%s %s -> %d", call.method, call.url, response.status_code)
                if response.status_code < 400 or response.status_code in call.accept_statuses:
                    return response
                try:
                    response.read()
                except httpx.DecodingError as exc:
                    raise _decoding_error(call, exc) from exc
                finally:
                    response.close()
                _sleep(self.retry_delay(call, attempt, response=response))
            attempt += 1

    def execute(self, call: Call[T]) -> T:
        response = self._send(call)
        with self.redacting():
            return call.read(response)

    def stream(self, call: Call[Any]) -> Generator[dict[str, Any], None, None]:
        """Decoded events; the response is closed when the iterator is closed."""
        response = self._send(call, stream=True)
        try:
            _check_event_stream(response)
            parser, decoder = EventParser(), _utf8()
            for chunk in response.iter_bytes():
                yield from parser.feed(decoder.decode(chunk))
            yield from parser.feed(decoder.decode(b"", True))
            yield from parser.close()
        except httpx.HTTPError as exc:
            raise _read_error(exc) from exc
        finally:
            response.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class AsyncTransport(BaseTransport):
    def __init__(self, settings: ZylonSettings, client: httpx.AsyncClient | None = None) -> None:
        super().__init__(settings)
        self._client = client
        self._owns_client = client is None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        # An AsyncClient's pool belongs to one event loop; make a new one for a new loop
        # (pytest, asyncio.run called twice) instead of failing with "loop is closed".
        loop = asyncio.get_running_loop()
        if self._client is None or (self._owns_client and self._loop is not loop):
            self._client = self._headed = httpx.AsyncClient(
                timeout=self.timeout, verify=ssl_context(self.settings.verify), headers=self.headers
            )
            self._loop = loop
        return self._client

    async def _send(self, call: Call[Any], stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            client = self.client
            request = self.build(client, call, stream)
            try:
                response = await client.send(request, stream=stream)
            except httpx.DecodingError as exc:
                raise _decoding_error(call, exc) from exc
            except httpx.TransportError as exc:
                await _async_sleep(self.retry_delay(call, attempt, exc=exc))
            else:
                logger.debug("%s %s -> %d", call.method, call.url, response.status_code)
                if response.status_code < 400 or response.status_code in call.accept_statuses:
                    return response
                try:
                    await response.aread()
                except httpx.DecodingError as exc:
                    raise _decoding_error(call, exc) from exc
                finally:
                    await response.aclose()
                await _async_sleep(self.retry_delay(call, attempt, response=response))
            attempt += 1

    async def execute(self, call: Call[T]) -> T:
        response = await self._send(call)
        with self.redacting():
            return call.read(response)

    async def stream(self, call: Call[Any]) -> AsyncGenerator[dict[str, Any], None]:
        response = await self._send(call, stream=True)
        try:
            _check_event_stream(response)
            parser, decoder = EventParser(), _utf8()
            async for chunk in response.aiter_bytes():
                for event in parser.feed(decoder.decode(chunk)):
                    yield event
            for event in parser.feed(decoder.decode(b"", True)):
                yield event
            for event in parser.close():
                yield event
        except httpx.HTTPError as exc:
            raise _read_error(exc) from exc
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
