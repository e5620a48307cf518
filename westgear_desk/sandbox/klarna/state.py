"""The Klarna sandbox's memory: sessions, authorizations, orders, idempotent replies, the clock.

Order Management rules modelled here: captures cannot exceed the remaining authorized
amount, refunds not the captured minus refunded amount; cancel only with nothing captured;
the authorization expires `AUTHORIZATION_DAYS` after creation (AUTHORIZED -> EXPIRED,
PART_CAPTURED -> CLOSED [U]) and can be extended to today + that many days, at most
`MAX_AUTHORIZATION_DAYS` after creation. The clock can be moved by the admin API.
"""

from __future__ import annotations

import secrets
import string
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from westgear_desk.integrations.klarna import contract as kl

AUTHORIZATION_DAYS = 28  # default account setting [V "typically"]
MAX_AUTHORIZATION_DAYS = 180  # [V]
AUTHORIZATION_TOKEN_TTL = timedelta(minutes=60)  # [V]
SESSION_TTL = timedelta(hours=48)  # [U for Klarna Payments]
IDEMPOTENCY_TTL = timedelta(hours=24)  # [V]

# what an OM order repeats from the Payments order it was created from
ORDER_KEYS = (
    "purchase_currency",
    "purchase_country",
    "locale",
    "order_lines",
    "merchant_reference1",
    "merchant_reference2",
    "billing_address",
    "shipping_address",
    "merchant_data",
    "customer",
)
# (status, headers, body) of a reply kept for idempotent replay
StoredReply = tuple[int, dict[str, str], bytes]
StatusListener = Callable[["SandboxOrder", str | None], None]


@dataclass
class Session:
    """A Payments session."""

    session_id: str
    request: dict[str, Any]
    client_token: str
    created_at: datetime
    status: str = "incomplete"


@dataclass
class Authorization:
    """What the customer's authorize() produced."""

    token: str
    session_id: str
    created_at: datetime
    fraud_status: str = "ACCEPTED"
    used: bool = False


@dataclass
class SandboxOrder:
    """An order in Order Management."""

    order_id: str
    request: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    klarna_reference: str
    fraud_status: str
    status: str = "AUTHORIZED"
    captured_amount: int = 0
    refunded_amount: int = 0
    released: bool = False
    captures: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def order_amount(self) -> int:
        return int(self.request["order_amount"])

    @property
    def remaining_authorized_amount(self) -> int:
        if self.status in ("CANCELLED", "EXPIRED", "CLOSED") or self.released:
            return 0
        return self.order_amount - self.captured_amount

    def to_wire(self) -> dict[str, Any]:
        """The OM `GET order` body."""
        body = {
            "order_id": self.order_id,
            "status": self.status,
            "fraud_status": self.fraud_status,
            "order_amount": self.order_amount,
            "original_order_amount": self.order_amount,
            "captured_amount": self.captured_amount,
            "refunded_amount": self.refunded_amount,
            "remaining_authorized_amount": self.remaining_authorized_amount,
            "klarna_reference": self.klarna_reference,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "captures": self.captures,
            "refunds": self.refunds,
            "initial_payment_method": {"type": "INVOICE", "description": "Faktura"},
        }
        body.update({k: self.request[k] for k in ORDER_KEYS if self.request.get(k) is not None})
        return body


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _reference() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(7))


