"""PostNord Service Points v5: the service point search answers."""

# Field names are the API's own camelCase; pydantic copies mutable defaults per instance.
# ruff: noqa: N815, RUF012

from __future__ import annotations

from typing import Any

from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.postnord.fields import CompositeFault

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
