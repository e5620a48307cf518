"""The Fortnox REST client: OAuth2 with single-flight refresh, the shared rate limit, resources.

Every `/3/` call takes a slot of the token's shared limiter, carries the current access
token, renews it once on a 401 and retries once, and waits out a 429's Retry-After (all
threads of the token pause) before retrying a bounded number of times. Fortnox has no
idempotency key, so `ensure_invoice` searches by our external reference before creating.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

import httpx
import pydantic

from westgear_desk.errors import AuthenticationError, DataError, IntegrationError, RateLimitedError
from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.integrations.fortnox.auth import TOKEN_ENDPOINT, FortnoxCredentials, TokenManager
from westgear_desk.integrations.fortnox.errors import error_for_response
from westgear_desk.integrations.fortnox.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, iter_pages
from westgear_desk.integrations.fortnox.paging import list_params as _params
from westgear_desk.integrations.fortnox.ratelimit import SlidingWindowLimiter, shared_limiter
from westgear_desk.integrations.http import ApiClient

M = TypeVar("M", bound=pydantic.BaseModel)
DEFAULT_RETRY_AFTER_S = 1.0  # [U] Fortnox may send no Retry-After: back off at least 1 s
RATE_LIMIT_RETRIES = 2


class EnsuredInvoice(NamedTuple):
    """The invoice for an external reference, and whether this call created it."""

    invoice: fx.Invoice
    created: bool


def _wire(model: pydantic.BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class FortnoxClient(ApiClient):
    """Fortnox API v3. Thread-safe: share one per desk and tenant.

    `base_url` is the API host (``https://api.fortnox.se``; a trailing ``/3`` is accepted);
    `token_url` the OAuth token endpoint, absolute in production
    (``https://apps.fortnox.se/oauth-v1/token``), default ``/oauth-v1/token`` on the same
    host as in the sandbox.
    """

    system = "fortnox"

    def __init__(
        self,
        base_url: str,
        credentials: FortnoxCredentials,
        *,
        on_refresh_token: Callable[[str], None] | None = None,
        token_url: str | None = None,
        limiter: SlidingWindowLimiter | None = None,
        rate_limit_retries: int = RATE_LIMIT_RETRIES,
        recorder: CallRecorder = NULL_RECORDER,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # endpoints carry their /3 prefix; accept a base configured as ".../3" as well
        root = base_url.rstrip("/").removesuffix("/3")
        super().__init__(root, recorder=recorder, timeout=timeout, transport=transport)
        self._token_url = token_url or TOKEN_ENDPOINT
        self.tokens = TokenManager(
            credentials, self._fetch_token, on_refresh_token=on_refresh_token
        )
        self.limiter = limiter or shared_limiter(credentials.limiter_key)
        self._rate_limit_retries = rate_limit_retries

    # ----------------------------------------------------------------- plumbing

    def _fetch_token(self, form: dict[str, str], headers: dict[str, str]) -> fx.TokenResponse:
        body = self.request_json(
            "POST",
            self._token_url,
            content=str(httpx.QueryParams(form)).encode("ascii"),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        return parse_contract(fx.TokenResponse, body, system=self.system)

    def _error_for(self, response: httpx.Response) -> IntegrationError:
        is_token = response.request.url.path.endswith(TOKEN_ENDPOINT)
        return error_for_response(
            response, request_id=self._request_id(response), token_endpoint=is_token
        )

    def _api(
        self,
        method: str,
        endpoint: str,
        *,
        path_params: Mapping[str, str | int] | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """One /3/ call with rate limit, bearer token, one renewal on 401, Retry-After on 429."""
        token = self.tokens.access_token()
        renewed = False
        throttled = 0
        while True:
            self.limiter.acquire()
            try:
                return self.request_json(
                    method,
                    endpoint,
                    path_params=path_params,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except AuthenticationError as exc:
                if exc.status_code != 401 or renewed:
                    raise
                token = self.tokens.renew_after_rejection(token)
                renewed = True
            except RateLimitedError as exc:
                wait = DEFAULT_RETRY_AFTER_S if exc.retry_after is None else exc.retry_after
                if throttled >= self._rate_limit_retries or wait > self.limiter.max_wait:
                    raise
                self.limiter.pause(wait)
                throttled += 1

    def _get(self, model: type[M], endpoint: str, **path_params: str | int) -> M:
        body = self._api("GET", endpoint, path_params=path_params)
        return parse_contract(model, body, system=self.system)

    def _send(
        self, method: str, model: type[M], endpoint: str, payload: pydantic.BaseModel, **path: str
    ) -> M:
        body = self._api(method, endpoint, path_params=path or None, json=_wire(payload))
        return parse_contract(model, body, system=self.system)

    def _page(self, model: type[M], endpoint: str, params: dict[str, Any]) -> M:
        return parse_contract(model, self._api("GET", endpoint, params=params), system=self.system)

    # ----------------------------------------------------------------- customers

    def get_customer(self, number: str) -> fx.Customer:
        """The customer `number`; raises DataError (404) if there is none."""
        return self._get(fx.CustomerEnvelope, "/3/customers/{number}", number=number).customer

    def find_customer(self, number: str) -> fx.Customer | None:
        """The customer `number`, or None when Fortnox has no such customer."""
        try:
            return self.get_customer(number)
        except DataError as exc:
            if exc.status_code == 404:
                return None
            raise

    def list_customers(
        self,
        *,
        page: int = 1,
        limit: int = DEFAULT_LIMIT,
        last_modified: datetime | None = None,
        filter_: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> Page[fx.CustomerListItem]:
        """One page of customers; `search` holds Fortnox search params (substring match!)."""
        params = _params(
            page=page, limit=limit, last_modified=last_modified, filter_=filter_, search=search
        )
        listing = self._page(fx.CustomerList, "/3/customers", params)
        return Page.of(listing.customers, listing.meta_information)

    def iter_customers(
        self,
        *,
        last_modified: datetime | None = None,
        filter_: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> Iterator[fx.CustomerListItem]:
        """Every customer matching, across all pages."""
        return iter_pages(
            lambda n: self.list_customers(
                page=n, limit=MAX_LIMIT, last_modified=last_modified, filter_=filter_, search=search
            )
        )

    def find_customers(
        self, *, email: str | None = None, organisation_number: str | None = None
    ) -> list[fx.CustomerListItem]:
        """Customers whose e-mail / organisation number equal the given ones EXACTLY."""
        wanted = {"email": email, "organisationnumber": organisation_number}
        search = {key: value for key, value in wanted.items() if value}
        if not search:
            raise ValueError("give an email or an organisation_number")
        return [
            item
            for item in self.iter_customers(search=search)
            if (email is None or item.email == email)
            and (organisation_number is None or item.organisation_number == organisation_number)
        ]

    def create_customer(self, customer: fx.Customer) -> fx.Customer:
        """Create a customer; returns it as Fortnox stored it (with its CustomerNumber)."""
        envelope = fx.CustomerEnvelope(customer=customer)
        return self._send("POST", fx.CustomerEnvelope, "/3/customers", envelope).customer

    def update_customer(self, number: str, customer: fx.Customer) -> fx.Customer:
        """Update the customer `number` with the fields set in `customer`."""
        envelope = fx.CustomerEnvelope(customer=customer)
        return self._send(
            "PUT", fx.CustomerEnvelope, "/3/customers/{number}", envelope, number=number
        ).customer

    # ----------------------------------------------------------------- articles

    def get_article(self, number: str) -> fx.Article:
        """The article `number`; raises DataError (404) if there is none."""
        return self._get(fx.ArticleEnvelope, "/3/articles/{number}", number=number).article

    def list_articles(
        self,
        *,
        page: int = 1,
        limit: int = DEFAULT_LIMIT,
        last_modified: datetime | None = None,
        filter_: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> Page[fx.ArticleListItem]:
        """One page of articles (`articlenumber=` search matches substrings)."""
        params = _params(
            page=page, limit=limit, last_modified=last_modified, filter_=filter_, search=search
        )
        listing = self._page(fx.ArticleList, "/3/articles", params)
        return Page.of(listing.articles, listing.meta_information)

    def iter_articles(
        self, *, last_modified: datetime | None = None, search: Mapping[str, str] | None = None
    ) -> Iterator[fx.ArticleListItem]:
        """Every article matching, across all pages."""
        return iter_pages(
            lambda n: self.list_articles(
                page=n, limit=MAX_LIMIT, last_modified=last_modified, search=search
            )
        )

    def create_article(self, article: fx.Article) -> fx.Article:
        """Create an article."""
        envelope = fx.ArticleEnvelope(article=article)
        return self._send("POST", fx.ArticleEnvelope, "/3/articles", envelope).article

    def update_article(self, number: str, article: fx.Article) -> fx.Article:
        """Update the article `number`."""
        envelope = fx.ArticleEnvelope(article=article)
        return self._send(
            "PUT", fx.ArticleEnvelope, "/3/articles/{number}", envelope, number=number
        ).article

    # ----------------------------------------------------------------- invoices

    def get_invoice(self, number: str) -> fx.Invoice:
        """The invoice (or credit note) `number`; raises DataError (404) if there is none."""
        return self._get(fx.InvoiceEnvelope, "/3/invoices/{number}", number=number).invoice

    def list_invoices(
        self,
        *,
        page: int = 1,
        limit: int = DEFAULT_LIMIT,
        last_modified: datetime | None = None,
        filter_: str | None = None,
        from_date: date | None = None,
        to_date: date | None = None,
        search: Mapping[str, str] | None = None,
    ) -> Page[fx.InvoiceListItem]:
        """One page of invoices; `filter_` e.g. "unpaid", search e.g. externalinvoicereference1."""
        params = _params(
            page=page,
            limit=limit,
            last_modified=last_modified,
            filter_=filter_,
            from_date=from_date,
            to_date=to_date,
            search=search,
        )
        listing = self._page(fx.InvoiceList, "/3/invoices", params)
        return Page.of(listing.invoices, listing.meta_information)

    def iter_invoices(
        self,
        *,
        last_modified: datetime | None = None,
        filter_: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> Iterator[fx.InvoiceListItem]:
        """Every invoice matching, across all pages."""
        return iter_pages(
            lambda n: self.list_invoices(
                page=n, limit=MAX_LIMIT, last_modified=last_modified, filter_=filter_, search=search
            )
        )

    def create_invoice(self, invoice: fx.Invoice) -> fx.Invoice:
        """Create an invoice (NOT idempotent: prefer `ensure_invoice`)."""
        envelope = fx.InvoiceEnvelope(invoice=invoice)
        return self._send("POST", fx.InvoiceEnvelope, "/3/invoices", envelope).invoice

    def credit_invoice(self, number: str) -> fx.Invoice:
        """Fully credit invoice `number`; returns the new credit note."""
        body = self._api("PUT", "/3/invoices/{number}/credit", path_params={"number": number})
        answered = parse_contract(fx.InvoiceEnvelope, body, system=self.system).invoice
        if answered.is_credit_note:
            return answered
        if answered.credit_reference is None:
            raise DataError(
                f"Fortnox credited invoice {number} but named no credit note",
                system=self.system,
                error_code="no_credit_reference",
            )
        return self.get_invoice(answered.credit_reference)

    def find_invoice_by_external_reference(self, reference: str) -> fx.Invoice | None:
        """The live (not cancelled, not a credit note) invoice whose ExternalInvoiceReference1
        equals `reference` EXACTLY (Fortnox's search matches substrings), lowest number first.
        """
        matches = [
            item
            for item in self.iter_invoices(search={"externalinvoicereference1": reference})
            if item.external_invoice_reference1 == reference and not item.cancelled
        ]
        for item in sorted(matches, key=lambda i: (len(i.document_number), i.document_number)):
            invoice = self.get_invoice(item.document_number)
            if not invoice.is_credit_note and not invoice.cancelled:
                return invoice
        return None

    def ensure_invoice(self, invoice: fx.Invoice, external_reference: str) -> EnsuredInvoice:
        """The invoice for `external_reference`: the existing one, else created from `invoice`.

        Safe to repeat after a timeout with unknown outcome. The reference is written to
        ExternalInvoiceReference1.
        """
        existing = self.find_invoice_by_external_reference(external_reference)
        if existing is not None:
            return EnsuredInvoice(existing, created=False)
        payload = invoice.model_copy(update={"external_invoice_reference1": external_reference})
        return EnsuredInvoice(self.create_invoice(payload), created=True)

    # ----------------------------------------------------------------- orders

    def get_order(self, number: str) -> fx.Order:
        """The order `number`; raises DataError (404) if there is none."""
        return self._get(fx.OrderEnvelope, "/3/orders/{number}", number=number).order

    def list_orders(
        self,
        *,
        page: int = 1,
        limit: int = DEFAULT_LIMIT,
        last_modified: datetime | None = None,
        filter_: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> Page[fx.OrderListItem]:
        """One page of orders."""
        params = _params(
            page=page, limit=limit, last_modified=last_modified, filter_=filter_, search=search
        )
        listing = self._page(fx.OrderList, "/3/orders", params)
        return Page.of(listing.orders, listing.meta_information)

    def create_order(self, order: fx.Order) -> fx.Order:
        """Create an order."""
        envelope = fx.OrderEnvelope(order=order)
        return self._send("POST", fx.OrderEnvelope, "/3/orders", envelope).order

    def invoice_order(self, number: str) -> fx.Invoice:
        """Turn order `number` into an invoice (`PUT /3/orders/{n}/createinvoice`)."""
        body = self._api("PUT", "/3/orders/{number}/createinvoice", path_params={"number": number})
        return parse_contract(fx.InvoiceEnvelope, body, system=self.system).invoice

    # ----------------------------------------------------------------- vouchers

    def list_vouchers(
        self,
        *,
        financial_year: int | None = None,
        page: int = 1,
        limit: int = DEFAULT_LIMIT,
        from_date: date | None = None,
        to_date: date | None = None,
    ) -> Page[fx.Voucher]:
        """One page of vouchers (list items carry no rows)."""
        search = {"financialyear": str(financial_year)} if financial_year else None
        params = _params(
            page=page, limit=limit, from_date=from_date, to_date=to_date, search=search
        )
        listing = self._page(fx.VoucherList, "/3/vouchers", params)
        return Page.of(listing.vouchers, listing.meta_information)

    def create_voucher(self, voucher: fx.Voucher) -> fx.Voucher:
        """Create a voucher (rows must balance; the contract checks it first)."""
        envelope = fx.VoucherEnvelope(voucher=voucher)
        return self._send("POST", fx.VoucherEnvelope, "/3/vouchers", envelope).voucher
