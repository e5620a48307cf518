"""Fortnox sandbox handlers for sales documents and bookkeeping: invoices, orders, vouchers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.sandbox.fortnox import documents, replies
from westgear_desk.sandbox.fortnox.bodies import BadBodyError, Handler, read_body, today
from westgear_desk.sandbox.fortnox.store import (
    REAL_URL_BASE,
    FortnoxStore,
    financial_year_id,
    wire,
)


class SalesHandlers:
    """Invoices (credit notes, cancel, bookkeep, pay), orders and vouchers over one store."""

    def __init__(self, store: FortnoxStore) -> None:
        self.store = store

    def _customer(self, number: str) -> dict[str, Any]:
        record = self.store.customers.get(number)
        if record is None:
            raise BadBodyError(replies.api_error("customer_not_found", detail=number))
        return record.data

    def _check_articles(self, rows: list[Any]) -> None:
        for row in rows:
            if row.article_number and row.article_number not in self.store.articles:
                raise BadBodyError(
                    replies.api_error("article_not_found", detail=row.article_number)
                )

    # ----------------------------------------------------------------- invoices

    def _next_row_id(self) -> int:
        rows = 0
        for table in (self.store.invoices, self.store.orders):
            for record in table.values():
                rows += len(record.data.get("InvoiceRows") or record.data.get("OrderRows") or [])
        return rows + 1

    def _post_invoice(self, payload: fx.Invoice) -> dict[str, Any]:
        with self.store.lock:
            customer = self._customer(payload.customer_number)
            self._check_articles(payload.invoice_rows)
            number = self.store.next_number("invoices")
            invoice = documents.complete_invoice(
                payload, number, customer, today(), self._next_row_id()
            )
            return self.store.put("invoices", number, documents.render(invoice))

    async def create_invoice(self, request: Request) -> Response:
        """POST /3/invoices (a partial credit note too, with CreditInvoiceReference [C])."""
        payload = (await read_body(request, fx.InvoiceEnvelope, "Invoice")).invoice
        return replies.envelope("Invoice", self._post_invoice(payload), 201)

    def _invoice(self, number: str) -> fx.Invoice | None:
        record = self.store.invoices.get(number)
        return None if record is None else fx.Invoice.model_validate(record.data)

    async def credit_invoice(self, request: Request) -> Response:
        """PUT /3/invoices/{n}/credit: a full credit note; answers the original, now linked [U]."""
        number = request.path_params["number"]
        with self.store.lock:
            original = self._invoice(number)
            if original is None:
                return replies.api_error("invoice_not_found", 404)
            if original.cancelled or original.is_credit_note or original.credit_reference:
                return replies.api_error("not_allowed", detail="Fakturan kan inte krediteras.")
            credit = self._post_invoice(documents.credit_payload(original))
            linked = original.model_copy(
                update={"credit_invoice_reference": credit["DocumentNumber"]}
            )
            data = self.store.put("invoices", number, documents.render(linked))
        return replies.envelope("Invoice", data)

    def invoice_action(self, action: str) -> Handler:
        """PUT /3/invoices/{n}/cancel | bookkeep."""

        async def run(request: Request) -> Response:
            number = request.path_params["number"]
            with self.store.lock:
                invoice = self._invoice(number)
                if invoice is None:
                    return replies.api_error("invoice_not_found", 404)
                if invoice.cancelled or (action == "cancel" and invoice.booked):
                    return replies.api_error("not_allowed")
                field = "cancelled" if action == "cancel" else "booked"
                changed = invoice.model_copy(update={field: True})
                data = self.store.put("invoices", number, documents.render(changed))
            return replies.envelope("Invoice", data)

        return run

    async def pay_invoice(self, request: Request) -> Response:
        """Admin: the customer pays the invoice in full (Balance 0), as a bank file would."""
        number = request.path_params["number"]
        with self.store.lock:
            invoice = self._invoice(number)
            if invoice is None:
                return replies.api_error("invoice_not_found", 404)
            paid = invoice.model_copy(update={"balance": 0, "final_pay_date": today()})
            data = self.store.put("invoices", number, documents.render(paid))
        return replies.envelope("Invoice", data)

    # ----------------------------------------------------------------- orders

    async def create_order(self, request: Request) -> Response:
        """POST /3/orders."""
        payload = (await read_body(request, fx.OrderEnvelope, "Order")).order
        with self.store.lock:
            customer = self._customer(payload.customer_number)
            self._check_articles(payload.order_rows)
            number = self.store.next_number("orders")
            order = documents.complete_order(
                payload, number, customer, today(), self._next_row_id()
            )
            data = self.store.put("orders", number, documents.render(order))
        return replies.envelope("Order", data, 201)

    async def invoice_order(self, request: Request) -> Response:
        """PUT /3/orders/{n}/createinvoice: answers the new invoice."""
        number = request.path_params["number"]
        with self.store.lock:
            record = self.store.orders.get(number)
            if record is None:
                return replies.api_error("order_not_found", 404)
            order = fx.Order.model_validate(record.data)
            if order.cancelled or order.invoice_reference not in (None, "0"):
                return replies.api_error("not_allowed")
            invoice = self._post_invoice(documents.invoice_payload_from_order(order))
            linked = order.model_copy(update={"invoice_reference": invoice["DocumentNumber"]})
            self.store.put("orders", number, documents.render(linked))
        return replies.envelope("Invoice", invoice)

    async def cancel_order(self, request: Request) -> Response:
        """PUT /3/orders/{n}/cancel (only before it was invoiced)."""
        number = request.path_params["number"]
        with self.store.lock:
            record = self.store.orders.get(number)
            if record is None:
                return replies.api_error("order_not_found", 404)
            order = fx.Order.model_validate(record.data)
            if order.cancelled or order.invoice_reference not in (None, "0"):
                return replies.api_error("not_allowed")
            data = self.store.put(
                "orders", number, documents.render(order.model_copy(update={"cancelled": True}))
            )
        return replies.envelope("Order", data)

    # ----------------------------------------------------------------- vouchers

    async def create_voucher(self, request: Request) -> Response:
        """POST /3/vouchers (rows must balance)."""
        try:
            voucher = (await read_body(request, fx.VoucherEnvelope, "Voucher")).voucher
        except BadBodyError as exc:
            if b"do not balance" in exc.reply.body:
                return replies.api_error("unbalanced_voucher")
            raise
        with self.store.lock:
            year = financial_year_id(voucher.transaction_date)
            series = voucher.voucher_series or "A"
            number = self.store.next_voucher_number(year, series)
            stored = voucher.model_copy(
                update={
                    "url": f"{REAL_URL_BASE}/3/vouchers/{series}/{number}?financialyear={year}",
                    "voucher_series": series,
                    "voucher_number": number,
                    "year": year,
                    "reference_type": voucher.reference_type or "MANUAL",
                    "approval_state": 0,
                }
            )
            data = self.store.put("vouchers", (year, series, number), wire(stored))
        return replies.envelope("Voucher", data, 201)

    async def get_voucher(self, request: Request) -> Response:
        """GET /3/vouchers/{series}/{number}?financialyear=."""
        series = request.path_params["series"]
        number = request.path_params["number"]
        year_text = request.query_params.get("financialyear")
        year = int(year_text) if year_text and year_text.isdigit() else None
        for (y, s, n), record in sorted(self.store.vouchers.items(), reverse=True):
            if s == series and str(n) == number and year in (None, y):
                return replies.envelope("Voucher", record.data)
        return replies.api_error("invalid_value", 404, detail="Verifikationen finns inte.")
