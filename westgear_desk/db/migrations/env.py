"""Alembic environment: runs migrations on the connection `westgear_desk.db.migrate` hands in."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, types
from sqlalchemy.engine import make_url

import westgear_desk.db.models  # noqa: F401  (registers every table on Base.metadata)
from westgear_desk.db.base import Base
from westgear_desk.db.session import create_engine_for

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our TypeDecorators as their plain SQL type, so revisions never import app code."""
    if type_ == "type" and isinstance(obj, types.TypeDecorator):
        impl = obj.impl_instance
        return f"sa.{impl!r}"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )


def run_online() -> None:
    """Use the caller's connection if given (the normal path), else open one from the URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = make_url(context.config.get_main_option("sqlalchemy.url") or "")
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them online")
run_online()
