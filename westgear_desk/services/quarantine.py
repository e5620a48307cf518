"""Admin actions on quarantined records: release, override a reason, ignore, re-fetch now.

Every action checks the role first (a warehouse user calling `release` is refused even with
no UI involved) and writes an audit_log row with who, what and why in the same transaction
as the change.

The decisions themselves are the quarantine store's (`sync.quarantine`: a released entry
has every reason accepted, so the next sync publishes the record; overriding one reason
accepts that code only and releases the entry once none is left). Re-fetch asks the source
system for the record again through a callback that the system's engine module registers
with the ``register_refetch(registry, env)`` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType

from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import QuarantineStatus
from westgear_desk.db.models import QuarantineEntry
from westgear_desk.db.session import unit_of_work
from westgear_desk.errors import IntegrationError, KnownError
from westgear_desk.services.auth import CurrentUser, Permission, require_permission
from westgear_desk.services.jobs import BulkProgress, BulkResult, run_bulk
from westgear_desk.sync import quarantine as store
from westgear_desk.sync.claims import audit
from westgear_desk.sync.flows import FlowEnvironment, contribute, engine_modules
from westgear_desk.sync.quarantine import QuarantineView

TARGET = "quarantine"


class QuarantineActionError(KnownError):
    """The entry does not exist, the decision does not fit it, or it lacks a reason."""


@dataclass(frozen=True)
class QuarantineRef:
    """Which record to fetch again (what a re-fetch callback receives)."""

    entry_id: int
    source_system: str
    record_type: str
    external_id: str


#: Fetches the record again and runs it through the flow (which updates or releases the entry).
#: Returns a short plain-language outcome for the audit log and the user.
Refetcher = Callable[[QuarantineRef], str]


@dataclass
class RefetchRegistry:
    """Re-fetch callbacks by (source system, record type); record type None = any type."""

    _callbacks: dict[tuple[str, str | None], Refetcher] = field(default_factory=dict)

    def register(
        self, source_system: str, refetch: Refetcher, record_type: str | None = None
    ) -> None:
        self._callbacks[(source_system, record_type)] = refetch

    def find(self, source_system: str, record_type: str) -> Refetcher | None:
        return self._callbacks.get((source_system, record_type)) or self._callbacks.get(
            (source_system, None)
        )

    def __bool__(self) -> bool:
        return bool(self._callbacks)


def build_refetch_registry(
    env: FlowEnvironment, modules: list[ModuleType] | None = None
) -> RefetchRegistry:
    """A registry filled by every engine module's ``register_refetch(registry, env)`` hook."""
    registry = RefetchRegistry()
    contribute("register_refetch", registry, env, engine_modules() if modules is None else modules)
    return registry


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise QuarantineActionError(
            "Ange en anledning (den sparas i granskningsloggen). / "
            "Give a reason (it is kept in the audit log)."
        )
    return reason.strip()


def _not_found(entry_id: int) -> QuarantineActionError:
    return QuarantineActionError(
        f"Karantänpost {entry_id} finns inte. / Quarantine entry {entry_id} does not exist."
    )


def _decide(
    factory: sessionmaker[Session], entry_id: int, decision: Callable[[Session], QuarantineView]
) -> QuarantineView:
    """Run one store decision in its own transaction, with its refusals as plain messages."""
    try:
        with unit_of_work(factory) as session:
            return decision(session)
    except store.QuarantineNotFoundError as exc:
        raise _not_found(entry_id) from exc
    except ValueError as exc:
        raise QuarantineActionError(str(exc)) from exc


def release(
    factory: sessionmaker[Session], user: CurrentUser, entry_id: int, reason: str
) -> QuarantineView:
    """Accept every reason of the entry and mark it released; audited with who and why."""
    require_permission(user, Permission.RELEASE_QUARANTINE)
    why = _require_reason(reason)
    return _decide(
        factory,
        entry_id,
        lambda session: store.release(session, entry_id, actor=user.username, reason=why),
    )


def ignore(
    factory: sessionmaker[Session], user: CurrentUser, entry_id: int, reason: str
) -> QuarantineView:
    """Keep the record out and stop listing it as open; audited with who and why."""
    require_permission(user, Permission.IGNORE_QUARANTINE)
    why = _require_reason(reason)
    return _decide(
        factory,
        entry_id,
        lambda session: store.ignore(session, entry_id, actor=user.username, reason=why),
    )


