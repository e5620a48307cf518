"""Fortnox customers, articles and vouchers: the registers our documents refer to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import Field, model_validator

from westgear_desk.integrations.fortnox.fields import (
    Flag,
    FortnoxModel,
    Integer,
    Number,
    Text,
)

VatType = Literal["SEVAT", "SEREVERSEDVAT", "EUREVERSEDVAT", "EUVAT", "EXPORT"]


class DefaultDeliveryTypes(FortnoxModel):
    """How each document type reaches the customer (PRINT, EMAIL, …)."""

    invoice: Text = None
    order: Text = None
    offer: Text = None


class DefaultTemplates(FortnoxModel):
    """Print template per document type."""

    order: Text = None
    offer: Text = None
    invoice: Text = None
    cash_invoice: Text = None


class Customer(FortnoxModel):
    """A customer (`Name` is the only required field)."""

    url: Text = Field(default=None, alias="@url")
    customer_number: Text = None
    name: str = Field(min_length=1)
    organisation_number: Text = None
    type: Literal["PRIVATE", "COMPANY"] | None = None
    active: Flag = None
    external_reference: Text = None
    email: Text = None
    email_invoice: Text = None
    email_invoice_cc: Text = None
    email_invoice_bcc: Text = None
    email_offer: Text = None
    email_offer_cc: Text = None
    email_offer_bcc: Text = None
    email_order: Text = None
    email_order_cc: Text = None
    email_order_bcc: Text = None
    address1: Text = None
    address2: Text = None
    zip_code: Text = None
    city: Text = None
    country: Text = None
    country_code: Text = None
    phone1: Text = None
    phone2: Text = None
    fax: Text = None
    www: Text = None
    delivery_name: Text = None
    delivery_address1: Text = None
    delivery_address2: Text = None
    delivery_zip_code: Text = None
    delivery_city: Text = None
    delivery_country: Text = None
    delivery_country_code: Text = None
    delivery_phone1: Text = None
    delivery_phone2: Text = None
    delivery_fax: Text = None
    visiting_address: Text = None
    visiting_zip_code: Text = None
    visiting_city: Text = None
    visiting_country: Text = None
    visiting_country_code: Text = None
    currency: Text = None
    vat_type: VatType | None = None
    vat_number: Text = None
    gln: Text = None
    gln_delivery: Text = None
    terms_of_payment: Text = None
    terms_of_delivery: Text = None
    way_of_delivery: Text = None
    price_list: Text = None
    cost_center: Text = None
    project: Text = None
    sales_account: Integer = None
    show_price_vat_included: Flag = None
    invoice_administration_fee: Number = None
    invoice_discount: Number = None
    invoice_freight: Number = None
    invoice_remark: Text = None
    our_reference: Text = None
    your_reference: Text = None
    comments: Text = None
    default_delivery_types: DefaultDeliveryTypes | None = None
    default_templates: DefaultTemplates | None = None


class CustomerListItem(FortnoxModel):
    """The reduced customer shape in `GET /3/customers` lists (recorded real)."""

    url: Text = Field(default=None, alias="@url")
    customer_number: str
    name: Text = None
    organisation_number: Text = None
    email: Text = None
    address1: Text = None
    address2: Text = None
    zip_code: Text = None
    city: Text = None
    phone: Text = None


class Article(FortnoxModel):
    """An article (`Description` is required)."""

    url: Text = Field(default=None, alias="@url")
    article_number: Text = None
    description: str = Field(min_length=1)
    type: Literal["STOCK", "SERVICE"] | None = None
    active: Flag = None
    expired: Flag = None
    ean: Text = None
    unit: Text = None
    vat: Number = None
    sales_price: Number = None
    purchase_price: Number = None
    direct_cost: Number = None
    freight_cost: Number = None
    other_cost: Number = None
    cost_calculation_method: Text = None
    stock_goods: Flag = None
    stock_place: Text = None
    stock_value: Number = None
    stock_warning: Number = None
    quantity_in_stock: Number = None
    reserved_quantity: Number = None
    disposable_quantity: Number = None
    default_stock_point: Text = None
    default_stock_location: Text = None
    webshop_article: Flag = None
    bulky: Flag = None
    housework: Flag = None
    housework_type: Text = None
    manufacturer: Text = None
    manufacturer_article_number: Text = None
    supplier_name: Text = None
    supplier_number: Text = None
    note: Text = None
    commodity_code: Text = None
    weight: Integer = None
    height: Integer = None
    width: Integer = None
    depth: Integer = None
    sales_account: Integer = None
    purchase_account: Integer = None
    construction_account: Integer = None
    eu_account: Integer = None
    eu_vat_account: Integer = None
    export_account: Integer = None
    stock_account: Integer = None
    stock_change_account: Integer = None


class ArticleListItem(FortnoxModel):
    """The reduced article shape in `GET /3/articles` lists [C]."""

    url: Text = Field(default=None, alias="@url")
    article_number: str
    description: Text = None
    ean: Text = None
    unit: Text = None
    vat: Number = None
    sales_price: Number = None
    purchase_price: Number = None
    quantity_in_stock: Number = None
    reserved_quantity: Number = None
    disposable_quantity: Number = None
    stock_place: Text = None
    stock_value: Number = None
    housework: Flag = None
    webshop_article: Flag = None


class VoucherRow(FortnoxModel):
    """One bookkeeping row; `Account` is required."""

    account: int
    debit: Number = None
    credit: Number = None
    description: Text = None
    transaction_information: Text = None
    cost_center: Text = None
    project: Text = None
    quantity: Number = None
    removed: Flag = None


class Voucher(FortnoxModel):
    """A voucher; list items carry no rows. Rows, when present, must balance."""

    url: Text = Field(default=None, alias="@url")
    voucher_series: Text = None
    voucher_number: Integer = None
    year: Integer = None
    transaction_date: date
    description: str
    comments: Text = None
    reference_number: Text = None
    reference_type: Text = None
    approval_state: Integer = None
    voucher_rows: list[VoucherRow] | None = None

    @model_validator(mode="after")
    def _rows_balance(self) -> Self:
        rows = self.voucher_rows or []
        debit = sum((row.debit or Decimal(0) for row in rows), Decimal(0))
        credit = sum((row.credit or Decimal(0) for row in rows), Decimal(0))
        if debit != credit:
            raise ValueError(f"VoucherRows do not balance: debit {debit} != credit {credit}")
        return self
