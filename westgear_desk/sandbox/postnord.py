"""PostNord sandbox: booking v3 with real PDF/ZPL labels, tracking v5 that advances, service points.

Speaks the real paths under ``/rest/shipment`` and ``/rest/businesslocation``, checks the
``apikey`` query parameter (a wrong key gets the gateway's 403 body, an empty one PostNord's
API-005 fault), answers schema errors as ``compositeFault`` (400) and business refusals as a
200 with ``status: "FAIL"`` per shipment. Tracking moves one step per poll (after the first)
or when a test calls ``POST /_sandbox/postnord/shipments/{id}/advance``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import pydantic
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from westgear_desk.domain.sscc import InvalidSsccError, is_valid_sscc, make_sscc, normalize_sscc
from westgear_desk.integrations.postnord.contract import EdiInstruction, EdiShipment, PartyDetails
from westgear_desk.sandbox.carrier_common import advance_target, now_local, poll_setting_route
from westgear_desk.sandbox.common import SandboxConfig, SandboxSystem, build_sandbox_app
from westgear_desk.sandbox.labels import LABEL_105x190_MM, LabelData, render_pdf, render_zpl

# [U] extension digit and company prefix of sandbox SSCCs: PostNord's real ones start 3735…
SSCC_EXTENSION = 3
SSCC_PREFIX = "7350045"
SERVICES = {
    "11": "PostNord Varubrev",
    "17": "PostNord MyPack Home",
    "18": "PostNord Parcel",
    "19": "PostNord MyPack Collect",
    "42": "PostNord Expresspaket",
    "86": "PostNord Varubrev 1:a-klass",
}
PARCEL_PACKAGES = frozenset({"PC", "BX", "EN"})
DOMESTIC_PARCEL_MAX_KG = 20  # [V] postnord.se size and weight limits
INTERNATIONAL_PARCEL_MAX_KG = 31.5
TRACKING_URL = "https://tracking.postnord.com/se/?id={id}"
# [V] paperSize values; A4 is PostNord's default. One label per page (labelsPerPage not modelled).
PAPER_SIZES_MM = {
    "LABEL": LABEL_105x190_MM,
    "A6": (105.0, 148.0),
    "A5": (148.0, 210.0),
    "A4": (210.0, 297.0),
    "LETTER": (215.9, 279.4),
}

# (status, eventCode, description, locationType, where) — [U] codes are free text in the spec
_COLLECT_STEPS = [
    ("INFORMED", "z10", "The shipment item has been pre-advised", "UNDEF", "PostNord"),
    ("EN_ROUTE", "31", "The shipment item is under transportation", "HUB", "Jönköping terminal"),
    (
        "EN_ROUTE",
        "z114",
        "The shipment item has arrived at the distribution terminal",
        "HUB",
        "{city} terminal",
    ),
    (
        "AVAILABLE_FOR_DELIVERY",
        "z07",
        "The shipment item is available at the service point",
        "SERVICE_POINT",
        "{point}",
    ),
    ("DELIVERED", "21", "The shipment item has been delivered", "SERVICE_POINT", "{point}"),
]
_HOME_STEPS = [
    _COLLECT_STEPS[0],
    _COLLECT_STEPS[1],
    _COLLECT_STEPS[2],
    (
        "EN_ROUTE",
        "113",
        "The delivery of the shipment item is in progress",
        "DELIVERY_POINT",
        "{city}",
    ),
    ("DELIVERED", "21", "The shipment item has been delivered", "DELIVERY_POINT", "{city}"),
]


@dataclass
class _Shipment:
    shipment_id: str
    item_ids: list[str]
    service_code: str
    consignee_name: str
    city: str
    postal_code: str
    country: str
    delivery_point: str | None
    labels: list[LabelData]
    steps: list[tuple[str, str, str, str, str]]
    events: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0


class _State:
    """The sandbox's memory: booked shipments and the SSCC counter."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.shipments: dict[str, _Shipment] = {}
            self.by_id: dict[str, _Shipment] = {}
            self.serial = (self.seed % 1000) * 1_000_000
            self.advance_on_poll = True

    def next_sscc(self) -> str:
        self.serial += 1
        return make_sscc(SSCC_EXTENSION, SSCC_PREFIX, self.serial)

    def find(self, identifier: str) -> _Shipment | None:
        key = identifier.strip()
        if key in self.by_id:
            return self.by_id[key]
        try:
            return self.by_id.get("00" + normalize_sscc(key))
        except InvalidSsccError:
            return None


