"""Deadlines for whole requests, not single reads.

httpx's timeouts bound each socket operation: a server that sends one byte (or one header line) every
few seconds never trips them and can hold a request open for hours. A deadline here is one point in
time, kept in a context variable, that every socket operation of a `BoundedTransport` honours: each
connect, TLS handshake, write and read may wait at most until the deadline, and once it has passed the
next one fails with httpx's own timeout exception. So a request ends by its deadline whatever the
server does, and callers keep handling timeouts as they always did.

Deadlines nest and only ever shrink: `deadline_after(5)` inside `deadline_after(2)` still ends at 2 s.
Context variables travel into `asyncio.to_thread`, so a deadline set around a worker-thread call (the
bot's answer slots do this) reaches every request made in that thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("talentqa_deadline", default=None)


def current() -> float | None:
    """The deadline in force (a `time.monotonic()` value), or None."""
    return _DEADLINE.get()


def remaining() -> float | None:
    """Seconds left before the deadline in force (may be negative), or None when there is none."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def _earliest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@contextlib.contextmanager
def deadline_at(at: float | None) -> Iterator[float | None]:
    """Within the block, the deadline is `at` (monotonic) or the one already in force, whichever is
    earlier; yields that deadline."""
    effective = _earliest(_DEADLINE.get(), at)
    token = _DEADLINE.set(effective)
    try:
        yield effective
    finally:
        _DEADLINE.reset(token)


@contextlib.contextmanager
def deadline_after(seconds: float | None) -> Iterator[float | None]:
    """Within the block, the deadline is `seconds` from now (None: no new limit) or the one already in
    force, whichever is earlier; yields that deadline."""
    with deadline_at(None if seconds is None else time.monotonic() + seconds) as effective:
        yield effective


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    """The timeout a socket operation may use now: its own, shortened to the deadline."""
    at = _DEADLINE.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the deadline for the whole request has passed")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        secure = self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return _BoundedStream(secure)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _BoundedStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(
            path, _clamp(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _BoundedStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _BoundedBody(httpx.SyncByteStream):
    """A response body read under the deadline of its request, whenever and wherever it is read."""

    def __init__(self, stream: httpx.SyncByteStream, at: float) -> None:
        self._stream = stream
        self._at = at

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._stream)
        while True:
            with deadline_at(self._at):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        with deadline_at(self._at):
            self._stream.close()


class BoundedTransport(httpx.HTTPTransport):
    """An `httpx.HTTPTransport` whose requests end by the deadline in force, and, with `budget`, at most
    `budget` seconds after they start (headers and body included).

    Other keyword arguments are `httpx.HTTPTransport`'s (verify, limits, proxy, trust_env, ...).
    """

    def __init__(self, *, budget: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.budget = budget
        # httpx takes no network backend, but every httpcore pool (direct or through a proxy) opens its
        # connections through one; wrapping it puts every socket operation under the deadline.
        pool = self._pool
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(backend, httpcore.NetworkBackend):
            raise RuntimeError(f"cannot bound requests: {type(pool).__name__} has no network backend")
        pool._network_backend = _BoundedBackend(backend)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        at = _earliest(_DEADLINE.get(), None if self.budget is None else time.monotonic() + self.budget)
        if at is None:
            return super().handle_request(request)
        with deadline_at(at):
            response = super().handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_BoundedBody(response.stream, at),
            extensions=response.extensions,
        )


def environment_proxy(url: str) -> str | None:
    """The proxy the environment (HTTPS_PROXY, ALL_PROXY, NO_PROXY, ...) names for `url`, or None.

    A client given its own transport ignores these, so callers that honoured them pass this on."""
    target = httpx.URL(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(target.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(target.host):
        return None
    return proxy
