"""Roles and permissions: the service layer refuses, whatever the UI shows."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import UserRole
from westgear_desk.db.models import AuditEntry, User
from westgear_desk.db.session import unit_of_work
from westgear_desk.errors import KnownError, PermissionDeniedError
from westgear_desk.services.auth import (
    CurrentUser,
    Permission,
    UnknownUserError,
    UserInfo,
    add_user,
    can_edit_shared_settings,
    can_release_quarantine,
    can_retry_jobs,
    ensure_user,
    has_permission,
    list_users,
    require_permission,
    require_role,
    set_active,
    set_role,
    sign_in,
)

WAREHOUSE = CurrentUser("lager", "Lager Lisa", UserRole.WAREHOUSE)
SALES = CurrentUser("salj", "Sälj Sven", UserRole.SALES)
ADMIN = CurrentUser("admin", "Admin Anna", UserRole.ADMIN)


def test_admin_may_do_everything_others_only_view() -> None:
    assert all(has_permission(ADMIN, p) for p in Permission)
    assert has_permission(WAREHOUSE, Permission.VIEW)
    assert not can_release_quarantine(WAREHOUSE)
    assert not can_retry_jobs(SALES)
    assert not can_edit_shared_settings(SALES)
    assert can_release_quarantine(ADMIN)


def test_require_permission_refuses_in_both_languages() -> None:
    with pytest.raises(PermissionDeniedError) as refused:
        require_permission(WAREHOUSE, Permission.RELEASE_QUARANTINE)
    message = str(refused.value)
    assert "Rollen Lager får inte" in message
    assert "The Warehouse role may not" in message
    require_permission(ADMIN, Permission.RELEASE_QUARANTINE)


def test_require_role() -> None:
    require_role(SALES, UserRole.SALES, UserRole.ADMIN)
    with pytest.raises(PermissionDeniedError, match="needs admin"):
        require_role(SALES, UserRole.ADMIN)


def test_ensure_user_creates_once_and_keeps_role(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        first = ensure_user(session, " kalle ", UserRole.SALES, "Kalle K")
    with unit_of_work(session_factory) as session:
        again = ensure_user(session, "kalle", UserRole.ADMIN)
    assert first == again == CurrentUser("kalle", "Kalle K", UserRole.SALES)
    with session_factory() as session:
        assert session.query(User).count() == 1


def test_ensure_user_refuses_empty_name(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session, pytest.raises(ValueError, match="empty"):
        ensure_user(session, "  ", UserRole.SALES)


def test_sign_in_known_active_user_only(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        ensure_user(session, "lisa", UserRole.WAREHOUSE, "Lisa")
        session.add(User(username="gone", display_name="Gone", role=UserRole.SALES, active=False))
    assert sign_in(session_factory, "lisa") == CurrentUser("lisa", "Lisa", UserRole.WAREHOUSE)
    with pytest.raises(UnknownUserError):
        sign_in(session_factory, "gone")
    with pytest.raises(UnknownUserError):
        sign_in(session_factory, "nobody")


def test_users_are_added_given_roles_and_disabled_with_audit(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        add_user(session, "per", UserRole.WAREHOUSE, "Per P", actor="boss")
        with pytest.raises(KnownError, match="already exists"):
            add_user(session, "per", UserRole.SALES, None, actor="boss")
    with unit_of_work(session_factory) as session:
        assert set_role(session, "per", UserRole.SALES, actor="boss").role is UserRole.SALES
        set_active(session, "per", False, actor="boss")
        with pytest.raises(UnknownUserError):
            set_role(session, "nobody", UserRole.ADMIN, actor="boss")
    with session_factory() as session:
        assert list_users(session) == [UserInfo("per", "Per P", UserRole.SALES, False)]
        actions = [
            (a.username, a.action, a.target_id, a.reason)
            for a in session.query(AuditEntry).order_by(AuditEntry.id)
        ]
    assert actions == [
        ("boss", "user.add", "per", "role warehouse"),
        ("boss", "user.role", "per", "warehouse -> sales"),
        ("boss", "user.disable", "per", None),
    ]
    with pytest.raises(UnknownUserError):
        sign_in(session_factory, "per")


def test_users_command(migrated_sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from westgear_desk.cli import main

    url = ["--database-url", migrated_sqlite_url]
    assert main([*url, "users", "add", "lisa", "--role", "warehouse"]) == 0
    assert main([*url, "users", "role", "lisa", "admin"]) == 0
    assert main([*url, "users", "list", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == (
        '[{"username": "lisa", "display_name": "lisa", "role": "admin", "active": true}]'
    )
    assert main([*url, "users", "role", "nobody", "sales"]) == 2
