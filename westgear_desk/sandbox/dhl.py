"""DHL sandbox: Freight Sweden API Farm (booking, labels, service points) and Unified Tracking.

One app serves both DHL hosts' paths. Freight calls need the ``client-key`` header (a wrong
one gets the recorded 401 ``{"error": …}``), tracking needs ``DHL-API-Key`` (401 problem
body). Bookings are validated as DHL does (``"status": "Error"`` with ``validationErrors``
naming fields like ``Parties[1].Address.PostalCode``), answered ``"Succes"`` (sic) with piece
SSCCs, and printed as real PDF labels. Tracking advances one event per poll (after the first)
or by ``POST /_sandbox/dhl/shipments/{id}/advance``; timestamps carry no zone, like DHL's.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import pydantic
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from westgear_desk.domain.sscc import InvalidSsccError, make_sscc, normalize_sscc
from westgear_desk.integrations.dhl.contract import (
    FreightParty,
    PrintDocumentsRequest,
    TransportInstruction,
)
from westgear_desk.sandbox.carrier_common import advance_target, now_local, poll_setting_route
from westgear_desk.sandbox.common import SandboxConfig, SandboxSystem, build_sandbox_app
from westgear_desk.sandbox.labels import LabelData, render_pdf

# [U] extension digit and company prefix for sandbox piece SSCCs; DHL's real ones start 3403/3732
SSCC_EXTENSION = 3
SSCC_PREFIX = "7322151"
PRODUCTS = {
    "102": "DHL Paket",
    "103": "DHL Service Point",
    "104": "DHL Service Point Retur",
    "401": "DHL Home Delivery",
    "118": "DHL Hemleverans Paket",
    "210": "DHL Pall",
    "211": "DHL Stycke",
    "109": "DHL Parcel Connect",
}
ACCESS_POINT_PRODUCTS = frozenset({"103", "104", "109"})
PROBLEM_JSON = "application/problem+json"

# (statusCode, status, description, has_location) — [U] DHL Freight's texts
_STEPS = [
    ("pre-transit", "INFORMATION RECEIVED", "Sändningsinformation mottagen", False),
    ("transit", "PICKED UP", "Sändningen har hämtats", True),
    ("transit", "ARRIVED AT TERMINAL", "Sändningen har ankommit till terminal", True),
    ("transit", "OUT FOR DELIVERY", "Sändningen har lastats för utkörning", True),
    ("delivered", "DELIVERED", "Sändningen har levererats", True),
]


@dataclass
class _Shipment:
    instruction: dict[str, Any]
    shipment_id: str
    piece_ids: list[str]
    labels: list[LabelData]
    origin: dict[str, str]
    destination: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0


class _State:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.shipments: dict[str, _Shipment] = {}
            self.by_piece: dict[str, _Shipment] = {}
            self.counter = 2906760000 + self.seed % 10000
            self.serial = (self.seed % 1000) * 1_000_000
            self.advance_on_poll = True

    def find(self, number: str) -> _Shipment | None:
        if number in self.shipments:
            return self.shipments[number]
        try:
            return self.by_piece.get(normalize_sscc(number))
        except InvalidSsccError:
            return None


def _advance(shipment: _Shipment) -> None:
    step = len(shipment.events)
    if step >= len(_STEPS):
        return
    code, status, text, located = _STEPS[step]
    event: dict[str, Any] = {
        "timestamp": now_local(),
        "statusCode": code,
        "status": status,
        "description": text,
        "pieceIds": list(shipment.piece_ids),
    }
    if located:
        place = shipment.destination if step >= 3 else shipment.origin
        event["location"] = {"address": dict(place)}
    shipment.events.append(event)


# ------------------------------------------------------------------ error bodies


def _unknown_client_key() -> Response:
    return JSONResponse({"error": "No valid application matching client key"}, 401)


def _problem(status: int, title: str, detail: str) -> Response:
    return JSONResponse(
        {"title": title, "status": status, "detail": detail}, status, media_type=PROBLEM_JSON
    )


def _rejection(errors: list[dict[str, Any]], status: int = 400) -> Response:
    return JSONResponse({"status": "Error", "validationErrors": errors}, status)


def _issue(code: int, field_name: str, message: str) -> dict[str, Any]:
    return {"errorCode": code, "field": field_name, "message": message}


def _dhl_path(loc: tuple[int | str, ...]) -> str:
    """``("parties", 1, "address", "postalCode")`` → ``Parties[1].Address.PostalCode``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part[:1].upper() + part[1:]
    return text or "Shipment"


