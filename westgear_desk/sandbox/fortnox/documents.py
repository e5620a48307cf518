"""How the Fortnox sandbox completes invoices, credit notes and orders: numbers, totals, OCR.

Totals follow the recorded real invoice (rows 100 + freight 25 + fee 50, 25 % VAT ->
Total 219 with RoundOff 0.25). Freight and administration fee carry 25 % VAT [U], a row
`Discount` of type AMOUNT is per row [U], and `Gross` equals `Net` [U].
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from westgear_desk.domain.ocr import make_ocr
from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.integrations.fortnox.documents import NO_REFERENCE, DocumentRow, SalesDocument
from westgear_desk.sandbox.fortnox.store import REAL_URL_BASE, fortnox_quantity, wire

CENT = Decimal("0.01")
FEE_VAT = Decimal(25)  # [U] VAT on freight and administration fee
DEFAULT_VAT = Decimal(25)
DEFAULT_TERMS_DAYS = 30
VAT_CODES = {Decimal(25): "MP1", Decimal(12): "MP2", Decimal(6): "MP3"}  # [U] "MF" otherwise
_QUANTITY_KEYS = ("DeliveredQuantity", "OrderedQuantity", "ReservedQuantity")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _row_amounts(row: DocumentRow, quantity: Decimal, vat_included: bool) -> dict[str, Decimal]:
    price = row.price or Decimal(0)
    gross = quantity * price
    if row.discount and row.discount_type == "AMOUNT":
        gross -= row.discount
    elif row.discount:
        gross -= gross * row.discount / 100
    total = _money(gross)
    rate = DEFAULT_VAT if row.vat is None else row.vat
    if vat_included:
        vat = _money(total * rate / (100 + rate))
        net, unit_net = total - vat, _money(price * 100 / (100 + rate))
    else:
        vat, net, unit_net = _money(total * rate / 100), total, price
    return {"total": total, "net": net, "vat": vat, "unit_net": unit_net, "rate": rate}


def complete_rows(
    rows: Sequence[DocumentRow], quantity_of: str, vat_included: bool, first_row_id: int
) -> tuple[list[DocumentRow], dict[str, Decimal]]:
    """Rows with Total/RowId filled in, and the sums (net, vat) over them."""
    done: list[DocumentRow] = []
    net = vat = Decimal(0)
    for offset, row in enumerate(rows):
        quantity = getattr(row, quantity_of) or Decimal(0)
        amounts = _row_amounts(row, quantity, vat_included)
        update: dict[str, Any] = {
            "total": amounts["total"],
            "vat": amounts["rate"],
            "row_id": first_row_id + offset,
            "vat_code": VAT_CODES.get(amounts["rate"], "MF"),
        }
        if isinstance(row, fx.InvoiceRow):
            update["price_excluding_vat"] = amounts["unit_net"]
            update["total_excluding_vat"] = amounts["net"]
        if isinstance(row, fx.OrderRow) and row.delivered_quantity is None:
            update["delivered_quantity"] = quantity
        done.append(row.model_copy(update=update))
        net += amounts["net"]
        vat += amounts["vat"]
    return done, {"net": net, "vat": vat}


def document_totals(
    sums: dict[str, Decimal], freight: Decimal, fee: Decimal, vat_included: bool
) -> dict[str, Decimal]:
    """Header totals: VAT on freight and fee, rounding to whole kronor with RoundOff."""
    if vat_included:
        freight_vat = _money(freight * FEE_VAT / (100 + FEE_VAT))
        fee_vat = _money(fee * FEE_VAT / (100 + FEE_VAT))
        extras = freight + fee - freight_vat - fee_vat
    else:
        freight_vat, fee_vat = _money(freight * FEE_VAT / 100), _money(fee * FEE_VAT / 100)
        extras = freight + fee
    total_vat = sums["vat"] + freight_vat + fee_vat
    exact = sums["net"] + extras + total_vat
    total = exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return {
        "net": sums["net"],
        "gross": sums["net"],
        "freight_vat": freight_vat,
        "administration_fee_vat": fee_vat,
        "total_vat": total_vat,
        "total": total,
        "round_off": total - exact,
    }


def header_from_customer(customer: dict[str, Any]) -> dict[str, Any]:
    """Invoice/order fields Fortnox copies from the customer when the payload leaves them out."""
    return {
        "customer_name": customer.get("Name"),
        "address1": customer.get("Address1"),
        "address2": customer.get("Address2"),
        "zip_code": customer.get("ZipCode"),
        "city": customer.get("City"),
        "country": customer.get("Country"),
        "organisation_number": customer.get("OrganisationNumber"),
        "phone1": customer.get("Phone1"),
        "terms_of_payment": customer.get("TermsOfPayment") or str(DEFAULT_TERMS_DAYS),
        "currency": customer.get("Currency") or "SEK",
        "price_list": customer.get("PriceList"),
    }


def _defaults(doc: SalesDocument, customer: dict[str, Any]) -> dict[str, Any]:
    given = doc.model_dump(exclude_none=True)
    return {k: v for k, v in header_from_customer(customer).items() if k not in given}


def complete_invoice(
    payload: fx.Invoice, number: str, customer: dict[str, Any], today: date, row_id: int
) -> fx.Invoice:
    """A posted invoice (or credit note) as Fortnox stores it."""
    doc = payload.model_copy(update=_defaults(payload, customer))
    vat_included = bool(doc.vat_included)
    rows, sums = complete_rows(doc.invoice_rows, "delivered_quantity", vat_included, row_id)
    totals = document_totals(
        sums, doc.freight or Decimal(0), doc.administration_fee or Decimal(0), vat_included
    )
    invoice_date = doc.invoice_date or today
    terms_text = doc.terms_of_payment or ""
    terms = int(terms_text) if terms_text.isdigit() else DEFAULT_TERMS_DAYS
    return doc.model_copy(
        update={
            **totals,
            "url": f"{REAL_URL_BASE}/3/invoices/{number}",
            "document_number": number,
            "invoice_rows": rows,
            "invoice_date": invoice_date,
            "due_date": doc.due_date or invoice_date + timedelta(days=terms),
            "invoice_type": doc.invoice_type or "INVOICE",
            "language": doc.language or "SV",
            "vat_included": vat_included,
            "balance": totals["total"],
            "total_to_pay": totals["total"],
            "booked": False,
            "cancelled": False,
            "sent": False,
            "credit": bool(doc.credit),
            "credit_invoice_reference": doc.credit_invoice_reference or NO_REFERENCE,
            "order_reference": doc.order_reference or NO_REFERENCE,
            "offer_reference": NO_REFERENCE,
            "contract_reference": NO_REFERENCE,
            "ocr": doc.ocr or make_ocr(number.zfill(4)),
        }
    )


def complete_order(
    payload: fx.Order, number: str, customer: dict[str, Any], today: date, row_id: int
) -> fx.Order:
    """A created order as Fortnox stores it."""
    doc = payload.model_copy(update=_defaults(payload, customer))
    vat_included = bool(doc.vat_included)
    rows, sums = complete_rows(doc.order_rows, "ordered_quantity", vat_included, row_id)
    totals = document_totals(
        sums, doc.freight or Decimal(0), doc.administration_fee or Decimal(0), vat_included
    )
    return doc.model_copy(
        update={
            **totals,
            "url": f"{REAL_URL_BASE}/3/orders/{number}",
            "document_number": number,
            "order_rows": rows,
            "order_date": doc.order_date or today,
            "order_type": "Order",
            "language": doc.language or "SV",
            "vat_included": vat_included,
            "cancelled": False,
            "sent": False,
            "invoice_reference": NO_REFERENCE,
            "offer_reference": NO_REFERENCE,
            "total_to_pay": totals["total"],
        }
    )


def credit_payload(original: fx.Invoice) -> fx.Invoice:
    """The credit note of `original`: the same rows with negated quantities, linked back."""
    rows = [
        row.model_copy(update={"delivered_quantity": -(row.delivered_quantity or Decimal(0))})
        for row in original.invoice_rows
    ]
    return original.model_copy(
        update={
            "invoice_rows": rows,
            "credit": True,
            "credit_invoice_reference": original.document_number,
            "invoice_date": None,
            "due_date": None,
            "ocr": None,
            "freight": -(original.freight or Decimal(0)),
            "administration_fee": -(original.administration_fee or Decimal(0)),
        }
    )


def invoice_payload_from_order(order: fx.Order) -> fx.Invoice:
    """What `PUT /orders/{n}/createinvoice` invoices: the order's delivered rows."""
    shared = order.model_dump(
        include=set(SalesDocument.model_fields) - {"url", "document_number", "total"}
    )
    rows = [
        fx.InvoiceRow.model_validate(
            row.model_dump(include=set(DocumentRow.model_fields) - {"row_id", "total"})
        )
        for row in order.order_rows
    ]
    return fx.Invoice.model_validate(
        {**shared, "invoice_rows": rows, "order_reference": order.document_number}
    )


def render(document: fx.Invoice | fx.Order) -> dict[str, Any]:
    """The wire shape with Fortnox's quirks: `Credit` as text, quantities as "1"."""
    data = wire(document)
    if isinstance(document, fx.Invoice):
        data["Credit"] = "true" if document.credit else "false"
    for row in data.get("InvoiceRows") or data.get("OrderRows") or []:
        for key in _QUANTITY_KEYS:
            if row.get(key) is not None:
                row[key] = fortnox_quantity(Decimal(row[key]))
    return data
