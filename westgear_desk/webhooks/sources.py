"""Who may post webhooks to us: per source the signature check, the dedupe key and the event type.

Pure functions over the raw body and headers, so the ASGI app stays thin and these rules are
tested without a server. Signatures are compared in constant time (`hmac.compare_digest`).

- Sharespine: hex HMAC-SHA256 of the raw body in `X-Sharespine-Signature`, keyed with the
  `sharespine.webhook_secret` credential (the sandbox's own invention: the real push API is
  unknown). Dedupe key `eventId`; event type from the notification (`event_type_for`):
  `stock_changed` / `price_changed` for a product whose stock or prices alone changed (the
  catalog's processors), else `<recordType>_changed` (e.g. `order_changed`).
- Klarna: HMAC-SHA256 of the raw body in `Klarna-Signature` (hex [U]) with the signing key
  `klarna.signing_key`. Dedupe key `metadata.event_id`; event type `metadata.event_type`.
  Klarna documents "on mismatch answer 400", so a forged Klarna delivery is answered 400
  (Sharespine's 401).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import pydantic

from westgear_desk.integrations.klarna.notifications import (
    SIGNATURE_HEADER as KLARNA_SIGNATURE_HEADER,
)
from westgear_desk.integrations.klarna.notifications import WebhookMetadata
from westgear_desk.integrations.sharespine.contract import (
    SIGNATURE_HEADER as SHARESPINE_SIGNATURE_HEADER,
)
from westgear_desk.integrations.sharespine.contract import ChangeNotification

SHARESPINE: Final = "sharespine"
KLARNA: Final = "klarna"
#: Credential holding each source's signing secret.
SECRET_CREDENTIALS: Final[Mapping[str, str]] = {
    SHARESPINE: "sharespine.webhook_secret",
    KLARNA: "klarna.signing_key",
}
#: Event type stored for a signed body that is not the JSON the source promised.
MALFORMED_EVENT: Final = "malformed"
#: Event type stored for a delivery whose signature did not verify (never processed).
UNVERIFIED_EVENT: Final = "unverified"
STOCK_ONLY: Final = frozenset({"stock"})
PRICE_ONLY: Final = frozenset({"price"})


class MalformedPayloadError(ValueError):
    """A verified body is not valid JSON or lacks what the source's contract promises."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """What the inbox needs from a verified body."""

    event_type: str
    dedupe_key: str


def hmac_sha256_hex(body: bytes, secret: str) -> str:
    """Hex HMAC-SHA256 of `body` keyed with `secret`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_hex_hmac(body: bytes, signature: str | None, secret: str | None) -> bool:
    """True when `signature` is the hex HMAC-SHA256 of `body` (constant-time compare)."""
    if not signature or not secret:
        return False
    given = signature.strip().lower().removeprefix("sha256=")
    return hmac.compare_digest(hmac_sha256_hex(body, secret).encode(), given.encode())


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayloadError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MalformedPayloadError(f"body is a JSON {type(data).__name__}, not an object")
    return data


def _field_errors(exc: pydantic.ValidationError) -> str:
    return ", ".join(".".join(str(p) for p in e["loc"]) or "(body)" for e in exc.errors())


def sharespine_event_type(notification: ChangeNotification) -> str:
    """The inbox event type of a change notification (what the processors register for)."""
    changes = frozenset(change.strip().lower() for change in notification.changes)
    if notification.record_type == "product" and changes in (STOCK_ONLY, PRICE_ONLY):
        return f"{next(iter(changes))}_changed"
    return f"{notification.record_type}_changed"


def parse_sharespine(body: bytes) -> Parsed:
    """Event type and dedupe key of a Sharespine change notification.

    Raises MalformedPayloadError when the body is not a valid `ChangeNotification`.
    """
    data = _json_object(body)
    try:
        notification = ChangeNotification.model_validate(data)
    except pydantic.ValidationError as exc:
        raise MalformedPayloadError(f"not a change notification: {_field_errors(exc)}") from exc
    return Parsed(sharespine_event_type(notification), notification.event_id)


def parse_klarna(body: bytes) -> Parsed:
    """Event type and dedupe key of a signed Klarna webhook (`metadata` envelope).

    Raises MalformedPayloadError when the envelope's metadata is missing or invalid.
    """
    data = _json_object(body)
    try:
        metadata = WebhookMetadata.model_validate(data.get("metadata"))
    except pydantic.ValidationError as exc:
        raise MalformedPayloadError(f"not a Klarna webhook: {_field_errors(exc)}") from exc
    if not isinstance(data.get("payload"), dict):
        raise MalformedPayloadError("not a Klarna webhook: payload missing")
    if not metadata.event_type.strip():
        raise MalformedPayloadError("not a Klarna webhook: empty event_type")
    return Parsed(metadata.event_type.strip()[:100], metadata.event_id)


@dataclass(frozen=True, slots=True)
class WebhookSource:
    """One sender: its signature header, parser and the status a forged delivery gets."""

    name: str
    signature_header: str
    parse: Callable[[bytes], Parsed]
    forged_status: int

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str | None) -> bool:
        """True when the delivery's signature header matches the body under `secret`."""
        return verify_hex_hmac(body, headers.get(self.signature_header.lower()), secret)


SOURCES: Final[Mapping[str, WebhookSource]] = MappingProxyType(
    {
        SHARESPINE: WebhookSource(SHARESPINE, SHARESPINE_SIGNATURE_HEADER, parse_sharespine, 401),
        KLARNA: WebhookSource(KLARNA, KLARNA_SIGNATURE_HEADER, parse_klarna, 400),
    }
)