def _advance(shipment: _Shipment) -> None:
    """Move a shipment one step along its route (no-op once delivered)."""
    step = len(shipment.events)
    if step >= len(shipment.steps):
        return
    status, code, text, location_type, where = shipment.steps[step]
    name = where.format(city=shipment.city, point=shipment.delivery_point or shipment.city)
    shipment.events.append(
        {
            "eventTime": now_local(),
            "eventCode": code,
            "status": status,
            "eventDescription": text,
            "location": {
                "displayName": name,
                "name": name,
                "countryCode": shipment.country,
                "locationType": location_type,
            },
        }
    )


# ------------------------------------------------------------------ error bodies


def _gateway_403() -> Response:
    body = {
        "error": {
            "status_code": 403,
            "error_type": "Forbidden",
            "message": "Invalid API Key",
            "xrequestid": secrets.token_hex(16),
        }
    }
    return JSONResponse(body, 403)


def _fault_body(message: str, faults: list[dict[str, Any]]) -> dict[str, Any]:
    return {"message": message, "compositeFault": {"faults": faults}}


def _fault(code: str, text: str, param: str | None = None, value: Any = None) -> dict[str, Any]:
    fault: dict[str, Any] = {"faultCode": code, "explanationText": text}
    if param is not None:
        fault["paramValues"] = [{"param": param, "value": "" if value is None else str(value)}]
    return fault


def _validation_faults(exc: pydantic.ValidationError) -> list[dict[str, Any]]:
    # [U] the real fault code for schema errors is not documented; API-002 is our choice
    return [
        _fault("API-002", e["msg"], ".".join(str(p) for p in e["loc"]), _short(e.get("input")))
        for e in exc.errors()[:20]
    ]


def _short(value: Any) -> str:
    text = "" if isinstance(value, dict | list) else str(value)
    return text[:60]


def _auth(request: Request, keys: frozenset[str]) -> Response | None:
    key = request.query_params.get("apikey")
    if key is None or key == "":
        body = _fault_body(
            "Query parameter missing", [_fault("API-005", "Missing parameter", "apikey", "")]
        )
        return JSONResponse(body, 400)
    return None if key in keys else _gateway_403()


# ------------------------------------------------------------------ booking


def _business_faults(index: int, shipment: EdiShipment) -> list[dict[str, Any]]:
    faults = []
    prefix = f"shipment.{index}"
    if shipment.service.basicServiceCode not in SERVICES:
        faults.append(
            _fault(
                "BKG-1001",
                "Unknown basic service code",
                f"{prefix}.service.basicServiceCode",
                shipment.service.basicServiceCode,
            )
        )
    domestic = (
        shipment.parties.consignor.party.address.countryCode
        == shipment.parties.consignee.party.address.countryCode
    )
    limit = DOMESTIC_PARCEL_MAX_KG if domestic else INTERNATIONAL_PARCEL_MAX_KG
    for g, goods in enumerate(shipment.goodsItem):
        for i, item in enumerate(goods.items):
            weight = item.grossWeight.value if item.grossWeight else None
            if goods.packageTypeCode in PARCEL_PACKAGES and weight is not None and weight > limit:
                faults.append(
                    _fault(
                        "BKG-2001",
                        f"Parcel weight exceeds {limit} kg",
                        f"{prefix}.goodsItem.{g}.items.{i}.grossWeight.value",
                        weight,
                    )
                )
    return faults


