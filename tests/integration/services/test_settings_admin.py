"""Settings and credential administration: validated sections, admin only, audited, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.credentials import CredentialStore, MemoryKeyring
from westgear_desk.db.enums import UserRole
from westgear_desk.db.models import AuditEntry
from westgear_desk.errors import ConfigurationError, PermissionDeniedError
from westgear_desk.services import settings_admin
from westgear_desk.services.auth import CurrentUser
from westgear_desk.settings import load_settings

ADMIN = CurrentUser("anna", "Anna", UserRole.ADMIN)
SALES = CurrentUser("sara", "Sara", UserRole.SALES)


def test_with_section_validates_and_names_bad_fields() -> None:
    settings = load_settings()
    changed = settings_admin.with_section(settings, "company", {"org_number": "556036-0793"})
    assert changed.company.org_number == "556036-0793"
    assert settings.company.org_number is None  # the original is untouched
    with pytest.raises(ConfigurationError, match=r"schedules: full_refresh_cron .every day."):
        settings_admin.with_section(settings, "schedules", {"full_refresh_cron": "every day"})
    with pytest.raises(ValueError, match="unknown settings section"):
        settings_admin.with_section(settings, "database_url", {})


def test_database_url_must_be_sqlite_or_postgresql() -> None:
    settings = load_settings()
    assert settings_admin.with_database_url(settings, "  ").database_url is None
    pg = settings_admin.with_database_url(settings, "postgresql://desk@db.local/westgear")
    assert pg.database_url == "postgresql://desk@db.local/westgear"
    with pytest.raises(ConfigurationError, match="SQLite or PostgreSQL"):
        settings_admin.with_database_url(settings, "mysql://x/y")


def test_save_shared_is_admin_only_and_audited(
    tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    target = tmp_path / "settings.toml"
    settings = settings_admin.with_section(load_settings(), "company", {"city": "Göteborg"})
    with pytest.raises(PermissionDeniedError):
        settings_admin.save_shared(SALES, settings, target, session_factory)
    assert not target.exists()
    settings_admin.save_shared(ADMIN, settings, target, session_factory)
    assert load_settings(target).company.city == "Göteborg"
    with session_factory() as session:
        [entry] = session.scalars(select(AuditEntry))
    assert (entry.username, entry.action) == ("anna", "settings.save")


def test_credentials_go_to_the_keyring_and_are_audited_by_name_only(
    session_factory: sessionmaker[Session],
) -> None:
    backend = MemoryKeyring()
    store = CredentialStore(backend=backend, env={})
    settings_admin.set_credential(ADMIN, store, "klarna.password", "s3cret!", session_factory)
    states = {s.name: s for s in settings_admin.credential_states(store)}
    assert states["klarna.password"].is_set
    assert states["klarna.password"].source == "keyring"
    assert not states["klarna.username"].is_set
    assert "s3cret!" not in repr(states)
    with session_factory() as session:
        [entry] = session.scalars(select(AuditEntry))
    assert (entry.action, entry.target_id) == ("credential.set", "klarna.password")
    assert "s3cret!" not in repr((entry.details, entry.reason))

    with pytest.raises(ConfigurationError, match="Unknown credential"):
        settings_admin.set_credential(ADMIN, store, "klarna.pin", "1")
    with pytest.raises(PermissionDeniedError):
        settings_admin.clear_credential(SALES, store, "klarna.password")
    settings_admin.clear_credential(ADMIN, store, "klarna.password")
    assert not store.is_set("klarna.password")


def test_retry_overrides_round_trip_through_their_text_form() -> None:
    text = "klarna.capture = 0, 60, 600; jitter 0.2\n# a comment\n\nfortnox = 5, 50.5"
    values = settings_admin.parse_retry_overrides(text)
    assert values == {
        "klarna.capture": {"schedule_s": ["0", "60", "600"], "jitter": "0.2"},
        "fortnox": {"schedule_s": ["5", "50.5"]},
    }
    settings = settings_admin.with_section(load_settings(), "retry", {"overrides": values})
    assert settings_admin.format_retry_overrides(settings.retry.overrides) == (
        "fortnox = 5, 50.5\nklarna.capture = 0, 60, 600; jitter 0.2"
    )
    with pytest.raises(ConfigurationError, match="line 1"):
        settings_admin.parse_retry_overrides("klarna 0, 5")
    with pytest.raises(ConfigurationError, match="must not decrease"):
        settings_admin.with_section(
            load_settings(), "retry", {"overrides": {"dhl": {"schedule_s": ["9", "1"]}}}
        )
