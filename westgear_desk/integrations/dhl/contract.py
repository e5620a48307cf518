"""DHL payloads: Freight Sweden API Farm (booking, print, service points) and Unified Tracking.

Quirks accepted on purpose (shared/reference/dhl.md and the recordings): a good booking says
``"status": "Succes"`` (sic), a rejection ``"status": "Error"`` with ``validationErrors``; a
piece ``id`` is a list; each API has its own error envelope; tracking timestamps often lack a
zone (read as Europe/Stockholm, where DHL Freight Sweden's events happen), events may lack a
location, the shipment ``id`` may come as a number in examples, and the 404 problem body has no
``instance``.
"""

from __future__ import annotations

from westgear_desk.integrations.dhl.freight import (
    SUCCESS_STATUSES,
    FreightAddress,
    FreightError,
    FreightParty,
    FreightReference,
    FreightServicePoint,
    PageOptions,
    PayerCode,
    Piece,
    PrintDocumentsRequest,
    PrintDocumentsResponse,
    PrintOptions,
    Report,
    ServicePointsResponse,
    TransportInstruction,
    TransportInstructionResponse,
    ValidationIssue,
)
from westgear_desk.integrations.dhl.tracking import (
    DHL_LOCAL_ZONE,
    DeliveryTimeFrame,
    Details,
    Dimensions,
    IdString,
    LocalDatetime,
    Organization,
    Place,
    PlaceAddress,
    Problem,
    Product,
    ProofOfDelivery,
    StatusCode,
    TrackedShipment,
    TrackingEvent,
    TrackingReference,
    TrackingResponse,
    UnitValue,
)

__all__ = [
    "DHL_LOCAL_ZONE",
    "SUCCESS_STATUSES",
    "DeliveryTimeFrame",
    "Details",
    "Dimensions",
    "FreightAddress",
    "FreightError",
    "FreightParty",
    "FreightReference",
    "FreightServicePoint",
    "IdString",
    "LocalDatetime",
    "Organization",
    "PageOptions",
    "PayerCode",
    "Piece",
    "Place",
    "PlaceAddress",
    "PrintDocumentsRequest",
    "PrintDocumentsResponse",
    "PrintOptions",
    "Problem",
    "Product",
    "ProofOfDelivery",
    "Report",
    "ServicePointsResponse",
    "StatusCode",
    "TrackedShipment",
    "TrackingEvent",
    "TrackingReference",
    "TrackingResponse",
    "TransportInstruction",
    "TransportInstructionResponse",
    "UnitValue",
    "ValidationIssue",
]
