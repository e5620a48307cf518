"""Column groups shared by many tables: surrogate key, timestamps, sync bookkeeping."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Identity, Integer, String, false, func, true
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from westgear_desk.db.enums import SourceSystem
from westgear_desk.db.types import UtcDateTime, str_enum

#: BIGINT on PostgreSQL, INTEGER on SQLite (so SQLite's rowid autoincrement still applies).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def now_default() -> Mapped[dt.datetime]:
    """A NOT NULL timestamp column defaulting to the database's current time."""
    return mapped_column(UtcDateTime(), server_default=func.now())


class IdMixin:
    """Integer surrogate primary key (an identity column on PostgreSQL)."""

    id: Mapped[int] = mapped_column(BigId, Identity(), primary_key=True, sort_order=-100)


class TimestampMixin:
    """`created_at` set on insert, `updated_at` refreshed on every ORM update."""

    created_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), sort_order=100
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now(), sort_order=100
    )


class ExternalIdMixin:
    """An id given by another system, always together with the system that gave it."""

    source_system: Mapped[SourceSystem] = mapped_column(str_enum(SourceSystem))
    external_id: Mapped[str] = mapped_column(String(200))


class SyncedMixin:
    """Bookkeeping for records fed by bulk sync (products, variants, prices, stock).

    `source_modified_at` rejects out-of-order updates; `content_hash` lets a bulk upsert skip
    unchanged rows; `deactivated_by_run_id` names the full refresh that no longer saw the row.
    """

    source_modified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    content_hash: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(server_default=true(), default=True)
    published: Mapped[bool] = mapped_column(server_default=false(), default=False)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    @declared_attr
    def deactivated_by_run_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(BigId, ForeignKey("sync_runs.id", ondelete="SET NULL"))
