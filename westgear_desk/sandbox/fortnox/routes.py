"""The Fortnox sandbox's HTTP handlers: OAuth token endpoint and the /3/ resources."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import pydantic
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from westgear_desk.integrations.drift import describe_validation_error
from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.integrations.fortnox.fields import FortnoxModel
from westgear_desk.integrations.fortnox.paging import FORTNOX_ZONE
from westgear_desk.sandbox.fortnox import documents, replies
from westgear_desk.sandbox.fortnox.listing import SPECS, list_reply
from westgear_desk.sandbox.fortnox.oauth import TokenIssuer
from westgear_desk.sandbox.fortnox.store import (
    REAL_URL_BASE,
    FortnoxStore,
    financial_year_id,
    wire,
)

E = TypeVar("E", bound=pydantic.BaseModel)
Handler = Callable[[Request], Awaitable[Response]]


class BadBodyError(Exception):
    """A request body the real API would refuse; carries the reply."""

    def __init__(self, reply: JSONResponse) -> None:
        super().__init__("bad body")
        self.reply = reply


async def read_body(request: Request, model: type[E], wrapper: str) -> E:
    """Parse `{wrapper: {...}}` into `model` the way Fortnox refuses bad input (400s)."""
    try:
        document = json.loads(await request.body())
    except ValueError as exc:
        raise BadBodyError(replies.api_error("bad_json")) from exc
    if not isinstance(document, dict) or not isinstance(document.get(wrapper), dict):
        raise BadBodyError(
            replies.api_error("wrong_body", detail=f"expected {{{wrapper!r}: {{...}}}}")
        )
    try:
        parsed = model.model_validate(document)
    except pydantic.ValidationError as exc:
        detail = describe_validation_error(exc)
        raise BadBodyError(replies.api_error("invalid_value", detail=detail)) from exc
    unknown = parsed.unknown_fields() if isinstance(parsed, FortnoxModel) else []
    if unknown:
        raise BadBodyError(replies.api_error("invalid_field", detail=unknown[0]))
    return parsed


def _today() -> date:
    return datetime.now(FORTNOX_ZONE).date()


class FortnoxRoutes:
    """Handlers over one store and one token issuer."""

    def __init__(self, store: FortnoxStore, issuer: TokenIssuer) -> None:
        self.store = store
        self.issuer = issuer

    # ----------------------------------------------------------------- guards

    def guarded(self, handler: Handler) -> Handler:
        """Bearer token check (gateway 401) and the 25-per-5-s window (429) before `handler`."""

        async def run(request: Request) -> Response:
            if not self.issuer.check(request.headers.get("authorization")):
                return replies.unauthorized()
            retry_after = self.issuer.take_slot()
            if retry_after is not None:
                return replies.too_many_requests(retry_after)
            try:
                return await handler(request)
            except BadBodyError as exc:
                return exc.reply

        return run

    async def token(self, request: Request) -> Response:
        """POST /oauth-v1/token (form encoded)."""
        form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
        headers = {k.lower(): v for k, v in request.headers.items()}
        result = self.issuer.grant(form, headers)
        return JSONResponse(result.body, status_code=result.status)

    # ----------------------------------------------------------------- generic

    def lister(self, name: str) -> Handler:
        """GET /3/{name}: paged, filtered list."""

        async def run(request: Request) -> Response:
            return list_reply(self.store, SPECS[name], request.query_params)

        return run

    def getter(self, table: str, wrapper: str, missing: str) -> Handler:
        """GET /3/{table}/{number}."""

        async def run(request: Request) -> Response:
            record = self.store.table(table).get(request.path_params["number"])
            if record is None:
                return replies.api_error(missing, 404)
            return replies.envelope(wrapper, record.data)

        return run

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

    # ----------------------------------------------------------------- customers

    async def create_customer(self, request: Request) -> Response:
        """POST /3/customers."""
        customer = (await read_body(request, fx.CustomerEnvelope, "Customer")).customer
        with self.store.lock:
            number = customer.customer_number or self.store.next_number("customers")
            if number in self.store.used_customer_numbers:
                return replies.api_error("customer_number_used", detail=number)
            stored = customer.model_copy(
                update={
                    "customer_number": number,
                    "url": f"{REAL_URL_BASE}/3/customers/{number}",
                    "active": customer.active is not False,
                    "currency": customer.currency or "SEK",
                }
            )
            data = self.store.put("customers", number, wire(stored))
        return replies.envelope("Customer", data, 201)

    async def update_customer(self, request: Request) -> Response:
        """PUT /3/customers/{number}: the given fields replace the stored ones."""
        return await self._update(request, "customers", fx.CustomerEnvelope, "Customer")

    async def _update(
        self, request: Request, table: str, model: type[pydantic.BaseModel], wrapper: str
    ) -> Response:
        number = request.path_params["number"]
        missing = "customer_not_found" if table == "customers" else "article_not_found"
        if number not in self.store.table(table):
            return replies.api_error(missing, 404)
        changes = (await read_body(request, model, wrapper)).model_dump(
            mode="json", by_alias=True, exclude_unset=True
        )[wrapper]
        with self.store.lock:
            merged = {**self.store.table(table)[number].data, **changes}
            key = "CustomerNumber" if table == "customers" else "ArticleNumber"
            merged[key] = number
            inner = wire(model.model_validate({wrapper: merged}))[wrapper]
            data = self.store.put(table, number, inner)
        return replies.envelope(wrapper, data)

    # ----------------------------------------------------------------- articles

    async def create_article(self, request: Request) -> Response:
        """POST /3/articles."""
        article = (await read_body(request, fx.ArticleEnvelope, "Article")).article
        with self.store.lock:
            number = article.article_number or self.store.next_number("articles")
            if number in self.store.articles:
                return replies.api_error("invalid_value", detail=f"ArticleNumber {number} finns")
            stored = article.model_copy(
                update={"article_number": number, "url": f"{REAL_URL_BASE}/3/articles/{number}"}
            )
            data = self.store.put("articles", number, wire(stored))
        return replies.envelope("Article", data, 201)

    async def update_article(self, request: Request) -> Response:
        """PUT /3/articles/{number}."""
        return await self._update(request, "articles", fx.ArticleEnvelope, "Article")

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
                payload, number, customer, _today(), self._next_row_id()
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
            paid = invoice.model_copy(update={"balance": 0, "final_pay_date": _today()})
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
                payload, number, customer, _today(), self._next_row_id()
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

    # ----------------------------------------------------------------- admin

    async def expire_tokens(self, request: Request) -> Response:
        """Admin: every access token expires now (next API call answers 401)."""
        del request
        return JSONResponse({"expired": self.issuer.expire_access_tokens()})

    def routes(self) -> list[BaseRoute]:
        """Every API route (admin routes are separate: see `admin_routes`)."""
        g = self.guarded
        customer = self.getter("customers", "Customer", "customer_not_found")
        article = self.getter("articles", "Article", "article_not_found")
        invoice = self.getter("invoices", "Invoice", "invoice_not_found")
        plain: list[tuple[str, Handler, str]] = [
            ("/3/customers", self.lister("customers"), "GET"),
            ("/3/customers", self.create_customer, "POST"),
            ("/3/customers/{number}", customer, "GET"),
            ("/3/customers/{number}", self.update_customer, "PUT"),
            ("/3/articles", self.lister("articles"), "GET"),
            ("/3/articles", self.create_article, "POST"),
            ("/3/articles/{number}", article, "GET"),
            ("/3/articles/{number}", self.update_article, "PUT"),
            ("/3/invoices", self.lister("invoices"), "GET"),
            ("/3/invoices", self.create_invoice, "POST"),
            ("/3/invoices/{number}", invoice, "GET"),
            ("/3/invoices/{number}/credit", self.credit_invoice, "PUT"),
            ("/3/invoices/{number}/cancel", self.invoice_action("cancel"), "PUT"),
            ("/3/invoices/{number}/bookkeep", self.invoice_action("bookkeep"), "PUT"),
            ("/3/orders", self.lister("orders"), "GET"),
            ("/3/orders", self.create_order, "POST"),
            ("/3/orders/{number}", self.getter("orders", "Order", "order_not_found"), "GET"),
            ("/3/orders/{number}/createinvoice", self.invoice_order, "PUT"),
            ("/3/orders/{number}/cancel", self.cancel_order, "PUT"),
            ("/3/vouchers", self.lister("vouchers"), "GET"),
            ("/3/vouchers", self.create_voucher, "POST"),
            ("/3/vouchers/{series}/{number}", self.get_voucher, "GET"),
        ]  # fmt: skip
        routes: list[BaseRoute] = [Route("/oauth-v1/token", self.token, methods=["POST"])]
        for path, handler, method in plain:
            guarded = g(handler)
            routes.append(Route(path, guarded, methods=[method]))
            routes.append(Route(path + "/", guarded, methods=[method]))
        return routes

    def admin_routes(self) -> list[BaseRoute]:
        """Steps outside the API: expire tokens, pay an invoice."""
        return [
            Route("/_sandbox/fortnox/tokens/expire", self.expire_tokens, methods=["POST"]),
            Route("/_sandbox/fortnox/invoices/{number}/pay", self.pay_invoice, methods=["POST"]),
        ]
