"""HTTP transport: one sync and one async httpx client per configured object.

Both share :class:`BaseTransport` (headers, request building, the retry decision, the
deadline, error mapping); only the I/O calls differ. Streams are decoded by
:class:`~zylon_core._sse.EventParser`.

* Retries follow :mod:`._retries`: a :class:`Call` says whether sending it twice is
  safe, and one that creates something is resent only when it cannot have reached
  the server or was refused before the server acted on it.
* Each request has a deadline (``settings.deadline`` seconds) for everything it takes:
  attempts, back-off waits, reading its answer or its whole stream. The sync transport
  checks it between reads (and lowers each read's timeout to what is left); the async
  one also cancels a read still pending when it passes.
* A redirect is an error naming where it points, never followed.
* No error carries the token (:mod:`._scrub`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import ssl
import time
import weakref
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, TypeVar

import httpx

from . import _lifecycle
from ._call import Answered, Call, read_with
from ._deadline import BoundedAsyncStream, BoundedStream, Deadline, Timeouts, within
from ._failures import add_gateway_hint, broken_answer, decoding_error, read_error, redirect_error, transport_error
from ._retries import MAYBE_SENT_ERRORS, RetryPolicy
from ._scrub import scrub
from ._settings import ZylonSettings
from ._sse import EventParser, check_event_stream, is_event_stream, utf8_decoder
from ._stream_end import aread_what_arrived, read_what_arrived
from ._version import __version__
from .errors import APIError, error_from_response

logger = logging.getLogger("zylon_core")

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)

USER_AGENT = f"zylon-integrations/{__version__} (python; httpx)"


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
        self._owns_client = True  # False: the caller's http_client
        self._ours: weakref.WeakSet[Any] = weakref.WeakSet()  # the clients we made, which carry self.headers
        _lifecycle.track(self)

    def __repr__(self) -> str:  # never show headers (they hold the token)
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, org={self.settings.org!r})"

    def build(
        self,
        client: httpx.Client | httpx.AsyncClient,
        call: Call[Any],
        stream: bool = False,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        # A caller's own http_client gets the auth headers on every request; the clients
        # we make have them already (merging them per request costs ~12 us a call).
        if client in self._ours:
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
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        if not call.auth:
            for name in _AUTH_HEADERS:
                request.headers.pop(name, None)
        return request

    def scrub(self, error: E) -> E:
        """``error`` (changed in place) without the token (see :mod:`._scrub`)."""
        scrub(error, self.settings.api_token.get_secret_value())
        return error

    @contextlib.contextmanager
    def redacting(self) -> Iterator[None]:
        """Errors raised inside carry no token, even one a server echoed back."""
        try:
            yield
        except APIError as exc:
            self.scrub(exc)
            raise

    def retry_delay(
        self,
        call: Call[Any],
        attempt: int,
        deadline: Deadline,
        *,
        response: httpx.Response | None = None,
        exc: Exception | None = None,
        timeouts: Timeouts | None = None,
    ) -> float:
        """Seconds to wait before trying again; raises the typed error when we stop
        (not retryable, out of retries, or the wait would pass the deadline)."""
        if exc is not None:
            if timeouts is not None and timeouts.expired(exc):
                raise deadline.error() from exc
            retryable = self.policy.should_retry_error(exc, call.idempotent)
            maybe_sent = not call.idempotent and isinstance(exc, MAYBE_SENT_ERRORS)
            error: APIError = transport_error(call, exc, maybe_sent=maybe_sent)
        else:
            assert response is not None
            error = error_from_response(response)
            if response.status_code in (401, 403) and response.request.url.path.startswith(self.settings.gpt_path_prefix):
                add_gateway_hint(error)
            retryable = self.policy.should_retry_status(response, call.idempotent)
        logger.debug("%s %s -> %s (attempt %d)", call.method, call.url, type(error).__name__, attempt + 1)
        if not call.retry or not retryable or attempt >= self.policy.max_retries:
            raise self.scrub(error) from exc
        delay = self.policy.delay(attempt, response)
        if delay >= deadline.remaining():
            raise self.scrub(error) from exc
        return delay

    def status_error(self, call: Call[Any], response: httpx.Response) -> APIError | None:
        """The error a final answer's status means (None: it is the answer)."""
        status = response.status_code
        if 300 <= status < 400:
            return self.scrub(redirect_error(call, response))
        return None

    def forget_inherited_clients(self) -> None:  # pragma: no cover - overridden
        pass


_STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
_AUTH_HEADERS = ("authorization", "x-org")

