"""Users, roles and permissions: the one place that decides what a role may do.

Services call `require_permission` before they act, so a warehouse user calling a service
directly (no UI involved) is refused just the same; the UI asks the same helpers
(`can_release_quarantine`, ...) only to hide or disable what the role cannot do.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import UserRole
from westgear_desk.db.models import AuditEntry, User
from westgear_desk.errors import KnownError, PermissionDeniedError


class Permission(enum.StrEnum):
    """Actions whose availability depends on the role."""

    VIEW = "view"
    RELEASE_QUARANTINE = "release_quarantine"
    OVERRIDE_QUARANTINE = "override_quarantine"
    IGNORE_QUARANTINE = "ignore_quarantine"
    REFETCH = "refetch"
    RETRY_JOBS = "retry_jobs"
    EDIT_JOB_PAYLOAD = "edit_job_payload"
    DISCARD_JOBS = "discard_jobs"
    REPLAY_INBOX = "replay_inbox"
    EDIT_SHARED_SETTINGS = "edit_shared_settings"
    EDIT_CREDENTIALS = "edit_credentials"
    MANAGE_USERS = "manage_users"


GRANTS: Final[dict[UserRole, frozenset[Permission]]] = {
    UserRole.WAREHOUSE: frozenset({Permission.VIEW}),
    UserRole.SALES: frozenset({Permission.VIEW, Permission.REFETCH}),
    UserRole.ADMIN: frozenset(Permission),
}
ROLE_LABELS: Final[dict[UserRole, tuple[str, str]]] = {
    UserRole.WAREHOUSE: ("Lager", "Warehouse"),
    UserRole.SALES: ("Sälj", "Sales"),
    UserRole.ADMIN: ("Administratör", "Administrator"),
}


class UnknownUserError(KnownError):
    """Sign-in with a username that has no active users row."""


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The signed-in user as every service and page sees it (never an ORM row)."""

    username: str
    display_name: str
    role: UserRole

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.ADMIN


def has_permission(user: CurrentUser, permission: Permission) -> bool:
    """True when `user`'s role grants `permission`."""
    return permission in GRANTS[user.role]


def require_permission(user: CurrentUser, permission: Permission) -> None:
    """Raise PermissionDeniedError (Swedish and English text) unless the role grants it."""
    if not has_permission(user, permission):
        sv, en = ROLE_LABELS[user.role]
        raise PermissionDeniedError(
            f"Rollen {sv} får inte göra detta ({permission.value}). / "
            f"The {en} role may not do this ({permission.value})."
        )


def require_role(user: CurrentUser, *roles: UserRole) -> None:
    """Raise PermissionDeniedError unless `user` has one of `roles`."""
    if user.role not in roles:
        sv, en = ROLE_LABELS[user.role]
        wanted = ", ".join(role.value for role in roles)
        raise PermissionDeniedError(
            f"Rollen {sv} räcker inte (kräver {wanted}). / "
            f"The {en} role is not enough (needs {wanted})."
        )


def can_release_quarantine(user: CurrentUser) -> bool:
    return has_permission(user, Permission.RELEASE_QUARANTINE)


def can_retry_jobs(user: CurrentUser) -> bool:
    return has_permission(user, Permission.RETRY_JOBS)


def can_discard_jobs(user: CurrentUser) -> bool:
    return has_permission(user, Permission.DISCARD_JOBS)


def can_replay_inbox(user: CurrentUser) -> bool:
    return has_permission(user, Permission.REPLAY_INBOX)


def can_edit_shared_settings(user: CurrentUser) -> bool:
    return has_permission(user, Permission.EDIT_SHARED_SETTINGS)


def can_edit_credentials(user: CurrentUser) -> bool:
    return has_permission(user, Permission.EDIT_CREDENTIALS)


def ensure_user(
    session: Session, username: str, role: UserRole, display_name: str | None = None
) -> CurrentUser:
    """Create the users row if missing (an existing row keeps its role); return the user."""
    username = username.strip()
    if not username:
        raise ValueError("a username must not be empty")
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        row = User(username=username, display_name=display_name or username, role=role)
        session.add(row)
        session.flush()
    return CurrentUser(row.username, row.display_name, UserRole(row.role))


def sign_in(session_factory: sessionmaker[Session], username: str) -> CurrentUser:
    """Return the active user called `username`; raise UnknownUserError otherwise."""
    with session_factory() as session:
        row = session.scalar(select(User).where(User.username == username.strip()))
        if row is None or not row.active:
            raise UnknownUserError(
                f"Användaren {username!r} finns inte eller är inaktiv. / "
                f"The user {username!r} does not exist or is inactive."
            )
        return CurrentUser(row.username, row.display_name, UserRole(row.role))


@dataclass(frozen=True, slots=True)
class UserInfo:
    """One desk user as the `users` command lists them."""

    username: str
    display_name: str
    role: UserRole
    active: bool


def list_users(session: Session) -> list[UserInfo]:
    """Every user, by username."""
    rows = session.scalars(select(User).order_by(User.username))
    return [UserInfo(r.username, r.display_name, UserRole(r.role), r.active) for r in rows]


def add_user(
    session: Session, username: str, role: UserRole, display_name: str | None, *, actor: str
) -> CurrentUser:
    """Create a user (audited as done by `actor`); KnownError if the name is taken."""
    if session.scalar(select(User.id).where(User.username == username.strip())) is not None:
        raise KnownError(
            f"Användaren {username!r} finns redan. / The user {username!r} already exists."
        )
    user = ensure_user(session, username, role, display_name)
    _audit(session, actor, "user.add", user.username, f"role {role.value}")
    return user


def set_role(session: Session, username: str, role: UserRole, *, actor: str) -> CurrentUser:
    """Give `username` another role (audited); UnknownUserError if there is no such user."""
    row = _user_row(session, username)
    previous = row.role
    row.role = role
    _audit(session, actor, "user.role", row.username, f"{previous} -> {role.value}")
    return CurrentUser(row.username, row.display_name, role)


def set_active(session: Session, username: str, active: bool, *, actor: str) -> None:
    """Enable or disable a user's sign-in (audited)."""
    row = _user_row(session, username)
    row.active = active
    _audit(session, actor, "user.enable" if active else "user.disable", row.username, None)


def _user_row(session: Session, username: str) -> User:
    row = session.scalar(select(User).where(User.username == username.strip()))
    if row is None:
        raise UnknownUserError(
            f"Användaren {username!r} finns inte. / The user {username!r} does not exist."
        )
    return row


def _audit(session: Session, actor: str, action: str, target: str, reason: str | None) -> None:
    session.add(
        AuditEntry(
            username=actor, action=action, target_type="user", target_id=target, reason=reason
        )
    )
