"""PostNord Track & Trace v5 (findByIdentifier): shipments, items, events, statuses."""

# Field names are the API's own camelCase; pydantic copies mutable defaults per instance.
# ruff: noqa: N815, RUF012

from __future__ import annotations

import enum
from typing import Any

from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.postnord.fields import CompositeFault, LocalDatetime, Number

# ------------------------------------------------------------------ tracking v5


class ShipmentStatus(enum.StrEnum):
    CREATED = "CREATED"
    INFORMED = "INFORMED"
    EN_ROUTE = "EN_ROUTE"
    DELAYED = "DELAYED"
    EXPECTED_DELAY = "EXPECTED_DELAY"
    AVAILABLE_FOR_DELIVERY = "AVAILABLE_FOR_DELIVERY"
    AVAILABLE_FOR_DELIVERY_PAR_LOC = "AVAILABLE_FOR_DELIVERY_PAR_LOC"
    DELIVERED = "DELIVERED"
    DELIVERY_IMPOSSIBLE = "DELIVERY_IMPOSSIBLE"
    DELIVERY_REFUSED = "DELIVERY_REFUSED"
    RETURNED = "RETURNED"
    STOPPED = "STOPPED"
    OTHER = "OTHER"
    SPLIT = "SPLIT"


class TextMeasure(ContractModel):
    value: Number
    unit: str | None = None


class StatusText(ContractModel):
    header: str | None = None
    body: str | None = None
    estimatedTimeOfArrival: str | None = None


class CodeName(ContractModel):
    code: str | None = None
    name: str | None = None


class TrackAddress(ContractModel):
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    countryCode: str | None = None
    country: str | None = None
    postCode: str | None = None


class TrackParty(ContractModel):
    name: str | None = None
    issuercode: str | None = None
    address: TrackAddress | None = None


class EventLocation(ContractModel):
    locationId: str | None = None
    displayName: str | None = None
    name: str | None = None
    countryCode: str | None = None
    country: str | None = None
    postcode: str | None = None
    city: str | None = None
    locationType: str | None = None


class TrackingEvent(ContractModel):
    eventTime: LocalDatetime
    eventCode: str | None = None
    status: ShipmentStatus | None = None
    eventDescription: str | None = None
    location: EventLocation | None = None
    geoLocation: dict[str, Any] | None = None


class StatedMeasurement(ContractModel):
    weight: TextMeasure | None = None
    length: TextMeasure | None = None
    height: TextMeasure | None = None
    width: TextMeasure | None = None
    volume: TextMeasure | None = None


class TrackedItem(ContractModel):
    itemId: str
    status: ShipmentStatus | None = None
    statusText: StatusText | None = None
    dropOffDate: LocalDatetime | None = None
    deliveryDate: LocalDatetime | None = None
    estimatedTimeOfArrival: LocalDatetime | None = None
    typeOfItemActual: str | None = None
    typeOfItemActualName: str | None = None
    statedMeasurement: StatedMeasurement | None = None
    assessedMeasurement: StatedMeasurement | None = None
    events: list[TrackingEvent] = []
    references: list[Any] = []
    itemRefIds: list[Any] = []
    freeTexts: list[Any] = []
    deliveryTo: str | None = None
    deliveryToInfo: str | None = None


class DeliveryPoint(ContractModel):
    displayName: str | None = None
    locationId: str | None = None
    address: TrackAddress | None = None
    openingHours: Any = None


class TrackedShipment(ContractModel):
    shipmentId: str
    uri: str | None = None
    service: CodeName | None = None
    status: ShipmentStatus
    statusText: StatusText | None = None
    estimatedTimeOfArrival: LocalDatetime | None = None
    deliveryDate: LocalDatetime | None = None
    deliveryPoint: DeliveryPoint | None = None
    consignor: TrackParty | None = None
    consignee: TrackParty | None = None
    totalWeight: TextMeasure | None = None
    totalVolume: TextMeasure | None = None
    assessedNumberOfItems: int | None = None
    shipmentReferences: list[Any] = []
    additionalServices: list[CodeName] = []
    splitStatuses: list[Any] = []
    flexChangePossible: bool | None = None
    items: list[TrackedItem] = []


class TrackingInformationResponse(ContractModel):
    shipments: list[TrackedShipment] = []
    compositeFault: CompositeFault | None = None


class TrackingEnvelope(ContractModel):
    """Answer of ``findByIdentifier.json``; not found is an empty ``shipments`` list."""

    TrackingInformationResponse: TrackingInformationResponse