@functools.lru_cache(maxsize=512)
def _parsed_url(url: str) -> httpx.URL:
    """Parsing a URL string costs httpx ~9 us a request; the same few URLs come back."""
    return httpx.URL(url)


def _is_error_status(call: Call[Any], status: int) -> bool:
    return status >= 300 and status not in call.accept_statuses


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


# Back-off waits go through these names so tests can record them instead of sleeping.
_sleep = time.sleep
_async_sleep = asyncio.sleep


class SyncTransport(BaseTransport):
    def __init__(self, settings: ZylonSettings, client: httpx.Client | None = None) -> None:
        super().__init__(settings)
        self._client = client
        self._owns_client = client is None
        self._finalizer: weakref.finalize | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = client = httpx.Client(
                timeout=self.timeout, verify=ssl_context(self.settings.verify), headers=self.headers
            )
            self._ours.add(client)
            self._owns_client = True
            # Dropped without close(): its connections close with it (the finalizer
            # holds the client, not the transport).
            self._finalizer = weakref.finalize(self, client.close)
        return self._client

    def _send(self, call: Call[Any], stream: bool = False) -> tuple[httpx.Response, Deadline, Timeouts]:
        """The response to ``call`` (its body read unless ``stream``), after the retries
        the policy allows; an error status raises."""
        deadline = Deadline(self.settings.deadline, call)
        attempt = 0
        while True:
            client = self.client
            timeouts = Timeouts(client.timeout, deadline.check())
            request = self.build(client, call, stream, timeouts.timeout)
            try:
                response = client.send(request, stream=True, follow_redirects=False)
            except httpx.DecodingError as exc:
                raise decoding_error(call, exc) from exc
            except httpx.TransportError as exc:
                _sleep(self.retry_delay(call, attempt, deadline, exc=exc, timeouts=timeouts))
                attempt += 1
                continue
            logger.debug("%s %s -> %d", call.method, call.url, response.status_code)
            response.stream = BoundedStream(response.stream, deadline)
            error_status = _is_error_status(call, response.status_code)
            if not stream or error_status:
                try:
                    response.read()
                except httpx.DecodingError as exc:
                    raise decoding_error(call, exc) from exc
                except httpx.TransportError as exc:
                    if not call.idempotent or not self.policy.should_retry_error(exc):
                        raise self.scrub(broken_answer(call, exc, deadline, timeouts)) from exc
                    _sleep(self.retry_delay(call, attempt, deadline, exc=exc, timeouts=timeouts))
                    attempt += 1
                    continue
                finally:
                    if error_status or not stream:
                        response.close()
            if not error_status:
                return response, deadline, timeouts
            failure = self.status_error(call, response)
            if failure is not None:
                raise failure
            _sleep(self.retry_delay(call, attempt, deadline, response=response))
            attempt += 1

    def execute(self, call: Call[T]) -> T:
        with self.redacting():
            response, _, _ = self._send(call)
            return call.read(response)

    def stream(
        self,
        call: Call[Any],
        otherwise: Callable[[httpx.Response], Any] | None = None,
        ended: Callable[[], bool] | None = None,
    ) -> Generator[Any, None, None]:
        """Decoded events; the response is closed when the iterator is closed. With
        ``otherwise``, an answer that is not an event stream is read whole and its
        value (``otherwise(response)``) yielded as one :class:`Answered`. Closed once
        ``ended()`` (the answer is complete), the rest of the body is first read as far
        as it has already arrived (:mod:`._stream_end`), so its connection can be kept."""
        with self.redacting():
            response, deadline, timeouts = self._send(call, stream=True)
            chunks: Iterator[bytes] | None = None
            try:
                if otherwise is not None and not is_event_stream(response):
                    response.read()
                    yield Answered(read_with(call, otherwise, response))
                    return
                check_event_stream(response)
                parser, decoder = EventParser(), utf8_decoder()
                chunks = response.iter_bytes()
                for chunk in chunks:
                    yield from parser.feed(decoder.decode(chunk))
                yield from parser.feed(decoder.decode(b"", True))
                yield from parser.close()
            except httpx.HTTPError as exc:
                raise read_error(exc, deadline, timeouts) from exc
            except GeneratorExit:
                if ended is not None and ended():
                    read_what_arrived(response, chunks)
                raise
            finally:
                response.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None

    def forget_inherited_clients(self) -> None:
        """In a forked child: the client's connections are the parent's; never use them."""
        if self._owns_client and self._client is not None:
            _lifecycle.keep_inherited(self._client)
            self._client = None
            if self._finalizer is not None:
                self._finalizer.detach()
                self._finalizer = None


