"""Price lists (list, campaign, B2B) and the price of each variant on each list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import PriceListKind, SourceSystem
from westgear_desk.db.models.mixins import BigId, IdMixin, SyncedMixin, TimestampMixin
from westgear_desk.db.types import Money, UtcDateTime, VatRate, str_enum

if TYPE_CHECKING:
    from westgear_desk.db.models.catalog import Variant


class PriceList(IdMixin, TimestampMixin, Base):
    """A named list of prices in one currency, with or without VAT."""

    __tablename__ = "price_lists"
    __table_args__ = (UniqueConstraint("source_system", "external_id"),)

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PriceListKind] = mapped_column(str_enum(PriceListKind))
    currency: Mapped[str] = mapped_column(String(3))
    b2b_level: Mapped[str | None] = mapped_column(String(32))
    includes_vat: Mapped[bool]
    active: Mapped[bool] = mapped_column(server_default=true(), default=True)
    source_system: Mapped[SourceSystem | None] = mapped_column(str_enum(SourceSystem))
    external_id: Mapped[str | None] = mapped_column(String(200))

    prices: Mapped[list[Price]] = relationship(back_populates="price_list")


class Price(IdMixin, SyncedMixin, TimestampMixin, Base):
    """The price of one variant on one list; campaign prices carry a validity window.

    At most one open-ended price (no `valid_from`) per list and variant, and at most one
    per start time (two partial unique indexes, since NULLs never collide in UNIQUE).
    """

    __tablename__ = "prices"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from",
            name="valid_window",
        ),
        Index(
            "uq_prices_open_ended",
            "price_list_id",
            "variant_id",
            unique=True,
            postgresql_where=text("valid_from IS NULL"),
            sqlite_where=text("valid_from IS NULL"),
        ),
        Index(
            "uq_prices_window_start",
            "price_list_id",
            "variant_id",
            "valid_from",
            unique=True,
            postgresql_where=text("valid_from IS NOT NULL"),
            sqlite_where=text("valid_from IS NOT NULL"),
        ),
        Index("ix_prices_variant_id", "variant_id"),
    )

    price_list_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("price_lists.id", ondelete="CASCADE")
    )
    variant_id: Mapped[int] = mapped_column(BigId, ForeignKey("variants.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate: Mapped[Decimal] = mapped_column(VatRate())
    includes_vat: Mapped[bool]
    valid_from: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    valid_to: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    price_list: Mapped[PriceList] = relationship(back_populates="prices")
    variant: Mapped[Variant] = relationship(back_populates="prices")
