"""What every system sandbox shares: config, the app builder with admin API, recorder, webhooks."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pydantic
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from westgear_desk.sandbox.faults import (
    ADMIN_PREFIX,
    DriftHook,
    FaultMiddleware,
    FaultSettings,
    FaultState,
    HeldRequests,
    RequestLog,
    RequestRecorder,
)

__all__ = [
    "ADMIN_PREFIX",
    "FaultSettings",
    "SandboxApp",
    "SandboxConfig",
    "SandboxSystem",
    "WebhookSender",
    "build_sandbox_app",
    "current_faults",
]


@dataclass
class SandboxConfig:
    """How a sandbox is seeded and which faults it starts with."""

    seed: int = 42
    products: int = 300
    broken_share: float = 0.05
    faults: FaultSettings = field(default_factory=FaultSettings)
    webhook_url: str | None = None


@dataclass
class SandboxSystem:
    """One system's sandbox, ready to be served."""

    name: str
    app: Starlette
    credentials: dict[str, str]
    on_started: Callable[[str], None] | None = None


class SandboxApp(Starlette):
    """A Starlette app with the request recorder and fault middleware wrapped outermost.

    Outermost (outside Starlette's ServerErrorMiddleware) so the middlewares see the server's
    own `send`, find its socket transport, and can drop a connection without uvicorn answering
    500 for it.
    """

    def __init__(
        self,
        name: str,
        routes: Sequence[BaseRoute],
        *,
        faults: FaultSettings,
        reset: Callable[[], None],
        drift: DriftHook | None,
    ) -> None:
        super().__init__(routes=list(routes))
        self.name = name
        self.faults = FaultState(faults)
        self.requests = RequestLog()
        self.held = HeldRequests()
        self._reset_state = reset
        self._drift = drift

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        faulted = FaultMiddleware(inner, self.faults, self._drift, self.held)
        return RequestRecorder(faulted, self.requests)

    def release_held(self) -> None:
        """End every request the "timeout" fault holds open (thread-safe; used on stop)."""
        self.held.release_all()

    def reset(self) -> None:
        """Restore the seeded state, forget received requests, restart fault counters."""
        self._reset_state()
        self.requests.clear()
        self.faults.restart()


def current_faults(app: Starlette) -> FaultSettings:
    """The fault settings in force now for a sandbox app (they change via the admin API)."""
    if not isinstance(app, SandboxApp):
        raise TypeError(f"{app!r} was not built by build_sandbox_app")
    return app.faults.settings


def _sandbox(request: Request) -> SandboxApp:
    app = request.app
    assert isinstance(app, SandboxApp)
    return app


async def _get_faults(request: Request) -> Response:
    return JSONResponse(_sandbox(request).faults.settings.model_dump(mode="json"))


async def _put_faults(request: Request) -> Response:
    try:
        settings = FaultSettings.model_validate_json(await request.body() or b"{}")
    except pydantic.ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid_fault_settings", "details": errors}, 422)
    _sandbox(request).faults.replace(settings)
    return JSONResponse(settings.model_dump(mode="json"))


async def _reset(request: Request) -> Response:
    _sandbox(request).reset()
    return JSONResponse({"reset": True})


async def _get_requests(request: Request) -> Response:
    entries = _sandbox(request).requests.query(
        method=request.query_params.get("method"),
        path_prefix=request.query_params.get("path"),
    )
    return JSONResponse({"requests": entries})


async def _clear_requests(request: Request) -> Response:
    _sandbox(request).requests.clear()
    return Response(status_code=204)


ADMIN_ROUTES: list[BaseRoute] = [
    Route(f"{ADMIN_PREFIX}/faults", _get_faults, methods=["GET"]),
    Route(f"{ADMIN_PREFIX}/faults", _put_faults, methods=["PUT"]),
    Route(f"{ADMIN_PREFIX}/reset", _reset, methods=["POST"]),
    Route(f"{ADMIN_PREFIX}/requests", _get_requests, methods=["GET"]),
    Route(f"{ADMIN_PREFIX}/requests", _clear_requests, methods=["DELETE"]),
]


def build_sandbox_app(
    name: str,
    routes: list[BaseRoute],
    *,
    faults: FaultSettings,
    reset: Callable[[], None],
    admin_routes: Sequence[BaseRoute] = (),
    drift: Callable[[Any, str], Any] | None = None,
) -> Starlette:
    """A sandbox app: `routes` plus the admin API, recorder and fault middleware.

    Admin API: GET/PUT /_sandbox/faults, POST /_sandbox/reset (calls `reset`, clears the
    request log, restarts fault counters), GET/DELETE /_sandbox/requests, plus `admin_routes`
    (mount them under /_sandbox/ so they are never faulted). `drift(obj, mode)` rewrites a
    decoded JSON response body when the faults ask for schema drift.
    """
    return SandboxApp(
        name,
        [*ADMIN_ROUTES, *admin_routes, *routes],
        faults=faults,
        reset=reset,
        drift=drift,
    )


