"""PostNord payloads (booking v3, labels, tracking v5, service points v5) with their real quirks.

Quirks accepted on purpose (see shared/reference/postnord.md and the recordings): measurements
arrive as strings (``"2.25"``), many fields are ``null``, ``idType`` may be ``ITEMID`` in upper
case, tracking times carry no zone (PostNord's local time, Europe/Stockholm), and the ZPL
label comes with ``"encoding": "none"`` and raw ZPL text instead of base64.
"""

# Field names are the API's own camelCase; pydantic copies mutable defaults per instance.
# ruff: noqa: N815, RUF012

from __future__ import annotations

import base64
import binascii
import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, PlainSerializer

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import ContractModel

# [V] PostNord tracking times are Swedish local time without an offset (doc example, recordings).
POSTNORD_ZONE = ZoneInfo("Europe/Stockholm")


def _assume_stockholm(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=POSTNORD_ZONE)


LocalDatetime = Annotated[datetime, AfterValidator(_assume_stockholm)]
"""A datetime that is always aware: naive values are read as Europe/Stockholm local time."""

Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
"""A measurement: accepts ``1.4`` and ``"2.25"``; sent to PostNord as a JSON number."""


# ------------------------------------------------------------------ errors


class ParamValue(ContractModel):
    param: str
    value: str | None = None


class Fault(ContractModel):
    faultCode: str
    explanationText: str | None = None
    paramValues: list[ParamValue] = []


class CompositeFault(ContractModel):
    faults: list[Fault] = []


class ErrorResponse(ContractModel):
    """PostNord's error body: a message and the individual faults."""

    message: str | None = None
    compositeFault: CompositeFault | None = None

    def describe(self) -> str:
        """One line naming every fault and the parameters it concerns."""
        parts = []
        for fault in self.compositeFault.faults if self.compositeFault else []:
            params = ", ".join(p.param for p in fault.paramValues)
            text = f"{fault.faultCode}: {fault.explanationText or ''}".rstrip(": ")
            parts.append(f"{text} [{params}]" if params else text)
        head = self.message or "PostNord error"
        return f"{head}: {'; '.join(parts)}" if parts else head

    def first_code(self) -> str | None:
        """The first fault code, if any (recorded as the call's error code)."""
        faults = self.compositeFault.faults if self.compositeFault else []
        return faults[0].faultCode if faults else None


class GatewayErrorDetail(ContractModel):
    status_code: int
    error_type: str
    message: str
    xrequestid: str | None = None


class GatewayError(ContractModel):
    """The API gateway's own error (e.g. 403 "Invalid API Key"), not PostNord's ErrorResponse."""

    error: GatewayErrorDetail


# ------------------------------------------------------------------ booking request (EDI)


class Application(ContractModel):
    applicationId: int
    name: str = Field(min_length=1, max_length=35)
    version: str | None = None


class Measure(ContractModel):
    value: Number = Field(ge=0)
    unit: str = "KGM"


class Address(ContractModel):
    streets: list[str] = []
    postalCode: str = Field(min_length=1)
    city: str = Field(min_length=1)
    countryCode: str = Field(pattern=r"^[A-Z]{2}$")


class Contact(ContractModel):
    contactName: str | None = None
    emailAddress: str | None = None
    smsNo: str | None = None


class NameIdentification(ContractModel):
    name: str = Field(min_length=1, max_length=60)


class PartyDetails(ContractModel):
    nameIdentification: NameIdentification
    address: Address
    contact: Contact | None = None


class PartyIdentification(ContractModel):
    partyId: str = Field(min_length=1, max_length=17)
    partyIdType: str


class Party(ContractModel):
    issuerCode: Literal["Z11", "Z12", "Z13", "Z14", "ZDL"] | None = None
    partyIdentification: PartyIdentification | None = None
    party: PartyDetails


class Parties(ContractModel):
    consignor: Party
    consignee: Party
    deliveryParty: Party | None = None


class ItemIdentification(ContractModel):
    itemId: str = Field(min_length=1, max_length=35)
    itemIdType: str = "SSCC"


class Dimensions(ContractModel):
    length: Measure | None = None
    width: Measure | None = None
    height: Measure | None = None


class GoodsItemEntry(ContractModel):
    itemIdentification: ItemIdentification
    grossWeight: Measure | None = None
    dimensions: Dimensions | None = None
    volume: Measure | None = None


class GoodsItem(ContractModel):
    packageTypeCode: Literal["PC", "PE", "AF", "OA", "OF", "CW", "BX", "EN"]
    items: list[GoodsItemEntry] = Field(min_length=1)


class Reference(ContractModel):
    referenceNo: str
    referenceType: str


class References(ContractModel):
    shipment: list[Reference] = []


class Service(ContractModel):
    basicServiceCode: str = Field(min_length=1, max_length=10)
    additionalServiceCode: list[str] = []


class ShipmentIdentification(ContractModel):
    shipmentId: str = "0"


class DateAndTimes(ContractModel):
    loadingDate: datetime | None = None


class PackageCount(ContractModel):
    value: int = Field(ge=1)


class EdiShipment(ContractModel):
    shipmentIdentification: ShipmentIdentification = ShipmentIdentification()
    dateAndTimes: DateAndTimes | None = None
    service: Service
    numberOfPackages: PackageCount
    totalGrossWeight: Measure
    references: References | None = None
    freeText: list[Any] = []
    parties: Parties
    goodsItem: list[GoodsItem] = Field(min_length=1)


