"""Scheduled sync runs, incremental-sync cursors and the quarantine of rejected records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from westgear_desk.db.base import Base
from westgear_desk.db.enums import QuarantineStatus, RecordType, SourceSystem, SyncRunStatus
from westgear_desk.db.models.mixins import BigId, IdMixin, now_default
from westgear_desk.db.types import JSONDoc, UtcDateTime, str_enum


class SyncRun(IdMixin, Base):
    """One run of a schedule. `run_key` (schedule + slot) is unique, so N desks run it once."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_schedule_started", "schedule", "started_at"),)

    schedule: Mapped[str] = mapped_column(String(64))
    run_key: Mapped[str] = mapped_column(String(200), unique=True)
    slot_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    desk: Mapped[str] = mapped_column(String(64))
    status: Mapped[SyncRunStatus] = mapped_column(
        str_enum(SyncRunStatus),
        server_default=SyncRunStatus.RUNNING.value,
        default=SyncRunStatus.RUNNING,
    )
    started_at: Mapped[dt.datetime] = now_default()
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    counts: Mapped[dict[str, int]] = mapped_column(JSONDoc, default=dict)
    error_summary: Mapped[str | None] = mapped_column(Text)


class SyncCursor(IdMixin, Base):
    """Where the last incremental sync of one resource stopped (e.g. a modified-since time)."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("integration", "resource"),)

    integration: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now()
    )
    run_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sync_runs.id", ondelete="SET NULL")
    )


class QuarantineEntry(IdMixin, Base):
    """A record that broke its contract or a domain rule, held back until fixed or overridden.

    `reasons` is a list of {code, field, message_sv, message_en}; `overridden_reasons` lists
    the codes an admin chose to accept.
    """

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("source_system", "record_type", "external_id"),
        Index("ix_quarantine_status_last_seen", "status", "last_seen_at"),
    )

    source_system: Mapped[SourceSystem] = mapped_column(str_enum(SourceSystem))
    record_type: Mapped[RecordType] = mapped_column(str_enum(RecordType))
    external_id: Mapped[str] = mapped_column(String(200))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    raw_payload: Mapped[Any] = mapped_column(JSONDoc)
    status: Mapped[QuarantineStatus] = mapped_column(
        str_enum(QuarantineStatus),
        server_default=QuarantineStatus.OPEN.value,
        default=QuarantineStatus.OPEN,
    )
    overridden_reasons: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    first_seen_at: Mapped[dt.datetime] = now_default()
    last_seen_at: Mapped[dt.datetime] = now_default()
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sync_runs.id", ondelete="SET NULL"), index=True
    )