def _schema_issues(exc: pydantic.ValidationError) -> list[dict[str, Any]]:
    # [U] 20001 is our code for schema errors; the recorded business errors use 22xxx
    return [_issue(20001, _dhl_path(tuple(e["loc"])), e["msg"]) for e in exc.errors()[:20]]


def _party_issues(instruction: TransportInstruction) -> list[dict[str, Any]]:
    types = [p.type for p in instruction.parties]
    issues = [
        _issue(22001, "Parties", f"Party {required} is mandatory")
        for required in ("Consignor", "Consignee")
        if required not in types
    ]
    for index, party in enumerate(instruction.parties):
        issues.extend(_address_issues(index, party))
        if party.type == "Consignor" and not party.id:
            issues.append(
                _issue(
                    22001,
                    f"Parties[{index}].Id",
                    "Customer number is mandatory for party Consignor",
                )
            )
        if party.type == "AccessPoint":
            issues.extend(_access_point_issues(index, party))
    if instruction.productCode in ACCESS_POINT_PRODUCTS and "AccessPoint" not in types:
        issues.append(_issue(22001, "Parties", "Party AccessPoint is mandatory for this product"))
    return issues


def _address_issues(index: int, party: FreightParty) -> list[dict[str, Any]]:
    address = party.address
    if address is None or address.countryCode != "SE":
        return []
    if (
        len(address.postalCode) == 5
        and address.postalCode.isascii()
        and address.postalCode.isdigit()
    ):
        return []
    return [
        _issue(
            22006,
            f"Parties[{index}].Address.PostalCode",
            f"Post code '{address.postalCode}' not found.",
        )
    ]


def _access_point_issues(index: int, party: FreightParty) -> list[dict[str, Any]]:
    issues = []
    if party.address is None:
        issues.append(
            _issue(
                22001,
                f"Parties[{index}].Address.Address",
                "Address is mandatory for party AccessPoint",
            )
        )
    if not party.name:
        issues.append(
            _issue(22001, f"Parties[{index}].Name", "Name is mandatory for party AccessPoint")
        )
    return issues


# ------------------------------------------------------------------ booking and labels


def _book(state: _State, instruction: TransportInstruction) -> dict[str, Any]:
    with state.lock:
        state.counter += 1
        shipment_id = str(state.counter)
        pieces = []
        piece_ids: list[str] = []
        for piece in instruction.pieces:
            ids = []
            for _ in range(piece.numberOfPieces):
                state.serial += 1
                ids.append(make_sscc(SSCC_EXTENSION, SSCC_PREFIX, state.serial))
            piece_ids.extend(ids)
            pieces.append({**piece.model_dump(mode="json", exclude_none=True), "id": ids})
        booked = _booked_body(instruction, shipment_id, pieces)
        shipment = _Shipment(
            instruction=booked,
            shipment_id=shipment_id,
            piece_ids=piece_ids,
            labels=_labels(instruction, shipment_id, piece_ids, booked["routingCode"]),
            origin=_place(instruction.party("Consignor")),
            destination=_place(instruction.party("Consignee")),
        )
        _advance(shipment)
        state.shipments[shipment_id] = shipment
        for piece_id in piece_ids:
            state.by_piece[piece_id] = shipment
    return {"status": "Succes", "transportInstruction": booked}


