"""PostNord's shared field types (local times, measurements) and its error bodies."""

# Field names are the API's own camelCase; pydantic copies mutable defaults per instance.
# ruff: noqa: N815, RUF012

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, PlainSerializer

from westgear_desk.integrations.drift import ContractModel

# [U] Zone-less PostNord times are read as Swedish local time (the doc example has no offset).
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
