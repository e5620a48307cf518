"""Klarna sandbox: Payments v1 sessions and orders, Order Management v1, signed status webhooks.

Models: HTTP Basic (a wrong password gets the gateway's HTML 401), BAD_VALUE refusals naming
the field (order-line arithmetic included), `Klarna-Idempotency-Key` replay for 24 h (same
key -> the stored reply, no second effect, body ignored [V]), captures/refunds answering
201 with an empty body and the id in headers, capture beyond the remaining authorized amount
refused, authorization expiry (28 days) and extension (max 180 days), and a signed webhook
(`Klarna-Signature`: HMAC-SHA256 hex [U]) to the webhook URL on every order status change.
Admin: POST /_sandbox/klarna/sessions/{id}/authorize, POST /_sandbox/klarna/orders/{id}/expire,
POST /_sandbox/klarna/clock, PUT/GET /_sandbox/klarna/webhook, GET /_sandbox/klarna/deliveries,
GET /_sandbox/klarna/idempotency/{key}.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from westgear_desk.integrations.klarna.notifications import (
    EVENT_VERSION,
    SIGNATURE_HEADER,
    SIGNING_KEY_ID_HEADER,
    event_type_for,
    sign,
)
from westgear_desk.sandbox.common import (
    SandboxConfig,
    SandboxSystem,
    WebhookSender,
    build_sandbox_app,
    current_faults,
)
from westgear_desk.sandbox.klarna.routes import KlarnaRoutes
from westgear_desk.sandbox.klarna.state import KlarnaState, SandboxOrder

__all__ = ["build", "sandbox_credentials"]

NEW_FIELD = "sustainability_score"  # drift "new_field"
RENAMES = {"order_id": "orderId", "session_id": "sessionId", "status": "order_status"}


def sandbox_credentials(seed: int) -> dict[str, str]:
    """Basic credentials (named as Klarna names them) plus the webhook signing key; per seed."""

    def derive(kind: str) -> str:
        return hashlib.sha256(f"klarna-sandbox:{seed}:{kind}".encode()).hexdigest()

    return {
        "username": f"K{int(derive('merchant')[:8], 16) % 1_000_000:06d}_{derive('user')[:10]}",
        "password": derive("password")[:24],
        "signing_key": derive("signing"),
        "signing_key_id": str(uuid.UUID(derive("key-id")[:32])),
    }


def drift(document: Any, mode: str) -> Any:
    """Schema-drift rewrite of a JSON answer (top level object only)."""
    if not isinstance(document, dict):
        return document
    if mode == "new_field":
        document[NEW_FIELD] = 87
    else:
        for old, new in RENAMES.items():
            if old in document:
                document[new] = document.pop(old)
                break
    return document


class StatusWebhooks:
    """Sends a signed webhook for every order status change to the configured URL."""

    def __init__(
        self, credentials: dict[str, str], url: str | None, clock: Callable[[], datetime]
    ) -> None:
        self.url = url
        self.clock = clock
        self.sender: WebhookSender | None = None
        self._key = credentials["signing_key"]
        self._key_id = credentials["signing_key_id"]

    def __call__(self, order: SandboxOrder, previous: str | None) -> None:
        if self.url is None or self.sender is None:
            return
        body = json.dumps(
            {
                "metadata": {
                    "event_type": event_type_for(order.status),  # type: ignore[arg-type]
                    "event_id": str(uuid.uuid4()),
                    "event_version": EVENT_VERSION,
                    "occurred_at": self.clock().isoformat(),
                    "correlation_id": str(uuid.uuid4()),
                    "live": False,
                },
                "payload": {
                    "order_id": order.order_id,
                    "status": order.status,
                    "previous_status": previous,
                    "merchant_reference1": order.request.get("merchant_reference1"),
                    "merchant_reference2": order.request.get("merchant_reference2"),
                },
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self._key),
            SIGNING_KEY_ID_HEADER: self._key_id,
        }
        self.sender.send(self.url, body, headers)


def build(config: SandboxConfig) -> SandboxSystem:
    """The Klarna sandbox app and the credentials it accepts."""
    credentials = sandbox_credentials(config.seed)
    state = KlarnaState()
    webhooks = StatusWebhooks(credentials, config.webhook_url, state.now)
    state.listener = webhooks
    handlers = KlarnaRoutes(state, credentials)

    async def set_webhook(request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        url = body.get("url") if isinstance(body, dict) else None
        if url is not None and not str(url).startswith(("http://", "https://")):
            return JSONResponse({"error": "url must be http(s) or null"}, 422)
        webhooks.url = url
        return JSONResponse({"url": webhooks.url})

    async def get_webhook(request: Request) -> Response:
        del request
        return JSONResponse({"url": webhooks.url})

    async def deliveries(request: Request) -> Response:
        del request
        sent = webhooks.sender.deliveries if webhooks.sender else []
        return JSONResponse({"deliveries": sent})

    admin = [
        Route(
            "/_sandbox/klarna/sessions/{session_id}/authorize",
            handlers.admin_authorize,
            methods=["POST"],
        ),
        Route("/_sandbox/klarna/orders/{order_id}/expire", handlers.admin_expire, methods=["POST"]),
        Route("/_sandbox/klarna/clock", handlers.admin_clock, methods=["POST"]),
        Route("/_sandbox/klarna/idempotency/{key}", handlers.admin_idempotency, methods=["GET"]),
        Route("/_sandbox/klarna/webhook", set_webhook, methods=["PUT"]),
        Route("/_sandbox/klarna/webhook", get_webhook, methods=["GET"]),
        Route("/_sandbox/klarna/deliveries", deliveries, methods=["GET"]),
    ]

    def reset() -> None:
        state.reset()
        if webhooks.sender is not None:
            webhooks.sender.clear()

    app = build_sandbox_app(
        "klarna",
        handlers.routes(),
        faults=config.faults,
        reset=reset,
        admin_routes=admin,
        drift=drift,
    )
    webhooks.sender = WebhookSender(lambda: current_faults(app))
    return SandboxSystem(name="klarna", app=app, credentials=credentials)
