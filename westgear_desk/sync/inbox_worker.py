"""Processes recorded inbox events under a lease, retried with the retry policy, every attempt kept.

Same mechanics as the job worker: one claiming statement takes a small batch with
``FOR UPDATE SKIP LOCKED`` and commits; processors run outside any claim transaction; the
outcome is written by a guarded UPDATE fenced by the attempt number. Only events whose
signature verified and whose (source, event type) has a processor on this desk are claimed,
so a desk running an older version leaves new event types to the desks that know them.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, insert, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import InboxAttemptOutcome, InboxStatus
from westgear_desk.db.models.engine import InboxAttempt, InboxEvent
from westgear_desk.errors import DataError
from westgear_desk.log import correlation_scope
from westgear_desk.sync.claims import (
    Clock,
    Failure,
    LeaseWorker,
    audit,
    expired_leases,
    rowcount,
    utcnow,
)
from westgear_desk.sync.retry import PolicyResolver

EVENTS = cast(Table, InboxEvent.__table__)
ATTEMPTS = cast(Table, InboxAttempt.__table__)
DUE_STATUSES = (InboxStatus.RECEIVED, InboxStatus.FAILED)
LEASE_LOST = "LeaseExpired"
log = logging.getLogger(__name__)


class EventIgnored(Exception):
    """Raised by a processor to mark an event as deliberately ignored (stale, irrelevant)."""


@dataclass(frozen=True)
class InboxContext:
    """What a processor receives: the raw event, its attempt number and whether it is a replay."""

    event_id: int
    source: str
    event_type: str
    dedupe_key: str
    headers: Mapping[str, str]
    raw_body: bytes
    correlation_id: str | None
    attempt_no: int
    is_replay: bool
    session_factory: sessionmaker[Session]
    _heartbeat: Callable[[], bool]

    def json(self) -> Any:
        """The body parsed as JSON; a malformed body raises DataError (the event goes dead)."""
        try:
            return json.loads(self.raw_body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"inbox event {self.event_id}: body is not valid JSON") from exc

    def heartbeat(self) -> bool:
        """Extend this event's lease now; False if the lease was lost."""
        return self._heartbeat()


Processor = Callable[[InboxContext], None]


class InboxRegistry:
    """Maps (source, event type) to the processor that applies such an event."""

    def __init__(self) -> None:
        self._processors: dict[tuple[str, str], Processor] = {}

    def register(self, source: str, event_type: str, processor: Processor) -> None:
        """Register `processor`; a second processor for the same pair is a programming error."""
        key = (source, event_type)
        if not source or not event_type:
            raise ValueError("source and event_type must not be empty")
        if key in self._processors:
            raise ValueError(f"a processor for {source}/{event_type} is already registered")
        self._processors[key] = processor

    def processor_for(self, source: str, event_type: str) -> Processor | None:
        return self._processors.get((source, event_type))

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self._processors))


@dataclass(frozen=True)
class ClaimedEvent:
    """An event this processor owns until its lease expires."""

    id: int
    source: str
    event_type: str
    dedupe_key: str
    headers: dict[str, str]
    raw_body: bytes
    correlation_id: str | None
    attempt_no: int


@dataclass(frozen=True)
class _Outcome:
    status: InboxStatus
    outcome: InboxAttemptOutcome
    delay_s: float | None
    failure: Failure | None
    started: datetime
    replayed_by: str | None


_CLAIMED_COLUMNS = (
    EVENTS.c.id,
    EVENTS.c.source,
    EVENTS.c.event_type,
    EVENTS.c.dedupe_key,
    EVENTS.c.headers,
    EVENTS.c.raw_body,
    EVENTS.c.correlation_id,
    EVENTS.c.attempts,
)


def _claimed(row: Any) -> ClaimedEvent:
    headers = {str(k): str(v) for k, v in (row.headers or {}).items()}
    return ClaimedEvent(
        row.id,
        row.source,
        row.event_type,
        row.dedupe_key,
        headers,
        bytes(row.raw_body),
        row.correlation_id,
        row.attempts,
    )


