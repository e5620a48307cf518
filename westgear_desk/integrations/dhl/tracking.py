"""DHL Shipment Tracking - Unified payloads: shipments, events, problem bodies."""

# Field names are the API's own camelCase; pydantic copies mutable defaults per instance.
# ruff: noqa: N815, RUF012

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field

from westgear_desk.integrations.drift import ContractModel

# [U] A timestamp without an offset is read as Swedish local time: our shipments are DHL
# Freight Sweden's, and DHL does not document which zone such values are in.
DHL_LOCAL_ZONE = ZoneInfo("Europe/Stockholm")


def _assume_local(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=DHL_LOCAL_ZONE)


def _to_str(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


LocalDatetime = Annotated[datetime, AfterValidator(_assume_local)]
"""Always aware: a zone-less timestamp gets Europe/Stockholm."""
IdString = Annotated[str, BeforeValidator(_to_str)]
"""A string id that DHL's examples sometimes send as a number."""


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
