"""The Fortnox client against its sandbox over real HTTP: auth, paging, resources, errors."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pydantic
import pytest

from tests.contract.fortnox.conftest import MakeClient, ServedSandbox
from westgear_desk.errors import AuthenticationError, BusinessRuleError, DataError
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.integrations.fortnox.client import FortnoxClient


def _token_requests(sandbox: ServedSandbox) -> list[dict[str, object]]:
    return sandbox.requests("/oauth-v1/token")


def _invoice(reference: str | None = None, customer: str = "1") -> fx.Invoice:
    return fx.Invoice(
        customer_number=customer,
        your_order_number=reference,
        vat_included=True,
        invoice_rows=[
            fx.InvoiceRow(
                description="Flytväst 50N, M",
                delivered_quantity=Decimal(2),
                price=Decimal("499.00"),
                vat=Decimal(25),
            ),
            fx.InvoiceRow(
                description="Frakt",
                delivered_quantity=Decimal(1),
                price=Decimal(49),
                vat=Decimal(25),
            ),
        ],
    )


# ------------------------------------------------------------------ authentication


def test_wrong_client_secret_is_an_authentication_error(make_client: MakeClient) -> None:
    client = make_client(client_secret="not-the-secret")
    with pytest.raises(AuthenticationError) as info:
        client.get_customer("1")
    assert info.value.status_code == 401
    assert info.value.error_code == "invalid_client"


def test_bad_bearer_gets_the_gateway_401_shape(fortnox_sandbox: ServedSandbox) -> None:
    response = httpx.get(
        f"{fortnox_sandbox.url}/3/customers", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert fx.GatewayErrorBody.model_validate(response.json()).message == "unauthorized"


def test_refresh_token_is_single_use_and_handed_back(
    make_client: MakeClient, fortnox_sandbox: ServedSandbox, issued_refresh_tokens: list[str]
) -> None:
    first = make_client()
    assert first.get_customer("1").customer_number == "1"
    assert len(issued_refresh_tokens) == 1
    assert issued_refresh_tokens[0] != fortnox_sandbox.credentials["refresh_token"]

    replay = make_client()  # a second desk still holding the old, used refresh token
    with pytest.raises(AuthenticationError) as info:
        replay.get_customer("1")
    assert info.value.error_code == "invalid_grant"

    successor = make_client(refresh_token=issued_refresh_tokens[0])
    assert successor.get_customer("2").customer_number == "2"


def test_client_credentials_with_tenant(
    make_client: MakeClient, fortnox_sandbox: ServedSandbox, issued_refresh_tokens: list[str]
) -> None:
    tenant = fortnox_sandbox.credentials["tenant_id"]
    client = make_client(tenant_id=tenant, refresh_token=None)
    assert client.get_customer("1").name
    assert issued_refresh_tokens == []  # client credentials carry no refresh token
    with pytest.raises(AuthenticationError):
        make_client(tenant_id="000000", refresh_token=None).get_customer("1")


def test_concurrent_threads_refresh_once(
    fortnox: FortnoxClient, fortnox_sandbox: ServedSandbox, issued_refresh_tokens: list[str]
) -> None:
    def burst() -> list[BaseException]:
        errors: list[BaseException] = []
        barrier = threading.Barrier(8)

        def work(number: int) -> None:
            barrier.wait()
            try:
                fortnox.get_customer(str(number))
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n + 1,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return errors

    assert burst() == []
    assert len(_token_requests(fortnox_sandbox)) == 1
    assert fortnox.tokens.refresh_count == 1

    # every access token expires: the 8 threads see 401s and still renew exactly once
    fortnox_sandbox.admin("POST", "/_sandbox/fortnox/tokens/expire").raise_for_status()
    assert burst() == []
    assert len(_token_requests(fortnox_sandbox)) == 2
    assert len(issued_refresh_tokens) == 2
    statuses = [r["path"] for r in fortnox_sandbox.requests("/3/customers/")]
    assert len(statuses) >= 16


def test_401_renews_once_then_gives_up(
    fortnox: FortnoxClient, fortnox_sandbox: ServedSandbox
) -> None:
    fortnox.get_customer("1")
    fortnox_sandbox.admin("POST", "/_sandbox/fortnox/tokens/expire").raise_for_status()
    fortnox_sandbox.admin("POST", "/_sandbox/reset").raise_for_status()  # refresh chain restarts
    with pytest.raises(AuthenticationError) as info:
        fortnox.get_customer("1")
    assert info.value.error_code == "invalid_grant"
    assert len(fortnox_sandbox.requests("/3/customers/1")) == 1  # one try, then the refresh failed


# ------------------------------------------------------------------ paging and filters


def test_paging_walks_every_page(fortnox: FortnoxClient) -> None:
    first = fortnox.list_customers(limit=15)
    assert (first.page, first.total_pages, first.total_resources) == (1, 3, 40)
    assert len(first.items) == 15
    last = fortnox.list_customers(page=3, limit=15)
    assert len(last.items) == 10
    assert not last.has_next
    numbers = [c.customer_number for c in fortnox.iter_customers()]
    assert len(numbers) == len(set(numbers)) == 40
    beyond = fortnox.list_customers(page=9, limit=15)
    assert beyond.items == []
    assert beyond.total_resources == 40


def test_lastmodified_returns_only_changed_customers(fortnox: FortnoxClient) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    created = fortnox.create_customer(fx.Customer(name="Varvet i Kungsviken AB", type="COMPANY"))
    fortnox.update_customer("7", fx.Customer(name="Nytt namn AB"))
    changed = {c.customer_number for c in fortnox.iter_customers(last_modified=before)}
    assert changed == {created.customer_number, "7"}
    assert fortnox.get_customer("7").name == "Nytt namn AB"


def test_search_matches_substrings_but_find_compares_exactly(fortnox: FortnoxClient) -> None:
    short = fortnox.create_invoice(
        _invoice().model_copy(update={"external_invoice_reference1": "WEB-10"})
    )
    fortnox.create_invoice(_invoice().model_copy(update={"external_invoice_reference1": "WEB-100"}))
    listed = fortnox.list_invoices(search={"externalinvoicereference1": "WEB-10"})
    assert listed.total_resources == 2
    found = fortnox.find_invoice_by_external_reference("WEB-10")
    assert found is not None
    assert found.document_number == short.document_number
    assert fortnox.find_invoice_by_external_reference("WEB-1") is None


def test_invalid_filter_is_a_data_error_with_the_fortnox_code(fortnox: FortnoxClient) -> None:
    with pytest.raises(DataError) as info:
        fortnox.list_invoices(filter_="doesntexist")
    assert info.value.status_code == 400
    assert info.value.error_code == "2000587"


# ------------------------------------------------------------------ invoices and credit notes


def test_ensure_invoice_creates_once(fortnox: FortnoxClient) -> None:
    first = fortnox.ensure_invoice(_invoice("WEB-100235"), "WEB-100235")
    again = fortnox.ensure_invoice(_invoice("WEB-100235"), "WEB-100235")
    assert first.created
    assert not again.created
    assert again.invoice.document_number == first.invoice.document_number
    assert fortnox.list_invoices().total_resources == 1
    invoice = first.invoice
    assert invoice.total == Decimal(1047)  # 2 × 499 + 49, VAT included
    assert invoice.total_vat == Decimal("209.40")
    assert invoice.external_invoice_reference1 == "WEB-100235"
    assert invoice.unknown_fields() == []


def test_credit_note_is_linked_and_not_found_as_the_invoice(fortnox: FortnoxClient) -> None:
    original = fortnox.ensure_invoice(_invoice(), "WEB-7").invoice
    assert original.document_number is not None
    credit = fortnox.credit_invoice(original.document_number)
    assert credit.is_credit_note
    assert credit.credit_reference == original.document_number
    assert credit.total == -(original.total or 0)
    assert fortnox.get_invoice(original.document_number).credit_reference == credit.document_number
    # the credit note copies the external reference; the original is still "the" invoice
    found = fortnox.find_invoice_by_external_reference("WEB-7")
    assert found is not None
    assert found.document_number == original.document_number
    with pytest.raises(DataError):
        fortnox.credit_invoice(original.document_number)  # already credited


def test_missing_invoice_is_404_with_the_fortnox_code(fortnox: FortnoxClient) -> None:
    with pytest.raises(DataError) as info:
        fortnox.get_invoice("123456789")
    assert info.value.status_code == 404
    assert info.value.error_code == "2000434"


def test_reused_customer_number_is_a_business_rule_error(fortnox: FortnoxClient) -> None:
    with pytest.raises(BusinessRuleError) as info:
        fortnox.create_customer(fx.Customer(customer_number="3", name="Dubblett AB"))
    assert info.value.error_code == "2000637"
    assert fortnox.find_customer("999") is None


# ------------------------------------------------------------------ other resources


def test_articles_create_update_and_search(fortnox: FortnoxClient) -> None:
    article = fortnox.create_article(
        fx.Article(article_number="LJ-50N-M", description="Flytväst 50N, M", ean="7350000000009",
                   sales_price=Decimal("399.20"), vat=Decimal(25))
    )  # fmt: skip
    assert article.unknown_fields() == []
    fortnox.update_article("LJ-50N-M", fx.Article(description="Flytväst 50N, storlek M"))
    assert fortnox.get_article("LJ-50N-M").description == "Flytväst 50N, storlek M"
    found = [a.article_number for a in fortnox.iter_articles(search={"articlenumber": "LJ-50N"})]
    assert found == ["LJ-50N-M"]
    assert fortnox.list_articles(limit=5).total_resources > 20  # seeded catalog


def test_order_becomes_an_invoice(fortnox: FortnoxClient) -> None:
    order = fortnox.create_order(
        fx.Order(customer_number="2", your_order_number="WEB-5",
                 order_rows=[fx.OrderRow(description="Kajak", ordered_quantity=Decimal(1),
                                         price=Decimal(8990), vat=Decimal(25))])
    )  # fmt: skip
    assert order.document_number is not None
    assert order.unknown_fields() == []
    invoice = fortnox.invoice_order(order.document_number)
    assert invoice.order_reference == order.document_number
    assert invoice.invoice_rows[0].delivered_quantity == Decimal(1)
    assert fortnox.get_order(order.document_number).invoice_reference == invoice.document_number
    assert fortnox.list_orders(filter_="invoicecreated").total_resources == 1


def test_vouchers_list_and_create(fortnox: FortnoxClient) -> None:
    listed = fortnox.list_vouchers(financial_year=2)
    assert listed.total_resources == 3
    created = fortnox.create_voucher(
        fx.Voucher(
            voucher_series="A", transaction_date=datetime(2025, 3, 24).date(),
            description="Klarna utbetalning",
            voucher_rows=[fx.VoucherRow(account=1930, debit=Decimal("970.00"), credit=Decimal(0)),
                          fx.VoucherRow(account=1580, debit=Decimal(0), credit=Decimal("970.00"))],
        )
    )  # fmt: skip
    assert created.voucher_number == 4
    assert fortnox.list_vouchers(financial_year=2).total_resources == 4


def test_unknown_field_in_a_request_is_refused_like_fortnox(
    fortnox: FortnoxClient, fortnox_sandbox: ServedSandbox
) -> None:
    token = fortnox.tokens.access_token()
    response = httpx.post(
        f"{fortnox_sandbox.url}/3/customers",
        json={"Customer": {"Name": "X", "Nickname": "x"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    body = fx.FortnoxErrorBody.model_validate(response.json())
    assert body.error_information.code == 2001399
    assert "Nickname" in body.error_information.message


def test_every_sandbox_answer_matches_the_contract_without_drift(fortnox: FortnoxClient) -> None:
    invoice = fortnox.create_invoice(_invoice("WEB-1"))
    order = fortnox.create_order(
        fx.Order(customer_number="4", order_rows=[fx.OrderRow(description="Åra",
                 ordered_quantity=Decimal(2), price=Decimal(350))])
    )  # fmt: skip
    assert invoice.document_number is not None
    assert order.document_number is not None
    answers: list[pydantic.BaseModel] = [
        fortnox.get_customer("1"),
        *fortnox.list_customers(limit=3).items,
        fortnox.get_article(fortnox.list_articles(limit=1).items[0].article_number),
        *fortnox.list_articles(limit=3).items,
        invoice,
        fortnox.get_invoice(invoice.document_number),
        fortnox.credit_invoice(invoice.document_number),
        *fortnox.list_invoices().items,
        order,
        fortnox.get_order(order.document_number),
        *fortnox.list_orders().items,
        *fortnox.list_vouchers().items,
    ]
    for answer in answers:
        assert isinstance(answer, ContractModel)
        assert answer.unknown_fields() == [], type(answer).__name__


def test_call_log_carries_no_token_or_secret(
    fortnox: FortnoxClient,
    fortnox_sandbox: ServedSandbox,
    records: list[CallRecord],
    issued_refresh_tokens: list[str],
) -> None:
    fortnox.get_customer("1")
    secrets = [
        fortnox_sandbox.credentials["refresh_token"],
        fortnox_sandbox.credentials["client_secret"],
        fortnox.tokens.access_token(),
        *issued_refresh_tokens,
    ]
    assert [r.endpoint for r in records] == ["/oauth-v1/token", "/3/customers/{number}"]
    logged = repr(records)
    assert not [secret for secret in secrets if secret in logged]
