"""List queries of the Fortnox sandbox: paging, `lastmodified`, `filter`, substring search.

Search is case-insensitive substring matching, like the real API's ILIKE search [V];
unknown query parameters are refused with 2000588 [U: the real API may ignore them].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pydantic
from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse

from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.integrations.fortnox.paging import DEFAULT_LIMIT, FORTNOX_ZONE, MAX_LIMIT
from westgear_desk.sandbox.fortnox import replies
from westgear_desk.sandbox.fortnox.store import FortnoxStore, Record, list_item

COMMON_PARAMS = frozenset({"page", "limit", "lastmodified", "filter", "sortby", "sortorder"})
DATE_PARAMS = frozenset({"fromdate", "todate"})
LASTMODIFIED_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")

Predicate = Callable[[dict[str, Any]], bool]


def _balance(data: dict[str, Any]) -> Decimal:
    return Decimal(str(data.get("Balance") or 0))


def _today() -> date:
    return datetime.now(FORTNOX_ZONE).date()


INVOICE_FILTERS: dict[str, Predicate] = {
    "cancelled": lambda d: bool(d.get("Cancelled")),
    "fullypaid": lambda d: not d.get("Cancelled") and _balance(d) == 0,
    "unpaid": lambda d: not d.get("Cancelled") and _balance(d) != 0,
    "unbooked": lambda d: not d.get("Cancelled") and not d.get("Booked"),
    "unpaidoverdue": lambda d: (
        not d.get("Cancelled") and _balance(d) != 0 and date.fromisoformat(d["DueDate"]) < _today()
    ),
}
ORDER_FILTERS: dict[str, Predicate] = {
    "cancelled": lambda d: bool(d.get("Cancelled")),
    "invoicecreated": lambda d: d.get("InvoiceReference") not in (None, "0"),
    "invoicenotcreated": lambda d: (
        not d.get("Cancelled") and d.get("InvoiceReference") in (None, "0")
    ),
}
ACTIVE_FILTERS: dict[str, Predicate] = {
    "active": lambda d: d.get("Active") is not False,
    "inactive": lambda d: d.get("Active") is False,
}


@dataclass(frozen=True)
class ListSpec:
    """How one register is listed."""

    table: str
    wrapper: str
    item_model: type[pydantic.BaseModel]
    search: Mapping[str, str]  # query parameter -> wire key
    filters: Mapping[str, Predicate] = field(default_factory=dict)
    date_key: str | None = None
    extra_params: frozenset[str] = frozenset()
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def _customer_item(data: dict[str, Any]) -> dict[str, Any]:
    item = list_item(data, fx.CustomerListItem)
    item["Phone"] = data.get("Phone1")
    return {k: ("" if v is None else v) for k, v in item.items()}  # lists show "" [V recorded]


SPECS = {
    "customers": ListSpec(
        "customers",
        "Customers",
        fx.CustomerListItem,
        {
            "customernumber": "CustomerNumber",
            "name": "Name",
            "email": "Email",
            "organisationnumber": "OrganisationNumber",
            "city": "City",
            "zipcode": "ZipCode",
            "phone": "Phone1",
        },
        ACTIVE_FILTERS,
        shape=_customer_item,
    ),
    "articles": ListSpec(
        "articles",
        "Articles",
        fx.ArticleListItem,
        {"articlenumber": "ArticleNumber", "description": "Description", "ean": "EAN"},
        ACTIVE_FILTERS,
    ),
    "invoices": ListSpec(
        "invoices",
        "Invoices",
        fx.InvoiceListItem,
        {
            "customernumber": "CustomerNumber",
            "customername": "CustomerName",
            "documentnumber": "DocumentNumber",
            "externalinvoicereference1": "ExternalInvoiceReference1",
            "externalinvoicereference2": "ExternalInvoiceReference2",
            "yourordernumber": "YourOrderNumber",
            "ocr": "OCR",
        },
        INVOICE_FILTERS,
        date_key="InvoiceDate",
    ),
    "orders": ListSpec(
        "orders",
        "Orders",
        fx.OrderListItem,
        {
            "customernumber": "CustomerNumber",
            "customername": "CustomerName",
            "documentnumber": "DocumentNumber",
            "externalinvoicereference1": "ExternalInvoiceReference1",
            "yourordernumber": "YourOrderNumber",
        },
        ORDER_FILTERS,
        date_key="OrderDate",
    ),
    "vouchers": ListSpec(
        "vouchers",
        "Vouchers",
        fx.Voucher,
        {},
        date_key="TransactionDate",
        extra_params=frozenset({"financialyear"}),
        shape=lambda d: {k: v for k, v in d.items() if k != "VoucherRows"},
    ),
}


class QueryError(Exception):
    """A list query the real API would refuse; carries the reply."""

    def __init__(self, reply: JSONResponse) -> None:
        super().__init__("bad query")
        self.reply = reply


def _parse_lastmodified(text: str) -> datetime:
    for pattern in LASTMODIFIED_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=FORTNOX_ZONE)
        except ValueError:
            continue
    raise QueryError(replies.api_error("invalid_parameter", detail=f"lastmodified={text}"))


def _int(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise QueryError(replies.api_error("invalid_parameter", detail=f"{name}={text}"))
    return int(text)


def _sort_key(key: Any) -> tuple[int, str]:
    text = "/".join(str(part) for part in key) if isinstance(key, tuple) else str(key)
    return (len(text), text)


def _contains(key: str, text: str) -> Callable[[Record], bool]:
    needle = text.lower()
    return lambda record: needle in str(record.data.get(key) or "").lower()


def _date_bound(key: str, bound: date, *, after: bool) -> Callable[[Record], bool]:
    def test(record: Record) -> bool:
        value = record.data.get(key)
        if not value:
            return False
        day = date.fromisoformat(value)
        return day >= bound if after else day <= bound

    return test


def _predicates(spec: ListSpec, params: QueryParams) -> list[Callable[[Record], bool]]:
    allowed = COMMON_PARAMS | spec.search.keys() | spec.extra_params
    allowed |= DATE_PARAMS if spec.date_key else frozenset()
    unknown = sorted(set(params.keys()) - allowed)
    if unknown:
        raise QueryError(replies.api_error("invalid_parameter", detail=", ".join(unknown)))
    tests: list[Callable[[Record], bool]] = []
    if "lastmodified" in params:
        since = _parse_lastmodified(params["lastmodified"])
        tests.append(lambda r: r.modified >= since)
    if "filter" in params:
        check = spec.filters.get(params["filter"])
        if check is None:
            raise QueryError(replies.api_error("invalid_filter"))
        tests.append(lambda r: check(r.data))
    for name, key in spec.search.items():
        if name in params:
            tests.append(_contains(key, params[name]))
    tests.extend(_date_tests(spec, params))
    return tests


def _date_tests(spec: ListSpec, params: QueryParams) -> list[Callable[[Record], bool]]:
    tests: list[Callable[[Record], bool]] = []
    for name, after in (("fromdate", True), ("todate", False)):
        if name not in params or spec.date_key is None:
            continue
        try:
            bound = date.fromisoformat(params[name])
        except ValueError as exc:
            raise QueryError(replies.api_error("invalid_parameter", detail=name)) from exc
        tests.append(_date_bound(spec.date_key, bound, after=after))
    if "financialyear" in params:
        year = params["financialyear"]
        tests.append(lambda r: str(r.data.get("Year")) == year)
    return tests


def list_reply(store: FortnoxStore, spec: ListSpec, params: QueryParams) -> JSONResponse:
    """The list answer for one query, or the real error reply for a bad query."""
    try:
        page = _int(params, "page", 1, 1, 1_000_000)
        limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        tests = _predicates(spec, params)
    except QueryError as exc:
        return exc.reply
    with store.lock:
        table = store.table(spec.table)
        keys = sorted(table, key=_sort_key)
        chosen = [table[k] for k in keys if all(test(table[k]) for test in tests)]
    shape = spec.shape or (lambda d: list_item(d, spec.item_model))
    return replies.listing(spec.wrapper, [shape(r.data) for r in chosen], page, limit)