class AsyncTransport(BaseTransport):
    def __init__(self, settings: ZylonSettings, client: httpx.AsyncClient | None = None) -> None:
        super().__init__(settings)
        self._client = client
        self._owns_client = client is None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Our clients, one per event loop (an AsyncClient's pool belongs to one loop),
        # each with the guard that closes it when its loop shuts down (see _lifecycle).
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, Any]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def client(self) -> httpx.AsyncClient:
        if not self._owns_client and self._client is not None:
            return self._client
        loop = asyncio.get_running_loop()
        if loop is self._loop and self._client is not None:
            return self._client
        entry = self._per_loop.get(loop)
        if entry is None or entry[0].is_closed:
            client = httpx.AsyncClient(timeout=self.timeout, verify=ssl_context(self.settings.verify), headers=self.headers)
            self._ours.add(client)
            entry = self._per_loop[loop] = (client, _lifecycle.close_with_loop(client))
        self._client, self._loop, self._owns_client = entry[0], loop, True
        return entry[0]

    async def _send(self, call: Call[Any], stream: bool = False) -> tuple[httpx.Response, Deadline, Timeouts]:
        deadline = Deadline(self.settings.deadline, call)
        attempt = 0
        while True:
            client = self.client
            timeouts = Timeouts(client.timeout, deadline.check())
            request = self.build(client, call, stream, timeouts.timeout)
            try:
                response = await within(client.send(request, stream=True, follow_redirects=False), deadline.check())
            except asyncio.TimeoutError:
                raise deadline.error() from None
            except httpx.DecodingError as exc:
                raise decoding_error(call, exc) from exc
            except httpx.TransportError as exc:
                await _async_sleep(self.retry_delay(call, attempt, deadline, exc=exc, timeouts=timeouts))
                attempt += 1
                continue
            logger.debug("%s %s -> %d", call.method, call.url, response.status_code)
            response.stream = BoundedAsyncStream(response.stream, deadline)
            error_status = _is_error_status(call, response.status_code)
            if not stream or error_status:
                try:
                    await response.aread()
                except httpx.DecodingError as exc:
                    raise decoding_error(call, exc) from exc
                except httpx.TransportError as exc:
                    if not call.idempotent or not self.policy.should_retry_error(exc):
                        raise self.scrub(broken_answer(call, exc, deadline, timeouts)) from exc
                    await _async_sleep(self.retry_delay(call, attempt, deadline, exc=exc, timeouts=timeouts))
                    attempt += 1
                    continue
                finally:
                    if error_status or not stream:
                        await response.aclose()
            if not error_status:
                return response, deadline, timeouts
            failure = self.status_error(call, response)
            if failure is not None:
                raise failure
            await _async_sleep(self.retry_delay(call, attempt, deadline, response=response))
            attempt += 1

    async def execute(self, call: Call[T]) -> T:
        with self.redacting():
            response, _, _ = await self._send(call)
            return call.read(response)

    async def stream(
        self,
        call: Call[Any],
        otherwise: Callable[[httpx.Response], Any] | None = None,
        ended: Callable[[], bool] | None = None,
    ) -> AsyncGenerator[Any, None]:
        """:meth:`SyncTransport.stream`, async."""
        with self.redacting():
            response, deadline, timeouts = await self._send(call, stream=True)
            achunks: AsyncIterator[bytes] | None = None
            try:
                if otherwise is not None and not is_event_stream(response):
                    await response.aread()
                    yield Answered(read_with(call, otherwise, response))
                    return
                check_event_stream(response)
                parser, decoder = EventParser(), utf8_decoder()
                achunks = response.aiter_bytes()
                async for chunk in achunks:
                    for event in parser.feed(decoder.decode(chunk)):
                        yield event
                for event in parser.feed(decoder.decode(b"", True)):
                    yield event
                for event in parser.close():
                    yield event
            except httpx.HTTPError as exc:
                raise read_error(exc, deadline, timeouts) from exc
            except GeneratorExit:
                if ended is not None and ended():
                    await aread_what_arrived(response, achunks)
                raise
            finally:
                await response.aclose()

    async def aclose(self) -> None:
        """Close the client of the running loop (others are closed by their loops)."""
        client, self._client, self._loop = self._client, None, None
        if not self._owns_client:
            if client is not None:
                await client.aclose()
            return
        entry = self._per_loop.pop(asyncio.get_running_loop(), None)
        self._per_loop.clear()
        if entry is not None:
            await entry[1].aclose()  # the guard closes the client it holds

    def forget_inherited_clients(self) -> None:
        """In a forked child: never use the parent's connections (or its event loops)."""
        if self._owns_client:
            _lifecycle.keep_inherited(list(self._per_loop.items()))
            self._per_loop.clear()
            self._client = self._loop = None
