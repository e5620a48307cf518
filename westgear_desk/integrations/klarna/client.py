"""The Klarna client: Payments v1 and Order Management v1 with HTTP Basic and idempotency keys.

Every POST/PATCH carries `Klarna-Idempotency-Key`; for captures and refunds the caller
passes a deterministic key (`capture_key`, `refund_key`) so a retry after an unknown
outcome has no second effect. Captures and refunds answer 201 with an EMPTY body: the new
id is read from `Capture-Id`/`Refund-Id`, else from the `Location` path. Klarna's
`correlation_id` (body or `Klarna-Correlation-Id` header) is recorded as the request id.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any, NamedTuple, TypeVar

import httpx
import pydantic

from westgear_desk.errors import (
    AuthenticationError,
    BusinessRuleError,
    DataError,
    IntegrationError,
    ServerError,
)
from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.http import MALFORMED_JSON, ApiClient, error_for_status
from westgear_desk.integrations.klarna import contract as kl

M = TypeVar("M", bound=pydantic.BaseModel)

IDEMPOTENCY_HEADER = "Klarna-Idempotency-Key"
CORRELATION_HEADER = "Klarna-Correlation-Id"
# Namespace of our deterministic (UUIDv5) idempotency keys, as Klarna recommends [V].
KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://westgear.se/desk/klarna-idempotency")
# error_code values that are refusals on a business rule [V: NOT_ALLOWED; C: the rest]
BUSINESS_RULE_CODES = frozenset(
    {
        "NOT_ALLOWED",
        "CAPTURE_NOT_ALLOWED",
        "REFUND_NOT_ALLOWED",
        "CANCEL_NOT_ALLOWED",
        "UPDATE_NOT_ALLOWED",
        "EXTENSION_NOT_ALLOWED",
    }
)


def capture_key(order_id: str, shipment_id: str) -> str:
    """The idempotency key of the capture for one shipment of an order (UUIDv5)."""
    return str(uuid.uuid5(KEY_NAMESPACE, f"{order_id}:capture:{shipment_id}"))


def refund_key(order_id: str, return_id: str) -> str:
    """The idempotency key of the refund for one return of an order (UUIDv5)."""
    return str(uuid.uuid5(KEY_NAMESPACE, f"{order_id}:refund:{return_id}"))


class Created(NamedTuple):
    """A capture or refund Klarna created: its id and its URL."""

    id: str
    location: str | None


def _wire(model: pydantic.BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _json_body(response: httpx.Response) -> Any:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


class KlarnaClient(ApiClient):
    """Klarna Payments + Order Management. Thread-safe."""

    system = "klarna"

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        recorder: CallRecorder = NULL_RECORDER,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, recorder=recorder, timeout=timeout, transport=transport)
        raw = f"{username}:{password}".encode()
        self._authorization = "Basic " + base64.b64encode(raw).decode("ascii")

    # ----------------------------------------------------------------- hooks

    def _prepare(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        headers["Authorization"] = self._authorization

    def _request_id(self, response: httpx.Response) -> str | None:
        body = _json_body(response)
        if isinstance(body, dict) and isinstance(body.get("correlation_id"), str):
            return str(body["correlation_id"])
        return response.headers.get(CORRELATION_HEADER) or super()._request_id(response)

    def _error_for(self, response: httpx.Response) -> IntegrationError:
        request_id = self._request_id(response)
        if response.status_code == 401:  # an HTML page from the gateway, not JSON [V recorded]
            return AuthenticationError(
                "Klarna refused the API credentials (HTTP 401)",
                system=self.system,
                status_code=401,
                request_id=request_id,
            )
        try:
            error = kl.KlarnaErrorBody.model_validate(_json_body(response))
        except pydantic.ValidationError:
            return error_for_status(self.system, response, request_id=request_id)
        text = f"Klarna {error.error_code}: {'; '.join(error.error_messages)}"
        if error.error_code in BUSINESS_RULE_CODES and response.status_code < 500:
            return BusinessRuleError(
                text,
                system=self.system,
                status_code=response.status_code,
                request_id=request_id,
                error_code=error.error_code,
            )
        return error_for_status(
            self.system, response, message=text, error_code=error.error_code, request_id=request_id
        )

    # ----------------------------------------------------------------- plumbing

    def _write(
        self,
        method: str,
        endpoint: str,
        path_params: dict[str, str],
        payload: pydantic.BaseModel | None,
        idempotency_key: str | None,
    ) -> httpx.Response:
        key = idempotency_key or str(uuid.uuid4())
        return self.request(
            method,
            endpoint,
            path_params=path_params,
            json=None if payload is None else _wire(payload),
            headers={IDEMPOTENCY_HEADER: key},
        )

    def _parse(self, model: type[M], response: httpx.Response) -> M:
        try:
            body = response.json()
        except ValueError as exc:  # truncated/garbled: the provider's failure, worth a retry
            raise ServerError(
                f"Klarna answered {response.status_code} with invalid JSON",
                system=self.system,
                status_code=response.status_code,
                request_id=self._request_id(response),
                error_code=MALFORMED_JSON,
            ) from exc
        return parse_contract(model, body, system=self.system)

    def _created(self, response: httpx.Response, id_header: str) -> Created:
        location = response.headers.get("Location")
        new_id = response.headers.get(id_header) or (
            location.rstrip("/").rsplit("/", 1)[-1] if location else None
        )
        if not new_id:
            raise DataError(
                f"Klarna answered {response.status_code} without {id_header} or Location",
                system=self.system,
                error_code="missing_id",
            )
        return Created(new_id, location)

    # ----------------------------------------------------------------- Payments

    def create_session(
        self, session: kl.SessionCreateRequest, *, idempotency_key: str | None = None
    ) -> kl.SessionCreateResponse:
        """Create a Payments session (the customer then authorizes it in the browser)."""
        response = self._write("POST", "/payments/v1/sessions", {}, session, idempotency_key)
        return self._parse(kl.SessionCreateResponse, response)

    def get_session(self, session_id: str) -> kl.PaymentSession:
        """Read a Payments session."""
        response = self.request(
            "GET", "/payments/v1/sessions/{session_id}", path_params={"session_id": session_id}
        )
        return self._parse(kl.PaymentSession, response)

    def create_order(
        self,
        authorization_token: str,
        order: kl.CreateOrderRequest,
        *,
        idempotency_key: str | None = None,
    ) -> kl.CreateOrderResponse:
        """Turn an authorization (valid 60 minutes) into an order."""
        response = self._write(
            "POST",
            "/payments/v1/authorizations/{token}/order",
            {"token": authorization_token},
            order,
            idempotency_key,
        )
        return self._parse(kl.CreateOrderResponse, response)

    def cancel_authorization(self, authorization_token: str) -> None:
        """Drop an authorization that will not become an order."""
        self.request(
            "DELETE",
            "/payments/v1/authorizations/{token}",
            path_params={"token": authorization_token},
        )

    # ----------------------------------------------------------------- Order Management

    def get_order(self, order_id: str) -> kl.KlarnaOrder:
        """The order with its status, amounts, expiry, captures and refunds."""
        response = self.request(
            "GET", "/ordermanagement/v1/orders/{order_id}", path_params={"order_id": order_id}
        )
        return self._parse(kl.KlarnaOrder, response)

    def capture(
        self, order_id: str, capture: kl.CaptureRequest, *, idempotency_key: str | None = None
    ) -> Created:
        """Capture (part of) the authorized amount; pass `capture_key(order, shipment)`.

        Raises BusinessRuleError when the amount exceeds the remaining authorized amount or
        the order cannot be captured (expired, cancelled).
        """
        response = self._write(
            "POST",
            "/ordermanagement/v1/orders/{order_id}/captures",
            {"order_id": order_id},
            capture,
            idempotency_key,
        )
        return self._created(response, "Capture-Id")

    def get_capture(self, order_id: str, capture_id: str) -> kl.Capture:
        """One capture of an order."""
        response = self.request(
            "GET",
            "/ordermanagement/v1/orders/{order_id}/captures/{capture_id}",
            path_params={"order_id": order_id, "capture_id": capture_id},
        )
        return self._parse(kl.Capture, response)

    def refund(
        self, order_id: str, refund: kl.RefundRequest, *, idempotency_key: str | None = None
    ) -> Created:
        """Refund (part of) the captured amount; pass `refund_key(order, return)`."""
        response = self._write(
            "POST",
            "/ordermanagement/v1/orders/{order_id}/refunds",
            {"order_id": order_id},
            refund,
            idempotency_key,
        )
        return self._created(response, "Refund-Id")

    def _order_action(self, order_id: str, action: str, idempotency_key: str | None) -> None:
        self._write(
            "POST",
            f"/ordermanagement/v1/orders/{{order_id}}/{action}",
            {"order_id": order_id},
            None,
            idempotency_key,
        )

    def extend_authorization_time(
        self, order_id: str, *, idempotency_key: str | None = None
    ) -> None:
        """Push the capture deadline to today + the account's days (max 180 after creation)."""
        self._order_action(order_id, "extend-authorization-time", idempotency_key)

    def cancel_order(self, order_id: str, *, idempotency_key: str | None = None) -> None:
        """Cancel an order with nothing captured."""
        self._order_action(order_id, "cancel", idempotency_key)

    def release_remaining_authorization(
        self, order_id: str, *, idempotency_key: str | None = None
    ) -> None:
        """Give up the uncaptured rest of a part-captured order."""
        self._order_action(order_id, "release-remaining-authorization", idempotency_key)
