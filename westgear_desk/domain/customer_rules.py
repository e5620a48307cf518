"""Rules a customer must pass before we store it, each with a stable code and a sv/en message.

One function per rule; `check_customer` runs them all and returns every broken rule, so an
admin sees all that is wrong at once. A B2B customer needs a valid Swedish organisation
number (python-stdnum, Luhn) when it is Swedish, and its VAT number, when given, must be a
valid EU VAT number and, for a Swedish company, the one its org number implies (SE…01).
The rules read the record through small protocols, so domain/ depends on no contract model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from westgear_desk.domain.addresses import PostalAddress, blank, is_complete
from westgear_desk.domain.identifiers import normalize_orgnr, vat_number_for_orgnr
from westgear_desk.domain.quarantine import Reason

PERSON: Final = "person"
COMPANY: Final = "company"
CUSTOMER_TYPES: Final = frozenset({PERSON, COMPANY})

UNKNOWN_TYPE: Final = "customer_type_unknown"
MISSING_NAME: Final = "customer_missing_name"
MISSING_ORG_NUMBER: Final = "customer_missing_org_number"
INVALID_ORG_NUMBER: Final = "customer_invalid_org_number"
INVALID_VAT_NUMBER: Final = "customer_invalid_vat_number"
VAT_ORG_MISMATCH: Final = "customer_vat_org_number_mismatch"
MISSING_ADDRESS: Final = "customer_missing_address"
#: Every code these rules can give (docs and the quarantine screen list them).
CODES: Final = (
    UNKNOWN_TYPE,
    MISSING_NAME,
    MISSING_ORG_NUMBER,
    INVALID_ORG_NUMBER,
    INVALID_VAT_NUMBER,
    VAT_ORG_MISMATCH,
    MISSING_ADDRESS,
)


class AddressLike(PostalAddress, Protocol):
    """The address fields the rules read."""

    @property
    def country_code(self) -> str | None: ...


class CustomerLike(Protocol):
    """The customer fields the rules read (a Sharespine `Customer` fits)."""

    @property
    def customer_type(self) -> str | None: ...

    @property
    def first_name(self) -> str | None: ...

    @property
    def last_name(self) -> str | None: ...

    @property
    def company_name(self) -> str | None: ...

    @property
    def org_no(self) -> str | None: ...

    @property
    def vat_no(self) -> str | None: ...

    @property
    def address(self) -> AddressLike | None: ...


def is_company(customer: CustomerLike) -> bool:
    """True for a B2B customer (Sharespine `customerType` "company")."""
    return (customer.customer_type or "").strip().lower() == COMPANY


def country_of(customer: CustomerLike) -> str:
    """The customer's country code (upper case), Sweden when the address does not say."""
    address = customer.address
    code = address.country_code if address is not None else None
    return (code or "SE").strip().upper() or "SE"


def rule_known_type(customer: CustomerLike) -> Reason | None:
    """The customer is a person (B2C) or a company (B2B)."""
    if (customer.customer_type or "").strip().lower() in CUSTOMER_TYPES:
        return None
    return Reason(
        UNKNOWN_TYPE,
        "customerType",
        f"Kundtypen {customer.customer_type!r} är okänd (ska vara person eller company).",
        f"Customer type {customer.customer_type!r} is unknown (must be person or company).",
    )


def rule_has_name(customer: CustomerLike) -> Reason | None:
    """A company has a company name; a person a first or last name."""
    if is_company(customer):
        if not blank(customer.company_name):
            return None
        return Reason(
            MISSING_NAME, "companyName", "Företagsnamn saknas.", "The company name is missing."
        )
    if not (blank(customer.first_name) and blank(customer.last_name)):
        return None
    return Reason(
        MISSING_NAME, "firstName", "Kundens namn saknas.", "The customer's name is missing."
    )


def rule_org_number(customer: CustomerLike) -> Reason | None:
    """A Swedish company has a valid organisation number (checked with python-stdnum)."""
    if not is_company(customer) or country_of(customer) != "SE":
        return None
    if blank(customer.org_no):
        return Reason(
            MISSING_ORG_NUMBER,
            "orgNo",
            "Organisationsnummer saknas för företagskunden.",
            "The company customer has no organisation number.",
        )
    if normalize_orgnr(customer.org_no or "") is not None:
        return None
    return Reason(
        INVALID_ORG_NUMBER,
        "orgNo",
        "Organisationsnumret är ogiltigt (fel längd eller kontrollsiffra).",
        "The organisation number is invalid (wrong length or check digit).",
    )


def _compact_vat(value: str) -> str | None:
    try:
        return str(eu_vat.validate(value))
    except StdnumError:
        return None


def rule_vat_number(customer: CustomerLike) -> Reason | None:
    """A VAT number, when given, is a valid EU VAT number (python-stdnum)."""
    if blank(customer.vat_no) or _compact_vat(customer.vat_no or "") is not None:
        return None
    return Reason(
        INVALID_VAT_NUMBER,
        "vatNo",
        "Momsregistreringsnumret är ogiltigt.",
        "The VAT number is invalid.",
    )


def rule_vat_matches_org_number(customer: CustomerLike) -> Reason | None:
    """A Swedish company's VAT number is SE + its organisation number + 01."""
    if blank(customer.vat_no) or blank(customer.org_no):
        return None
    vat = _compact_vat(customer.vat_no or "")
    org = normalize_orgnr(customer.org_no or "")
    if vat is None or org is None or not vat.startswith("SE"):
        return None  # invalid ones are reported by their own rules
    if vat == vat_number_for_orgnr(org):
        return None
    return Reason(
        VAT_ORG_MISMATCH,
        "vatNo",
        "Momsregistreringsnumret hör inte till organisationsnumret (ska vara SE + orgnr + 01).",
        "The VAT number does not belong to the organisation number (should be SE + orgnr + 01).",
    )


def rule_company_address(customer: CustomerLike) -> Reason | None:
    """A company has a postal address (invoices need one)."""
    if not is_company(customer):
        return None
    if is_complete(customer.address):
        return None
    return Reason(
        MISSING_ADDRESS,
        "address",
        "Företagskunden saknar fullständig adress (gata, postnummer, ort).",
        "The company customer has no complete address (street, postal code, city).",
    )


RULES: Final[tuple[Callable[[CustomerLike], Reason | None], ...]] = (
    rule_known_type,
    rule_has_name,
    rule_org_number,
    rule_vat_number,
    rule_vat_matches_org_number,
    rule_company_address,
)


def check_customer(customer: CustomerLike) -> list[Reason]:
    """Every rule the customer breaks (empty when it may be stored)."""
    return [reason for rule in RULES if (reason := rule(customer)) is not None]
