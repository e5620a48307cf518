"""The sync engine's outbox (jobs) and inbox (inbound webhooks), each with an attempt history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from westgear_desk.db.base import Base
from westgear_desk.db.enums import InboxAttemptOutcome, InboxStatus, JobAttemptOutcome, JobStatus
from westgear_desk.db.models.mixins import BigId, IdMixin, TimestampMixin, now_default
from westgear_desk.db.types import JSONDoc, UtcDateTime, str_enum
from westgear_desk.errors import ErrorCategory

_PENDING = text("status = 'pending'")
_INBOX_DUE = text("status IN ('received', 'failed')")


class Job(IdMixin, TimestampMixin, Base):
    """One outbound side effect to perform, exactly once thanks to `idempotency_key`."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "run_at", postgresql_where=_PENDING, sqlite_where=_PENDING),
        Index("ix_jobs_status_lease", "status", "lease_expires_at"),
    )

    kind: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    correlation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus), server_default=JobStatus.PENDING.value, default=JobStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    #: `attempts` at the last manual retry; the retry policy counts attempts from here.
    retry_base: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    run_at: Mapped[dt.datetime] = now_default()
    locked_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_class: Mapped[str | None] = mapped_column(String(200))
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    attempt_history: Mapped[list[JobAttempt]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobAttempt.attempt_no"
    )


class JobAttempt(IdMixin, Base):
    """One try at a job: who ran it, how it ended, and what the provider said."""

    __tablename__ = "job_attempts"
    __table_args__ = (UniqueConstraint("job_id", "attempt_no"),)

    job_id: Mapped[int] = mapped_column(BigId, ForeignKey("jobs.id", ondelete="CASCADE"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    desk: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = now_default()
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[JobAttemptOutcome | None] = mapped_column(str_enum(JobAttemptOutcome))
    error_class: Mapped[str | None] = mapped_column(String(200))
    error_category: Mapped[ErrorCategory | None] = mapped_column(str_enum(ErrorCategory))
    message: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(200))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    job: Mapped[Job] = relationship(back_populates="attempt_history")


class InboxEvent(IdMixin, Base):
    """An inbound webhook or callback, stored raw before any processing.

    `dedupe_key` is kept forever so a redelivery is recognised; `headers` never hold secrets.
    """

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("source", "dedupe_key"),
        Index(
            "ix_inbox_events_due",
            "next_attempt_at",
            postgresql_where=_INBOX_DUE,
            sqlite_where=_INBOX_DUE,
        ),
        Index("ix_inbox_events_status_lease", "status", "lease_expires_at"),
    )

    source: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    headers: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    signature_ok: Mapped[bool] = mapped_column(Boolean)
    correlation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[InboxStatus] = mapped_column(
        str_enum(InboxStatus),
        server_default=InboxStatus.RECEIVED.value,
        default=InboxStatus.RECEIVED,
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    next_attempt_at: Mapped[dt.datetime] = now_default()
    locked_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    received_at: Mapped[dt.datetime] = now_default()
    processed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    attempt_history: Mapped[list[InboxAttempt]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="InboxAttempt.attempt_no"
    )


class InboxAttempt(IdMixin, Base):
    """One processing of an inbox event; replays are marked and name who asked for them."""

    __tablename__ = "inbox_attempts"
    __table_args__ = (UniqueConstraint("event_id", "attempt_no"),)

    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("inbox_events.id", ondelete="CASCADE"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    desk: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = now_default()
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[InboxAttemptOutcome | None] = mapped_column(str_enum(InboxAttemptOutcome))
    error_class: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    is_replay: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    replayed_by: Mapped[str | None] = mapped_column(String(64))

    event: Mapped[InboxEvent] = relationship(back_populates="attempt_history")
