"""Sharespine customer records to rows: contract and rule checks, personal-data minimising, hash.

What we keep of a customer, and why (personal data only where the business needs it):
- company (B2B): company name, org and VAT numbers, e-mail and phone of the company contact
  (quotes and invoices go there), postal address, price list, language;
- person (B2C): name, e-mail (order, delivery and return mails), postal address, language.
  A consumer's phone number is NOT kept on the customer: each order carries the phone the
  carrier needs for delivery notices.
Quarantine payloads are minimised too: names, e-mail, phone and street are blanked (their
presence still shows), since an admin fixing a record needs its ids, not a person's details.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

import pydantic

from westgear_desk.db.enums import CustomerKind, RecordType
from westgear_desk.domain import catalog_rules
from westgear_desk.domain.customer_rules import check_customer, is_company
from westgear_desk.domain.identifiers import normalize_orgnr
from westgear_desk.domain.quarantine import Reason, without_overridden
from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.sharespine.client import RecordResult
from westgear_desk.integrations.sharespine.contract import Address, Customer
from westgear_desk.sync.quarantine import QuarantineItem

PERSONAL_KEYS: Final = frozenset(
    {"firstName", "lastName", "name", "email", "phone", "street", "companyContact"}
)
REDACTED: Final = "[personal]"
_ERROR_PART: Final = re.compile(r"^(?P<loc>[^:]+): (?P<msg>.*)$")
#: Customer keys Plugboard always sends; one that disappears is schema drift.
EXPECTED_CUSTOMER_KEYS: Final = frozenset({"local_id", "last_modified", "customer_type"})


def known_keys(model: type[pydantic.BaseModel]) -> frozenset[str]:
    """The JSON keys a contract model knows (aliases where it has them)."""
    return frozenset(f.alias or name for name, f in model.model_fields.items())


def drift_reasons(model: ContractModel, expected: Collection[str]) -> list[Reason]:
    """Unknown fields anywhere in the record, and always-sent fields that went missing."""
    fields = type(model).model_fields
    missing = sorted(fields[n].alias or n for n in expected if n not in model.model_fields_set)
    return catalog_rules.rule_schema_drift(model.unknown_fields(), missing, [])


def contract_reasons(raw: Any, error: str | None, known: Collection[str]) -> list[Reason]:
    """Drift reasons of a record that broke its contract, from the validation error text."""
    unknown = sorted(str(k) for k in raw if k not in known) if isinstance(raw, Mapping) else []
    missing: list[str] = []
    changed: list[tuple[str, str]] = []
    for part in (error or "<root>: not a record").split("; "):
        match = _ERROR_PART.match(part)
        if match is None:
            continue
        if match["msg"] == "Field required":
            missing.append(match["loc"])
        else:
            changed.append((match["loc"], match["msg"]))
    reasons = catalog_rules.rule_schema_drift(unknown, missing, changed)
    return reasons or catalog_rules.rule_schema_drift([], [], [("<root>", error or "invalid")])


M = TypeVar("M", bound=ContractModel)


def without_nul(model: M) -> M:
    """The model with NUL characters removed from every text (rebuilt only when it has any)."""
    if b"\\u0000" not in model.__pydantic_serializer__.to_json(model):
        return model
    fixed = minimized_payload(model.model_dump(mode="json", by_alias=True), personal=False)
    return type(model).model_validate(fixed)


def storable(text: str) -> str:
    """The text without NUL characters (PostgreSQL refuses them in text and JSONB)."""
    return text.replace("\x00", "")


def cleaned(result: RecordResult[M]) -> RecordResult[M]:
    """The record with NUL characters removed from its model's texts."""
    if result.model is None:
        return result
    return RecordResult(without_nul(result.model), result.raw, result.error)


def minimized_payload(raw: Any, *, personal: bool = True) -> Any:
    """The payload with personal values blanked (keys and empty values kept, so gaps show)
    and NUL characters removed, so any payload can be stored in quarantine.
    `personal=False` only removes the NUL characters.
    """
    if isinstance(raw, Mapping):
        return {
            storable(str(key)): REDACTED
            if personal and key in PERSONAL_KEYS and value not in (None, "")
            else minimized_payload(value, personal=personal)
            for key, value in raw.items()
        }
    if isinstance(raw, list):
        return [minimized_payload(item, personal=personal) for item in raw]
    if isinstance(raw, str):
        return storable(raw)
    return raw


