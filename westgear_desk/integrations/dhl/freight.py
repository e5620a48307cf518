"""DHL Freight Sweden API Farm payloads: transport instruction, print documents, service
points and the APIs' several error envelopes."""

# Field names are the API's own camelCase; pydantic copies mutable defaults per instance.
# ruff: noqa: N815, RUF012

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import Field

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import ContractModel

SUCCESS_STATUSES = frozenset({"succes", "success", "ok"})  # DHL answers "Succes" (sic)


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