class InboxProcessor(LeaseWorker[ClaimedEvent]):
    """Applies due inbox events with the processors in `registry`; safe on many desks at once."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: InboxRegistry,
        *,
        desk_id: str,
        policies: PolicyResolver,
        lease_s: float = 60.0,
        heartbeat_s: float | None = None,
        batch_size: int = 10,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            session_factory,
            desk_id=desk_id,
            lease_s=lease_s,
            heartbeat_s=heartbeat_s,
            batch_size=batch_size,
            rng=rng,
        )
        self._registry = registry
        self._policies = policies

    def run_once(self, max_events: int = 50) -> int:
        """Claim due events and process them one by one; return how many were processed."""
        return self._drain(max_events)

    def reclaim_expired(self, limit: int = 100) -> int:
        """Put events whose lease expired back to failed-and-due (attempt outcome lease_lost)."""
        return self._reclaim_guarded(limit)

    def replay(self, event_id: int, *, actor: str, reason: str | None = None) -> InboxStatus:
        """Process one event again now, whatever its status, recorded as a replay by `actor`.

        Raises LookupError if the event does not exist or has no processor here, and
        ValueError if its signature failed or it is being processed right now.
        """
        event = self._claim_for_replay(event_id)
        with self._held_lock:
            self._held.add(event.id)
        with self._heartbeat():
            return self._process(event, replayed_by=actor, reason=reason)

    # --- claiming ----------------------------------------------------------------------

    def _claim_batch(self, limit: int) -> list[ClaimedEvent]:
        pairs = self._registry.pairs
        if not pairs or limit < 1:
            return []
        with self._factory() as session, session.begin():
            return self._claim(session, pairs, limit)

    def _claim(
        self, session: Session, pairs: Sequence[tuple[str, str]], limit: int
    ) -> list[ClaimedEvent]:
        clock = Clock.of(session)
        due: Select[Any] = (
            select(EVENTS.c.id)
            .where(EVENTS.c.status.in_(DUE_STATUSES), EVENTS.c.next_attempt_at <= clock.now())
            .where(EVENTS.c.signature_ok.is_(True))
            .where(tuple_(EVENTS.c.source, EVENTS.c.event_type).in_(pairs))
            .order_by(EVENTS.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = session.execute(self._take(clock).where(EVENTS.c.id.in_(due))).all()
        return sorted((_claimed(row) for row in rows), key=lambda event: event.id)

    def _take(self, clock: Clock) -> Any:
        return (
            update(EVENTS)
            .values(
                status=InboxStatus.PROCESSING,
                locked_by=self.worker_id,
                lease_expires_at=clock.plus(self._lease_s),
                attempts=EVENTS.c.attempts + 1,
            )
            .returning(*_CLAIMED_COLUMNS)
        )

    def _claim_for_replay(self, event_id: int) -> ClaimedEvent:
        with self._factory() as session, session.begin():
            clock = Clock.of(session)
            current = session.execute(
                select(
                    EVENTS.c.status,
                    EVENTS.c.signature_ok,
                    EVENTS.c.lease_expires_at,
                    EVENTS.c.source,
                    EVENTS.c.event_type,
                )
                .where(EVENTS.c.id == event_id)
                .with_for_update()
            ).one_or_none()
            if current is None:
                raise LookupError(f"inbox event {event_id} does not exist")
            if self._registry.processor_for(current.source, current.event_type) is None:
                raise LookupError(
                    f"no processor for {current.source}/{current.event_type} on this desk"
                )
            if not current.signature_ok:
                raise ValueError(f"inbox event {event_id} failed its signature check")
            busy = (EVENTS.c.status == InboxStatus.PROCESSING) & (
                EVENTS.c.lease_expires_at >= clock.now()
            )
            row = session.execute(
                self._take(clock).where(EVENTS.c.id == event_id, ~busy)
            ).one_or_none()
            if row is None:
                raise ValueError(f"inbox event {event_id} is being processed right now")
            return _claimed(row)

    # --- processing --------------------------------------------------------------------

    def _run_item(self, event: ClaimedEvent) -> None:
        self._process(event)

    def _process(
        self, event: ClaimedEvent, *, replayed_by: str | None = None, reason: str | None = None
    ) -> InboxStatus:
        processor = self._registry.processor_for(event.source, event.event_type)
        context = InboxContext(
            event.id,
            event.source,
            event.event_type,
            event.dedupe_key,
            event.headers,
            event.raw_body,
            event.correlation_id,
            event.attempt_no,
            replayed_by is not None,
            self._factory,
            lambda: self._extend([event.id]) > 0,
        )
        started = utcnow()
        failure: Failure | None = None
        ignored = False
        with correlation_scope(event.correlation_id):
            try:
                if processor is None:
                    raise LookupError(f"no processor for {event.source}/{event.event_type}")
                processor(context)
            except EventIgnored as exc:
                ignored, failure = True, Failure.of(exc)
            except Exception as exc:
                failure = Failure.of(exc)
                log.warning(
                    "inbox event %s (%s/%s) attempt %s failed: %s",
                    event.id,
                    event.source,
                    event.event_type,
                    event.attempt_no,
                    failure.error_class,
                )
            outcome = self._outcome(event, failure, ignored, started, replayed_by)
            self._finish(event, outcome, reason)
        self._finished(event.id)
        return outcome.status

    def _outcome(
        self,
        event: ClaimedEvent,
        failure: Failure | None,
        ignored: bool,
        started: datetime,
        replayed_by: str | None,
    ) -> _Outcome:
        def make(
            status: InboxStatus, outcome: InboxAttemptOutcome, delay: float | None
        ) -> _Outcome:
            return _Outcome(status, outcome, delay, failure, started, replayed_by)

        if failure is None:
            return make(InboxStatus.PROCESSED, InboxAttemptOutcome.PROCESSED, None)
        if ignored:
            return make(InboxStatus.IGNORED, InboxAttemptOutcome.IGNORED, None)
        delay = None
        if failure.retryable:
            policy = self._policies.for_kind(f"{event.source}.{event.event_type}")
            delay = policy.delay_for(
                event.attempt_no, retry_after=failure.retry_after, rng=self._rng
            )
        if delay is None:
            return make(InboxStatus.DEAD, InboxAttemptOutcome.DEAD, None)
        return make(InboxStatus.FAILED, InboxAttemptOutcome.RETRY, delay)

    def _finish(self, event: ClaimedEvent, outcome: _Outcome, reason: str | None) -> None:
        def write() -> None:
            with self._factory() as session, session.begin():
                self._write_outcome(session, event, outcome, reason)

        self._through_outages(write, f"inbox event {event.id}")

    def _write_outcome(
        self, session: Session, event: ClaimedEvent, outcome: _Outcome, reason: str | None
    ) -> None:
        clock = Clock.of(session)
        failure = outcome.failure
        next_at = clock.plus(outcome.delay_s) if outcome.delay_s is not None else None
        values: dict[str, Any] = {
            "status": outcome.status,
            "locked_by": None,
            "lease_expires_at": None,
            "last_error": failure.message if failure else None,
        }
        if next_at is not None:
            values["next_attempt_at"] = next_at
        if outcome.status == InboxStatus.PROCESSED:
            values["processed_at"] = clock.now()
        guarded = (
            update(EVENTS)
            .where(EVENTS.c.id == event.id, EVENTS.c.locked_by == self.worker_id)
            .where(EVENTS.c.status == InboxStatus.PROCESSING)
            .where(EVENTS.c.attempts == event.attempt_no)
            .values(values)
        )
        if rowcount(session.execute(guarded)) != 1:
            log.warning(
                "inbox event %s: lease lost before attempt %s finished", event.id, event.attempt_no
            )
            return
        session.execute(
            insert(ATTEMPTS).values(
                event_id=event.id,
                attempt_no=event.attempt_no,
                desk=self.desk_id,
                started_at=outcome.started,
                finished_at=utcnow(),
                outcome=outcome.outcome,
                error_class=failure.error_class if failure else None,
                message=failure.message if failure else None,
                is_replay=outcome.replayed_by is not None,
                replayed_by=outcome.replayed_by,
            )
        )
        if outcome.replayed_by is not None:
            audit(
                session,
                actor=outcome.replayed_by,
                action="inbox.replay",
                target_type="inbox_event",
                target_id=event.id,
                reason=reason,
                details={
                    "attempt_no": event.attempt_no,
                    "outcome": str(outcome.outcome),
                    "status": str(outcome.status),
                },
                correlation_id=event.correlation_id,
            )

    # --- leases ------------------------------------------------------------------------

    def _extend(self, ids: Sequence[int]) -> int:
        return self._extend_held(EVENTS, InboxStatus.PROCESSING, ids)

    def _release(self, events: Sequence[ClaimedEvent]) -> None:
        """Hand back claimed events that never started (their claim does not count)."""
        ids = [event.id for event in events]
        self._hand_back(
            EVENTS,
            ids,
            running=InboxStatus.PROCESSING,
            back_to=InboxStatus.FAILED,
            noun="inbox events",
        )

    def _expired(self, clock: Clock, limit: int) -> Select[Any]:
        return expired_leases(
            EVENTS,
            InboxStatus.PROCESSING,
            clock,
            limit,
            EVENTS.c.id,
            EVENTS.c.source,
            EVENTS.c.event_type,
            EVENTS.c.attempts,
            EVENTS.c.locked_by,
        )

    def _reclaim_one(self, session: Session, clock: Clock, row: Any) -> None:
        attempt_no = max(int(row.attempts), 1)
        policy = self._policies.for_kind(f"{row.source}.{row.event_type}")
        delay = policy.delay_for(attempt_no, rng=self._rng)
        owner = str(row.locked_by or "?")
        message = f"lease expired: {owner} stopped answering during attempt {attempt_no}"
        values: dict[str, Any] = {
            "status": InboxStatus.FAILED if delay is not None else InboxStatus.DEAD,
            "locked_by": None,
            "lease_expires_at": None,
            "last_error": message,
        }
        if delay is not None:
            values["next_attempt_at"] = clock.plus(delay)
        session.execute(update(EVENTS).where(EVENTS.c.id == row.id).values(values))
        session.execute(
            insert(ATTEMPTS).values(
                event_id=row.id,
                attempt_no=attempt_no,
                desk=owner.split(":", 1)[0],
                started_at=clock.now(),
                finished_at=utcnow(),
                outcome=InboxAttemptOutcome.LEASE_LOST,
                error_class=LEASE_LOST,
                message=message,
            )
        )
        log.warning("inbox event %s: %s", row.id, message)
