"""Declarative base with a naming convention, so constraint names are stable across engines."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Deterministic names for every index and constraint. Alembic needs names to alter or drop a
#: constraint (SQLite batch mode especially), and PostgreSQL and SQLite then agree on them.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every ORM model; `Base.metadata` is what Alembic compares against."""

    metadata: ClassVar[MetaData] = MetaData(naming_convention=NAMING_CONVENTION)
