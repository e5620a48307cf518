"""The Sharespine (Plugboard) API client: Basic auth plus tenant headers, streamed paging.

Pages are parsed with one `TypeAdapter.validate_json` call (fast path). When a page holds a
record that breaks the contract, the page is NOT lost: it is decoded once more and each
record validated alone, so the caller gets a `RecordResult` per record, either the model
or the raw dict with its validation error, and can quarantine just the bad records.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

import httpx
import pydantic
from pydantic import TypeAdapter

from westgear_desk.errors import BusinessRuleError, DataError, IntegrationError, ServerError
from westgear_desk.gc_policy import fewer_collections
from westgear_desk.integrations.drift import describe_validation_error, parse_contract
from westgear_desk.integrations.http import MALFORMED_JSON, ApiClient, error_for_status
from westgear_desk.integrations.sharespine.contract import (
    CUSTOMER_PAGE,
    DEFAULT_PAGE_SIZE,
    ORDER_PAGE,
    PRODUCT_PAGE,
    TOTAL_COUNT_HEADER,
    ConnectionInfo,
    Customer,
    ErrorBody,
    LogEvent,
    Order,
    PageInfo,
    Product,
    format_timestamp,
)

DEFAULT_BASE_URL = "https://api.plugboard.io"  # endpoints below carry the /api prefix
M = TypeVar("M", bound=pydantic.BaseModel)
_BUSINESS_CATEGORIES = frozenset({"Conflict"})  # e.g. ProductAlreadyExists(101000, Conflict)


@dataclass(frozen=True, slots=True, repr=False)
class SharespineCredentials:
    """What the caller reads from credentials.py; the client never touches the keyring."""

    tenant: str
    connection_id: str
    username: str
    password: str

    def __repr__(self) -> str:
        return f"SharespineCredentials(tenant={self.tenant!r}, username={self.username!r})"


@dataclass(frozen=True, slots=True)
class RecordResult(Generic[M]):
    """One record of a page: `model` when it fits the contract, else `raw` and `error`."""

    model: M | None
    raw: Any
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the record validated."""
        return self.model is not None

    def payload(self) -> Any:
        """The record as received (for quarantine): `raw`, or the model's fields as sent."""
        if self.raw is not None or self.model is None:
            return self.raw
        return self.model.model_dump(mode="json", by_alias=True, exclude_unset=True)


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One fetched page: its records and where it sits in the list.

    `body` is the page as received, when the caller keeps it (the catalog sync hands it to
    its rule-check process, which parses it again rather than receiving pickled models).
    """

    records: list[RecordResult[M]]
    info: PageInfo
    body: bytes = b""


class SharespineClient(ApiClient):
    """Client of the Plugboard REST API (`base_url` is the host, e.g. DEFAULT_BASE_URL)."""

    system: ClassVar[str] = "sharespine"

    def __init__(self, base_url: str, credentials: SharespineCredentials, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        pair = f"{credentials.username}:{credentials.password}".encode()
        self._basic = "Basic " + base64.b64encode(pair).decode("ascii")
        self._tenant = credentials.tenant
        self._connection_id = credentials.connection_id

    def _prepare(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        headers["Authorization"] = self._basic
        headers["X-Tenant"] = self._tenant
        headers["X-ConnectionId"] = self._connection_id

    def _error_for(self, response: httpx.Response) -> IntegrationError:
        """Map an error answer by its (assumed) body; a refused write is a business rule."""
        body = _error_body(response)
        request_id = self._request_id(response)
        if body is None or body.name is None:
            return error_for_status(self.system, response, request_id=request_id)
        message = f"sharespine: {body.name}({body.code}, {body.category}): {body.message or ''}"
        error = error_for_status(
            self.system, response, message=message, error_code=body.name, request_id=request_id
        )
        if (
            isinstance(error, DataError)
            and body.category in _BUSINESS_CATEGORIES
            and response.request.method != "GET"
        ):
            return BusinessRuleError(
                message,
                system=self.system,
                status_code=response.status_code,
                request_id=request_id,
                error_code=body.name,
            )
        return error

    # ------------------------------------------------------------------ reads

    def connection_info(self) -> ConnectionInfo:
        """`GET /api/`: checks the credentials; raises AuthenticationError when refused."""
        data = self.request_json("GET", "/api/")
        return parse_contract(ConnectionInfo, data, system=self.system)

    def get_product(self, local_id: str) -> Product:
        """`GET /api/product/{localId}`; raises DataError (404) for an unknown product."""
        data = self.request_json(
            "GET", "/api/product/{local_id}", path_params={"local_id": local_id}
        )
        return parse_contract(Product, data, system=self.system)

    def iter_product_pages(
        self,
        *,
        modified_at_or_after: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        start_offset: int = 0,
    ) -> Iterator[Page[Product]]:
        """Stream product pages (each record checked alone on failure), page by page."""
        return self._pages(
            "/api/product", PRODUCT_PAGE, Product, modified_at_or_after, page_size, start_offset
        )

    def iter_products(
        self, *, modified_at_or_after: datetime | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[RecordResult[Product]]:
        """Stream every product record (valid or not), optionally changed at/after a time."""
        for page in self.iter_product_pages(
            modified_at_or_after=modified_at_or_after, page_size=page_size
        ):
            yield from page.records

    def iter_customers(
        self, *, modified_at_or_after: datetime | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[RecordResult[Customer]]:
        """Stream every customer record, optionally changed at/after a time."""
        for page in self._pages(
            "/api/customer", CUSTOMER_PAGE, Customer, modified_at_or_after, page_size, 0
        ):
            yield from page.records

    def iter_orders(
        self, *, modified_at_or_after: datetime | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[RecordResult[Order]]:
        """Stream new and changed orders (all orders without a time)."""
        for page in self._pages(
            "/api/order", ORDER_PAGE, Order, modified_at_or_after, page_size, 0
        ):
            yield from page.records

    # ------------------------------------------------------------------ writes

    def post_log_event(self, event: LogEvent) -> None:
        """`POST /api/log/event`: show an event (e.g. a quarantine reason) in the hub."""
        self.request(
            "POST",
            "/api/log/event",
            json=event.model_dump(mode="json", by_alias=True, exclude_none=True),
        )

    # ------------------------------------------------------------------ paging

    def _pages(  # noqa: PLR0917 - private, three call sites
        self,
        endpoint: str,
        adapter: TypeAdapter[list[M]],
        model: type[M],
        since: datetime | None,
        page_size: int,
        offset: int,
    ) -> Iterator[Page[M]]:
        params: dict[str, Any] = {"limit": page_size}
        if since is not None:  # whole seconds, floored: the filter is inclusive
            params["modifiedAtOrAfter"] = format_timestamp(since)
        while True:
            response = self.request("GET", endpoint, params={**params, "offset": offset})
            with fewer_collections():  # a page is many short-lived objects without cycles
                records = self._parse_page(response, adapter, model)
            total = response.headers.get(TOTAL_COUNT_HEADER)
            info = PageInfo(
                offset=offset,
                limit=page_size,
                count=len(records),
                total=int(total) if total and total.isdigit() else None,
            )
            yield Page(records, info)
            if not info.has_more or not records:
                return
            offset += len(records)

    def _parse_page(
        self, response: httpx.Response, adapter: TypeAdapter[list[M]], model: type[M]
    ) -> list[RecordResult[M]]:
        try:
            return [RecordResult(m, None) for m in adapter.validate_json(response.content)]
        except pydantic.ValidationError:
            pass  # some record (or the whole body) is bad: look closer below
        try:
            raw = json.loads(response.content)
        except ValueError as exc:
            raise ServerError(
                "sharespine: a page answered invalid JSON",
                system=self.system,
                status_code=response.status_code,
                error_code=MALFORMED_JSON,
            ) from exc
        if not isinstance(raw, list):
            raise DataError(
                f"sharespine: expected a JSON array of records, got {type(raw).__name__}",
                system=self.system,
                status_code=response.status_code,
                error_code="contract_violation",
            )
        return [_validate_one(model, item) for item in raw]


def _validate_one(model: type[M], item: Any) -> RecordResult[M]:
    try:
        return RecordResult(model.model_validate(item), item)
    except pydantic.ValidationError as exc:
        return RecordResult(None, item, describe_validation_error(exc))


def _error_body(response: httpx.Response) -> ErrorBody | None:
    try:
        return ErrorBody.model_validate_json(response.content)
    except pydantic.ValidationError:
        return None