def _field_faults(instruction: EdiInstruction) -> list[dict[str, Any]]:
    faults = []
    for s, shipment in enumerate(instruction.shipment):
        parties = {"consignor": shipment.parties.consignor, "consignee": shipment.parties.consignee}
        for role, party in parties.items():
            address = party.party.address
            if address.countryCode == "SE" and not (
                len(address.postalCode) == 5
                and address.postalCode.isascii()
                and address.postalCode.isdigit()
            ):
                faults.append(
                    _fault(
                        "API-002",
                        "Invalid Swedish postal code",
                        f"shipment.{s}.parties.{role}.party.address.postalCode",
                        address.postalCode,
                    )
                )
        for g, goods in enumerate(shipment.goodsItem):
            for i, item in enumerate(goods.items):
                item_id = item.itemIdentification.itemId
                is_sscc = item.itemIdentification.itemIdType.upper() == "SSCC"
                bare = item_id[2:] if len(item_id) == 20 else item_id
                if is_sscc and item_id != "0" and not is_valid_sscc(bare):
                    faults.append(
                        _fault(
                            "API-002",
                            "Invalid SSCC check digit",
                            f"shipment.{s}.goodsItem.{g}.items.{i}.itemIdentification.itemId",
                            item_id,
                        )
                    )
    return faults


def _label_data(
    shipment: EdiShipment, item_id: str, n: int, count: int, shipment_id: str
) -> LabelData:
    consignee = shipment.parties.consignee.party
    consignor = shipment.parties.consignor.party
    delivery = shipment.parties.deliveryParty
    reference = next(iter(shipment.references.shipment), None) if shipment.references else None
    goods = [i for g in shipment.goodsItem for i in g.items]
    weight = goods[n - 1].grossWeight if n - 1 < len(goods) else None
    return LabelData(
        carrier="PostNord",
        service_name=SERVICES[shipment.service.basicServiceCode],
        sscc=item_id,
        shipment_id=shipment_id,
        consignee_name=consignee.nameIdentification.name,
        consignee_street=", ".join(consignee.address.streets),
        consignee_postal_code=consignee.address.postalCode,
        consignee_city=consignee.address.city,
        consignee_country=consignee.address.countryCode,
        sender_name=consignor.nameIdentification.name,
        sender_address=_one_line(consignor, with_name=False),
        tracking_url=TRACKING_URL.format(id=item_id),
        reference=reference.referenceNo if reference else None,
        weight_kg=float(weight.value) if weight else None,
        piece_number=n,
        piece_count=count,
        delivery_point=_one_line(delivery.party) if delivery else None,
    )


def _one_line(details: PartyDetails, *, with_name: bool = True) -> str:
    address = details.address
    line = f"{' '.join(address.streets)}, {address.postalCode} {address.city}"
    return f"{details.nameIdentification.name}, {line}" if with_name else line


def _book_one(state: _State, shipment: EdiShipment) -> _Shipment:
    items = [i for g in shipment.goodsItem for i in g.items]
    item_ids = []
    for item in items:
        given = item.itemIdentification.itemId
        item_ids.append("00" + (state.next_sscc() if given == "0" else normalize_sscc(given)))
    shipment_id = item_ids[0]
    labels = [
        _label_data(shipment, iid, n, len(items), shipment_id)
        for n, iid in enumerate(item_ids, start=1)
    ]
    consignee = shipment.parties.consignee.party.address
    delivery = shipment.parties.deliveryParty
    booked = _Shipment(
        shipment_id=shipment_id,
        item_ids=item_ids,
        service_code=shipment.service.basicServiceCode,
        consignee_name=shipment.parties.consignee.party.nameIdentification.name,
        city=consignee.city,
        postal_code=consignee.postalCode,
        country=consignee.countryCode,
        delivery_point=delivery.party.nameIdentification.name if delivery else None,
        labels=labels,
        steps=_COLLECT_STEPS if shipment.service.basicServiceCode == "19" else _HOME_STEPS,
    )
    _advance(booked)
    state.shipments[shipment_id] = booked
    for iid in item_ids:
        state.by_id[iid] = booked
    return booked


def _id_information(booked: _Shipment, shipment: EdiShipment) -> dict[str, Any]:
    references = shipment.references.model_dump(mode="json") if shipment.references else None
    ids = [{"idType": "itemId", "value": i, "printId": _print_id(i)} for i in booked.item_ids]
    ids.append(
        {
            "idType": "shipmentId",
            "value": booked.shipment_id,
            "printId": _print_id("s" + booked.shipment_id),
        }
    )
    return {
        "status": "OK",
        "references": references,
        "ids": ids,
        "urls": [{"type": "TRACKING", "url": TRACKING_URL.format(id=booked.shipment_id)}],
        "errorResponse": None,
    }