def digest(values: Mapping[str, Any]) -> str:
    """A stable content hash of mapped values (what a bulk upsert compares)."""
    text = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _clean(value: str | None, limit: int) -> str | None:
    text = storable(value or "").strip()
    return text[:limit] or None


def address_values(address: Address | None) -> dict[str, Any] | None:
    """A customer_addresses row's values (None without street, postal code and city)."""
    if address is None or not (address.street and address.postal_code and address.city):
        return None
    return {
        "name": _clean(address.name, 200),
        "street": address.street.strip()[:200],
        "postal_code": address.postal_code.strip()[:16],
        "city": address.city.strip()[:100],
        "country_code": (address.country_code or "SE").strip().upper()[:2] or "SE",
    }


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """One valid customer, ready for the bulk upsert (ids resolved by the flow)."""

    external_id: str
    kind: CustomerKind
    name: str
    org_number: str | None
    vat_number: str | None
    email: str | None
    phone: str | None
    language: str
    price_list_code: str | None
    address: dict[str, Any] | None
    source_modified_at: datetime
    content_hash: str

    def master_values(self) -> dict[str, Any]:
        """The master fields (what the owning system decides), without address and price list."""
        return {
            "kind": self.kind,
            "name": self.name,
            "org_number": self.org_number,
            "vat_number": self.vat_number,
            "email": self.email,
            "phone": self.phone,
            "language": self.language,
        }


def _name(customer: Customer) -> str:
    if is_company(customer):
        return (customer.company_name or "").strip()[:200]
    parts = (customer.first_name, customer.last_name)
    return " ".join(p.strip() for p in parts if p and p.strip())[:200]


def external_id_of(customer: Customer) -> str:
    """Our key of a Sharespine customer: its remoteId, else Plugboard's own localId."""
    return (customer.remote_id or customer.local_id).strip()


def customer_row(customer: Customer) -> CustomerRow:
    """Map a customer that passed every rule."""
    company = is_company(customer)
    vat = (customer.vat_no or "").replace(" ", "").replace("-", "").upper() or None
    values: dict[str, Any] = {
        "external_id": external_id_of(customer)[:200],
        "kind": CustomerKind.B2B if company else CustomerKind.B2C,
        "name": _name(customer),
        "org_number": normalize_orgnr(customer.org_no) if customer.org_no else None,
        "vat_number": vat[:20] if vat else None,
        "email": _clean(customer.email, 254),
        "phone": _clean(customer.phone, 32) if company else None,
        "language": (customer.language or "sv").strip().lower()[:8] or "sv",
        "price_list_code": _clean(customer.price_list, 64),
        "address": address_values(customer.address),
    }
    return CustomerRow(
        **values,
        source_modified_at=customer.last_modified,
        content_hash=digest({k: str(v) for k, v in values.items()}),
    )


@dataclass
class Classified:
    """One page split into rows to write and records to quarantine."""

    rows: list[CustomerRow]
    quarantined: list[QuarantineItem]


def reasons_for(result: RecordResult[Customer]) -> list[Reason]:
    """Every reason a fetched customer record cannot be stored (contract, drift, rules)."""
    if result.model is None:
        return contract_reasons(result.raw, result.error, known_keys(Customer))
    return [*drift_reasons(result.model, EXPECTED_CUSTOMER_KEYS), *check_customer(result.model)]


def quarantine_id(result: RecordResult[Customer]) -> str:
    """The id a quarantined record is filed under (remoteId, else localId, else a digest)."""
    if result.model is not None:
        return external_id_of(result.model)[:200]
    raw = result.raw if isinstance(result.raw, Mapping) else {}
    found = raw.get("remoteId") or raw.get("localId")
    return storable(str(found))[:200] if found else "sha:" + digest({"raw": result.raw})


def classify(
    results: Sequence[RecordResult[Customer]], overrides: Mapping[str, frozenset[str]]
) -> Classified:
    """Split a page: rows for valid customers, quarantine items (minimised) for the rest.

    A reason an admin overrode for that customer no longer keeps it out.
    """
    out = Classified([], [])
    for result in map(cleaned, results):
        key = quarantine_id(result)
        reasons = reasons_for(result)
        if result.model is not None:
            reasons = without_overridden(reasons, overrides.get(key, frozenset()))
        if reasons:
            out.quarantined.append(
                QuarantineItem(
                    RecordType.CUSTOMER, key, reasons, minimized_payload(result.payload()), key
                )
            )
        elif result.model is not None:
            out.rows.append(customer_row(result.model))
    return out
