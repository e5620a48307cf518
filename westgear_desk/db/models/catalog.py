"""Catalog tables: brands, products, variants, their texts per language and media."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.models.mixins import (
    BigId,
    ExternalIdMixin,
    IdMixin,
    SyncedMixin,
    TimestampMixin,
)
from westgear_desk.db.types import JSONDoc, VatRate

if TYPE_CHECKING:
    from westgear_desk.db.models.pricing import Price
    from westgear_desk.db.models.stock import StockLevel


class Brand(IdMixin, TimestampMixin, Base):
    """A brand; products point to it."""

    __tablename__ = "brands"

    name: Mapped[str] = mapped_column(String(200), unique=True)


class Product(IdMixin, ExternalIdMixin, SyncedMixin, TimestampMixin, Base):
    """A sellable product as Sharespine knows it; the variants carry SKU, EAN and prices."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("source_system", "external_id"),)

    name: Mapped[str] = mapped_column(String(300))
    brand_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str | None] = mapped_column(String(200))
    vat_rate: Mapped[Decimal | None] = mapped_column(VatRate())

    brand: Mapped[Brand | None] = relationship()
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Variant.id"
    )
    texts: Mapped[list[ProductText]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )
    media: Mapped[list[Media]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Media.position"
    )


class Variant(IdMixin, ExternalIdMixin, SyncedMixin, TimestampMixin, Base):
    """One SKU of a product (size, colour ...), with its EAN/GTIN and attributes."""

    __tablename__ = "variants"
    __table_args__ = (
        UniqueConstraint("source_system", "external_id"),
        Index("ix_variants_ean", "ean"),
    )

    product_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    ean: Mapped[str | None] = mapped_column(String(14))
    name: Mapped[str | None] = mapped_column(String(300))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    weight_grams: Mapped[int | None] = mapped_column(Integer)

    product: Mapped[Product] = relationship(back_populates="variants")
    prices: Mapped[list[Price]] = relationship(back_populates="variant")
    stock_levels: Mapped[list[StockLevel]] = relationship(back_populates="variant")


class ProductText(IdMixin, TimestampMixin, Base):
    """Name and descriptions of a product in one language (``sv``, ``en`` ...)."""

    __tablename__ = "product_texts"
    __table_args__ = (UniqueConstraint("product_id", "language"),)

    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(300))
    short_description: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)

    product: Mapped[Product] = relationship(back_populates="texts")


class Media(IdMixin, TimestampMixin, Base):
    """An image (or other file) of a product, optionally of one variant, by URL."""

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("product_id", "url"),)

    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("variants.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(32), server_default="image")
    position: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    alt_text: Mapped[str | None] = mapped_column(String(300))

    product: Mapped[Product] = relationship(back_populates="media")
