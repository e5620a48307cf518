"""The Fortnox REST client: customers, articles, invoices and credit notes, orders, vouchers.

Authentication, the shared rate limit and error mapping live in session.py. Fortnox has no
idempotency key, so `ensure_invoice` searches by our external reference before creating.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import NamedTuple

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.integrations.fortnox.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, iter_pages
from westgear_desk.integrations.fortnox.paging import list_params as _params
from westgear_desk.integrations.fortnox.session import FortnoxSession

__all__ = ["EnsuredInvoice", "FortnoxClient"]


class EnsuredInvoice(NamedTuple):
    """The invoice for an external reference, and whether this call created it."""

    invoice: fx.Invoice
    created: bool


class FortnoxClient(FortnoxSession):
    """Fortnox API v3 resources. Thread-safe: share one per desk and tenant.

    Construction: see FortnoxSession (base_url, credentials, on_refresh_token, token_url,
    limiter, rate_limit_retries, recorder, timeout, transport).
    """

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