# ------------------------------------------------------------------ outgoing webhooks

WEBHOOK_TIMEOUT_S = 5.0
WEBHOOK_ATTEMPTS = 3
WEBHOOK_RETRY_DELAY_S = 0.5
OUT_OF_ORDER_WAIT_S = 0.3
IDLE_EXIT_S = 5.0


@dataclass(frozen=True)
class _Webhook:
    url: str
    body: bytes
    headers: dict[str, str]


class WebhookSender:
    """Posts signed callbacks from a background thread, with duplicates / out-of-order per faults.

    The thread starts with the first `send` and ends after IDLE_EXIT_S without work, so a
    sandbox that is built and dropped leaves no thread behind.

    `send` never blocks (safe to call from an async route). Every delivery attempt is kept in
    `deliveries` (url, status or error, attempt, copy number). With `webhook_out_of_order`, a
    webhook is held up to OUT_OF_ORDER_WAIT_S and sent after the next one if one arrives.
    """

    def __init__(self, faults_getter: Callable[[], FaultSettings]) -> None:
        self._faults = faults_getter
        self._queue: queue.Queue[_Webhook | None] = queue.Queue()
        self._lock = threading.Lock()
        self._deliveries: list[dict[str, Any]] = []
        self._busy = 0
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        """Queue one webhook for delivery (plus the duplicates the faults ask for)."""
        with self._lock:
            self._busy += 1
            self._queue.put(_Webhook(url, body, dict(headers)))
            if self._thread is None:  # started on demand; it ends after IDLE_EXIT_S idle
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-webhooks", daemon=True
                )
                self._thread.start()

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """A copy of every delivery attempt so far, oldest first."""
        with self._lock:
            return list(self._deliveries)

    def clear(self) -> None:
        """Forget past deliveries."""
        with self._lock:
            self._deliveries.clear()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued webhook was delivered (or failed); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self) -> None:
        """Deliver what is queued, then stop the delivery thread (if one runs)."""
        with self._lock:
            thread = self._thread
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join(timeout=WEBHOOK_TIMEOUT_S * WEBHOOK_ATTEMPTS)

    def _next(self) -> _Webhook | None:
        """The next queued webhook; None to stop (closing, or idle for IDLE_EXIT_S)."""
        while True:
            try:
                return self._queue.get(timeout=IDLE_EXIT_S)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return None

    def _run(self) -> None:
        try:
            with httpx.Client(timeout=WEBHOOK_TIMEOUT_S, follow_redirects=False) as client:
                while (item := self._next()) is not None:
                    if not self._deliver_batch(client, item):
                        return
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _deliver_batch(self, client: httpx.Client, item: _Webhook) -> bool:
        """Deliver `item` (after the next one when out of order); False once closing."""
        later: _Webhook | None = None
        keep_going = True
        if self._faults().webhook_out_of_order:
            with contextlib.suppress(queue.Empty):
                later = self._queue.get(timeout=OUT_OF_ORDER_WAIT_S)
                keep_going = later is not None
        if later is not None:
            self._deliver(client, later)
        self._deliver(client, item)
        return keep_going

    def _deliver(self, client: httpx.Client, webhook: _Webhook) -> None:
        copies = 1 + self._faults().webhook_duplicates
        for copy in range(copies):
            for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
                status, error = self._post(client, webhook)
                self._note(webhook, copy, attempt, status, error)
                if (status is not None and status < 500) or attempt == WEBHOOK_ATTEMPTS:
                    break
                time.sleep(WEBHOOK_RETRY_DELAY_S * attempt)
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    @staticmethod
    def _post(client: httpx.Client, webhook: _Webhook) -> tuple[int | None, str | None]:
        try:
            response = client.post(webhook.url, content=webhook.body, headers=webhook.headers)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return response.status_code, None

    def _note(
        self, webhook: _Webhook, copy: int, attempt: int, status: int | None, error: str | None
    ) -> None:
        with self._lock:
            self._deliveries.append(
                {
                    "url": webhook.url,
                    "body": webhook.body.decode("utf-8", errors="replace"),
                    "copy": copy,
                    "attempt": attempt,
                    "status": status,
                    "error": error,
                    "sent_at": datetime.now(UTC).isoformat(),
                }
            )
