"""PostNord booking v3: the EDI Instruction we send, the booking and label answers."""

# Field names are the API's own camelCase; pydantic copies mutable defaults per instance.
# ruff: noqa: N815, RUF012

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.postnord.fields import ErrorResponse, Number

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
