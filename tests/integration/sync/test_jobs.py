"""The outbox on one desk, on SQLite and PostgreSQL: enqueue, run, retry, dead-letter, reclaim."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers.engine_procs import create_effect_tables, idempotent_effect
from westgear_desk.db.models.admin import AuditEntry
from westgear_desk.db.models.engine import Job, JobAttempt
from westgear_desk.errors import (
    BusinessRuleError,
    ConnectionFailure,
    DataError,
    RateLimitedError,
    ServerError,
)
from westgear_desk.sync.job_admin import JobActionError, discard_job, get_job, retry_job
from westgear_desk.sync.job_worker import JobWorker
from westgear_desk.sync.jobs import JobContext, JobRegistry, enqueue
from westgear_desk.sync.retry import PolicyResolver, RetryPolicy

Handler = Callable[[JobContext], None]


@pytest.fixture
def effects(engine: Engine) -> Engine:
    create_effect_tables(engine)
    return engine


def make_worker(
    factory: sessionmaker[Session],
    handlers: dict[str, Handler],
    *,
    schedule: tuple[float, ...] = (0, 0),
    lease_s: float = 60.0,
    desk: str = "desk-a",
) -> JobWorker:
    registry = JobRegistry()
    for kind, handler in handlers.items():
        registry.register(kind, handler)
    policies = PolicyResolver(default=RetryPolicy(schedule_s=schedule, jitter=0))
    return JobWorker(
        factory, registry, desk_id=desk, policies=policies, lease_s=lease_s, rng=random.Random(7)
    )


def add_job(factory: sessionmaker[Session], kind: str, key: str, **payload: object) -> int:
    with factory.begin() as session:
        return enqueue(session, kind, payload, key, correlation_id=f"cid-{key}")


def job(factory: sessionmaker[Session], job_id: int) -> Job:
    with factory() as session:
        return session.get_one(Job, job_id)


def history(factory: sessionmaker[Session], job_id: int) -> list[JobAttempt]:
    with factory() as session:
        return list(
            session.scalars(
                select(JobAttempt)
                .where(JobAttempt.job_id == job_id)
                .order_by(JobAttempt.attempt_no)
            )
        )


def raising(exc: Exception) -> Handler:
    def handler(context: JobContext) -> None:
        raise exc

    return handler


def test_same_idempotency_key_gives_one_job_inside_the_callers_transaction(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        first = enqueue(session, "klarna.capture", {"order": "A1"}, "capture:A1")
        second = enqueue(session, "klarna.capture", {"order": "A1"}, "capture:A1")
    with session_factory.begin() as session:
        third = enqueue(session, "klarna.capture", {"order": "A1"}, "capture:A1")
    assert first == second == third
    with session_factory() as session:
        assert session.scalar(text("SELECT count(*) FROM jobs")) == 1


def test_enqueue_rolls_back_with_the_state_change_that_caused_it(
    session_factory: sessionmaker[Session],
) -> None:
    def change_order_then_fail() -> None:
        with session_factory.begin() as session:
            enqueue(session, "smtp.send", {"template": "shipped"}, "mail:1")
            raise RuntimeError("the order update failed")

    with pytest.raises(RuntimeError):
        change_order_then_fail()
    with session_factory() as session:
        assert session.scalar(text("SELECT count(*) FROM jobs")) == 0


@pytest.mark.parametrize(
    ("kind", "payload", "key", "message"),
    [
        ("klarna.capture", {"amount": Decimal("10.00")}, "k", "plain JSON"),
        ("klarna.capture", {"x": float("nan")}, "k", "plain JSON"),
        ("klarna.capture", {}, "", "idempotency key"),
        ("klarna.capture", {}, "k" * 201, "idempotency key"),
        ("capture", {}, "k", "integration.action"),
    ],
)
def test_enqueue_refuses_bad_input_clearly(
    session_factory: sessionmaker[Session],
    kind: str,
    payload: dict[str, object],
    key: str,
    message: str,
) -> None:
    with session_factory.begin() as session, pytest.raises(ValueError, match=message):
        enqueue(session, kind, payload, key)


def test_a_key_reused_by_another_kind_is_refused(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        enqueue(session, "klarna.capture", {}, "shared-key")
        with pytest.raises(ValueError, match="already belongs"):
            enqueue(session, "klarna.refund", {}, "shared-key")


def test_worker_runs_due_jobs_once_and_records_the_attempt(
    session_factory: sessionmaker[Session], effects: Engine
) -> None:
    ids = [add_job(session_factory, "test.effect", f"k{n}") for n in range(3)]
    later = datetime.now(UTC) + timedelta(hours=1)
    with session_factory.begin() as session:
        enqueue(session, "test.effect", {}, "later", run_at=later)
    worker = make_worker(session_factory, {"test.effect": idempotent_effect})
    assert worker.run_once() == 3
    assert worker.run_once() == 0  # the later job is not due yet
    with effects.connect() as connection:
        keys = connection.execute(text("SELECT key FROM test_effects ORDER BY key")).scalars()
        assert list(keys) == ["k0", "k1", "k2"]
    for job_id in ids:
        done = job(session_factory, job_id)
        assert (done.status, done.attempts, done.locked_by) == ("done", 1, None)
        assert done.finished_at is not None
        [attempt] = history(session_factory, job_id)
        assert (attempt.outcome, attempt.desk, attempt.attempt_no) == ("succeeded", "desk-a", 1)
        assert attempt.started_at <= attempt.finished_at  # type: ignore[operator]


def test_handler_gets_key_payload_correlation_and_attempt(
    session_factory: sessionmaker[Session],
) -> None:
    seen: list[JobContext] = []
    job_id = add_job(session_factory, "klarna.capture", "capture:42", order="42")
    make_worker(session_factory, {"klarna.capture": seen.append}).run_once()
    [context] = seen
    assert (context.job_id, context.idempotency_key, context.correlation_id) == (
        job_id,
        "capture:42",
        "cid-capture:42",
    )
    assert (context.payload, context.attempt_no) == ({"order": "42"}, 1)
    assert context.heartbeat() is False  # the attempt is over: the lease is no longer held


def test_transient_errors_are_retried_then_succeed(
    session_factory: sessionmaker[Session],
) -> None:
    calls: list[int] = []

    def flaky(context: JobContext) -> None:
        calls.append(context.attempt_no)
        if context.attempt_no < 3:
            raise ServerError("503 from provider", status_code=503, request_id="req-9")

    job_id = add_job(session_factory, "fortnox.invoice", "inv:1")
    assert make_worker(session_factory, {"fortnox.invoice": flaky}).run_once() == 3
    assert calls == [1, 2, 3]
    attempts = history(session_factory, job_id)
    assert [a.outcome for a in attempts] == ["retry", "retry", "succeeded"]
    assert (attempts[0].http_status, attempts[0].request_id) == (503, "req-9")
    assert (attempts[0].error_class, attempts[0].error_category) == ("ServerError", "transient")
    assert job(session_factory, job_id).status == "done"


def test_dead_after_the_last_attempt_with_whole_history(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = add_job(session_factory, "postnord.book", "book:1")
    worker = make_worker(session_factory, {"postnord.book": raising(ConnectionFailure("reset"))})
    assert worker.run_once() == 3  # schedule (0, 0): three attempts in all
    dead = job(session_factory, job_id)
    assert (dead.status, dead.attempts, dead.last_error_class) == ("dead", 3, "ConnectionFailure")
    assert [a.outcome for a in history(session_factory, job_id)] == ["retry", "retry", "dead"]
    assert worker.run_once() == 0


@pytest.mark.parametrize(
    ("exc", "category"),
    [
        (DataError("422 invalid field", status_code=422), "data"),
        (BusinessRuleError("capture exceeds authorization", status_code=403), "business_rule"),
        (KeyError("bug in handler"), "bug"),
    ],
)
def test_non_retryable_errors_are_dead_at_once(
    session_factory: sessionmaker[Session], exc: Exception, category: str
) -> None:
    job_id = add_job(session_factory, "klarna.capture", "capture:1")
    assert make_worker(session_factory, {"klarna.capture": raising(exc)}).run_once() == 1
    dead = job(session_factory, job_id)
    assert (dead.status, dead.attempts, dead.last_error_class) == ("dead", 1, type(exc).__name__)
    [attempt] = history(session_factory, job_id)
    assert (attempt.outcome, attempt.error_category) == ("dead", category)


def test_retry_after_is_honoured(session_factory: sessionmaker[Session]) -> None:
    job_id = add_job(session_factory, "fortnox.invoice", "inv:2")
    limited = RateLimitedError("429", retry_after=120, status_code=429)
    before = datetime.now(UTC)
    assert make_worker(session_factory, {"fortnox.invoice": raising(limited)}).run_once() == 1
    waiting = job(session_factory, job_id)
    assert (waiting.status, waiting.last_http_status) == ("pending", 429)
    delay = (waiting.run_at - before).total_seconds()
    assert 119 <= delay <= 125, delay  # the schedule said "immediately"; the provider said 120 s
    [attempt] = history(session_factory, job_id)
    assert attempt.next_run_at == waiting.run_at


def test_error_messages_are_redacted(session_factory: sessionmaker[Session]) -> None:
    job_id = add_job(session_factory, "smtp.send", "mail:2")
    leak = DataError("rejected anna.svensson@example.se with Bearer abcDEF123456789ghiJKL")
    make_worker(session_factory, {"smtp.send": raising(leak)}).run_once()
    message = history(session_factory, job_id)[0].message or ""
    assert "anna.svensson" not in message
    assert "abcDEF123456789ghiJKL" not in message
    assert "[email]" in message


def test_expired_lease_is_reclaimed_as_lease_lost_and_run_again(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = add_job(session_factory, "test.effect", "k-lease")
    ran: list[str] = []
    other = make_worker(session_factory, {"test.effect": lambda c: ran.append("other")}, desk="b")
    # Desk "a" claimed the job and died: its lease is in the past.
    with session_factory.begin() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status="running",
                locked_by="desk-a:1:dead",
                attempts=1,
                lease_expires_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
    assert other.run_once() == 0  # a running job is not due
    assert other.reclaim_expired() == 1
    assert other.reclaim_expired() == 0
    assert other.run_once() == 1
    assert ran == ["other"]
    attempts = history(session_factory, job_id)
    assert [(a.attempt_no, a.outcome, a.desk) for a in attempts] == [
        (1, "lease_lost", "desk-a"),
        (2, "succeeded", "b"),
    ]


def test_a_live_lease_is_not_reclaimed(session_factory: sessionmaker[Session]) -> None:
    add_job(session_factory, "test.effect", "k-live")
    worker = make_worker(session_factory, {"test.effect": idempotent_effect})
    with session_factory.begin() as session:
        session.execute(
            update(Job).values(
                status="running",
                locked_by="desk-a:1:x",
                attempts=1,
                lease_expires_at=datetime.now(UTC) + timedelta(seconds=60),
            )
        )
    assert worker.reclaim_expired() == 0


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_new_owner(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = add_job(session_factory, "klarna.capture", "capture:slow")
    factory = session_factory

    def slow(context: JobContext) -> None:
        # While this handler runs, its lease expires and another desk takes the job over.
        rescuer = make_worker(factory, {"klarna.capture": lambda c: None}, desk="rescuer")
        with factory.begin() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert rescuer.reclaim_expired() == 1
        assert rescuer.run_once() == 1
        raise ServerError("too late anyway")

    make_worker(factory, {"klarna.capture": slow}, desk="slow").run_once(1)
    final = job(factory, job_id)
    assert (final.status, final.attempts) == ("done", 2)
    outcomes = [(a.attempt_no, a.outcome, a.desk) for a in history(factory, job_id)]
    assert outcomes == [(1, "lease_lost", "slow"), (2, "succeeded", "rescuer")]


def test_request_stop_finishes_the_current_job_and_hands_back_the_rest(
    session_factory: sessionmaker[Session],
) -> None:
    ids = [add_job(session_factory, "test.stop", f"s{n}") for n in range(5)]
    ran: list[int] = []
    worker: JobWorker

    def handler(context: JobContext) -> None:
        ran.append(context.job_id)
        worker.request_stop()

    worker = make_worker(session_factory, {"test.stop": handler})
    assert worker.run_once() == 1
    statuses = [job(session_factory, i) for i in ids]
    assert [j.status for j in statuses] == ["done", "pending", "pending", "pending", "pending"]
    assert [j.attempts for j in statuses] == [1, 0, 0, 0, 0]
    assert all(j.locked_by is None for j in statuses)
    assert worker.run_once() == 0


def test_jobs_of_kinds_without_a_handler_here_are_left_alone(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = add_job(session_factory, "dhl.book", "book:dhl")
    assert make_worker(session_factory, {"test.effect": idempotent_effect}).run_once() == 0
    assert job(session_factory, job_id).status == "pending"


def test_heartbeat_keeps_extending_the_lease_of_a_long_job(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = add_job(session_factory, "test.long", "long")
    leases: list[datetime] = []

    def long_job(context: JobContext) -> None:
        for _ in range(3):
            assert context.heartbeat() is True
            leases.append(job(session_factory, job_id).lease_expires_at)  # type: ignore[arg-type]

    make_worker(session_factory, {"test.long": long_job}, lease_s=30).run_once()
    assert leases == sorted(leases)
    assert len(set(leases)) == 3
    assert job(session_factory, job_id).status == "done"


@pytest.fixture
def dead_job(session_factory: sessionmaker[Session]) -> int:
    job_id = add_job(session_factory, "fortnox.invoice", "inv:dead", customer="C1", amount="10.00")
    make_worker(session_factory, {"fortnox.invoice": raising(DataError("bad"))}).run_once()
    assert job(session_factory, job_id).status == "dead"
    return job_id


def test_manual_retry_with_edited_payload_restarts_the_schedule_and_is_audited(
    session_factory: sessionmaker[Session], dead_job: int
) -> None:
    with session_factory.begin() as session:
        retry_job(
            session,
            dead_job,
            actor="admin1",
            reason="customer fixed",
            payload={"customer": "C2", "amount": "10.00"},
        )
    seen: list[JobContext] = []

    def still_failing(context: JobContext) -> None:
        seen.append(context)
        raise ServerError("503")

    make_worker(session_factory, {"fortnox.invoice": still_failing}).run_once(1)
    assert seen[0].payload == {"customer": "C2", "amount": "10.00"}
    assert seen[0].attempt_no == 2
    again = job(session_factory, dead_job)
    assert again.status == "pending"  # a fresh schedule: not dead after one more failure
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.username, entry.action, entry.target_type, entry.target_id, entry.reason) == (
        "admin1",
        "job.retry",
        "job",
        str(dead_job),
        "customer fixed",
    )
    assert entry.details["payload_changed_fields"] == ["customer"]
    assert entry.details["previous_status"] == "dead"
    assert entry.correlation_id == "cid-inv:dead"


def test_discard_is_audited_and_final(
    session_factory: sessionmaker[Session], dead_job: int
) -> None:
    with session_factory.begin() as session:
        discard_job(session, dead_job, actor="admin1", reason="duplicate invoice")
    with session_factory() as session:
        detail = get_job(session, dead_job)
        action = session.scalar(text("SELECT action FROM audit_log"))
    assert (detail.summary.status, action) == ("discarded", "job.discard")
    assert [a.outcome for a in detail.history] == ["dead"]  # history kept
    worker = make_worker(session_factory, {"fortnox.invoice": idempotent_effect})
    assert worker.run_once() == 0


@pytest.mark.parametrize(
    ("actor", "reason", "message"), [("admin1", " ", "reason"), ("", "why", "user")]
)
def test_admin_actions_need_actor_and_reason(
    session_factory: sessionmaker[Session], dead_job: int, actor: str, reason: str, message: str
) -> None:
    with session_factory.begin() as session, pytest.raises(JobActionError, match=message):
        retry_job(session, dead_job, actor=actor, reason=reason)


def test_done_or_unknown_jobs_cannot_be_retried_or_discarded(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = add_job(session_factory, "test.ok", "ok")
    make_worker(session_factory, {"test.ok": lambda c: None}).run_once()
    waiting = add_job(session_factory, "test.later", "later")
    with session_factory.begin() as session:
        with pytest.raises(JobActionError, match="is done"):
            retry_job(session, job_id, actor="a", reason="r")
        with pytest.raises(JobActionError, match="is done"):
            discard_job(session, job_id, actor="a", reason="r")
        with pytest.raises(JobActionError, match="does not exist"):
            retry_job(session, 999_999, actor="a", reason="r")
        with pytest.raises(JobActionError, match="not plain JSON"):
            retry_job(session, waiting, actor="a", reason="r", payload={"x": Decimal(1)})
