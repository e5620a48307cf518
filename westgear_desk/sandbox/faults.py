"""Sandbox middlewares: deterministic fault injection and the log of received requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, Self
from urllib.parse import parse_qsl

import pydantic
from pydantic import ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/_sandbox"
TIMEOUT_HOLD_S = 120.0
DriftMode = Literal["none", "new_field", "renamed_field"]
DriftHook = Callable[[Any, str], Any]
Action = Literal["pass", "error", "rate_limit", "timeout", "drop", "malformed"]

_Rate = Field(default=0.0, ge=0.0, le=1.0)


class FaultSettings(pydantic.BaseModel):
    """What goes wrong, and how often; changeable at run time via PUT /_sandbox/faults."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=600_000)
    error_rate: float = _Rate
    rate_limit_rate: float = _Rate
    retry_after_s: int = Field(default=1, ge=0, le=3600)
    timeout_rate: float = _Rate
    drop_rate: float = _Rate
    malformed_rate: float = _Rate
    drift: DriftMode = "none"
    webhook_duplicates: int = Field(default=0, ge=0, le=10)
    webhook_out_of_order: bool = False
    only_paths: list[str] = Field(default_factory=list)
    after_requests: int = Field(default=0, ge=0)
    seed: int = 0

    @pydantic.model_validator(mode="after")
    def _rates_fit(self) -> Self:
        total = (
            self.error_rate
            + self.rate_limit_rate
            + self.timeout_rate
            + self.drop_rate
            + self.malformed_rate
        )
        if total > 1.0 + 1e-9:
            raise ValueError(f"the fault rates add up to {total:.3f}, more than 1")
        return self


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    action: Action = "pass"
    latency_s: float = 0.0
    drift: DriftMode = "none"


PASS = FaultDecision()


class FaultState:
    """The current settings plus the counters and random stream that make decisions repeatable.

    Decisions are a pure function of (settings, order of matching requests): the same seed
    and the same request sequence give the same faults. Used only from the server's loop.
    """

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._matching = 0
        self._rng = random.Random(settings.seed)

    def replace(self, settings: FaultSettings) -> None:
        """Install new settings and restart the counters and the random stream."""
        self.settings = settings
        self.restart()

    def restart(self) -> None:
        """Restart the request counter and random stream, keeping the settings."""
        self._matching = 0
        self._rng = random.Random(self.settings.seed)

    def decide(self, path: str) -> FaultDecision:
        """The fault (if any) for the next request to `path`; admin paths are never faulted."""
        s = self.settings
        if path.startswith(ADMIN_PREFIX):
            return PASS
        if s.only_paths and not any(path.startswith(prefix) for prefix in s.only_paths):
            return PASS
        self._matching += 1
        if self._matching <= s.after_requests:
            return PASS
        roll = self._rng.random()
        action: Action = "pass"
        for candidate, rate in (
            ("error", s.error_rate),
            ("rate_limit", s.rate_limit_rate),
            ("timeout", s.timeout_rate),
            ("drop", s.drop_rate),
            ("malformed", s.malformed_rate),
        ):
            if roll < rate:
                action = candidate  # type: ignore[assignment]
                break
            roll -= rate
        return FaultDecision(action=action, latency_s=s.latency_ms / 1000.0, drift=s.drift)


async def send_json(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    """Send a complete JSON response."""
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload, "more_body": False})


TRANSPORT_KEY = "westgear.sandbox.transport"  # scope key: the socket transport, for drops


class _Abortable(Protocol):
    def abort(self) -> None: ...


def _transport_of(send: Send) -> _Abortable | None:
    """The server's socket transport behind `send`, when the server is uvicorn.

    uvicorn hands the app its RequestResponseCycle's bound `send`; the cycle holds the
    transport (asyncio's or uvloop's, which share no base class, hence duck typing).
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if callable(getattr(transport, "abort", None)) else None


class ConnectionDroppedError(Exception):
    """Raised where no transport can be aborted (e.g. an in-memory ASGI transport)."""


async def drop_connection(scope: Scope, receive: Receive, send: Send) -> None:
    """Close the client's connection without any answer, then wait until the server notices."""
    transport = scope.get(TRANSPORT_KEY) or _transport_of(send)
    if transport is None:
        raise ConnectionDroppedError("sandbox fault: connection dropped")
    transport.abort()
    await _wait_disconnect(receive, 5.0)


async def _wait_disconnect(receive: Receive, timeout: float) -> bool:
    """Wait until the client is gone (True) or `timeout` passed (False)."""
    try:
        async with asyncio.timeout(timeout):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