def _booked_body(
    instruction: TransportInstruction, shipment_id: str, pieces: list[dict[str, Any]]
) -> dict[str, Any]:
    weights = [p.weight for p in instruction.pieces]
    heights = [p.height or 0.0 for p in instruction.pieces]
    consignee = instruction.party("Consignee")
    postal = consignee.address.postalCode if consignee and consignee.address else "00000"
    body = instruction.model_dump(mode="json", exclude_none=True)
    body.update(
        {
            "id": shipment_id,
            "totalNumberOfPieces": sum(p.numberOfPieces for p in instruction.pieces),
            "totalWeight": sum(p.weight * p.numberOfPieces for p in instruction.pieces),
            "totalVolume": sum((p.volume or 0.0) * p.numberOfPieces for p in instruction.pieces),
            "totalLoadingMeters": 0.0,
            "totalPalletPlaces": 0.0,
            "maxPieceWeight": max(weights),
            "minPieceWeight": min(weights),
            "maxPieceHeight": max(heights),
            "minPieceHeight": min(heights),
            "pieces": pieces,
            "routingCode": f"2LSE{postal}+{instruction.productCode[-2:]}000000",
        }
    )
    return body


def _place(party: FreightParty | None) -> dict[str, str]:
    if party is None or party.address is None:
        return {"countryCode": "SE"}
    return {
        "countryCode": party.address.countryCode,
        "postalCode": party.address.postalCode,
        "addressLocality": party.address.cityName,
    }


def _labels(
    instruction: TransportInstruction, shipment_id: str, piece_ids: list[str], routing_code: str
) -> list[LabelData]:
    consignee = instruction.party("Consignee") or FreightParty(type="Consignee")
    consignor = instruction.party("Consignor") or FreightParty(type="Consignor")
    access_point = instruction.party("AccessPoint")
    to, sender = consignee.address, consignor.address
    weights = [p.weight for p in instruction.pieces for _ in range(p.numberOfPieces)]
    reference = next((r.value for r in instruction.references), None)
    return [
        LabelData(
            carrier="DHL Freight",
            service_name=PRODUCTS[instruction.productCode],
            sscc=piece_id,
            shipment_id=shipment_id,
            consignee_name=consignee.name or "",
            consignee_street=(to.street or "") if to else "",
            consignee_postal_code=to.postalCode if to else "",
            consignee_city=to.cityName if to else "",
            consignee_country=to.countryCode if to else "",
            sender_name=consignor.name or "",
            sender_address=f"{sender.street or ''}, {sender.postalCode} {sender.cityName}"
            if sender
            else "",
            tracking_url=f"https://www.dhl.com/se-sv/home/tracking.html?tracking-id={shipment_id}",
            reference=reference,
            weight_kg=weight,
            piece_number=n,
            piece_count=len(piece_ids),
            routing_code=routing_code,
            delivery_point=f"{access_point.name} ({access_point.id})" if access_point else None,
        )
        for n, (piece_id, weight) in enumerate(zip(piece_ids, weights, strict=True), start=1)
    ]


# ------------------------------------------------------------------ tracking


def _tracking_body(shipment: _Shipment) -> dict[str, Any]:
    events = list(reversed(shipment.events))  # newest first, as DHL lists them
    body: dict[str, Any] = {
        "id": shipment.shipment_id,
        "service": "freight",
        "origin": {"address": shipment.origin},
        "destination": {"address": shipment.destination},
        "status": events[0],
        "events": events,
        "details": {
            "product": {
                "productName": PRODUCTS.get(
                    str(shipment.instruction.get("productCode")), "DHL Freight"
                )
            },
            "totalNumberOfPieces": len(shipment.piece_ids),
            "pieceIds": shipment.piece_ids,
        },
    }
    if events[0]["statusCode"] == "delivered":
        body["details"]["proofOfDelivery"] = {"timestamp": events[0]["timestamp"]}
    url = f"/shipments?trackingNumber={shipment.shipment_id}"
    return {"url": url, "firstUrl": url, "lastUrl": url, "shipments": [body]}


