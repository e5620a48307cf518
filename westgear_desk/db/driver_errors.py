"""psycopg errors from statements run straight on the driver connection, as SQLAlchemy's.

A few hot paths skip SQLAlchemy's execution machinery; their callers still catch
SQLAlchemy's exceptions (an outage is an `OperationalError` that invalidates the connection).
"""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import DBAPIError, StatementError


def as_sqlalchemy_error(sql: str, exc: psycopg.Error) -> StatementError:
    """SQLAlchemy's exception for `exc`; no parameters, which may hold personal data."""
    return DBAPIError.instance(
        sql,
        None,
        exc,
        psycopg.Error,
        connection_invalidated=isinstance(exc, psycopg.OperationalError),
    )