class EdiInstruction(ContractModel):
    """The booking request (EDI Instruction) we send to ``/rest/shipment/v3/edi…``."""

    messageDate: datetime
    messageFunction: Literal["Instruction", "PickupBooking"] = "Instruction"
    messageId: str = Field(min_length=1)
    application: Application
    language: str | None = None
    updateIndicator: Literal["Original", "Update", "Deletion"] = "Original"
    testIndicator: bool = False
    releaseDate: datetime | None = None
    shipment: list[EdiShipment] = Field(min_length=1, max_length=200)


# ------------------------------------------------------------------ booking and label responses


class IdEntry(ContractModel):
    idType: str
    value: str
    printId: str | None = None

    @property
    def kind(self) -> str:
        """``itemid``, ``shipmentid`` or ``returnid`` (PostNord's casing varies)."""
        return self.idType.lower()


class UrlEntry(ContractModel):
    type: str
    url: str


class IdInformation(ContractModel):
    status: str
    references: Any = None
    ids: list[IdEntry] = []
    urls: list[UrlEntry] = []
    errorResponse: ErrorResponse | None = None

    @property
    def ok(self) -> bool:
        return self.status.upper() == "OK"


class BookingResponse(ContractModel):
    bookingId: str
    idInformation: list[IdInformation] = []

    def item_ids(self) -> list[str]:
        """Every item id (the parcels' SSCCs for domestic parcels) of the successful entries."""
        return [
            i.value
            for info in self.idInformation
            if info.ok
            for i in info.ids
            if i.kind == "itemid"
        ]

    def shipment_ids(self) -> list[str]:
        return [
            i.value
            for info in self.idInformation
            if info.ok
            for i in info.ids
            if i.kind == "shipmentid"
        ]

    def failures(self) -> list[IdInformation]:
        return [info for info in self.idInformation if not info.ok]


class Printout(ContractModel):
    id: str | None = None
    type: str
    labelFormat: str
    encoding: str = "base64"
    uriResource: str | None = None
    uriStoreLabel: str | None = None
    data: str | None = None

    def content(self) -> bytes:
        """The label bytes: base64-decoded, or the raw text when ``encoding`` is ``none``.

        Raises DataError when the data is missing or not valid base64.
        """
        if self.data is None:
            raise DataError("PostNord label printout has no data", system="postnord")
        if self.encoding.lower() != "base64":
            return self.data.encode("utf-8")
        try:
            return base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DataError("PostNord label data is not valid base64", system="postnord") from exc


class LabelItemId(ContractModel):
    itemIds: str
    printId: str | None = None
    basicServiceCode: str | None = None
    status: str | None = None
    errorResponse: ErrorResponse | None = None


class NextPage(ContractModel):
    method: str
    url: str


class LabelPrintout(ContractModel):
    itemIds: list[LabelItemId] = []
    printout: Printout | None = None
    printoutComposition: dict[str, Any] | None = None
    nextPage: NextPage | None = None


class EdiLabelResponse(ContractModel):
    """Answer of ``/v3/edi/labels/pdf|zpl``: the booking plus one printout per page/label."""

    bookingResponse: BookingResponse
    labelPrintout: list[LabelPrintout] = []


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


# ------------------------------------------------------------------ service points v5


class ServicePointAddress(ContractModel):
    countryCode: str | None = None
    city: str | None = None
    streetName: str | None = None
    streetNumber: str | None = None
    postalCode: str | None = None
    additionalDescription: str | None = None


class Coordinate(ContractModel):
    countryCode: str | None = None
    northing: float
    easting: float
    srId: str | None = None


class OpeningPeriod(ContractModel):
    openTime: str
    openDay: str
    closeTime: str
    closeDay: str


class OpeningHours(ContractModel):
    specialDates: list[Any] = []
    postalServices: list[OpeningPeriod] = []


class NotificationArea(ContractModel):
    postalCodes: list[str] = []


class ServicePointType(ContractModel):
    groupTypeId: int | None = None
    groupTypeName: str | None = None


class CustomerSupport(ContractModel):
    customerSupportPhoneNo: str | None = None
    country: str | None = None


class ServicePoint(ContractModel):
    servicePointId: str
    name: str
    phoneNoToCashRegister: str | None = None
    routingCode: str | None = None
    handlingOffice: str | None = None
    locationDetail: str | None = None
    routeDistance: int | float | None = None
    pickup: dict[str, Any] | None = None
    visitingAddress: ServicePointAddress | None = None
    deliveryAddress: ServicePointAddress | None = None
    notificationArea: NotificationArea | None = None
    coordinates: list[Coordinate] = []
    openingHours: OpeningHours | None = None
    type: ServicePointType | None = None


class ServicePointInformationResponse(ContractModel):
    compositeFault: CompositeFault | None = None
    customerSupports: list[CustomerSupport] = []
    servicePoints: list[ServicePoint] = []


class ServicePointsEnvelope(ContractModel):
    """Answer of the ``/rest/businesslocation/v5/servicepoints/…`` searches."""

    servicePointInformationResponse: ServicePointInformationResponse
