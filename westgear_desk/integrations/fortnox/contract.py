"""The Fortnox data contract: envelopes, paging, the three error shapes and the OAuth token.

Resources travel wrapped in their name (`{"Invoice": {...}}`, lists as
`{"Invoices": [...], "MetaInformation": {...}}`). The document and register models live in
documents.py and registers.py and are re-exported here, so callers import one module.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field

from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.fortnox.documents import (
    EDIInformation,
    EmailInformation,
    Invoice,
    InvoiceListItem,
    InvoiceRow,
    Label,
    Order,
    OrderListItem,
    OrderRow,
)
from westgear_desk.integrations.fortnox.fields import FortnoxModel
from westgear_desk.integrations.fortnox.registers import (
    Article,
    ArticleListItem,
    Customer,
    CustomerListItem,
    Voucher,
    VoucherRow,
)

__all__ = [
    "Article",
    "ArticleEnvelope",
    "ArticleList",
    "ArticleListItem",
    "Customer",
    "CustomerEnvelope",
    "CustomerList",
    "CustomerListItem",
    "EDIInformation",
    "EmailInformation",
    "ErrorInformation",
    "FortnoxErrorBody",
    "GatewayErrorBody",
    "Invoice",
    "InvoiceEnvelope",
    "InvoiceList",
    "InvoiceListItem",
    "InvoiceRow",
    "Label",
    "MetaInformation",
    "OAuthErrorBody",
    "Order",
    "OrderEnvelope",
    "OrderList",
    "OrderListItem",
    "OrderRow",
    "TokenResponse",
    "Voucher",
    "VoucherEnvelope",
    "VoucherList",
    "VoucherRow",
]


class MetaInformation(ContractModel):
    """Paging of a list answer; `@Limit` is seen only by some clients [C]."""

    total_resources: int = Field(alias="@TotalResources", ge=0)
    total_pages: int = Field(alias="@TotalPages", ge=0)
    current_page: int = Field(alias="@CurrentPage", ge=0)
    limit: int | None = Field(default=None, alias="@Limit")


class CustomerEnvelope(FortnoxModel):
    """`{"Customer": {...}}`."""

    customer: Customer


class CustomerList(FortnoxModel):
    """`{"Customers": [...], "MetaInformation": {...}}`."""

    customers: list[CustomerListItem]
    meta_information: MetaInformation


class ArticleEnvelope(FortnoxModel):
    """`{"Article": {...}}`."""

    article: Article


class ArticleList(FortnoxModel):
    """`{"Articles": [...], "MetaInformation": {...}}`."""

    articles: list[ArticleListItem]
    meta_information: MetaInformation


class InvoiceEnvelope(FortnoxModel):
    """`{"Invoice": {...}}` (also a credit note)."""

    invoice: Invoice


class InvoiceList(FortnoxModel):
    """`{"Invoices": [...], "MetaInformation": {...}}`."""

    invoices: list[InvoiceListItem]
    meta_information: MetaInformation


class OrderEnvelope(FortnoxModel):
    """`{"Order": {...}}`."""

    order: Order


class OrderList(FortnoxModel):
    """`{"Orders": [...], "MetaInformation": {...}}`."""

    orders: list[OrderListItem]
    meta_information: MetaInformation


class VoucherEnvelope(FortnoxModel):
    """`{"Voucher": {...}}`."""

    voucher: Voucher


class VoucherList(FortnoxModel):
    """`{"Vouchers": [...], "MetaInformation": {...}}`."""

    vouchers: list[Voucher]
    meta_information: MetaInformation


class ErrorInformation(ContractModel):
    """The inside of a Fortnox error: a 404 spells it `Error/Message/Code`, a 400 `error/...`."""

    error: int | str | None = Field(default=None, validation_alias=AliasChoices("Error", "error"))
    message: str = Field(validation_alias=AliasChoices("Message", "message"))
    code: int | str | None = Field(default=None, validation_alias=AliasChoices("Code", "code"))


class FortnoxErrorBody(ContractModel):
    """`{"ErrorInformation": {...}}`, the API's own error body (400, 403, 404, 429?, 500)."""

    error_information: ErrorInformation = Field(alias="ErrorInformation")


class GatewayErrorBody(ContractModel):
    """`{"message": "unauthorized"}`: the gateway's 401 (expired or wrong token), recorded real."""

    message: str


class TokenResponse(ContractModel):
    """The OAuth token endpoint's answer; client-credentials answers carry no refresh token."""

    access_token: str = Field(min_length=1)
    refresh_token: str | None = None
    scope: str | None = None
    expires_in: int = Field(gt=0)
    token_type: str


class OAuthErrorBody(ContractModel):
    """RFC 6749 error of the token endpoint, e.g. `invalid_grant` [U: Fortnox's exact body]."""

    error: str
    error_description: str | None = None
