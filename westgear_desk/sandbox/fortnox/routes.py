"""The Fortnox sandbox's routes: the OAuth token endpoint, guards, lists, customers, articles.

Sales documents and vouchers are handled in sales.py.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pydantic
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.sandbox.fortnox import replies
from westgear_desk.sandbox.fortnox.bodies import BadBodyError, Handler, read_body
from westgear_desk.sandbox.fortnox.listing import SPECS, list_reply
from westgear_desk.sandbox.fortnox.oauth import TokenIssuer
from westgear_desk.sandbox.fortnox.sales import SalesHandlers
from westgear_desk.sandbox.fortnox.store import (
    REAL_URL_BASE,
    FortnoxStore,
    wire,
)


class FortnoxRoutes:
    """Handlers over one store and one token issuer."""

    def __init__(self, store: FortnoxStore, issuer: TokenIssuer) -> None:
        self.store = store
        self.issuer = issuer
        self.sales = SalesHandlers(store)

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
            ("/3/invoices", self.sales.create_invoice, "POST"),
            ("/3/invoices/{number}", invoice, "GET"),
            ("/3/invoices/{number}/credit", self.sales.credit_invoice, "PUT"),
            ("/3/invoices/{number}/cancel", self.sales.invoice_action("cancel"), "PUT"),
            ("/3/invoices/{number}/bookkeep", self.sales.invoice_action("bookkeep"), "PUT"),
            ("/3/orders", self.lister("orders"), "GET"),
            ("/3/orders", self.sales.create_order, "POST"),
            ("/3/orders/{number}", self.getter("orders", "Order", "order_not_found"), "GET"),
            ("/3/orders/{number}/createinvoice", self.sales.invoice_order, "PUT"),
            ("/3/orders/{number}/cancel", self.sales.cancel_order, "PUT"),
            ("/3/vouchers", self.lister("vouchers"), "GET"),
            ("/3/vouchers", self.sales.create_voucher, "POST"),
            ("/3/vouchers/{series}/{number}", self.sales.get_voucher, "GET"),
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
            Route(
                "/_sandbox/fortnox/invoices/{number}/pay", self.sales.pay_invoice, methods=["POST"]
            ),
        ]