# ------------------------------------------------------------------ service points

_POINT_NAMES = [
    "Pressbyrån",
    "ICA Nära",
    "Coop Konsum",
    "DHL Paketskåp",
    "Circle K",
    "Direkten",
    "Tobakshörnan",
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


def _service_points(postal_code: str, country: str) -> dict[str, Any]:
    city = _CITIES.get(postal_code[0], "SVERIGE")
    points = []
    for n in range(5):
        digest = int(hashlib.sha256(f"dhl-{postal_code}-{n}".encode()).hexdigest()[:8], 16)
        point_id = f"{country}-{100000 + digest % 900000}"
        locker = n == 3
        points.append(
            {
                "id": point_id,
                "servicePointId": point_id,
                "street": f"STORGATAN {1 + digest % 60}",
                "name": _POINT_NAMES[(int(postal_code) + n) % len(_POINT_NAMES)].upper(),
                "cityName": city,
                "postalCode": f"{postal_code[:3]}{(int(postal_code[3:]) + n) % 100:02d}",
                "countryCode": country,
                "distance": round(0.3 + 0.4 * n, 2),
                "routeDistance": round(0.35 + 0.5 * n, 2),
                "distanceUnit": "km",
                "featureCodes": [] if locker else ["SF054"],
                "locationType": "locker" if locker else "servicepoint",
                "serviceTypes": ["parcel:pick-up-unregistered"]
                if locker
                else ["parcel:pick-up", "parcel:drop-off"],
                "latitude": 57.7 + (digest % 1000) / 10000,
                "longitude": 11.97 + (digest % 777) / 10000,
                "clickAndCollectId": "",
            }
        )
    return {
        "status": "OK",
        "doorStepDeliveryAvailable": False,
        "servicePoints": points,
        "homedeliveryParcel": False,
        "lofi": True,
    }


# ------------------------------------------------------------------ routes


def _freight_routes(state: _State, key: str) -> list[BaseRoute]:
    def denied(request: Request) -> Response | None:
        return None if request.headers.get("client-key") == key else _unknown_client_key()

    async def book(request: Request) -> Response:
        if (answer := denied(request)) is not None:
            return answer
        try:
            instruction = TransportInstruction.model_validate_json(await request.body())
        except pydantic.ValidationError as exc:
            return _rejection(_schema_issues(exc))
        if instruction.productCode not in PRODUCTS:
            # [U] an unknown product is answered 200 with "Error", as some DHL APIs do
            issue = _issue(22026, "ProductCode", "Product is not valid for this customer")
            return _rejection([issue], status=200)
        if issues := _party_issues(instruction):
            return _rejection(issues)
        return JSONResponse(_book(state, instruction))

    async def print_by_id(request: Request) -> Response:
        if (answer := denied(request)) is not None:
            return answer
        try:
            wanted = PrintDocumentsRequest.model_validate_json(await request.body())
        except pydantic.ValidationError as exc:
            return _rejection(_schema_issues(exc))
        with state.lock:
            found = [(i, state.shipments.get(i)) for i in wanted.shipmentIds]
        missing = [i for i, s in found if s is None]
        if missing:  # [U] the real message for an unknown id is not recorded
            body = {"errorMessage": f"Shipment {missing[0]} not found", "status": "Error"}
            return JSONResponse(body, 404)
        reports = [
            {
                "name": f"label_{i}.pdf",
                "contentType": "application/pdf",
                "type": "Label",
                "content": base64.b64encode(render_pdf(s.labels)).decode("ascii"),
                "valid": True,
            }
            for i, s in found
            if s is not None
        ]
        return JSONResponse({"reports": reports})

    async def service_points(request: Request) -> Response:
        if (answer := denied(request)) is not None:
            return answer
        params = dict(request.query_params)
        if request.method == "POST":
            try:
                params = {k: str(v) for k, v in (await request.json()).items()}
            except (ValueError, AttributeError):
                params = {}
        postal_code = params.get("postalCode", "").replace(" ", "")
        if not (len(postal_code) == 5 and postal_code.isascii() and postal_code.isdigit()):
            body = {
                "ErrorCode": 16010,
                "Status": 400,
                "UserMessage": f"Post code '{postal_code}' not found.",
            }
            return JSONResponse(body, 400)
        return JSONResponse(_service_points(postal_code, params.get("countryCode", "SE")))

    return [
        Route(
            "/transportinstructionapi/v1/transportinstruction/sendtransportinstruction",
            book,
            methods=["POST"],
        ),
        Route("/printapi/v1/print/printdocumentsbyid", print_by_id, methods=["POST"]),
        Route(
            "/servicepointlocatorapi/servicepoint/findnearestservicepoints",
            service_points,
            methods=["GET", "POST"],
        ),
    ]


def _tracking_routes(state: _State, key: str) -> list[BaseRoute]:
    async def track(request: Request) -> Response:
        given = request.headers.get("DHL-API-Key") or request.query_params.get("DHL-API-Key")
        if given != key:  # [U] the 401 body of Unified Tracking is not recorded
            return _problem(401, "Unauthorized", "Unauthorized for given resource.")
        number = request.query_params.get("trackingNumber", "").strip()
        if not number:
            return _problem(400, "Bad Request", "Missing required parameter trackingNumber.")
        with state.lock:
            shipment = state.find(number)
            if shipment is not None:
                if state.advance_on_poll and shipment.polls > 0:
                    _advance(shipment)
                shipment.polls += 1
                body = _tracking_body(shipment)
        if shipment is None:
            return _problem(404, "No result found", "No shipment with given tracking number found.")
        return JSONResponse(body)

    return [Route("/track/shipments", track, methods=["GET"])]


def _admin_routes(state: _State) -> list[BaseRoute]:
    async def advance(request: Request) -> Response:
        target = await advance_target(request, "delivered")
        if isinstance(target, Response):
            return target
        with state.lock:
            shipment = state.find(request.path_params["shipment_id"])
            if shipment is None:
                return JSONResponse({"error": "unknown shipment"}, 404)
            _advance(shipment)
            while (
                target
                and shipment.events[-1]["statusCode"] != target
                and len(shipment.events) < len(_STEPS)
            ):
                _advance(shipment)
            status = shipment.events[-1]["statusCode"]
        return JSONResponse({"id": shipment.shipment_id, "statusCode": status})

    return [
        Route("/_sandbox/dhl/shipments/{shipment_id}/advance", advance, methods=["POST"]),
        poll_setting_route("dhl", state),
    ]


def _drift(body: Any, mode: str) -> Any:
    """Schema drift on tracking answers: a new field, or ``statusCode`` renamed."""
    shipments = body.get("shipments") if isinstance(body, dict) else None
    if not isinstance(shipments, list):
        return body
    for shipment in shipments:
        if mode == "new_field":
            shipment["sandboxNewField"] = "added by drift fault"
        elif mode == "renamed_field" and isinstance(shipment.get("status"), dict):
            shipment["status"]["statusKey"] = shipment["status"].pop("statusCode", None)
    return body


def build(config: SandboxConfig) -> SandboxSystem:
    """The DHL sandbox app and the ``api_key`` it accepts (Freight ``client-key`` and
    Tracking ``DHL-API-Key`` alike)."""
    api_key = hashlib.sha256(f"dhl-{config.seed}".encode()).hexdigest()[:32]
    state = _State(config.seed)
    app = build_sandbox_app(
        "dhl",
        [*_freight_routes(state, api_key), *_tracking_routes(state, api_key)],
        faults=config.faults,
        reset=state.reset,
        admin_routes=_admin_routes(state),
        drift=_drift,
    )
    return SandboxSystem(name="dhl", app=app, credentials={"api_key": api_key})
