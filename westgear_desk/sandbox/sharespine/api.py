"""The Plugboard REST paths of the Sharespine sandbox: auth check, paging, filters, log events.

Assumed shapes ([U] in the reference) follow `integrations/sharespine/contract.py`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import pydantic
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from westgear_desk.integrations.sharespine.contract import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    TOTAL_COUNT_HEADER,
    LogEvent,
)
from westgear_desk.sandbox.seed import SeedProduct
from westgear_desk.sandbox.sharespine.payloads import customer_json, order_json, product_json
from westgear_desk.sandbox.sharespine.state import SharespineState

Handler = Callable[[Request], Awaitable[Response]]
_COMPACT = (",", ":")


def error(status: int, code: int, name: str, category: str, message: str) -> JSONResponse:
    """An error answer in the assumed Plugboard shape (identifier `Name(code, Category)`)."""
    return JSONResponse(
        {"code": code, "name": name, "category": category, "message": message}, status
    )


def _json(body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(encoded(body), media_type="application/json", headers=headers)


class BadQueryError(ValueError):
    """A query parameter could not be understood."""


def _since(request: Request) -> datetime | None:
    raw = request.query_params.get("modifiedAtOrAfter")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadQueryError(f"modifiedAtOrAfter is not an ISO-8601 timestamp: {raw!r}") from exc
    if value.tzinfo is None:
        raise BadQueryError("modifiedAtOrAfter must carry a timezone (e.g. Z)")
    return value


def _window(request: Request) -> tuple[int, int]:
    try:
        offset = int(request.query_params.get("offset", "0"))
        limit = int(request.query_params.get("limit", str(DEFAULT_PAGE_SIZE)))
    except ValueError as exc:
        raise BadQueryError("offset and limit must be integers") from exc
    if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
        raise BadQueryError(f"offset must be >= 0 and limit between 1 and {MAX_PAGE_SIZE}")
    return offset, limit


def _page(
    items: Sequence[Any], render: Callable[[Any], dict[str, Any]], request: Request
) -> Response:
    offset, limit = _window(request)
    chosen = items[offset : offset + limit]
    return _json([render(item) for item in chosen], {TOTAL_COUNT_HEADER: str(len(items))})


def encoded(body: Any) -> bytes:
    """`body` as the compact UTF-8 JSON every answer uses."""
    return json.dumps(body, separators=_COMPACT, ensure_ascii=False).encode()


def product_bytes(product: SeedProduct, modified: datetime) -> bytes:
    """One product record's JSON, as it appears inside a page."""
    return encoded(product_json(product, modified))


def _encoded_page(
    items: Sequence[Any], render: Callable[[Any], bytes], request: Request
) -> Response:
    """Like `_page`, from records already encoded (the same bytes `json.dumps` would give)."""
    offset, limit = _window(request)
    body = b"[" + b",".join(render(item) for item in items[offset : offset + limit]) + b"]"
    return Response(
        body, media_type="application/json", headers={TOTAL_COUNT_HEADER: str(len(items))}
    )


class SharespineApi:
    """Route handlers bound to one sandbox state and its credentials."""

    def __init__(self, state: SharespineState, credentials: dict[str, str]) -> None:
        self.state = state
        self.credentials = credentials
        user_pass = f"{credentials['username']}:{credentials['password']}".encode()
        self._basic = "Basic " + base64.b64encode(user_pass).decode()

    def routes(self) -> list[BaseRoute]:
        """The /api paths."""
        return [
            Route("/api/", self._guard(self.info), methods=["GET"]),
            Route("/api/product", self._guard(self.list_products), methods=["GET"]),
            Route(
                "/api/product/by-remote-id", self._guard(self.product_by_remote), methods=["GET"]
            ),
            Route("/api/product/{local_id}", self._guard(self.get_product), methods=["GET"]),
            Route("/api/customer", self._guard(self.list_customers), methods=["GET"]),
            Route("/api/order", self._guard(self.list_orders), methods=["GET"]),
            Route("/api/order/{local_id}", self._guard(self.get_order), methods=["GET"]),
            Route("/api/log/event", self._guard(self.post_log_event), methods=["POST"]),
        ]

    def _authorized(self, request: Request) -> bool:
        headers = request.headers
        given = headers.get("authorization", "")
        try:
            base64.b64decode(given.removeprefix("Basic "), validate=True)
        except (binascii.Error, ValueError):
            return False
        return (
            hmac.compare_digest(given, self._basic)
            and headers.get("x-tenant") == self.credentials["tenant"]
            and headers.get("x-connectionid") == self.credentials["connection_id"]
        )

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            if not self._authorized(request):  # [U] real status/body of a refused login
                return error(
                    401,
                    401000,
                    "Unauthorized",
                    "Unauthorized",
                    "Invalid credentials, X-Tenant or X-ConnectionId",
                )
            try:
                return await handler(request)
            except BadQueryError as exc:
                return error(400, 400000, "InvalidQuery", "InvalidData", str(exc))

        return guarded

    async def info(self, request: Request) -> Response:
        """`GET /api/`: connection metadata."""
        return _json(
            {
                "tenant": self.credentials["tenant"],
                "connectionId": self.credentials["connection_id"],
                "name": "WestGear Desk (sandbox)",
                "apiVersion": "1",
            }
        )

    async def list_products(self, request: Request) -> Response:
        """`GET /api/product`: products (with variants), paged, optionally modified since."""
        indices = self.state.product_indices(_since(request))
        return _encoded_page(indices, self._render_product, request)

    def _render_product(self, index: int) -> bytes:
        return self.state.product_body(index, product_bytes)

    async def get_product(self, request: Request) -> Response:
        """`GET /api/product/{localId}`."""
        index = self.state.index_of_local(request.path_params["local_id"])
        return self._one_product(index, request.path_params["local_id"])

    async def product_by_remote(self, request: Request) -> Response:
        """`GET /api/product/by-remote-id?remoteId=`."""
        remote_id = request.query_params.get("remoteId", "")
        return self._one_product(self.state.index_of_remote(remote_id), remote_id)

    def _one_product(self, index: int | None, shown: str) -> Response:
        current = None if index is None else self.state.product(index)
        if current is None:  # code invented in the documented Name(code, Category) style
            return error(404, 101001, "ProductNotFound", "NotFound", f"No product {shown}")
        return _json(product_json(*current))

    async def list_customers(self, request: Request) -> Response:
        """`GET /api/customer` [U path]."""
        return _page(self.state.customer_items(_since(request)), customer_json, request)

    async def list_orders(self, request: Request) -> Response:
        """`GET /api/order?modifiedAtOrAfter=` [V]; omitting the filter lists every order."""
        items = self.state.order_items(_since(request))
        return _page(items, lambda item: order_json(*item), request)

    async def get_order(self, request: Request) -> Response:
        """`GET /api/order/{localId}`."""
        wanted = request.path_params["local_id"]
        for order, when in self.state.orders:
            if order.local_id == wanted:
                return _json(order_json(order, when))
        return error(404, 102001, "OrderNotFound", "NotFound", f"No order {wanted}")

    async def post_log_event(self, request: Request) -> Response:
        """`POST /api/log/event` [V]: store the event for tests to read back."""
        try:
            event = LogEvent.model_validate_json(await request.body())
        except pydantic.ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
            return error(422, 20000001, "InvalidLogEvent", "InvalidData", f"Invalid: {fields}")
        stored = event.model_dump(mode="json", by_alias=True)
        self.state.log_events.append(stored)
        return _json({"id": f"evt-{len(self.state.log_events)}"})
