"""Fortnox invoices (credit notes included) and orders: the documents our order-to-cash flow sends.

Field lists follow the recorded real create responses (accodeing/fortnox-api cassettes) so a
real body has no unknown fields; anything Fortnox adds later is kept and reported as drift.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from westgear_desk.integrations.fortnox.fields import (
    Day,
    Flag,
    FortnoxModel,
    Integer,
    Number,
    Quantity,
    Text,
)

# A reference field of Fortnox holds "0" (older builds: number 0) when it points nowhere.
NO_REFERENCE = "0"


class EmailInformation(FortnoxModel):
    """How Fortnox e-mails the document."""

    email_address_from: Text = None
    email_address_to: Text = None
    email_address_cc: Text = None
    email_address_bcc: Text = None
    email_subject: Text = None
    email_body: Text = None


class EDIInformation(FortnoxModel):
    """E-invoicing (EDI) references."""

    edi_global_location_number: Text = None
    edi_global_location_number_delivery: Text = None
    edi_invoice_extra1: Text = None
    edi_invoice_extra2: Text = None
    edi_our_electronic_reference: Text = None
    edi_your_electronic_reference: Text = None
    edi_status: Text = None


class Label(FortnoxModel):
    """A document label reference."""

    id: Integer = None


class DocumentRow(FortnoxModel):
    """Fields shared by invoice and order rows; quantities are string-typed decimals."""

    account_number: Integer = None
    article_number: Text = None
    contribution_percent: Number = None
    contribution_value: Number = None
    cost: Number = None
    cost_center: Text = None
    delivered_quantity: Quantity = None
    description: Text = None
    discount: Number = None
    discount_type: Literal["AMOUNT", "PERCENT"] | None = None
    house_work: Flag = None
    house_work_hours_to_report: Integer = None
    house_work_type: Text = None
    price: Number = None
    project: Text = None
    row_id: Integer = None
    stock_point_code: Text = None
    total: Number = None
    unit: Text = None
    vat: Number = None
    vat_code: Text = None


class InvoiceRow(DocumentRow):
    """One invoice row (`InvoiceRows[]`)."""

    price_excluding_vat: Number = None
    total_excluding_vat: Number = None


class OrderRow(DocumentRow):
    """One order row (`OrderRows[]`)."""

    ordered_quantity: Quantity = None
    reserved_quantity: Quantity = None
    stock_point_id: Text = None


class SalesDocument(FortnoxModel):
    """Fields shared by Invoice and Order (request and response)."""

    url: Text = Field(default=None, alias="@url")
    url_tax_reduction_list: Text = Field(default=None, alias="@urlTaxReductionList")
    customer_number: str = Field(min_length=1)
    document_number: Text = None
    customer_name: Text = None
    address1: Text = None
    address2: Text = None
    zip_code: Text = None
    city: Text = None
    country: Text = None
    phone1: Text = None
    phone2: Text = None
    organisation_number: Text = None
    delivery_name: Text = None
    delivery_address1: Text = None
    delivery_address2: Text = None
    delivery_zip_code: Text = None
    delivery_city: Text = None
    delivery_country: Text = None
    delivery_date: Day = None
    administration_fee: Number = None
    administration_fee_vat: Number = None
    freight: Number = None
    freight_vat: Number = None
    gross: Number = None
    net: Number = None
    total: Number = None
    total_to_pay: Number = None
    total_vat: Number = None
    round_off: Number = None
    basis_tax_reduction: Number = None
    tax_reduction: Number = None
    tax_reduction_type: Text = None
    contribution_percent: Number = None
    contribution_value: Number = None
    currency: Text = None
    currency_rate: Number = None
    currency_unit: Number = None
    vat_included: Flag = None
    cancelled: Flag = None
    sent: Flag = None
    not_completed: Flag = None
    house_work: Flag = None
    warehouse_ready: Flag = None
    comments: Text = None
    remarks: Text = None
    cost_center: Text = None
    project: Text = None
    price_list: Text = None
    print_template: Text = None
    language: Literal["SV", "EN"] | None = None
    our_reference: Text = None
    your_reference: Text = None
    your_order_number: Text = None
    external_invoice_reference1: Text = None
    external_invoice_reference2: Text = None
    terms_of_delivery: Text = None
    terms_of_payment: Text = None
    way_of_delivery: Text = None
    outbound_date: Day = None
    offer_reference: Text = None
    invoice_reference: Text = None
    time_basis_reference: Text = None
    email_information: EmailInformation | None = None
    labels: list[Label] | None = None


class Invoice(SalesDocument):
    """An invoice; a credit note is an Invoice with `Credit` = "true"."""

    invoice_date: Day = None
    due_date: Day = None
    final_pay_date: Day = None
    last_remind_date: Day = None
    invoice_period_start: Day = None
    invoice_period_end: Day = None
    invoice_type: Text = None
    accounting_method: Text = None
    balance: Number = None
    booked: Flag = None
    credit: Flag = None
    credit_invoice_reference: Text = None
    contract_reference: Text = None
    order_reference: Text = None
    ocr: Text = None
    payment_way: Text = None
    reminders: Integer = None
    eu_quarterly_report: Flag = None
    nox_finans: Flag = None
    edi_information: EDIInformation | None = None
    voucher_number: Integer = None
    voucher_series: Text = None
    voucher_year: Integer = None
    invoice_rows: list[InvoiceRow] = Field(default_factory=list)

    @property
    def is_credit_note(self) -> bool:
        """True for a credit note (a credit invoice)."""
        return bool(self.credit)

    @property
    def credit_reference(self) -> str | None:
        """The linked document: on a credit note its original, on an original its credit note."""
        ref = self.credit_invoice_reference
        return None if ref in (None, NO_REFERENCE) else ref


class Order(SalesDocument):
    """A sales order."""

    order_date: Day = None
    order_type: Text = None
    copy_remarks: Flag = None
    delivery_state: Text = None
    stock_point_code: Text = None
    stock_point_id: Text = None
    order_rows: list[OrderRow] = Field(default_factory=list)


class InvoiceListItem(FortnoxModel):
    """The reduced invoice shape in `GET /3/invoices` lists [C: Fortnox docs via clients]."""

    url: Text = Field(default=None, alias="@url")
    document_number: str
    customer_number: Text = None
    customer_name: Text = None
    balance: Number = None
    total: Number = None
    booked: Flag = None
    cancelled: Flag = None
    sent: Flag = None
    cost_center: Text = None
    currency: Text = None
    currency_rate: Number = None
    currency_unit: Number = None
    invoice_date: Day = None
    due_date: Day = None
    final_pay_date: Day = None
    invoice_type: Text = None
    external_invoice_reference1: Text = None
    external_invoice_reference2: Text = None
    nox_finans: Flag = None
    ocr: Text = None
    project: Text = None
    terms_of_payment: Text = None
    way_of_delivery: Text = None
    voucher_number: Integer = None
    voucher_series: Text = None
    voucher_year: Integer = None


class OrderListItem(FortnoxModel):
    """The reduced order shape in `GET /3/orders` lists [C]."""

    url: Text = Field(default=None, alias="@url")
    document_number: str
    customer_number: Text = None
    customer_name: Text = None
    cancelled: Flag = None
    sent: Flag = None
    currency: Text = None
    total: Number = None
    order_date: Day = None
    delivery_date: Day = None
    order_type: Text = None
    project: Text = None
    our_reference: Text = None
    your_reference: Text = None
    external_invoice_reference1: Text = None
    external_invoice_reference2: Text = None
