"""Customer rules: org and VAT numbers through python-stdnum, names, types, company address."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.domain import customer_rules as rules
from westgear_desk.domain.identifiers import make_orgnr, vat_number_for_orgnr

VALID_ORG = make_orgnr("556677889")


@dataclass(frozen=True)
class Address:
    street: str | None = "Hamngatan 1"
    postal_code: str | None = "411 06"
    city: str | None = "Göteborg"
    country_code: str | None = "SE"


@dataclass(frozen=True)
class Customer:
    customer_type: str | None = "company"
    first_name: str | None = "Anna"
    last_name: str | None = "Berg"
    company_name: str | None = "Berg Marin AB"
    org_no: str | None = VALID_ORG
    vat_no: str | None = vat_number_for_orgnr(VALID_ORG)
    address: Address | None = Address()


def codes(customer: Customer) -> list[str]:
    return [r.code for r in rules.check_customer(customer)]


def test_valid_company_and_person_pass() -> None:
    assert codes(Customer()) == []
    person = Customer(customer_type="person", company_name=None, org_no=None, vat_no=None)
    assert codes(person) == []


def test_org_number_with_dash_is_valid() -> None:
    dashed = f"{VALID_ORG[:6]}-{VALID_ORG[6:]}"
    assert codes(Customer(org_no=dashed)) == []


def test_wrong_check_digit_is_invalid_org_number() -> None:
    broken = VALID_ORG[:-1] + str((int(VALID_ORG[-1]) + 1) % 10)
    [reason] = rules.check_customer(Customer(org_no=broken, vat_no=None))
    assert reason.code == rules.INVALID_ORG_NUMBER
    assert reason.field == "orgNo"
    assert "organisationsnumret" in reason.message_sv.lower()
    assert "organisation number" in reason.message_en.lower()


def test_company_without_org_number() -> None:
    assert codes(Customer(org_no=None, vat_no=None)) == [rules.MISSING_ORG_NUMBER]
    assert codes(Customer(org_no="  ", vat_no=None)) == [rules.MISSING_ORG_NUMBER]


def test_foreign_company_needs_no_swedish_org_number() -> None:
    german = Customer(org_no=None, vat_no="DE136695976", address=Address(country_code="DE"))
    assert codes(german) == []


def test_invalid_vat_number() -> None:
    assert codes(Customer(vat_no="SE123")) == [rules.INVALID_VAT_NUMBER]


def test_vat_number_of_another_company_is_a_mismatch() -> None:
    other = vat_number_for_orgnr(make_orgnr("559000001"))
    assert codes(Customer(vat_no=other)) == [rules.VAT_ORG_MISMATCH]


def test_person_vat_not_required_and_org_number_not_checked() -> None:
    person = Customer(customer_type="person", org_no="123", vat_no=None, company_name=None)
    assert codes(person) == []


def test_missing_names() -> None:
    assert codes(Customer(company_name=" ")) == [rules.MISSING_NAME]
    nameless = Customer(
        customer_type="person", first_name=None, last_name="", org_no=None, vat_no=None
    )
    assert codes(nameless) == [rules.MISSING_NAME]


def test_unknown_type_and_company_without_address() -> None:
    assert rules.UNKNOWN_TYPE in codes(Customer(customer_type="robot"))
    assert codes(Customer(address=None)) == [rules.MISSING_ADDRESS]
    assert codes(Customer(address=Address(city=""))) == [rules.MISSING_ADDRESS]


def test_every_reason_has_both_languages_and_a_known_code() -> None:
    bad = Customer(customer_type="company", company_name=None, org_no="1", vat_no="x", address=None)
    reasons = rules.check_customer(bad)
    assert {r.code for r in reasons} <= set(rules.CODES)
    assert all(r.message_sv and r.message_en and r.message_sv != r.message_en for r in reasons)


@given(
    org=st.one_of(st.none(), st.text(max_size=20)), vat=st.one_of(st.none(), st.text(max_size=20))
)
def test_any_identifier_text_gives_reasons_never_a_crash(org: str | None, vat: str | None) -> None:
    reasons = rules.check_customer(Customer(org_no=org, vat_no=vat))
    assert {r.code for r in reasons} <= set(rules.CODES)


@pytest.mark.parametrize("kind", ["company", "COMPANY", " Company "])
def test_company_type_is_case_insensitive(kind: str) -> None:
    assert rules.is_company(replace(Customer(), customer_type=kind))
