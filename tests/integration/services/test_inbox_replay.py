"""Inbox replay through the service: role-checked, recorded as a replay by the user, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import UserRole
from westgear_desk.db.models import AuditEntry
from westgear_desk.db.queries_admin import InboxQuery
from westgear_desk.errors import PermissionDeniedError
from westgear_desk.services import inbox as inbox_service
from westgear_desk.services.auth import CurrentUser
from westgear_desk.settings import load_settings
from westgear_desk.sync.inbox import InboxContext, InboxRegistry, record

ADMIN = CurrentUser("anna", "Anna", UserRole.ADMIN)
SALES = CurrentUser("sara", "Sara", UserRole.SALES)


def test_replay_processes_again_as_the_user(session_factory: sessionmaker[Session]) -> None:
    seen: list[tuple[int, bool]] = []

    def processor(context: InboxContext) -> None:
        seen.append((context.attempt_no, context.is_replay))

    registry = InboxRegistry()
    registry.register("klarna", "order.captured", processor)
    event = record(session_factory, "klarna", "evt-1", {}, b'{"order": 1}', True,
                   event_type="order.captured")  # fmt: skip
    settings = load_settings()

    with pytest.raises(PermissionDeniedError):
        inbox_service.replay_event(session_factory, registry, settings, SALES, event.event_id)
    summary = inbox_service.replay_event(
        session_factory, registry, settings, ADMIN, event.event_id, reason="Klarna skickade om"
    )

    assert summary.status == "processed"
    assert seen == [(1, True)]
    _, history = inbox_service.event_history(session_factory, event.event_id)
    assert [(a.is_replay, a.replayed_by) for a in history] == [(True, "anna")]
    with session_factory() as session:
        actions = [a.action for a in session.scalars(select(AuditEntry))]
    assert actions  # the engine audits the replay
    rows = inbox_service.list_events(session_factory, InboxQuery(search="order"))
    assert [r.id for r in rows] == [event.event_id]


def test_replay_without_processor_or_event_is_a_plain_error(
    session_factory: sessionmaker[Session],
) -> None:
    settings = load_settings()
    event = record(session_factory, "dhl", None, {}, b"{}", True, event_type="tracking")
    with pytest.raises(inbox_service.InboxActionError, match="could not be replayed"):
        inbox_service.replay_event(
            session_factory, InboxRegistry(), settings, ADMIN, event.event_id
        )
    with pytest.raises(inbox_service.InboxActionError, match="does not exist"):
        inbox_service.event_history(session_factory, 999_999)


def test_the_registry_holds_what_the_engine_modules_register(
    session_factory: sessionmaker[Session],
) -> None:
    from westgear_desk.sync.flows import ENGINE_MODULES

    registry = inbox_service.build_inbox_registry(load_settings(), session_factory)
    assert isinstance(registry, InboxRegistry)
    if "westgear_desk.sync.sharespine" in ENGINE_MODULES:  # listed in both module lists
        assert ("sharespine", "stock_changed") in registry.pairs
