"""The outbox: every outbound side effect is a job row written with the change that causes it.

`enqueue` runs inside the caller's transaction, so the job exists exactly when the state
change that needs it is committed. The idempotency key is unique: enqueueing the same key
twice gives the same job. Execution is at-least-once (a worker may die after the provider
acted but before the job is marked done); handlers get the key and pass it to the provider
(``Klarna-Idempotency-Key``, Fortnox's external reference, Sharespine's ``remoteId``) so the
*effect* happens exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Insert, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import JobStatus
from westgear_desk.db.models.engine import Job
from westgear_desk.sync.claims import Clock
from westgear_desk.sync.inbox_worker import InboxRegistry

if TYPE_CHECKING:
    from westgear_desk.sync.flows import FlowEnvironment

JOBS = cast(Table, Job.__table__)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class JobContext:
    """What a handler receives: the job, its attempt number and a way to keep its lease."""

    job_id: int
    kind: str
    payload: Mapping[str, Any]
    idempotency_key: str
    correlation_id: str | None
    attempt_no: int
    session_factory: sessionmaker[Session]
    _heartbeat: Callable[[], bool]

    def heartbeat(self) -> bool:
        """Extend this job's lease now (long handlers call it); False if the lease was lost."""
        return self._heartbeat()


JobHandler = Callable[[JobContext], None]


class JobRegistry:
    """Maps job kinds ("integration.action", e.g. "klarna.capture") to their handlers."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}

    def register(self, kind: str, handler: JobHandler) -> None:
        """Register `handler` for `kind`; registering a kind twice is a programming error."""
        if "." not in kind or kind.startswith(".") or kind.endswith("."):
            raise ValueError(f"job kind must look like 'integration.action', got {kind!r}")
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def handler_for(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted(self._handlers))


def enqueue(  # noqa: PLR0917 - the engine's documented call shape
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    idempotency_key: str,
    correlation_id: str | None = None,
    run_at: datetime | None = None,
) -> int:
    """Add a job in the caller's transaction and return its id (the same id for the same key).

    Raises ValueError for an empty or over-long key, a naive `run_at`, a payload that is
    not JSON (Decimal amounts go in as strings), or a key already used by another kind.
    """
    _validate(kind, payload, idempotency_key, run_at)
    clock = Clock.of(session)
    values = {
        "kind": kind,
        "payload": dict(payload),
        "idempotency_key": idempotency_key,
        "correlation_id": correlation_id,
        "status": JobStatus.PENDING,
        "attempts": 0,
        "run_at": run_at if run_at is not None else clock.now(),
    }
    statement = _insert_ignoring_duplicates(session, values).returning(JOBS.c.id)
    new_id = session.execute(statement).scalar_one_or_none()
    if new_id is not None:
        return int(new_id)
    existing = session.execute(
        select(JOBS.c.id, JOBS.c.kind).where(JOBS.c.idempotency_key == idempotency_key)
    ).one()
    if existing.kind != kind:
        raise ValueError(
            f"idempotency key {idempotency_key!r} already belongs to a {existing.kind!r} job"
        )
    return int(existing.id)


def _insert_ignoring_duplicates(session: Session, values: dict[str, Any]) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(JOBS).values(values)
        return pg.on_conflict_do_nothing(index_elements=[JOBS.c.idempotency_key])
    if dialect == "sqlite":
        lite = sqlite.insert(JOBS).values(values)
        return lite.on_conflict_do_nothing(index_elements=[JOBS.c.idempotency_key])
    raise ValueError(f"unsupported database for the outbox: {dialect}")


def _validate(kind: str, payload: Mapping[str, Any], key: str, run_at: datetime | None) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"idempotency key must have 1..{MAX_KEY_LENGTH} characters")
    if "." not in kind:
        raise ValueError(f"job kind must look like 'integration.action', got {kind!r}")
    if run_at is not None and run_at.utcoffset() is None:
        raise ValueError("run_at must be timezone-aware")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"job payload must be plain JSON (amounts as strings): {exc}") from exc


def build_handler_registries(
    env: FlowEnvironment, modules: Sequence[str] | None = None
) -> tuple[JobRegistry, InboxRegistry]:
    """Return job and inbox registries filled by the engine modules' hooks.

    The same `register_jobs` / `register_inbox` hooks of `flows.ENGINE_MODULES` (or `modules`)
    that a running desk uses, so the worker, the GUI, `jobs retry` and `inbox replay` all know
    the same handlers.
    """
    from westgear_desk.sync.flows import contribute, engine_modules

    loaded = engine_modules(modules)
    jobs, inbox = JobRegistry(), InboxRegistry()
    contribute("register_jobs", jobs, env, loaded)
    contribute("register_inbox", inbox, env, loaded)
    return jobs, inbox