class KlarnaState:
    """All sandbox state behind one lock; `listener` hears every order status change."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.listener: StatusListener | None = None
        self.reset()

    def reset(self) -> None:
        """Forget everything, clock back to the wall clock."""
        with self.lock:
            self.offset = timedelta(0)
            self.sessions: dict[str, Session] = {}
            self.authorizations: dict[str, Authorization] = {}
            self.orders: dict[str, SandboxOrder] = {}
            self.replies: dict[str, tuple[datetime, StoredReply]] = {}
            self.replay_counts: dict[str, int] = {}

    def now(self) -> datetime:
        """The sandbox clock."""
        return datetime.now(UTC) + self.offset

    # ----------------------------------------------------------------- idempotency

    def replay(self, key: str | None) -> StoredReply | None:
        """The stored reply for `key` if it was used in the last 24 h (body ignored [V])."""
        if not key:
            return None
        with self.lock:
            stored = self.replies.get(key)
            if stored is None or self.now() - stored[0] > IDEMPOTENCY_TTL:
                return None
            self.replay_counts[key] = self.replay_counts.get(key, 0) + 1
            return stored[1]

    def remember(self, key: str | None, reply: StoredReply) -> None:
        """Keep a final (non-5xx) reply under its key."""
        if key and reply[0] < 500:
            with self.lock:
                self.replies[key] = (self.now(), reply)

    # ----------------------------------------------------------------- payments

    def new_session(self, request: dict[str, Any]) -> Session:
        session = Session(str(uuid.uuid4()), request, secrets.token_urlsafe(48), self.now())
        with self.lock:
            self.sessions[session.session_id] = session
        return session

    def authorize(self, session_id: str, fraud_status: str = "ACCEPTED") -> Authorization | None:
        """The customer authorizes the session; None if there is no live session."""
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None or self.now() - session.created_at > SESSION_TTL:
                return None
            session.status = "complete"
            auth = Authorization(str(uuid.uuid4()), session_id, self.now(), fraud_status)
            self.authorizations[auth.token] = auth
            return auth

    def live_authorization(self, token: str) -> Authorization | None:
        """An unused authorization younger than 60 minutes."""
        with self.lock:
            auth = self.authorizations.get(token)
            if auth is None or auth.used or self.now() - auth.created_at > AUTHORIZATION_TOKEN_TTL:
                return None
            return auth

    def place_order(self, auth: Authorization, request: dict[str, Any]) -> SandboxOrder:
        with self.lock:
            auth.used = True
            now = self.now()
            order = SandboxOrder(
                order_id=str(uuid.uuid4()),
                request=request,
                created_at=now,
                expires_at=now + timedelta(days=AUTHORIZATION_DAYS),
                klarna_reference=_reference(),
                fraud_status=auth.fraud_status,
            )
            self.orders[order.order_id] = order
        self._announce(order, None)
        return order

    # ----------------------------------------------------------------- order management

    def order(self, order_id: str) -> SandboxOrder | None:
        """The order, after applying expiry by the sandbox clock."""
        with self.lock:
            order = self.orders.get(order_id)
            live = order is not None and order.status in ("AUTHORIZED", "PART_CAPTURED")
            if order is not None and live and self.now() >= order.expires_at:
                self._set_status(order, "EXPIRED" if order.captured_amount == 0 else "CLOSED")
            return order

    def _set_status(self, order: SandboxOrder, status: str) -> None:
        previous = order.status
        if previous != status:
            order.status = status
            self._announce(order, previous)

    def _announce(self, order: SandboxOrder, previous: str | None) -> None:
        if self.listener is not None:
            self.listener(order, previous)

    def add_capture(self, order: SandboxOrder, capture: kl.CaptureRequest) -> dict[str, Any]:
        with self.lock:
            entry = {
                "capture_id": str(uuid.uuid4()),
                "klarna_reference": f"{order.klarna_reference}-{len(order.captures) + 1}",
                "captured_amount": capture.captured_amount,
                "captured_at": _iso(self.now()),
                "refunded_amount": 0,
                **capture.model_dump(
                    mode="json",
                    exclude_none=True,
                    include={"description", "reference", "order_lines", "shipping_info"},
                ),
            }
            order.captures.append(entry)
            order.captured_amount += capture.captured_amount
            done = order.captured_amount >= order.order_amount
            self._set_status(order, "CAPTURED" if done else "PART_CAPTURED")
            return entry

    def add_refund(self, order: SandboxOrder, refund: kl.RefundRequest) -> dict[str, Any]:
        with self.lock:
            entry = {
                "refund_id": str(uuid.uuid4()),
                "refunded_amount": refund.refunded_amount,
                "refunded_at": _iso(self.now()),
                **refund.model_dump(
                    mode="json",
                    exclude_none=True,
                    include={"description", "reference", "order_lines"},
                ),
            }
            order.refunds.append(entry)
            order.refunded_amount += refund.refunded_amount
            left = refund.refunded_amount
            for capture in reversed(order.captures):  # newest capture first [U]
                room = capture["captured_amount"] - capture["refunded_amount"]
                taken = min(room, left)
                capture["refunded_amount"] += taken
                left -= taken
            return entry

    def cancel(self, order: SandboxOrder) -> None:
        with self.lock:
            self._set_status(order, "CANCELLED")

    def release_remaining(self, order: SandboxOrder) -> None:
        with self.lock:
            order.released = True
            self._set_status(order, "CLOSED")

    def extend(self, order: SandboxOrder) -> datetime:
        """New expiry = today + AUTHORIZATION_DAYS (same clock time), capped at 180 days."""
        with self.lock:
            today = self.now().date()
            wanted = datetime.combine(
                today + timedelta(days=AUTHORIZATION_DAYS), order.created_at.timetz()
            )
            cap = order.created_at + timedelta(days=MAX_AUTHORIZATION_DAYS)
            order.expires_at = max(order.expires_at, min(wanted, cap))
            return order.expires_at

    def expire_now(self, order: SandboxOrder) -> None:
        """Admin: the authorization ran out just now."""
        with self.lock:
            order.expires_at = self.now() - timedelta(seconds=1)
        self.order(order.order_id)

    def advance(self, delta: timedelta) -> datetime:
        """Admin: move the sandbox clock forward; expiries fall due on the next access."""
        with self.lock:
            self.offset += delta
            for order_id in list(self.orders):
                self.order(order_id)
            return self.now()
