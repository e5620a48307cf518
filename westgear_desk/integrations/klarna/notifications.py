"""Klarna callbacks and signed webhooks: body models and the HMAC signature both sides check.

Verified [V]: the `{"metadata": {...}, "payload": {...}}` envelope, the headers
`Klarna-Signature` and `Klarna-Signing-Key-Id`, HMAC-SHA256 over the raw body, and the classic
`merchant_urls.notification` body `{order_id, event_type}` with FRAUD_RISK_* types.
Unverified [U], all here: hex encoding of the signature, the order-status event names
(`event_type_for`) and the payload of an order-status event.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from pydantic import AwareDatetime, Field

from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.klarna.contract import OrderStatus

SIGNATURE_HEADER = "Klarna-Signature"
SIGNING_KEY_ID_HEADER = "Klarna-Signing-Key-Id"
EVENT_VERSION = "v1"


def sign(body: bytes, key: str) -> str:
    """HMAC-SHA256 of the raw body under `key`, hex encoded [U: hex vs base64]."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, signature: str | None, key: str) -> bool:
    """True when `signature` is the signature of `body` under `key` (constant-time compare)."""
    if not signature:
        return False
    return hmac.compare_digest(sign(body, key), signature.strip().lower())


def event_type_for(status: OrderStatus) -> str:
    """The webhook event type announcing an order's new status [U: naming]."""
    return f"payment.order.state-change.{status.lower().replace('_', '-')}"


class WebhookMetadata(ContractModel):
    """The metadata block of every signed Klarna webhook [V]."""

    event_type: str
    event_id: str
    event_version: str
    occurred_at: AwareDatetime
    correlation_id: str | None = None
    account_id: str | None = None
    subject_account_id: str | None = None
    product_instance_id: str | None = None
    webhook_id: str | None = None
    live: bool | None = None


class OrderStatusPayload(ContractModel):
    """What an order-status webhook says [U]; receivers re-GET the order before acting."""

    order_id: str
    status: OrderStatus
    previous_status: OrderStatus | None = None
    merchant_reference1: str | None = None
    merchant_reference2: str | None = None


class OrderStatusWebhook(ContractModel):
    """A signed order-status webhook."""

    metadata: WebhookMetadata
    payload: OrderStatusPayload


class NotificationCallback(ContractModel):
    """Classic `merchant_urls.notification` POST: the fraud decision of a PENDING order [V]."""

    order_id: str = Field(min_length=1)
    event_type: Literal["FRAUD_RISK_ACCEPTED", "FRAUD_RISK_REJECTED", "FRAUD_RISK_STOPPED"]


class AuthorizationCallback(ContractModel):
    """Classic `merchant_urls.authorization` POST after the customer authorized [V; fields U]."""

    authorization_token: str = Field(min_length=1)
    session_id: str | None = None
