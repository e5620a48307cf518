"""DHL clients: Freight Sweden API Farm (book, print labels, service points) and Unified Tracking.

The two DHL APIs live on different hosts with different keys and headers: the Freight API
Farm takes ``client-key`` [C: karrio design notes on DHL's OpenAPI 2.10.0], Unified Tracking
takes ``DHL-API-Key`` [V]. `DhlClient` is the Freight client and owns a `DhlTrackingClient`;
with one sandbox both point at the same base URL and key.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Sequence
from typing import Any

import httpx

from westgear_desk.errors import BusinessRuleError, DataError, IntegrationError
from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder
from westgear_desk.integrations.dhl.contract import (
    FreightError,
    FreightServicePoint,
    PageOptions,
    PrintDocumentsRequest,
    PrintDocumentsResponse,
    PrintOptions,
    Problem,
    Report,
    ServicePointsResponse,
    TrackedShipment,
    TrackingResponse,
    TransportInstruction,
    TransportInstructionResponse,
)
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.http import ApiClient, error_for_status

FREIGHT_KEY_HEADER = "client-key"  # [C] the Freight API Farm's key header
TRACKING_KEY_HEADER = "DHL-API-Key"  # [V] Unified Tracking's key header

BOOK = "/transportinstructionapi/v1/transportinstruction/sendtransportinstruction"
PRINT_BY_ID = "/printapi/v1/print/printdocumentsbyid"
SERVICE_POINTS = "/servicepointlocatorapi/servicepoint/findnearestservicepoints"
TRACK = "/track/shipments"


class DhlTrackingClient(ApiClient):
    """Unified Tracking (``GET /track/shipments``) with the ``DHL-API-Key`` header."""

    system = "dhl"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        recorder: CallRecorder = NULL_RECORDER,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, recorder=recorder, timeout=timeout, transport=transport)
        self._api_key = api_key

    def track(
        self, tracking_number: str, *, service: str | None = "freight", language: str = "sv"
    ) -> list[TrackedShipment]:
        """Shipments for a shipment or piece number; empty when DHL finds none (404)."""
        params = {"trackingNumber": tracking_number, "language": language}
        if service:
            params["service"] = service
        try:
            body = self.request_json("GET", TRACK, params=params)
        except DataError as exc:
            if exc.status_code == 404:
                return []
            raise
        return parse_contract(TrackingResponse, body, system=self.system).shipments

    def _prepare(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        headers[TRACKING_KEY_HEADER] = self._api_key

    def _error_for(self, response: httpx.Response) -> IntegrationError:
        body = _json(response)
        message = None
        if isinstance(body, dict):
            try:
                problem = Problem.model_validate(body)
            except ValueError:
                problem = None
            if problem is not None and (problem.title or problem.detail):
                message = f"dhl tracking: {problem.title or ''}: {problem.detail or ''}".strip(": ")
        return error_for_status(
            self.system, response, message=message, request_id=self._request_id(response)
        )


class DhlClient(ApiClient):
    """DHL Freight Sweden API Farm with the ``client-key`` header, plus tracking."""

    system = "dhl"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        tracking_base_url: str | None = None,
        tracking_api_key: str | None = None,
        recorder: CallRecorder = NULL_RECORDER,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, recorder=recorder, timeout=timeout, transport=transport)
        self._api_key = api_key
        self.tracking = DhlTrackingClient(
            tracking_base_url or base_url,
            tracking_api_key or api_key,
            recorder=recorder,
            timeout=timeout,
            transport=transport,
        )

    def book(self, instruction: TransportInstruction) -> TransportInstruction:
        """Send a transport instruction; return DHL's booked copy (``id``, piece ids, routing).

        A rejection (``"status": "Error"`` with HTTP 200 or 400) raises DataError naming each
        field DHL complained about.
        """
        payload = instruction.model_dump(mode="json", by_alias=True, exclude_none=True)
        body = self.request_json("POST", BOOK, json=payload)
        response = parse_contract(TransportInstructionResponse, body, system=self.system)
        if not response.succeeded or response.transportInstruction is None:
            error = FreightError.model_validate(response.model_dump(by_alias=True))
            raise DataError(
                f"dhl rejected the booking: {error.describe()}",
                system=self.system,
                error_code=error.code(),
            )
        return response.transportInstruction

    def print_labels(
        self, shipment_ids: Sequence[str], *, page_type: str = "Label"
    ) -> list[Report]:
        """Label documents (base64 PDF in each report) for booked shipment ids."""
        request = PrintDocumentsRequest(
            shipmentIds=list(shipment_ids),
            options=PrintOptions(
                label=True, pageOptions=PageOptions.model_validate({"pageType": page_type})
            ),
        )
        body = self.request_json(
            "POST", PRINT_BY_ID, json=request.model_dump(mode="json", exclude_none=True)
        )
        reports = parse_contract(PrintDocumentsResponse, body, system=self.system).reports
        if not reports:
            raise DataError("dhl returned no document", system=self.system)
        return reports

    def find_service_points(
        self,
        postal_code: str,
        *,
        country_code: str = "SE",
        city: str | None = None,
        street: str | None = None,
    ) -> list[FreightServicePoint]:
        """Service points nearest to an address; its query parameter names are [U]."""
        params = {"countryCode": country_code, "postalCode": postal_code}
        if city:
            params["cityName"] = city
        if street:
            params["street"] = street
        body = self.request_json("GET", SERVICE_POINTS, params=params)
        return parse_contract(ServicePointsResponse, body, system=self.system).servicePoints

    def track(self, tracking_number: str) -> list[TrackedShipment]:
        """Unified Tracking for a freight shipment or piece number (see DhlTrackingClient)."""
        return self.tracking.track(tracking_number)

    def close(self) -> None:
        self.tracking.close()
        super().close()

    def _prepare(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        headers[FREIGHT_KEY_HEADER] = self._api_key

    def _error_for(self, response: httpx.Response) -> IntegrationError:
        body = _json(response)
        error = None
        if isinstance(body, dict):
            try:
                error = FreightError.model_validate(body)
            except ValueError:
                error = None
        if error is None:
            return error_for_status(self.system, response, request_id=self._request_id(response))
        message = f"dhl: {error.describe()}"
        if response.status_code == 400 and not error.validationErrors and error.errorMessage:
            # e.g. "The dimensions are too large for servicepoint": a refusal, not bad data
            return BusinessRuleError(
                message, system=self.system, status_code=400, error_code=error.code()
            )
        return error_for_status(
            self.system,
            response,
            message=message,
            error_code=error.code(),
            request_id=self._request_id(response),
        )


def _json(response: httpx.Response) -> Any:
    try:
        return jsonlib.loads(response.content)
    except ValueError:
        return None
