"""Admin steps a person takes in Sharespine, for tests: change stock/price, fix, remove, add orders.

A stock or price change bumps the product's modification time and, when a webhook URL is
configured, posts a signed change notification. The real push API is unknown [U]: the
body and the `X-Sharespine-Signature` header (hex HMAC-SHA256 of the body with the
`sharespine.webhook_secret` credential) are this sandbox's own invention.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from westgear_desk.integrations.sharespine.contract import SIGNATURE_HEADER
from westgear_desk.sandbox.common import ADMIN_PREFIX, WebhookSender
from westgear_desk.sandbox.sharespine.payloads import order_json, stamp
from westgear_desk.sandbox.sharespine.state import SharespineState

PREFIX = f"{ADMIN_PREFIX}/sharespine"


def sign(body: bytes, secret: str) -> str:
    """Hex HMAC-SHA256 of a notification body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SharespineAdmin:
    """Handlers of /_sandbox/sharespine/..."""

    def __init__(
        self,
        state: SharespineState,
        secret: str,
        webhook_url: str | None,
        sender: Callable[[], WebhookSender],
    ) -> None:
        self.state, self.secret, self.webhook_url = state, secret, webhook_url
        self._sender = sender

    def routes(self) -> list[BaseRoute]:
        """Admin routes (never faulted)."""
        return [
            Route(f"{PREFIX}/products/{{remote_id}}/stock", self.stock, methods=["POST"]),
            Route(f"{PREFIX}/products/{{remote_id}}/price", self.price, methods=["POST"]),
            Route(f"{PREFIX}/products/{{remote_id}}/fix", self.fix, methods=["POST"]),
            Route(f"{PREFIX}/products/{{remote_id}}", self.remove, methods=["DELETE"]),
            Route(f"{PREFIX}/broken", self.broken, methods=["GET"]),
            Route(f"{PREFIX}/orders", self.add_orders, methods=["POST"]),
            Route(f"{PREFIX}/events", self.events, methods=["GET"]),
            Route(f"{PREFIX}/webhooks", self.webhooks, methods=["GET"]),
        ]

    async def _body(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        data = json.loads(raw) if raw.strip() else {}
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    def _index(self, request: Request) -> int | None:
        index = self.state.index_of_remote(request.path_params["remote_id"])
        if index is None or self.state.product(index) is None:
            return None
        return index

    async def stock(self, request: Request) -> Response:
        """Body `{"stock": 5, "locationId": "GBG-MAIN", "sku": optional}`."""
        return await self._change(request, "stock", self._apply_stock)

    async def price(self, request: Request) -> Response:
        """Body `{"priceInclVat": "999.00", "priceList": "LIST", "sku": optional}`."""
        return await self._change(request, "price", self._apply_price)

    def _apply_stock(self, index: int, body: dict[str, Any]) -> datetime:
        return self.state.set_stock(
            index, body.get("sku"), str(body.get("locationId", "GBG-MAIN")), int(body["stock"])
        )

    def _apply_price(self, index: int, body: dict[str, Any]) -> datetime:
        return self.state.set_price(
            index,
            body.get("sku"),
            str(body.get("priceList", "LIST")),
            Decimal(str(body["priceInclVat"])),
        )

    async def _change(
        self, request: Request, what: str, apply: Callable[[int, dict[str, Any]], datetime]
    ) -> Response:
        index = self._index(request)
        if index is None:
            return JSONResponse({"error": "no such product"}, 404)
        try:
            when = apply(index, await self._body(request))
        except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
            return JSONResponse({"error": f"bad change: {exc!r}"}, 400)
        product, _ = self.state.changed[index]
        self._notify(product.local_id, product.remote_id, [what], when)
        return JSONResponse({"remoteId": product.remote_id, "lastModified": stamp(when)})

    def _notify(self, local_id: str, remote_id: str, changes: list[str], when: datetime) -> None:
        if not self.webhook_url:
            return
        body = json.dumps(
            {
                "eventId": uuid.uuid4().hex,
                "recordType": "product",
                "localId": local_id,
                "remoteId": remote_id,
                "changes": changes,
                "lastModified": stamp(when),
            }
        ).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)}
        self._sender().send(self.webhook_url, body, headers)

    async def fix(self, request: Request) -> Response:
        """Replace a (broken) product by its valid version."""
        index = self._index(request)
        if index is None:
            return JSONResponse({"error": "no such product"}, 404)
        when = self.state.fix(index)
        return JSONResponse(
            {"remoteId": request.path_params["remote_id"], "lastModified": stamp(when)}
        )

    async def remove(self, request: Request) -> Response:
        """Remove a product from the catalog."""
        index = self._index(request)
        if index is None:
            return JSONResponse({"error": "no such product"}, 404)
        self.state.remove(index)
        return Response(status_code=204)

    async def broken(self, request: Request) -> Response:
        """Every present broken product with what is wrong with it."""
        return JSONResponse(
            [
                {"remoteId": p.remote_id, "localId": p.local_id, "broken": sorted(p.broken)}
                for _, p in self.state.broken()
            ]
        )

    async def add_orders(self, request: Request) -> Response:
        """Body `{"count": 3}`: new orders, stamped now; answers them."""
        try:
            count = int((await self._body(request)).get("count", 1))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": f"bad count: {exc!r}"}, 400)
        if not 1 <= count <= 1000:
            return JSONResponse({"error": "count must be 1..1000"}, 400)
        self.state.add_orders(count)
        return JSONResponse([order_json(o, w) for o, w in self.state.orders[-count:]])

    async def events(self, request: Request) -> Response:
        """Log events received on POST /api/log/event."""
        return JSONResponse(self.state.log_events)

    async def webhooks(self, request: Request) -> Response:
        """Change notifications delivered so far."""
        return JSONResponse(self._sender().deliveries)
