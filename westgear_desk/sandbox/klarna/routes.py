"""The Klarna sandbox's HTTP handlers: Payments v1, Order Management v1 and the admin steps."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import pydantic
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from westgear_desk.integrations.klarna import contract as kl
from westgear_desk.sandbox.klarna.state import (
    MAX_AUTHORIZATION_DAYS,
    KlarnaState,
    SandboxOrder,
    StoredReply,
)

M = TypeVar("M", bound=pydantic.BaseModel)
Handler = Callable[[Request], Awaitable[Response]]
IDEMPOTENCY_HEADER = "klarna-idempotency-key"

# The gateway's 401 page, byte for byte as recorded (openresty) [V]
UNAUTHORIZED_HTML = (
    "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
    "<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>openresty</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class RefusedError(Exception):
    """A request Klarna refuses; carries the JSON error reply."""

    def __init__(self, status: int, code: str, *messages: str) -> None:
        super().__init__(code)
        self.reply = klarna_error(status, code, *messages)


def klarna_error(status: int, code: str, *messages: str) -> JSONResponse:
    """`{error_code, error_messages, correlation_id}` [V]."""
    body = {
        "error_code": code,
        "error_messages": list(messages),
        "correlation_id": str(uuid.uuid4()),
    }
    return JSONResponse(body, status_code=status)


def _bad_value(exc: pydantic.ValidationError) -> RefusedError:
    fields = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error["loc"])
        fields.append(f"Bad value: {location}" + (f" ({error['msg']})" if error["msg"] else ""))
    return RefusedError(400, "BAD_VALUE", *fields[:5])


async def parse(request: Request, model: type[M]) -> M:
    """The body as `model`, or a BAD_VALUE refusal naming the field [V shape]."""
    try:
        document = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise RefusedError(400, "BAD_VALUE", "Bad value: body is not valid JSON") from exc
    try:
        return model.model_validate(document)
    except pydantic.ValidationError as exc:
        raise _bad_value(exc) from exc


def _stored(response: Response) -> StoredReply:
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return response.status_code, headers, bytes(response.body)


class KlarnaRoutes:
    """Handlers over one KlarnaState."""

    def __init__(self, state: KlarnaState, credentials: dict[str, str]) -> None:
        self.state = state
        self._user = (credentials["username"], credentials["password"])

    # ----------------------------------------------------------------- guards

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (user, password) == self._user

    def guarded(self, handler: Handler, *, idempotent: bool = False) -> Handler:
        """Basic auth (HTML 401 like the gateway), refusals, and idempotent replay of writes."""

        async def run(request: Request) -> Response:
            if not self._authorized(request):
                return HTMLResponse(
                    UNAUTHORIZED_HTML,
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="very closed site"'},
                )
            key = request.headers.get(IDEMPOTENCY_HEADER) if idempotent else None
            stored = self.state.replay(key)
            if stored is not None:
                status, headers, body = stored
                return Response(body, status_code=status, headers=headers)
            try:
                response = await handler(request)
            except RefusedError as exc:
                response = exc.reply
            self.state.remember(key, _stored(response))
            return response

        return run

    def _order(self, request: Request) -> SandboxOrder:
        order = self.state.order(request.path_params["order_id"])
        if order is None:
            raise RefusedError(404, "NO_SUCH_ORDER", "The order does not exist")
        return order

    # ----------------------------------------------------------------- payments

    async def create_session(self, request: Request) -> Response:
        """POST /payments/v1/sessions."""
        body = await parse(request, kl.SessionCreateRequest)
        session = self.state.new_session(body.model_dump(mode="json", exclude_none=True))
        return JSONResponse(
            {
                "session_id": session.session_id,
                "client_token": session.client_token,
                "payment_method_categories": [
                    {"identifier": "pay_later", "name": "Faktura",
                     "asset_urls": {"descriptive": "https://x.klarnacdn.net/badge.svg",
                                    "standard": "https://x.klarnacdn.net/badge.svg"}},
                ],
            }
        )  # fmt: skip

    async def get_session(self, request: Request) -> Response:
        """GET /payments/v1/sessions/{session_id}."""
        session = self.state.sessions.get(request.path_params["session_id"])
        if session is None:
            raise RefusedError(404, "NOT_FOUND", "Session not found")
        body = {
            **session.request,
            "status": session.status,
            "client_token": session.client_token,
            "expires_at": (session.created_at + timedelta(hours=48)).isoformat(),
        }
        return JSONResponse(body)

    async def create_order(self, request: Request) -> Response:
        """POST /payments/v1/authorizations/{token}/order."""
        auth = self.state.live_authorization(request.path_params["token"])
        if auth is None:
            raise RefusedError(404, "NOT_FOUND", "Invalid authorization token")
        body = await parse(request, kl.CreateOrderRequest)
        order = self.state.place_order(auth, body.model_dump(mode="json", exclude_none=True))
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "order_id": order.order_id,
                "redirect_url": f"{base}/payments/v1/sessions/{auth.session_id}/redirect",
                "fraud_status": order.fraud_status,
                "authorized_payment_method": {"type": "invoice"},
            }
        )

    async def cancel_authorization(self, request: Request) -> Response:
        """DELETE /payments/v1/authorizations/{token}."""
        auth = self.state.live_authorization(request.path_params["token"])
        if auth is None:
            raise RefusedError(404, "NOT_FOUND", "Invalid authorization token")
        auth.used = True
        return Response(status_code=204)

    # ----------------------------------------------------------------- order management

    async def get_order(self, request: Request) -> Response:
        """GET /ordermanagement/v1/orders/{order_id}."""
        return JSONResponse(self._order(request).to_wire())

    async def get_capture(self, request: Request) -> Response:
        """GET /ordermanagement/v1/orders/{order_id}/captures/{capture_id}."""
        order = self._order(request)
        for capture in order.captures:
            if capture["capture_id"] == request.path_params["capture_id"]:
                return JSONResponse(capture)
        raise RefusedError(404, "NO_SUCH_CAPTURE", "The capture does not exist")

    def _created(self, request: Request, kind: str, new_id: str) -> Response:
        location = f"{str(request.base_url).rstrip('/')}{request.url.path}/{new_id}"
        header = "Capture-Id" if kind == "captures" else "Refund-Id"
        return Response(
            b"",
            status_code=201,
            headers={
                "Location": location,
                header: new_id,
                "Transaction-Id": str(uuid.uuid4()),
                "Klarna-Correlation-Id": str(uuid.uuid4()),
            },
        )

    async def capture(self, request: Request) -> Response:
        """POST …/captures: 201, empty body, id in headers [V recorded]."""
        body = await parse(request, kl.CaptureRequest)
        with self.state.lock:
            order = self._order(request)
            if order.status not in ("AUTHORIZED", "PART_CAPTURED"):
                raise RefusedError(
                    403, "CAPTURE_NOT_ALLOWED", f"Order status is {order.status}; cannot capture"
                )
            if body.captured_amount > order.remaining_authorized_amount:
                raise RefusedError(
                    403,
                    "CAPTURE_NOT_ALLOWED",
                    "Captured amount is higher than the remaining authorized amount "
                    f"({order.remaining_authorized_amount})",
                )
            entry = self.state.add_capture(order, body)
        return self._created(request, "captures", entry["capture_id"])

    async def refund(self, request: Request) -> Response:
        """POST …/refunds: 201, empty body, id in headers [V recorded]."""
        body = await parse(request, kl.RefundRequest)
        with self.state.lock:
            order = self._order(request)
            refundable = order.captured_amount - order.refunded_amount
            if body.refunded_amount > refundable:
                raise RefusedError(
                    403,
                    "REFUND_NOT_ALLOWED",
                    f"Refunded amount is higher than the refundable amount ({refundable})",
                )
            entry = self.state.add_refund(order, body)
        return self._created(request, "refunds", entry["refund_id"])

    async def cancel(self, request: Request) -> Response:
        """POST …/cancel: only with nothing captured [V]; 204 [U]."""
        with self.state.lock:
            order = self._order(request)
            if order.status != "AUTHORIZED":
                raise RefusedError(403, "CANCEL_NOT_ALLOWED", f"Order status is {order.status}")
            self.state.cancel(order)
        return Response(status_code=204)

    async def release(self, request: Request) -> Response:
        """POST …/release-remaining-authorization: PART_CAPTURED -> CLOSED [U]; 204 [U]."""
        with self.state.lock:
            order = self._order(request)
            if order.status != "PART_CAPTURED":
                raise RefusedError(403, "NOT_ALLOWED", f"Order status is {order.status}")
            self.state.release_remaining(order)
        return Response(status_code=204)

    async def extend(self, request: Request) -> Response:
        """POST …/extend-authorization-time: 204 [V]; refused once expired [V]."""
        with self.state.lock:
            order = self._order(request)
            if order.status in ("EXPIRED", "CLOSED", "CANCELLED", "CAPTURED"):
                raise RefusedError(
                    403,
                    "NOT_ALLOWED",
                    f"Order is {order.status.lower()}. Authorization time cannot be extended.",
                )
            cap = order.created_at + timedelta(days=MAX_AUTHORIZATION_DAYS)
            if order.expires_at >= cap:
                raise RefusedError(
                    403,
                    "NOT_ALLOWED",
                    f"Authorization time cannot be extended beyond {MAX_AUTHORIZATION_DAYS} days.",
                )
            self.state.extend(order)
        return Response(status_code=204)

    # ----------------------------------------------------------------- admin

    async def admin_authorize(self, request: Request) -> Response:
        """POST /_sandbox/klarna/sessions/{session_id}/authorize: the customer says yes."""
        raw = await request.body()
        options = json.loads(raw) if raw.strip() else {}
        fraud = str(options.get("fraud_status", "ACCEPTED")) if isinstance(options, dict) else ""
        if fraud not in ("ACCEPTED", "PENDING", "REJECTED"):
            return JSONResponse({"error": "fraud_status must be ACCEPTED|PENDING|REJECTED"}, 422)
        auth = self.state.authorize(request.path_params["session_id"], fraud)
        if auth is None:
            return JSONResponse({"error": "no such live session"}, 404)
        return JSONResponse({"authorization_token": auth.token})

    async def admin_expire(self, request: Request) -> Response:
        """POST /_sandbox/klarna/orders/{order_id}/expire: the authorization runs out now."""
        order = self.state.order(request.path_params["order_id"])
        if order is None:
            return JSONResponse({"error": "no such order"}, 404)
        self.state.expire_now(order)
        return JSONResponse({"status": order.status})

    async def admin_clock(self, request: Request) -> Response:
        """POST /_sandbox/klarna/clock {"days": n, "hours": h}: move the sandbox clock forward."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
            delta = timedelta(days=float(body.get("days", 0)), hours=float(body.get("hours", 0)))
        except (ValueError, TypeError, AttributeError):
            return JSONResponse({"error": 'expected {"days": n, "hours": h}'}, 422)
        if delta < timedelta(0):
            return JSONResponse({"error": "the clock only moves forward"}, 422)
        return JSONResponse({"now": self.state.advance(delta).isoformat()})

    async def admin_idempotency(self, request: Request) -> Response:
        """GET /_sandbox/klarna/idempotency/{key}: is a reply stored, how often was it replayed."""
        key = request.path_params["key"]
        with self.state.lock:
            stored = key in self.state.replies
            replays = self.state.replay_counts.get(key, 0)
        return JSONResponse({"stored": stored, "replays": replays})

    def routes(self) -> list[BaseRoute]:
        """Every API route."""
        g = self.guarded
        om = "/ordermanagement/v1/orders/{order_id}"
        plain: list[tuple[str, Handler, str, bool]] = [
            ("/payments/v1/sessions", self.create_session, "POST", True),
            ("/payments/v1/sessions/{session_id}", self.get_session, "GET", False),
            ("/payments/v1/authorizations/{token}/order", self.create_order, "POST", True),
            ("/payments/v1/authorizations/{token}", self.cancel_authorization, "DELETE", False),
            (om, self.get_order, "GET", False),
            (f"{om}/captures", self.capture, "POST", True),
            (f"{om}/captures/{{capture_id}}", self.get_capture, "GET", False),
            (f"{om}/refunds", self.refund, "POST", True),
            (f"{om}/cancel", self.cancel, "POST", True),
            (f"{om}/release-remaining-authorization", self.release, "POST", True),
            (f"{om}/extend-authorization-time", self.extend, "POST", True),
        ]
        return [
            Route(path, g(handler, idempotent=idem), methods=[method])
            for path, handler, method, idem in plain
        ]