def override_reason(
    factory: sessionmaker[Session], user: CurrentUser, entry_id: int, code: str, reason: str
) -> bool:
    """Accept one reason (by code); the entry is released once none is left. True if released."""
    require_permission(user, Permission.OVERRIDE_QUARANTINE)
    why = _require_reason(reason)
    view = _decide(
        factory,
        entry_id,
        lambda session: store.override_reason(
            session, entry_id, code, actor=user.username, reason=why
        ),
    )
    return view.status == QuarantineStatus.RELEASED


def refetch(
    factory: sessionmaker[Session],
    registry: RefetchRegistry,
    user: CurrentUser,
    entry_id: int,
    reason: str = "",
) -> str:
    """Fetch the record again now through its system's callback; audited; returns the outcome."""
    require_permission(user, Permission.REFETCH)
    with factory() as session:
        entry = session.get(QuarantineEntry, entry_id)
        if entry is None:
            raise _not_found(entry_id)
        ref = QuarantineRef(
            entry.id, str(entry.source_system), str(entry.record_type), entry.external_id
        )
    callback = registry.find(ref.source_system, ref.record_type)
    if callback is None:
        raise QuarantineActionError(
            f"Hämta igen finns inte för {ref.source_system} ({ref.record_type}). / "
            f"Re-fetch is not available for {ref.source_system} ({ref.record_type})."
        )
    try:
        outcome = callback(ref)
    except IntegrationError as exc:
        raise QuarantineActionError(
            f"Hämta igen misslyckades: {exc} / Re-fetch failed: {exc}"
        ) from exc
    with unit_of_work(factory) as session:
        entry = session.get(QuarantineEntry, entry_id)
        if entry is not None:
            details = {"outcome": outcome, "status_after": str(entry.status)}
            _audit(session, user, "quarantine.refetch", entry, reason or None, details)
    return outcome


def release_many(
    factory: sessionmaker[Session],
    user: CurrentUser,
    ids: Sequence[int],
    reason: str,
    progress: BulkProgress | None = None,
) -> BulkResult:
    """Release each entry in its own transaction; progress per entry; stops when cancelled."""
    require_permission(user, Permission.RELEASE_QUARANTINE)
    _require_reason(reason)
    return run_bulk(ids, lambda i: release(factory, user, i, reason), progress)


def ignore_many(
    factory: sessionmaker[Session],
    user: CurrentUser,
    ids: Sequence[int],
    reason: str,
    progress: BulkProgress | None = None,
) -> BulkResult:
    """Ignore each entry in its own transaction; progress per entry; stops when cancelled."""
    require_permission(user, Permission.IGNORE_QUARANTINE)
    _require_reason(reason)
    return run_bulk(ids, lambda i: ignore(factory, user, i, reason), progress)


def refetch_many(
    factory: sessionmaker[Session],
    registry: RefetchRegistry,
    user: CurrentUser,
    ids: Sequence[int],
    *,
    reason: str = "",
    progress: BulkProgress | None = None,
) -> BulkResult:
    """Re-fetch each entry's record in turn; progress per entry; stops when cancelled."""
    require_permission(user, Permission.REFETCH)
    return run_bulk(ids, lambda i: _refetch_one(factory, registry, user, i, reason), progress)


def _refetch_one(
    factory: sessionmaker[Session],
    registry: RefetchRegistry,
    user: CurrentUser,
    entry_id: int,
    reason: str,
) -> None:
    refetch(factory, registry, user, entry_id, reason)


def _audit(  # noqa: PLR0917 - one audit row needs all of these
    session: Session,
    user: CurrentUser,
    action: str,
    entry: QuarantineEntry,
    reason: str | None,
    details: Mapping[str, object],
) -> None:
    full = {
        "source_system": str(entry.source_system),
        "record_type": str(entry.record_type),
        "external_id": entry.external_id,
        **details,
    }
    audit(
        session,
        actor=user.username,
        action=action,
        target_type=TARGET,
        target_id=entry.id,
        reason=reason,
        details=full,
    )
