"""Observability and administration: the external call log, the audit log, desk users."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from westgear_desk.db.base import Base
from westgear_desk.db.enums import UserRole
from westgear_desk.db.models.mixins import IdMixin, now_default
from westgear_desk.db.types import JSONDoc, str_enum


class ApiCall(IdMixin, Base):
    """Summary of one external HTTP call (`endpoint` is the path template, no personal data)."""

    __tablename__ = "api_calls"
    __table_args__ = (
        Index("ix_api_calls_system_at", "system", "at"),
        Index("ix_api_calls_correlation_id", "correlation_id"),
    )

    at: Mapped[dt.datetime] = now_default()
    system: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(10))
    endpoint: Mapped[str] = mapped_column(String(300))
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[str | None] = mapped_column(String(100))
    payload_summary: Mapped[str | None] = mapped_column(Text)


class AuditEntry(IdMixin, Base):
    """Who did what to which record, and why: every admin override, retry, discard, replay."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_at", "at"),
    )

    at: Mapped[dt.datetime] = now_default()
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    correlation_id: Mapped[str | None] = mapped_column(String(64), index=True)


class User(IdMixin, Base):
    """A desk user and the role that decides what they may do."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole))
    active: Mapped[bool] = mapped_column(server_default=true(), default=True)
    created_at: Mapped[dt.datetime] = now_default()
