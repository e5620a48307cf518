"""Inbox actions for the desk: look at an event's history and replay it, role-checked and audited.

The engine's `sync.inbox.replay` processes the event again (recording the attempt as a replay
by the acting user and auditing it); this layer adds the role check, turns the engine's
LookupError/ValueError refusals into plain messages, and builds the processor registry from
the engine modules exactly as the worker and the CLI do.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.queries_admin import InboxQuery, InboxRow, inbox_rows, inbox_sources
from westgear_desk.errors import KnownError
from westgear_desk.services.auth import CurrentUser, Permission, require_permission
from westgear_desk.services.jobs import BulkProgress, BulkResult, run_bulk
from westgear_desk.settings import Settings
from westgear_desk.sync.flows import (
    FlowEnvironment,
    standard_schedules,
)
from westgear_desk.sync.inbox import AttemptView, EventSummary, InboxRegistry, get_event, replay
from westgear_desk.sync.jobs import build_handler_registries
from westgear_desk.sync.retry import PolicyResolver


class InboxActionError(KnownError):
    """The event is unknown or cannot be replayed here (unsigned, busy, no processor)."""


def flow_environment(settings: Settings, factory: sessionmaker[Session]) -> FlowEnvironment:
    """The environment engine modules register with (same as the worker command builds)."""
    return FlowEnvironment(
        settings=settings,
        schedules=standard_schedules(settings.schedules),
        session_factory=factory,
    )


def build_inbox_registry(settings: Settings, factory: sessionmaker[Session]) -> InboxRegistry:
    """The inbox processors this installation registers, exactly as the running desk does."""
    return build_handler_registries(flow_environment(settings, factory))[1]


def list_events(factory: sessionmaker[Session], query: InboxQuery) -> list[InboxRow]:
    with factory() as session:
        return inbox_rows(session, query)


def sources(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return inbox_sources(session)


def event_history(
    factory: sessionmaker[Session], event_id: int
) -> tuple[EventSummary, list[AttemptView]]:
    """The event and each processing of it; InboxActionError if it does not exist."""
    with factory() as session:
        found = get_event(session, event_id)
    if found is None:
        raise InboxActionError(
            f"Händelse {event_id} finns inte. / Inbox event {event_id} does not exist."
        )
    return found


def replay_event(
    factory: sessionmaker[Session],
    registry: InboxRegistry,
    settings: Settings,
    user: CurrentUser,
    event_id: int,
    *,
    reason: str | None = None,
) -> EventSummary:
    """Process the event again now as `user`; returns its summary after the replay."""
    require_permission(user, Permission.REPLAY_INBOX)
    try:
        replay(
            factory,
            registry,
            event_id,
            actor=user.username,
            reason=reason,
            policies=PolicyResolver.from_settings(settings.retry),
            lease_s=settings.retry.lease_s,
        )
    except (LookupError, ValueError) as exc:
        raise InboxActionError(
            f"Händelse {event_id} kunde inte köras om: {exc} / "
            f"Event {event_id} could not be replayed: {exc}"
        ) from exc
    return event_history(factory, event_id)[0]


def replay_many(
    factory: sessionmaker[Session],
    registry: InboxRegistry,
    settings: Settings,
    user: CurrentUser,
    event_ids: Sequence[int],
    *,
    reason: str | None = None,
    progress: BulkProgress | None = None,
) -> BulkResult:
    """Replay each event in turn; progress per event; stops when cancelled."""
    require_permission(user, Permission.REPLAY_INBOX)

    def one(event_id: int) -> None:
        replay_event(factory, registry, settings, user, event_id, reason=reason)

    return run_bulk(event_ids, one, progress)
