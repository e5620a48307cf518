"""Roles and permissions: the service layer refuses, whatever the UI shows."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import UserRole
from westgear_desk.db.models import User
from westgear_desk.db.session import unit_of_work
from westgear_desk.errors import PermissionDeniedError
from westgear_desk.services.auth import (
    CurrentUser,
    Permission,
    UnknownUserError,
    can_edit_shared_settings,
    can_release_quarantine,
    can_retry_jobs,
    ensure_user,
    has_permission,
    require_permission,
    require_role,
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
