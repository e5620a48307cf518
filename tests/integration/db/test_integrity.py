"""Constraints the outside world relies on hold on both engines (FKs, uniques, CHECKs)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.db import factories
from westgear_desk.db.enums import (
    Carrier,
    InvoiceKind,
    PaymentProvider,
    PaymentStatus,
    SourceSystem,
)
from westgear_desk.db.models import (
    InboxEvent,
    Invoice,
    Job,
    Order,
    Parcel,
    Payment,
    Price,
    QuarantineEntry,
    Shipment,
)


def _commit_fails(factory: sessionmaker[Session], *rows: object) -> None:
    with factory() as session:
        session.add_all(rows)
        with pytest.raises(IntegrityError):
            session.commit()


def _commit(factory: sessionmaker[Session], *rows: object) -> None:
    with factory() as session:
        session.add_all(rows)
        session.commit()


def _order(**overrides: object) -> Order:
    values: dict[str, object] = {
        "order_number": "1001",
        "source_system": SourceSystem.SHARESPINE,
        "remote_id": "R-1001",
        "status": "new",
        "currency": "SEK",
        "total_excl_vat": Decimal("80.00"),
        "total_vat": Decimal("20.00"),
        "total_incl_vat": Decimal("100.00"),
        "placed_at": factories.UTC_NOON,
    }
    values.update(overrides)
    return Order(**values)


def test_foreign_key_violation_raises(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        with pytest.raises(IntegrityError):
            session.execute(
                text(
                    "INSERT INTO variants (product_id, source_system, external_id, sku, "
                    "attributes, active, published) "
                    "VALUES (424242, 'sharespine', 'V-x', 'SKU-x', '{}', true, false)"
                )
            )
        session.rollback()


def test_product_external_id_is_unique_per_source(session_factory: sessionmaker[Session]) -> None:
    _commit(session_factory, factories.product(external_id="P-1"))
    _commit(session_factory, factories.product(source_system=SourceSystem.LOCAL, external_id="P-1"))
    _commit_fails(session_factory, factories.product(external_id="P-1"))


def test_variant_sku_is_unique(session_factory: sessionmaker[Session]) -> None:
    _commit(session_factory, factories.variant(factories.product(), sku="LJ-100"))
    _commit_fails(session_factory, factories.variant(factories.product(), sku="LJ-100"))


def test_order_remote_id_is_unique_per_source(session_factory: sessionmaker[Session]) -> None:
    _commit(session_factory, _order())
    _commit_fails(session_factory, _order(order_number="1002"))


def test_job_idempotency_key_is_unique(session_factory: sessionmaker[Session]) -> None:
    _commit(session_factory, Job(kind="klarna.capture", idempotency_key="cap:1001:1"))
    _commit_fails(session_factory, Job(kind="klarna.capture", idempotency_key="cap:1001:1"))


def test_inbox_dedupe_key_is_unique_per_source(session_factory: sessionmaker[Session]) -> None:
    def event(source: str) -> InboxEvent:
        return InboxEvent(
            source=source, event_type="x", dedupe_key="evt-1", raw_body=b"{}", signature_ok=True
        )

    _commit(session_factory, event("klarna"), event("sharespine"))
    _commit_fails(session_factory, event("klarna"))


def test_tracking_number_unique_per_carrier_and_sscc_unique(
    session_factory: sessionmaker[Session],
) -> None:
    order = _order()
    first = Shipment(order=order, carrier=Carrier.POSTNORD, service="19", tracking_number="T1")
    first.parcels.append(Parcel(sscc="373500000000000017"))
    _commit(session_factory, first)
    with session_factory() as session:
        stored = session.merge(order)
        dhl = Shipment(order=stored, carrier=Carrier.DHL, service="102", tracking_number="T1")
        session.add(dhl)
        session.commit()
        session.add(
            Shipment(order=stored, carrier=Carrier.DHL, service="102", tracking_number="T1")
        )
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        session.add(Parcel(shipment=session.merge(dhl), sscc="373500000000000017"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_payment_provider_order_id_unique_and_amounts_coherent(
    session_factory: sessionmaker[Session],
) -> None:
    def payment(captured: str = "0") -> Payment:
        return Payment(
            provider=PaymentProvider.KLARNA,
            provider_order_id="kl-1",
            status=PaymentStatus.AUTHORIZED,
            currency="SEK",
            authorized_amount=Decimal("100.00"),
            captured_amount=Decimal(captured),
        )

    _commit_fails(session_factory, payment(captured="100.01"))
    _commit(session_factory, payment())
    _commit_fails(session_factory, payment())


def test_fortnox_number_unique_per_document_kind(session_factory: sessionmaker[Session]) -> None:
    def doc(kind: InvoiceKind, ref: str) -> Invoice:
        return Invoice(
            kind=kind,
            external_reference=ref,
            fortnox_document_number="5001",
            currency="SEK",
            total_excl_vat=Decimal("80.00"),
            total_vat=Decimal("20.00"),
            total_incl_vat=Decimal("100.00"),
        )

    _commit(session_factory, doc(InvoiceKind.INVOICE, "WG-1"), doc(InvoiceKind.CREDIT_NOTE, "WG-2"))
    _commit_fails(session_factory, doc(InvoiceKind.INVOICE, "WG-3"))


def test_quarantine_one_entry_per_record(session_factory: sessionmaker[Session]) -> None:
    def entry() -> QuarantineEntry:
        return QuarantineEntry(
            source_system=SourceSystem.SHARESPINE,
            record_type="variant",
            external_id="V-9",
            raw_payload={"sku": None},
        )

    _commit(session_factory, entry())
    _commit_fails(session_factory, entry())


def test_only_one_open_ended_price_per_list_and_variant(
    session_factory: sessionmaker[Session],
) -> None:
    product = factories.product()
    variant = factories.variant(product)
    plist = factories.price_list()

    def price(valid_from: object = None) -> Price:
        return Price(
            price_list=plist,
            variant=variant,
            amount=factories.SEK_100,
            currency="SEK",
            vat_rate=Decimal("0.25"),
            includes_vat=True,
            valid_from=valid_from,
        )

    with session_factory() as session:
        session.add_all([price(), price(factories.UTC_NOON)])
        session.commit()
        session.add(price())
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        session.add(price(factories.UTC_NOON))
        with pytest.raises(IntegrityError):
            session.commit()


def test_enum_columns_refuse_unknown_values_at_the_database(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        with pytest.raises(IntegrityError):
            session.execute(
                text(
                    "INSERT INTO jobs (kind, payload, idempotency_key, status, attempts) "
                    "VALUES ('x', '{}', 'k-1', 'exploded', 0)"
                )
            )
        session.rollback()
