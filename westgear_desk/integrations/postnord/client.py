"""PostNord client: book shipments with labels, reprint, track, find service points.

Authentication is the ``apikey`` query parameter on every call [V]. The key never reaches a
CallRecord (records hold the endpoint template, not the URL) nor an error message (every
message is scrubbed of it).
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import TypeAdapter

from westgear_desk.errors import (
    AuthenticationError,
    BusinessRuleError,
    DataError,
    IntegrationError,
)
from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.http import ApiClient, error_for_status
from westgear_desk.integrations.postnord.contract import (
    BookingResponse,
    EdiInstruction,
    EdiLabelResponse,
    ErrorResponse,
    GatewayError,
    LabelPrintout,
    ServicePoint,
    ServicePointsEnvelope,
    TrackedShipment,
    TrackingEnvelope,
)

LabelFormat = Literal["pdf", "zpl"]

BOOK = "/rest/shipment/v3/edi"
BOOK_WITH_LABELS = "/rest/shipment/v3/edi/labels/{label_format}"
LABELS_BY_ID = "/rest/shipment/v3/labels/ids/{label_format}"
TRACK_BY_ID = "/rest/shipment/v5/trackandtrace/findByIdentifier.json"
SERVICE_POINTS_NEAR = "/rest/businesslocation/v5/servicepoints/nearest/byaddress"

MISSING_PARAMETER = "API-005"  # [V] PostNord's fault code for a missing query parameter
_LABEL_LIST = TypeAdapter(list[LabelPrintout])
_REDACTED = "<apikey>"


@dataclass(frozen=True)
class Label:
    """One label document: the item ids it covers and its bytes (PDF or ZPL text)."""

    item_ids: tuple[str, ...]
    label_format: str
    content: bytes


@dataclass(frozen=True)
class BookedShipment:
    """A successful booking with its labels."""

    booking_id: str
    item_ids: tuple[str, ...]
    shipment_ids: tuple[str, ...]
    labels: tuple[Label, ...]
    response: EdiLabelResponse


class PostNordClient(ApiClient):
    """Calls PostNord's booking v3, tracking v5 and service point v5 APIs."""

    system = "postnord"

    def __init__(
        self,
        base_url: str,
        apikey: str,
        *,
        recorder: CallRecorder = NULL_RECORDER,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, recorder=recorder, timeout=timeout, transport=transport)
        self._apikey = apikey

    # ----------------------------------------------------------------- booking and labels

    def book(self, instruction: EdiInstruction) -> BookingResponse:
        """Book without labels. Raises BusinessRuleError if PostNord refused a shipment."""
        body = self.request_json("POST", BOOK, json=_dump(instruction))
        booking = parse_contract(BookingResponse, body, system=self.system)
        self._raise_for_failures(booking)
        return booking

    def book_with_labels(
        self,
        instruction: EdiInstruction,
        *,
        label_format: LabelFormat = "pdf",
        paper_size: str = "LABEL",
        label_type: str = "standard",
    ) -> BookedShipment:
        """Book and fetch the labels in one call (``/v3/edi/labels/pdf|zpl``).

        Raises DataError (request rejected, or no label in the answer), BusinessRuleError (a
        shipment refused) or the transport/auth errors of every call.
        """
        params: dict[str, str] = {"labelType": label_type}
        if label_format == "pdf":
            params["paperSize"] = paper_size
        body = self.request_json(
            "POST",
            BOOK_WITH_LABELS,
            path_params={"label_format": label_format},
            params=params,
            json=_dump(instruction),
        )
        response = parse_contract(EdiLabelResponse, body, system=self.system)
        self._raise_for_failures(response.bookingResponse)
        labels = tuple(_labels(response.labelPrintout))
        if not labels:
            raise DataError("PostNord booked but returned no label", system=self.system)
        booking = response.bookingResponse
        return BookedShipment(
            booking_id=booking.bookingId,
            item_ids=tuple(booking.item_ids()),
            shipment_ids=tuple(booking.shipment_ids()),
            labels=labels,
            response=response,
        )

    def reprint_labels(
        self, item_ids: Sequence[str], *, label_format: LabelFormat = "pdf"
    ) -> list[Label]:
        """Fetch labels again for booked item ids. Raises DataError for an unknown id."""
        body = self.request_json(
            "POST",
            LABELS_BY_ID,
            path_params={"label_format": label_format},
            json=[{"id": item_id} for item_id in item_ids],
        )
        printouts = _parse_label_list(body)
        if problem := _label_failures(printouts):
            raise DataError(problem, system=self.system)
        return list(_labels(printouts))

    # ----------------------------------------------------------------- tracking and locations

    def track(self, identifier: str, *, locale: str = "en") -> list[TrackedShipment]:
        """Shipments matching a shipment or item id; empty when PostNord knows none."""
        body = self.request_json("GET", TRACK_BY_ID, params={"id": identifier, "locale": locale})
        envelope = parse_contract(TrackingEnvelope, body, system=self.system)
        return envelope.TrackingInformationResponse.shipments

    def find_service_points(
        self,
        postal_code: str,
        *,
        country_code: str = "SE",
        city: str | None = None,
        street_name: str | None = None,
        limit: int = 5,
    ) -> list[ServicePoint]:
        """The service points nearest to an address (at least its postal code)."""
        params: dict[str, str | int] = {
            "returnType": "json",
            "countryCode": country_code,
            "postalCode": postal_code,
            "numberOfServicePoints": limit,
            "context": "optionalservicepoint",
        }
        if city:
            params["city"] = city
        if street_name:
            params["streetName"] = street_name
        body = self.request_json("GET", SERVICE_POINTS_NEAR, params=params)
        envelope = parse_contract(ServicePointsEnvelope, body, system=self.system)
        return envelope.servicePointInformationResponse.servicePoints

    # ----------------------------------------------------------------- ApiClient hooks

    def _prepare(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        params["apikey"] = self._apikey

    def _error_for(self, response: httpx.Response) -> IntegrationError:
        message, code, request_id = self._describe_error(response)
        if code == MISSING_PARAMETER and message and "[apikey]" in message:
            # an empty key is a configuration problem, not bad data: never quarantine for it
            return AuthenticationError(
                self._scrub(message),
                system=self.system,
                status_code=response.status_code,
                error_code=code,
            )
        return error_for_status(
            self.system,
            response,
            message=self._scrub(message) if message else None,
            error_code=code,
            request_id=request_id or self._request_id(response),
        )

    # ----------------------------------------------------------------- internals

    def _describe_error(
        self, response: httpx.Response
    ) -> tuple[str | None, str | None, str | None]:
        try:
            body = jsonlib.loads(response.content)
        except ValueError:
            return None, None, None
        if isinstance(body, list):
            return _describe_label_failures(body), None, None
        if not isinstance(body, dict):
            return None, None, None
        if isinstance(body.get("error"), dict):
            try:
                detail = GatewayError.model_validate(body).error
            except ValueError:
                return None, None, None
            return f"postnord: {detail.message} ({detail.error_type})", None, detail.xrequestid
        error = _find_error(body)
        if error is None:
            return None, None, None
        return f"postnord: {error.describe()}", error.first_code(), None

    def _raise_for_failures(self, booking: BookingResponse) -> None:
        failures = booking.failures()
        if not failures:
            return
        errors = [f.errorResponse for f in failures if f.errorResponse is not None]
        text = "; ".join(e.describe() for e in errors) or "shipment refused"
        raise BusinessRuleError(
            self._scrub(f"postnord refused the booking: {text}"),
            system=self.system,
            error_code=next((c for e in errors if (c := e.first_code())), None),
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._apikey, _REDACTED) if self._apikey else text


def _dump(instruction: EdiInstruction) -> Any:
    return instruction.model_dump(mode="json", by_alias=True, exclude_none=True)


def _find_error(body: dict[str, Any]) -> ErrorResponse | None:
    """The ErrorResponse in a body: top level, or inside a tracking / service point envelope."""
    for candidate in (
        body,
        body.get("TrackingInformationResponse"),
        body.get("servicePointInformationResponse"),
    ):
        if isinstance(candidate, dict) and candidate.get("compositeFault") is not None:
            try:
                return ErrorResponse.model_validate(
                    {"message": body.get("message"), "compositeFault": candidate["compositeFault"]}
                )
            except ValueError:
                return None
    if isinstance(body.get("message"), str):
        return ErrorResponse(message=body["message"])
    return None


def _parse_label_list(body: Any) -> list[LabelPrintout]:
    try:
        return _LABEL_LIST.validate_python(body)
    except ValueError as exc:
        raise DataError(
            f"postnord: label list does not match the contract: {exc}",
            system="postnord",
            error_code="contract_violation",
        ) from exc


def _label_failures(printouts: Sequence[LabelPrintout]) -> str | None:
    failed = [i for p in printouts for i in p.itemIds if (i.status or "OK").upper() != "OK"]
    if not failed:
        return None
    reasons = "; ".join(
        f"{i.itemIds}: {i.errorResponse.message if i.errorResponse else 'failed'}" for i in failed
    )
    return f"postnord could not print labels: {reasons}"


def _describe_label_failures(body: list[Any]) -> str | None:
    try:
        return _label_failures(_LABEL_LIST.validate_python(body))
    except ValueError:
        return None


def _labels(printouts: Sequence[LabelPrintout]) -> list[Label]:
    return [
        Label(
            item_ids=tuple(i.itemIds for i in p.itemIds),
            label_format=p.printout.labelFormat.upper(),
            content=p.printout.content(),
        )
        for p in printouts
        if p.printout is not None and p.printout.data is not None
    ]
