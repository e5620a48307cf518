"""Customers (consumers and companies), their ids in other systems and their addresses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import AddressKind, CustomerKind, SourceSystem
from westgear_desk.db.models.mixins import BigId, ExternalIdMixin, IdMixin, TimestampMixin
from westgear_desk.db.types import UtcDateTime, str_enum


class Customer(IdMixin, TimestampMixin, Base):
    """A customer. Contact details are kept only where orders, quotes or invoices need them.

    `owner_system` is the system whose copy wins when the systems disagree.
    """

    __tablename__ = "customers"

    kind: Mapped[CustomerKind] = mapped_column(str_enum(CustomerKind))
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str | None] = mapped_column(String(20), index=True)
    vat_number: Mapped[str | None] = mapped_column(String(20))
    owner_system: Mapped[SourceSystem] = mapped_column(str_enum(SourceSystem))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), server_default="sv", default="sv")
    price_list_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("price_lists.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(server_default=true(), default=True)
    source_modified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    content_hash: Mapped[str | None] = mapped_column(String(64))

    external_ids: Mapped[list[CustomerExternalId]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    addresses: Mapped[list[CustomerAddress]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )


class CustomerExternalId(IdMixin, ExternalIdMixin, Base):
    """The customer's id in one other system (Sharespine id, Fortnox customer number)."""

    __tablename__ = "customer_external_ids"
    __table_args__ = (
        UniqueConstraint("source_system", "external_id"),
        UniqueConstraint("customer_id", "source_system"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))

    customer: Mapped[Customer] = relationship(back_populates="external_ids")


class CustomerAddress(IdMixin, TimestampMixin, Base):
    """A billing or delivery address of a customer."""

    __tablename__ = "customer_addresses"

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AddressKind] = mapped_column(str_enum(AddressKind))
    name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    street2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(100))
    country_code: Mapped[str] = mapped_column(String(2), server_default="SE", default="SE")
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)

    customer: Mapped[Customer] = relationship(back_populates="addresses")
