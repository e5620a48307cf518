"""DHL payloads: Freight Sweden API Farm (booking, print, service points) and Unified Tracking.

Quirks accepted on purpose (shared/reference/dhl.md and the recordings): a good booking says
``"status": "Succes"`` (sic), a rejection ``"status": "Error"`` with ``validationErrors``; a
piece ``id`` is a list; each API has its own error envelope; tracking timestamps often lack a
zone (read as Europe/Stockholm, where DHL Freight Sweden's events happen), events may lack a
location, the shipment ``id`` may come as a number in examples, and the 404 problem body has no
``instance``.
"""

# Field names are the API's own camelCase; pydantic copies mutable defaults per instance.
# ruff: noqa: N815, RUF012

from __future__ import annotations

import base64
import binascii
import enum
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import ContractModel

# [U] A timestamp without an offset is taken as Swedish local time: our shipments are DHL
# Freight Sweden's, and the recorded zone-less values match local event times.
DHL_LOCAL_ZONE = ZoneInfo("Europe/Stockholm")


def _assume_local(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=DHL_LOCAL_ZONE)


def _to_str(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


LocalDatetime = Annotated[datetime, AfterValidator(_assume_local)]
IdString = Annotated[str, BeforeValidator(_to_str)]

SUCCESS_STATUSES = frozenset({"succes", "success", "ok"})


# ------------------------------------------------------------------ Freight Sweden: errors


class ValidationIssue(ContractModel):
    errorCode: int | str | None = None
    field: str | None = None
    message: str
    incompatibleFields: list[str] | None = None


class FreightError(ContractModel):
    """Envelopes of the Freight APIs' errors, all optional since each API picks its own.

    ``{"status": "Error", "validationErrors": […]}`` (transport instruction),
    ``{"errorMessage", "status"}`` (service points), ``{"ErrorCode", "Status", "UserMessage"}``
    (postal codes) and ``{"error"}`` (gateway: unknown client key).
    """

    status: str | int | None = None
    validationErrors: list[ValidationIssue] = []
    errorMessage: str | None = None
    ErrorCode: int | str | None = None
    Status: int | str | None = None
    UserMessage: str | None = None
    error: str | None = None

    def describe(self) -> str:
        """One line with every message, naming the field of each validation error."""
        parts = [f"{e.field}: {e.message}" if e.field else e.message for e in self.validationErrors]
        parts += [m for m in (self.errorMessage, self.UserMessage, self.error) if m]
        return "; ".join(parts) or f"DHL error (status {self.status or self.Status})"

    def code(self) -> str | None:
        """The first error code, as text."""
        for e in self.validationErrors:
            if e.errorCode is not None:
                return str(e.errorCode)
        return None if self.ErrorCode is None else str(self.ErrorCode)


# ------------------------------------------------------------------ transport instruction


class FreightAddress(ContractModel):
    street: str | None = None
    cityName: str = Field(min_length=1)
    postalCode: str = Field(min_length=1)
    countryCode: str = Field(pattern=r"^[A-Z]{2}$")


class FreightParty(ContractModel):
    type: str = Field(min_length=1)
    subType: str | None = None
    id: str | None = None
    name: str | None = None
    contactName: str | None = None
    address: FreightAddress | None = None
    phone: str | None = None
    email: str | None = None


class PayerCode(ContractModel):
    code: str
    location: str | None = None


class Piece(ContractModel):
    id: list[str] | None = None
    numberOfPieces: int = Field(ge=1)
    packageType: str | None = None
    marksAndNumbers: str | None = None
    weight: float = Field(gt=0)
    width: float | None = Field(default=None, ge=0)
    height: float | None = Field(default=None, ge=0)
    length: float | None = Field(default=None, ge=0)
    volume: float | None = Field(default=None, ge=0)
    goodsType: str | None = None
    stackable: bool | None = None


class FreightReference(ContractModel):
    qualifier: str
    value: str


class TransportInstruction(ContractModel):
    """The booking we send to ``sendtransportinstruction`` (and DHL's echo of it)."""

    id: str | None = None
    productCode: str = Field(min_length=1)
    payerCode: PayerCode
    pickupDate: str | None = None
    references: list[FreightReference] = []
    parties: list[FreightParty] = Field(min_length=1)
    pieces: list[Piece] = Field(min_length=1)
    additionalServices: dict[str, Any] = {}
    totalNumberOfPieces: int | None = None
    totalWeight: float | None = None
    totalVolume: float | None = None
    totalLoadingMeters: float | None = None
    totalPalletPlaces: float | None = None
    maxPieceWeight: float | None = None
    minPieceWeight: float | None = None
    maxPieceHeight: float | None = None
    minPieceHeight: float | None = None
    routingCode: str | None = None
    pickupInstruction: str | None = Field(default=None, max_length=140)
    deliveryInstruction: str | None = Field(default=None, max_length=140)

    def party(self, party_type: str) -> FreightParty | None:
        """The first party of a type (``Consignor``, ``Consignee``, ``AccessPoint``…)."""
        return next((p for p in self.parties if p.type == party_type), None)

    def piece_ids(self) -> list[str]:
        """Every package id (SSCC) DHL assigned, in piece order."""
        return [pid for piece in self.pieces for pid in piece.id or []]


class TransportInstructionResponse(ContractModel):
    """Answer of ``sendtransportinstruction``: ``Succes`` plus the booked instruction, or
    ``Error`` plus validation errors (HTTP 200 or 400)."""

    status: str | int
    transportInstruction: TransportInstruction | None = None
    validationErrors: list[ValidationIssue] = []
    errorMessage: str | None = None

    @property
    def succeeded(self) -> bool:
        return (
            str(self.status).lower() in SUCCESS_STATUSES and self.transportInstruction is not None
        )


# ------------------------------------------------------------------ print documents


class PageOptions(ContractModel):
    pageType: Literal[
        "Label",
        "Label2xPortraitA4",
        "Label3xLandscapeA4",
        "LabelCompact",
        "LabelCompact2x2PortraitA4",
    ] = "Label"


class PrintOptions(ContractModel):
    label: bool = True
    waybill: bool | None = None
    returnLabel: bool | None = None
    pageOptions: PageOptions = PageOptions()


class PrintDocumentsRequest(ContractModel):
    shipmentIds: list[str] = Field(min_length=1)
    options: PrintOptions = PrintOptions()


class Report(ContractModel):
    name: str | None = None
    content: str
    contentType: str | None = None
    type: str | None = None
    valid: bool | None = None

    def data(self) -> bytes:
        """The decoded document. Raises DataError when the content is not base64."""
        try:
            return base64.b64decode(self.content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DataError("DHL document content is not valid base64", system="dhl") from exc


class PrintDocumentsResponse(ContractModel):
    reports: list[Report] = []


# ------------------------------------------------------------------ service points


class FreightServicePoint(ContractModel):
    id: str
    servicePointId: str | None = None
    name: str
    street: str | None = None
    cityName: str | None = None
    postalCode: str | None = None
    countryCode: str | None = None
    distance: float | None = None
    routeDistance: float | None = None
    distanceUnit: str | None = None
    featureCodes: list[str] = []
    locationType: str | None = None
    serviceTypes: list[str] = []
    latitude: float | None = None
    longitude: float | None = None
    clickAndCollectId: str | None = None


class ServicePointsResponse(ContractModel):
    status: str | None = None
    doorStepDeliveryAvailable: bool | None = None
    servicePoints: list[FreightServicePoint] = []
    # the recorded API spells it homedeliveryParcel; another DHL API homeDeliveryParcel
    homedeliveryParcel: bool | None = None
    homeDeliveryParcel: bool | None = None
    lofi: bool | None = None
    errorMessage: str | None = None


# ------------------------------------------------------------------ unified tracking


class StatusCode(enum.StrEnum):
    PRE_TRANSIT = "pre-transit"
    TRANSIT = "transit"
    DELIVERED = "delivered"
    FAILURE = "failure"
    UNKNOWN = "unknown"


class PlaceAddress(ContractModel):
    countryCode: str | None = None
    postalCode: str | None = None
    addressLocality: str | None = None
    streetAddress: str | None = None


class Place(ContractModel):
    address: PlaceAddress | None = None


class TrackingEvent(ContractModel):
    timestamp: LocalDatetime
    location: Place | None = None
    statusCode: StatusCode | None = None
    status: str | None = None
    description: str | None = None
    pieceIds: list[str] = []
    remark: str | None = None
    nextSteps: str | None = None


class UnitValue(ContractModel):
    value: float
    unitText: str | None = None


class Dimensions(ContractModel):
    width: UnitValue | None = None
    height: UnitValue | None = None
    length: UnitValue | None = None


class TrackingReference(ContractModel):
    number: str
    type: str | None = None


class Organization(ContractModel):
    type_: str | None = Field(default=None, alias="@type")
    organizationName: str | None = None
    familyName: str | None = None
    givenName: str | None = None
    name: str | None = None


class ProofOfDelivery(ContractModel):
    timestamp: LocalDatetime | None = None
    signatureUrl: str | None = None
    documentUrl: str | None = None
    signed: Organization | None = None


class Product(ContractModel):
    productName: str | None = None


class Details(ContractModel):
    carrier: Organization | None = None
    product: Product | None = None
    receiver: Organization | None = None
    sender: Organization | None = None
    proofOfDelivery: ProofOfDelivery | None = None
    totalNumberOfPieces: int | None = None
    pieceIds: list[str] = []
    weight: UnitValue | None = None
    volume: UnitValue | None = None
    loadingMeters: float | None = None
    dimensions: Dimensions | None = None
    references: TrackingReference | list[TrackingReference] | None = None
    dgf_routes: list[dict[str, Any]] | None = Field(default=None, alias="dgf:routes")


class DeliveryTimeFrame(ContractModel):
    estimatedFrom: LocalDatetime | None = None
    estimatedThrough: LocalDatetime | None = None


class TrackedShipment(ContractModel):
    id: IdString
    service: str | None = None
    origin: Place | None = None
    destination: Place | None = None
    status: TrackingEvent | None = None
    estimatedTimeOfDelivery: LocalDatetime | None = None
    estimatedDeliveryTimeFrame: DeliveryTimeFrame | None = None
    estimatedTimeOfDeliveryRemark: str | None = None
    serviceUrl: str | None = None
    rerouteUrl: str | None = None
    details: Details | None = None
    events: list[TrackingEvent] = []

    def is_delivered(self) -> bool:
        return self.status is not None and self.status.statusCode == StatusCode.DELIVERED


class TrackingResponse(ContractModel):
    """Answer of ``GET /track/shipments``."""

    url: str | None = None
    prevUrl: str | None = None
    nextUrl: str | None = None
    firstUrl: str | None = None
    lastUrl: str | None = None
    shipments: list[TrackedShipment] = []
    possibleAdditionalShipmentsUrl: list[str] = []


class Problem(ContractModel):
    """``application/problem+json`` of Unified Tracking (404, 429, 401); ``instance`` optional."""

    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
