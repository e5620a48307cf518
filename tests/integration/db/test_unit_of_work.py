"""The unit of work commits whole or not at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.db import factories
from westgear_desk.db.models import Product, Variant
from westgear_desk.db.session import is_postgres, unit_of_work


class BoomError(RuntimeError):
    pass


def _count(factory: sessionmaker[Session], model: type[object]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_commits_on_success(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        product = factories.product()
        factories.variant(product, weight_grams=900)
        session.add(product)
    assert _count(session_factory, Product) == 1
    assert _count(session_factory, Variant) == 1


def test_rolls_back_everything_on_error_after_a_flush(
    session_factory: sessionmaker[Session],
) -> None:
    def fail_after_flush() -> None:
        with unit_of_work(session_factory) as session:
            product = factories.product()
            factories.variant(product)
            session.add(product)
            session.flush()  # rows are in the database transaction now
            raise BoomError

    with pytest.raises(BoomError):
        fail_after_flush()
    assert _count(session_factory, Product) == 0
    assert _count(session_factory, Variant) == 0


def test_constraint_failure_mid_batch_leaves_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        session.add(factories.variant(factories.product(), sku="TAKEN"))

    def import_batch(skus: list[str]) -> None:
        with unit_of_work(session_factory) as session:
            for sku in skus:
                session.add(factories.variant(factories.product(), sku=sku))
                session.flush()

    with pytest.raises(IntegrityError):
        import_batch(["NEW-1", "NEW-2", "TAKEN", "NEW-3"])
    assert _count(session_factory, Variant) == 1
    assert _count(session_factory, Product) == 1


def test_objects_stay_readable_after_commit(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        product = factories.product(name="Räddningsväst 150N", vat_rate=Decimal("0.25"))
        session.add(product)
    assert product.name == "Räddningsväst 150N"  # expire_on_commit=False: no reload needed
    assert product.id is not None


def test_is_postgres_matches_the_engine(
    session_factory: sessionmaker[Session], db_url: str
) -> None:
    with session_factory() as session:
        assert is_postgres(session) is db_url.startswith("postgresql")
