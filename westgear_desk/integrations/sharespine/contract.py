"""Sharespine (Plugboard) payloads as pydantic models, so what we read is checked at the edge.

Permissive on purpose: business rules (missing GTIN, VAT mismatch, negative stock ...) are
not contract errors here; they become quarantine reasons in `domain/`. Unknown fields are
kept and reported through `ContractModel.unknown_fields()` (schema drift).

ASSUMPTIONS (the reference marks these [U]; correct them HERE and in the sandbox payloads):
- Lists (`GET /product`, `/customer`, `/order`) answer a bare JSON array, as the composed
  `GET /order` example does; paging is `offset`/`limit` query parameters and the total count
  comes in an `X-Total-Count` header (see `PageInfo`). Records keep a stable order.
- `modifiedAtOrAfter` (documented for orders) works the same on products and customers;
  `lastModified` has whole-second resolution, so the filter is inclusive per second.
- Product: variants are nested under their product (`variants[]`), each variant naming its
  parent in `parentRemoteId`; texts per language are objects keyed by language code
  (`title`, `description`); specifications are `attributes[]{name,value}`; the variant axes
  are `variantAttributeNames[]` on the product and `options{name: value}` on each variant;
  stock per location is `stockPerLocation[]{locationId, stock}` beside the documented total
  `stock`; prices are `prices[]{priceList, currency, priceInclVat, priceExclVat,
  validFrom, validTo}` with price lists "LIST", "CAMPAIGN" and B2B levels ("B2B-A"...).
  Money is sent as decimal strings; numbers are accepted too.
- Customer: `GET /customer`, fields `customerType` ("person"/"company"), `orgNo`, `vatNo`.
- Order: payment status field `paymentStatus`, rows `rows[]` with `pricePerUnitExclVat` [V]
  and `discountExclVat`; `salesChannel`, `paymentMethod`, `shippingCostExclVat`.
- Error body: `{"code", "name", "category", "message"}` built from the documented error
  identifiers `Name(code, Category)`; the shape itself is invented.
- Change notification (webhook): no public push API exists; our sandbox posts
  `{"eventId", "recordType", "localId", "remoteId", "changes", "lastModified"}` signed with
  HMAC-SHA256 of the body in `X-Sharespine-Signature` (hex). Entirely assumed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, TypeAdapter

from westgear_desk.integrations.drift import ContractModel

SIGNATURE_HEADER = "X-Sharespine-Signature"  # [U] sandbox-only webhook signature header
TOTAL_COUNT_HEADER = "X-Total-Count"  # [U]
DEFAULT_PAGE_SIZE = 500  # [U] the sandbox also caps `limit` at MAX_PAGE_SIZE
MAX_PAGE_SIZE = 1000

Texts = dict[str, str]  # language code -> text


def _timestamp_text(value: object) -> object:
    """Timestamps come as ISO-8601 text; a number would be a silent type change (drift)."""
    if isinstance(value, int | float):
        raise ValueError("expected an ISO-8601 timestamp string, got a number")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text)]


class Record(ContractModel):
    """Fields every Plugboard record carries [V]."""

    href: str | None = None
    local_id: str = Field(alias="localId")
    remote_id: str | None = Field(default=None, alias="remoteId")
    remote_id_map: dict[str, str] = Field(default_factory=dict, alias="remoteIdMap")
    remote_ref_map: dict[str, str] = Field(default_factory=dict, alias="remoteRefMap")
    created: Timestamp | None = None
    last_modified: Timestamp = Field(alias="lastModified")


class Price(ContractModel):
    """One price of a variant in one price list."""

    price_list: str = Field(alias="priceList")
    currency: str
    price_incl_vat: Decimal | None = Field(default=None, alias="priceInclVat")
    price_excl_vat: Decimal | None = Field(default=None, alias="priceExclVat")
    valid_from: Timestamp | None = Field(default=None, alias="validFrom")
    valid_to: Timestamp | None = Field(default=None, alias="validTo")


class LocationStock(ContractModel):
    """Stock at one stock location."""

    location_id: str = Field(alias="locationId")
    stock: Decimal


class Media(ContractModel):
    """One image of a product."""

    url: str
    position: int | None = None
    alt: Texts = Field(default_factory=dict)


class Specification(ContractModel):
    """One specification (attribute) of a product, e.g. Flytkraft = 150 N."""

    name: str
    value: str


class DangerousGoods(ContractModel):
    """ADR data of a product that ships as dangerous goods."""

    un_number: str = Field(alias="unNumber")
    dg_class: str | None = Field(default=None, alias="class")


class Variant(ContractModel):
    """One sellable variant nested under its product."""

    local_id: str | None = Field(default=None, alias="localId")
    remote_id: str | None = Field(default=None, alias="remoteId")
    parent_remote_id: str | None = Field(default=None, alias="parentRemoteId")
    sku: str | None = None
    gtin: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    stock: Decimal | None = None
    stock_type: str | None = Field(default=None, alias="stockType")
    stock_per_location: list[LocationStock] = Field(default_factory=list, alias="stockPerLocation")
    prices: list[Price] = Field(default_factory=list)
    weight: Decimal | None = None  # kg
    length: Decimal | None = None  # cm
    width: Decimal | None = None
    height: Decimal | None = None
    last_modified: Timestamp | None = Field(default=None, alias="lastModified")


class Product(Record):
    """A product with its variants [V: remoteId, sku, vatRatePercent, stock, stockType]."""

    sku: str | None = None
    title: Texts = Field(default_factory=dict)
    description: Texts = Field(default_factory=dict)
    brand: str | None = None
    category: str | None = None
    vat_rate_percent: Decimal | None = Field(default=None, alias="vatRatePercent")
    stock_type: str | None = Field(default=None, alias="stockType")
    shipping_class: str | None = Field(default=None, alias="shippingClass")
    dangerous_goods: DangerousGoods | None = Field(default=None, alias="dangerousGoods")
    attributes: list[Specification] = Field(default_factory=list)
    media: list[Media] = Field(default_factory=list)
    variant_attribute_names: list[str] = Field(default_factory=list, alias="variantAttributeNames")
    variants: list[Variant] = Field(default_factory=list)


class Address(ContractModel):
    """A postal address on a customer or an order."""

    name: str | None = None
    street: str | None = None
    postal_code: str | None = Field(default=None, alias="postalCode")
    city: str | None = None
    country_code: str | None = Field(default=None, alias="countryCode")


class Customer(Record):
    """A B2C person or B2B company."""

    customer_type: str | None = Field(default=None, alias="customerType")
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    company_name: str | None = Field(default=None, alias="companyName")
    org_no: str | None = Field(default=None, alias="orgNo")
    vat_no: str | None = Field(default=None, alias="vatNo")
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    price_list: str | None = Field(default=None, alias="priceList")
    address: Address | None = None


class OrderRow(ContractModel):
    """One order row; `price_per_unit_excl_vat` is what was paid, discount already applied [V]."""

    sku: str | None = None
    title: str | None = None
    quantity: Decimal
    price_per_unit_excl_vat: Decimal = Field(alias="pricePerUnitExclVat")
    vat_rate_percent: Decimal | None = Field(default=None, alias="vatRatePercent")
    discount_excl_vat: Decimal | None = Field(default=None, alias="discountExclVat")


class OrderCustomer(ContractModel):
    """The buyer as recorded on the order."""

    remote_id: str | None = Field(default=None, alias="remoteId")
    customer_type: str | None = Field(default=None, alias="customerType")
    name: str | None = None
    org_no: str | None = Field(default=None, alias="orgNo")
    vat_no: str | None = Field(default=None, alias="vatNo")
    email: str | None = None
    phone: str | None = None


class Order(Record):
    """A shop or marketplace order (remoteId = the channel's order id)."""

    remote_order_no: str | None = Field(default=None, alias="remoteOrderNo")
    order_status: str | None = Field(default=None, alias="orderStatus")
    shipping_status: str | None = Field(default=None, alias="shippingStatus")
    payment_status: str | None = Field(default=None, alias="paymentStatus")
    payment_method: str | None = Field(default=None, alias="paymentMethod")
    sales_channel: str | None = Field(default=None, alias="salesChannel")
    currency: str | None = None
    customer: OrderCustomer | None = None
    billing_address: Address | None = Field(default=None, alias="billingAddress")
    shipping_address: Address | None = Field(default=None, alias="shippingAddress")
    rows: list[OrderRow] = Field(default_factory=list)
    shipping_cost_excl_vat: Decimal | None = Field(default=None, alias="shippingCostExclVat")


class ConnectionInfo(ContractModel):
    """`GET /api/` metadata about the API connection [V exists; fields U]."""

    tenant: str
    connection_id: str = Field(alias="connectionId")
    name: str | None = None
    api_version: str | None = Field(default=None, alias="apiVersion")


class ErrorBody(ContractModel):
    """An error answer: documented identifier `Name(code, Category)`; shape assumed."""

    code: int | None = None
    name: str | None = None
    category: str | None = None
    message: str | None = None


class RelatedIdMessage(ContractModel):
    """One record a log event is about [V]."""

    id: str
    display_id: str | None = Field(default=None, alias="displayId")
    message: str | None = None


class LogEvent(ContractModel):
    """`POST /log/event`: an error shown in the hub's event history [V fields]."""

    severity: Literal["Error", "Warning", "Info"]
    related_record_type: str = Field(alias="relatedRecordType")
    direction: Literal["import", "export"]
    summary: str
    body: list[str] = Field(default_factory=list)
    related_id_msgs: list[RelatedIdMessage] = Field(default_factory=list, alias="relatedIdMsgs")
    time: Timestamp


class ChangeNotification(ContractModel):
    """A pushed record change (sandbox-only shape; the real push API is unknown)."""

    event_id: str = Field(alias="eventId")
    record_type: Literal["product", "customer", "order"] = Field(alias="recordType")
    local_id: str = Field(alias="localId")
    remote_id: str | None = Field(default=None, alias="remoteId")
    changes: list[str] = Field(default_factory=list)
    last_modified: Timestamp = Field(alias="lastModified")


class PageInfo(ContractModel):
    """Where a page sits in a list: from the request and the `X-Total-Count` header [U]."""

    offset: int = Field(ge=0)
    limit: int = Field(ge=1)
    count: int = Field(ge=0)
    total: int | None = Field(default=None, ge=0)

    @property
    def has_more(self) -> bool:
        """True when another page may follow this one."""
        if self.total is not None:
            return self.offset + self.count < self.total
        return self.count >= self.limit


PRODUCT_PAGE: TypeAdapter[list[Product]] = TypeAdapter(list[Product])
CUSTOMER_PAGE: TypeAdapter[list[Customer]] = TypeAdapter(list[Customer])
ORDER_PAGE: TypeAdapter[list[Order]] = TypeAdapter(list[Order])


def format_timestamp(value: datetime) -> str:
    """Format an aware datetime as Plugboard does: UTC, whole seconds, `Z` (floors fractions)."""
    if value.tzinfo is None:
        raise ValueError("timestamps sent to Sharespine must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
