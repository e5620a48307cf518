""" "Re-fetch now" from the Quarantine service reaches Sharespine and releases a fixed product."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.sync.sharespine.catalog_fixtures import Hub, open_entries, published_ids
from westgear_desk.db.enums import UserRole
from westgear_desk.db.models import AuditEntry, QuarantineEntry
from westgear_desk.services.auth import CurrentUser
from westgear_desk.services.quarantine import build_refetch_registry, refetch
from westgear_desk.settings import IntegrationEndpoint, IntegrationSettings, Settings
from westgear_desk.sync.flows import FlowEnvironment, standard_schedules
from westgear_desk.sync.sharespine.catalog import full_refresh
from westgear_desk.sync.sharespine.catalog_pages import CatalogSync

ADMIN = CurrentUser("anna", "Anna Admin", UserRole.ADMIN)


@pytest.fixture
def env(
    hub: Hub, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> FlowEnvironment:
    for name in ("tenant", "connection_id", "username", "password"):
        monkeypatch.setenv(f"WESTGEAR_SECRET_SHARESPINE_{name.upper()}", hub.credentials[name])
    settings = Settings(
        integrations=IntegrationSettings(sharespine=IntegrationEndpoint(base_url=hub.url + "/api"))
    )
    return FlowEnvironment(settings, standard_schedules(settings.schedules), session_factory)


def _entry_id(session: Session, external_id: str) -> int:
    return int(
        session.scalars(
            select(QuarantineEntry.id).where(QuarantineEntry.external_id == external_id)
        ).one()
    )


def test_refetch_of_a_fixed_product_publishes_it_and_releases_the_entry(
    hub: Hub, catalog: CatalogSync, env: FlowEnvironment
) -> None:
    full_refresh(catalog, None)
    remote_id = sorted(hub.broken())[0]
    with env.session_factory() as session:
        entry_id = _entry_id(session, remote_id)
    hub.admin("POST", f"/sharespine/products/{remote_id}/fix")

    outcome = refetch(env.session_factory, build_refetch_registry(env), ADMIN, entry_id, "fixed")

    assert "released=1" in outcome
    with env.session_factory() as session:
        assert remote_id not in open_entries(session)
        assert remote_id in published_ids(session)
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "quarantine.refetch" in actions


def test_refetch_of_a_still_broken_product_keeps_it_quarantined(
    hub: Hub, catalog: CatalogSync, env: FlowEnvironment
) -> None:
    full_refresh(catalog, None)
    remote_id = sorted(hub.broken())[0]
    with env.session_factory() as session:
        entry_id = _entry_id(session, remote_id)
        reasons_before = open_entries(session)[remote_id]

    refetch(env.session_factory, build_refetch_registry(env), ADMIN, entry_id, "check")

    with env.session_factory() as session:
        assert open_entries(session)[remote_id] == reasons_before
        assert remote_id not in published_ids(session)