def _print_id(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _printout(labels: list[LabelData], label_format: str, paper: str = "LABEL") -> dict[str, Any]:
    if label_format == "zpl":
        data, encoding = render_zpl(labels, LABEL_105x190_MM), "none"  # [C] raw ZPL, not base64
    else:
        pdf = render_pdf(labels, PAPER_SIZES_MM[paper])
        data, encoding = base64.b64encode(pdf).decode("ascii"), "base64"
    return {
        "itemIds": [
            {
                "itemIds": label.sscc,
                "printId": _print_id(label.sscc),
                "basicServiceCode": None,
                "status": "OK",
            }
            for label in labels
        ],
        "printout": {
            "id": secrets.token_hex(8),
            "type": "LABEL",
            "labelFormat": label_format.upper(),
            "encoding": encoding,
            "data": data,
        },
        "printoutComposition": {"label": len(labels)},
    }


def _make_routes(state: _State, keys: frozenset[str]) -> list[BaseRoute]:
    async def book(request: Request) -> Response:
        if (denied := _auth(request, keys)) is not None:
            return denied
        label_format = request.path_params.get("label_format")
        if label_format not in (None, "pdf", "zpl"):
            return JSONResponse(
                _fault_body("Not found", [_fault("API-404", "Unknown format")]), 404
            )
        try:
            instruction = EdiInstruction.model_validate_json(await request.body())
        except pydantic.ValidationError as exc:
            return JSONResponse(_fault_body("Validation failed", _validation_faults(exc)), 400)
        if faults := _field_faults(instruction):
            return JSONResponse(_fault_body("Validation failed", faults), 400)
        paper = request.query_params.get("paperSize", "A4").upper()
        if paper not in PAPER_SIZES_MM:
            fault = _fault("API-002", "Invalid paper size", "paperSize", paper)
            return JSONResponse(_fault_body("Validation failed", [fault]), 400)
        return JSONResponse(_book(state, instruction, label_format, paper))

    async def labels_by_id(request: Request) -> Response:
        if (denied := _auth(request, keys)) is not None:
            return denied
        label_format = request.path_params["label_format"]
        try:
            wanted = [str(entry["id"]) for entry in await request.json()]
            if not wanted:
                raise ValueError("no id")
        except (ValueError, TypeError, KeyError):
            body = _fault_body("Validation failed", [_fault("API-002", "Expected [{id}]", "id")])
            return JSONResponse(body, 400)
        return _reprint(state, wanted, label_format)

    async def track(request: Request) -> Response:
        if (denied := _auth(request, keys)) is not None:
            return denied
        identifier = request.query_params.get("id", "")
        if not 10 <= len(identifier) <= 35 or not (identifier.isascii() and identifier.isalnum()):
            body = {
                "TrackingInformationResponse": {
                    "shipments": [],
                    "compositeFault": {
                        "faults": [_fault("API-002", "Invalid id", "id", identifier)]
                    },
                }
            }
            return JSONResponse(body, 400)
        with state.lock:
            shipment = state.find(identifier)
            if shipment is not None:
                if state.advance_on_poll and shipment.polls > 0:
                    _advance(shipment)
                shipment.polls += 1
            shipments = [_tracked(shipment)] if shipment is not None else []
        return JSONResponse({"TrackingInformationResponse": {"shipments": shipments}})

    async def service_points(request: Request) -> Response:
        if (denied := _auth(request, keys)) is not None:
            return denied
        return _service_points(request)

    return [
        Route("/rest/shipment/v3/edi", book, methods=["POST"]),
        Route("/rest/shipment/v3/edi/labels/{label_format}", book, methods=["POST"]),
        Route("/rest/shipment/v3/labels/ids/{label_format}", labels_by_id, methods=["POST"]),
        Route("/rest/shipment/v5/trackandtrace/findByIdentifier.json", track, methods=["GET"]),
        Route(
            "/rest/businesslocation/v5/servicepoints/nearest/byaddress",
            service_points,
            methods=["GET"],
        ),
        Route(
            "/rest/businesslocation/v5/servicepoints/bypostalcode", service_points, methods=["GET"]
        ),
    ]


def _book(
    state: _State, instruction: EdiInstruction, label_format: str | None, paper: str = "LABEL"
) -> dict[str, Any]:
    info, labels = [], []
    with state.lock:
        for index, shipment in enumerate(instruction.shipment):
            if faults := _business_faults(index, shipment):
                info.append(
                    {
                        "status": "FAIL",
                        "ids": [],
                        "urls": [],
                        "errorResponse": _fault_body("Booking refused", faults),
                    }
                )
                continue
            booked = _book_one(state, shipment)
            info.append(_id_information(booked, shipment))
            labels.extend(booked.labels)
    booking = {"bookingId": secrets.token_hex(15).upper(), "idInformation": info}
    if label_format is None:
        return booking
    printouts = [_printout(labels, label_format, paper)] if labels else []
    return {"bookingResponse": booking, "labelPrintout": printouts}


def _reprint(state: _State, wanted: list[str], label_format: str) -> Response:
    with state.lock:
        found = {i: state.find(i) for i in wanted}
    missing = [i for i, s in found.items() if s is None]
    if missing:
        body = [
            {
                "itemIds": [
                    {"itemIds": i, "status": "FAIL", "errorResponse": {"message": "id not found"}}
                    for i in missing
                ]
            }
        ]
        return JSONResponse(body, 400)
    labels = [label for i, s in found.items() if s is not None for label in _labels_for(s, i)]
    return JSONResponse([_printout(labels, label_format)])


def _labels_for(shipment: _Shipment, identifier: str) -> list[LabelData]:
    """The labels an id stands for: all of a shipment id, or the one of an item id."""
    if identifier == shipment.shipment_id and len(shipment.labels) > 1:
        return shipment.labels
    try:
        sscc = normalize_sscc(identifier)
    except InvalidSsccError:
        return shipment.labels
    return [label for label in shipment.labels if normalize_sscc(label.sscc) == sscc]


def _tracked(shipment: _Shipment) -> dict[str, Any]:
    status = shipment.events[-1]["status"]
    delivered = status == "DELIVERED"
    items = [
        {
            "itemId": item_id,
            "status": status,
            "events": list(shipment.events),
            "deliveryDate": shipment.events[-1]["eventTime"] if delivered else None,
            "statusText": {"header": shipment.events[-1]["eventDescription"]},
            "references": [],
            "itemRefIds": [],
            "freeTexts": [],
        }
        for item_id in shipment.item_ids
    ]
    return {
        "shipmentId": shipment.shipment_id,
        "uri": f"/ntt-service-rest/api/shipment/{shipment.shipment_id}/0",
        "service": {"code": shipment.service_code, "name": SERVICES[shipment.service_code]},
        "status": status,
        "statusText": {"header": shipment.events[-1]["eventDescription"], "body": None},
        "deliveryDate": shipment.events[-1]["eventTime"] if delivered else None,
        "consignee": {
            "name": shipment.consignee_name,
            "address": {
                "city": shipment.city,
                "countryCode": shipment.country,
                "postCode": shipment.postal_code,
            },
        },
        "splitStatuses": [],
        "shipmentReferences": [],
        "additionalServices": [],
        "items": items,
    }


# ------------------------------------------------------------------ service points

_POINT_NAMES = [
    "ICA Supermarket",
    "Coop",
    "Pressbyrån",
    "PostNord Paketskåp",
    "Hemköp",
    "Willys",
    "OKQ8",
]
_CITIES = {
    "1": "STOCKHOLM",
    "2": "MALMÖ",
    "3": "VÄXJÖ",
    "4": "GÖTEBORG",
    "5": "JÖNKÖPING",
    "6": "NORRKÖPING",
    "7": "UPPSALA",
    "8": "SUNDSVALL",
    "9": "UMEÅ",
}


def _service_points(request: Request) -> Response:
    postal_code = request.query_params.get("postalCode", "").replace(" ", "")
    country = request.query_params.get("countryCode", "SE")
    if not (len(postal_code) == 5 and postal_code.isascii() and postal_code.isdigit()):
        fault = _fault("EXCEPTION", "Invalid postal code", "postalCode", postal_code)
        body = {"servicePointInformationResponse": {"compositeFault": {"faults": [fault]}}}
        return JSONResponse(body, 400)
    try:
        limit = max(1, min(int(request.query_params.get("numberOfServicePoints", "5")), 50))
    except ValueError:
        limit = 5
    city = request.query_params.get("city", "").upper() or _CITIES.get(postal_code[0], "SVERIGE")
    points = [_point(postal_code, city, country, n) for n in range(limit)]
    return JSONResponse(
        {
            "servicePointInformationResponse": {
                "compositeFault": None,
                "customerSupports": [{"customerSupportPhoneNo": "+46771333310", "country": "SE"}],
                "servicePoints": points,
            }
        }
    )


def _point(postal_code: str, city: str, country: str, n: int) -> dict[str, Any]:
    digest = int(hashlib.sha256(f"{postal_code}-{n}".encode()).hexdigest()[:8], 16)
    code = f"{postal_code[:3]}{(int(postal_code[3:]) + n * 3) % 100:02d}"
    address = {
        "countryCode": country,
        "city": city,
        "streetName": "Storgatan",
        "streetNumber": str(1 + digest % 60),
        "postalCode": code,
        "additionalDescription": None,
    }
    hours = [
        {"openTime": "08:00", "openDay": d, "closeTime": "21:00", "closeDay": d}
        for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    ]
    return {
        "name": f"{_POINT_NAMES[(int(postal_code) + n) % len(_POINT_NAMES)]} {city}".upper(),
        "servicePointId": str(100000 + digest % 900000),
        "routeDistance": 250 + 400 * n,
        "visitingAddress": address,
        "deliveryAddress": dict(address),
        "coordinates": [
            {
                "countryCode": country,
                "northing": 57.7 + (digest % 1000) / 10000,
                "easting": 11.9 + (digest % 777) / 10000,
                "srId": "EPSG:4326",
            }
        ],
        "openingHours": {"specialDates": [], "postalServices": hours},
        "type": {"groupTypeId": 1, "groupTypeName": "Service agent"},
    }


# ------------------------------------------------------------------ admin and build


def _admin_routes(state: _State) -> list[BaseRoute]:
    async def advance(request: Request) -> Response:
        target = await advance_target(request, "DELIVERED")
        if isinstance(target, Response):
            return target
        with state.lock:
            shipment = state.find(request.path_params["shipment_id"])
            if shipment is None:
                return JSONResponse({"error": "unknown shipment"}, 404)
            _advance_to(shipment, target)
            status = shipment.events[-1]["status"]
        return JSONResponse({"shipmentId": shipment.shipment_id, "status": status})

    return [
        Route("/_sandbox/postnord/shipments/{shipment_id}/advance", advance, methods=["POST"]),
        poll_setting_route("postnord", state),
    ]


def _advance_to(shipment: _Shipment, target: str | None) -> None:
    if target is None:
        _advance(shipment)
        return
    while shipment.events[-1]["status"] != target and len(shipment.events) < len(shipment.steps):
        _advance(shipment)


def _drift(body: Any, mode: str) -> Any:
    """Schema drift on tracking answers: a new field, or ``shipments`` renamed."""
    inner = body.get("TrackingInformationResponse") if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        return body
    if mode == "new_field":
        inner["sandboxNewField"] = "added by drift fault"
    elif mode == "renamed_field" and "shipments" in inner:
        inner["shipmentList"] = inner.pop("shipments")
    return body


def build(config: SandboxConfig) -> SandboxSystem:
    """The PostNord sandbox app and the ``apikey`` it accepts."""
    apikey = hashlib.sha256(f"postnord-{config.seed}".encode()).hexdigest()[:32]
    state = _State(config.seed)
    app = build_sandbox_app(
        "postnord",
        _make_routes(state, frozenset({apikey})),
        faults=config.faults,
        reset=state.reset,
        admin_routes=_admin_routes(state),
        drift=_drift,
    )
    return SandboxSystem(name="postnord", app=app, credentials={"apikey": apikey})
