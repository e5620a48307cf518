"""A page checked by the check process, decided against the database like `prepare_page`.

The same decisions in the same order as `catalog_pages.prepare_page` and
`catalog_mapping.classify`: unchanged products are set aside, SKUs are checked against
earlier products and the database, admin overrides are applied, and each product is either
published (its rows) or quarantined (every reason, its payload). When a decision needs
something the check process did not send (the payload of a product that turns out to be a
duplicate of a SKU stored before the run, the rows of a product whose reasons an admin
overrode, the checks of a product the run thought unchanged), the page body is parsed here
once and that product is done here, exactly as in-process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from westgear_desk.db.enums import RecordType
from westgear_desk.domain.catalog_rules import duplicate_skus
from westgear_desk.domain.quarantine import Reason, without_overridden
from westgear_desk.integrations.sharespine.client import RecordResult
from westgear_desk.integrations.sharespine.contract import Product
from westgear_desk.sync import quarantine
from westgear_desk.sync.quarantine import QuarantineItem
from westgear_desk.sync.sharespine.catalog_mapping import (
    Classified,
    ProductRows,
    own_reasons,
    product_rows,
    quarantine_payload,
    storable,
)
from westgear_desk.sync.sharespine.catalog_pages import PreparedPage
from westgear_desk.sync.sharespine.catalog_upsert import sku_owners, stored_products
from westgear_desk.sync.sharespine.check_process import CheckedRecord
from westgear_desk.sync.sharespine.prefetch import parse_product_records


class _Reparsed:
    """The page parsed in this process, at most once, for what the worker did not send."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._records: list[RecordResult[Product]] | None = None

    def model(self, record: CheckedRecord) -> Product:
        if self._records is None:
            self._records = parse_product_records(self._body)
        model = self._records[record.position].model
        assert model is not None, "a record the worker parsed parses here too"
        return model

    def reasons(self, record: CheckedRecord) -> list[Reason]:
        return record.reasons if record.reasons is not None else own_reasons(self.model(record))

    def rows(self, record: CheckedRecord) -> ProductRows:
        if record.rows is not None:
            return record.rows
        return product_rows(self.model(record), record.digest)

    def payload(self, record: CheckedRecord) -> Any:
        if record.payload is not None:
            return record.payload
        return quarantine_payload(self.model(record))


def prepare_checked(
    session: Session,
    records: Sequence[CheckedRecord],
    body: bytes,
    pending_skus: Mapping[str, str] | None = None,
) -> PreparedPage:
    """Read what the page needs from the database and decide each record (nothing written).

    `pending_skus` are SKUs of earlier pages not committed yet (see `prepare_page`).
    """
    stored = stored_products(session, [r.key for r in records])
    fresh: list[CheckedRecord] = []
    hashes: dict[str, str] = {}
    unchanged: list[str] = []
    for record in records:
        if record.digest is not None:
            before = stored.get(record.key)
            if (
                before is not None
                and before.content_hash == record.digest
                and before.published
                and before.active
            ):
                unchanged.append(record.key)
                continue
            hashes[record.key] = record.digest
        fresh.append(record)
    skus = [s for r in fresh if r.digest is not None for s in r.skus if s and storable(s)]
    taken = {**(pending_skus or {}), **sku_owners(session, skus)}
    overrides = quarantine.overrides_for(session, RecordType.PRODUCT, [r.key for r in fresh])
    page = decide(fresh, taken, overrides, _Reparsed(body))
    return PreparedPage(len(records), unchanged, stored, page)


def decide(
    records: Sequence[CheckedRecord],
    taken_skus: Mapping[str, str],
    overrides: Mapping[str, frozenset[str]],
    reparsed: _Reparsed,
) -> Classified:
    """`classify` on checked records: valid rows and quarantine items, in the same order."""
    out = Classified()
    parsed: list[CheckedRecord] = []
    for record in records:
        if record.digest is None:  # broke the contract: its reasons come from the error
            out.seen.append(record.key)
            reasons = without_overridden(record.reasons or [], overrides.get(record.key, ()))
            if reasons:
                out.quarantined.append(_held(record, reasons, record.payload))
            continue
        parsed.append(record)
    duplicates = duplicate_skus([(r.remote_id, r.skus) for r in parsed], taken_skus)
    for position, record in enumerate(parsed):
        out.seen.append(record.key)
        reasons = [*reparsed.reasons(record), *duplicates.get(position, [])]
        reasons = without_overridden(reasons, overrides.get(record.key, ()))
        if reasons:
            out.quarantined.append(_held(record, reasons, reparsed.payload(record)))
        else:
            out.valid.append(reparsed.rows(record))
    return out


def _held(record: CheckedRecord, reasons: list[Reason], payload: Any) -> QuarantineItem:
    return QuarantineItem(
        RecordType.PRODUCT, record.key, reasons, payload, display_id=record.display_id
    )