class HeldRequests:
    """Requests held open by the "timeout" fault, releasable from any thread (server stop).

    Once released, later holds end at once: a request that reaches the server while it
    stops is cut like the held ones, instead of being held until uvicorn's graceful-shutdown
    timeout cancels it and answers 500.
    """

    def __init__(self) -> None:
        self._held: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()
        self._released = False

    async def hold(self, receive: Receive, timeout: float) -> None:
        """Wait until the client goes away, `timeout` passes or `release_all` is called."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            if self._released:
                return
            self._held.add(entry)
        waiters = {
            asyncio.ensure_future(_wait_disconnect(receive, timeout)),
            asyncio.ensure_future(entry[1].wait()),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            with self._lock:
                self._held.discard(entry)
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    def release_all(self) -> None:
        """End every hold now, and every later one at once (thread-safe)."""
        with self._lock:
            self._released = True
            entries = list(self._held)
        for loop, event in entries:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(event.set)


def _is_json(start: Message) -> bool:
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            return b"json" in value.lower()
    return False


def truncate_json(body: bytes) -> bytes:
    """A cut-off copy of a JSON document that is guaranteed not to parse."""
    cut = body[: max(1, len(body) // 2)]
    try:
        json.loads(cut)
    except ValueError:
        return cut
    return cut + b',"'


class _Rewriter:
    """Buffers a JSON response and sends it rewritten by `transform` (non-JSON passes through)."""

    def __init__(self, send: Send, transform: Callable[[bytes], bytes]) -> None:
        self._send = send
        self._transform = transform
        self._start: Message | None = None
        self._chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if not _is_json(message):
                await self._send(message)
                return
            self._start = message
            return
        if self._start is None:
            await self._send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = self._transform(b"".join(self._chunks))
        headers = [
            (k, v) for k, v in self._start.get("headers", []) if k.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


class FaultMiddleware:
    """Pure ASGI middleware applying a FaultState to every non-admin HTTP request.

    Pure ASGI (not BaseHTTPMiddleware) so it can close the socket without an answer and hold a
    request open; it must sit outside Starlette's own error middleware to see the raw `send`.
    """

    def __init__(
        self,
        app: ASGIApp,
        state: FaultState,
        drift: DriftHook | None = None,
        held: HeldRequests | None = None,
    ) -> None:
        self.app = app
        self.state = state
        self.drift = drift
        self.held = held or HeldRequests()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        decision = self.state.decide(scope["path"])
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        if decision.action == "error":
            body = {"error": "service_unavailable", "message": "Injected fault: try again later"}
            await send_json(send, 503, body, [])
        elif decision.action == "rate_limit":
            retry_after = str(self.state.settings.retry_after_s).encode()
            body = {"error": "too_many_requests", "message": "Injected fault: slow down"}
            await send_json(send, 429, body, [(b"retry-after", retry_after)])
        elif decision.action == "timeout":
            await self.held.hold(receive, TIMEOUT_HOLD_S)
            await drop_connection(scope, receive, send)
        elif decision.action == "drop":
            await drop_connection(scope, receive, send)
        elif decision.action == "malformed":
            await self.app(scope, receive, _Rewriter(send, truncate_json))
        elif decision.drift != "none" and self.drift is not None:
            await self.app(scope, receive, _Rewriter(send, self._drifter(decision.drift)))
        else:
            await self.app(scope, receive, send)

    def _drifter(self, mode: str) -> Callable[[bytes], bytes]:
        hook = self.drift
        assert hook is not None

        def rewrite(body: bytes) -> bytes:
            if not body.strip():
                return body
            try:
                document = json.loads(body)
            except ValueError:
                return body
            return json.dumps(hook(document, mode)).encode()

        return rewrite


# ------------------------------------------------------------------ request recorder

REQUEST_LOG_SIZE = 10_000
MAX_RECORDED_BODY = 64 * 1024
REDACTED = "<redacted>"
SECRET_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "apikey",
        "api_key",
        "dhl-api-key",
        "client-key",
        "x-api-key",
        "client_secret",
        "refresh_token",
        "password",
        "access-token",
        "client-secret",
    }
)


def _redact(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_NAMES else v) for k, v in pairs}


def _decode_body(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    text = body[:MAX_RECORDED_BODY].decode("utf-8", errors="replace")
    if len(body) > MAX_RECORDED_BODY:
        return f"{text}… [{len(body)} bytes]"
    if "json" in content_type:
        try:
            return json.loads(body)
        except ValueError:
            return text
    if "x-www-form-urlencoded" in content_type:
        return _redact(parse_qsl(text, keep_blank_values=True))
    return text


class RequestLog:
    """The last REQUEST_LOG_SIZE requests a sandbox received, secrets redacted."""

    def __init__(self, size: int = REQUEST_LOG_SIZE) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)

    def add(self, scope: Scope, body: bytes) -> dict[str, Any]:
        """Record one request (secret headers/parameters redacted); returns the live entry.

        The entry's "status" is None until the response starts (and stays None for a
        request that was dropped or never answered).
        """
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        query = scope.get("query_string", b"").decode("latin-1")
        content_type = dict(headers).get("content-type", "")
        entry = {
            "method": scope["method"],
            "path": scope["path"],
            "query": _redact(parse_qsl(query, keep_blank_values=True)),
            "headers": _redact(headers),
            "body": _decode_body(body, content_type),
            "received_at": datetime.now(UTC).isoformat(),
            "status": None,
        }
        self._entries.append(entry)
        return entry

    def query(
        self, *, method: str | None = None, path_prefix: str | None = None
    ) -> list[dict[str, Any]]:
        """Recorded requests, oldest first, optionally filtered by method and path prefix."""
        return [
            entry
            for entry in self._entries
            if (method is None or entry["method"] == method.upper())
            and (path_prefix is None or entry["path"].startswith(path_prefix))
        ]

    def clear(self) -> None:
        """Forget every recorded request."""
        self._entries.clear()


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


class RequestRecorder:
    """Pure ASGI middleware that reads each non-admin request body, logs it, and replays it."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        body, early = await _read_body(receive)
        entry = self.log.add(scope, body)
        pending: list[Message] = [
            early or {"type": "http.request", "body": body, "more_body": False}
        ]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        async def noting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        transport = _transport_of(send)
        scope = {**scope, TRANSPORT_KEY: transport} if transport is not None else scope
        await self.app(scope, replay, noting_send)
