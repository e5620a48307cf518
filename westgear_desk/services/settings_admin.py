"""Changing the desk's settings and credentials from the settings screen, admin only, audited.

Settings sections are validated by their own pydantic models (so a bad value is refused with
the field's name before anything is written) and saved with `settings.save_settings`.
Credentials go to the keyring through `CredentialStore` and nowhere else: the screen is only
ever told whether one is set and where it comes from, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.credentials import KNOWN_CREDENTIALS, CredentialStore
from westgear_desk.db.session import unit_of_work
from westgear_desk.errors import ConfigurationError
from westgear_desk.services.auth import CurrentUser, Permission, require_permission
from westgear_desk.settings import Settings, save_settings
from westgear_desk.sync.claims import audit

#: Settings sections the screen edits as a whole (top-level fields holding a model).
SECTIONS: Final = ("integrations", "schedules", "retry", "company", "invoice_policy")


@dataclass(frozen=True)
class CredentialState:
    """What the screen may know about a credential: never its value."""

    name: str
    integration: str
    label_sv: str
    label_en: str
    is_set: bool
    source: str | None

    def label(self, language: str) -> str:
        return self.label_sv if language == "sv" else self.label_en


def credential_states(store: CredentialStore) -> list[CredentialState]:
    """Every known credential with whether it is set (env or keyring), in a stable order."""
    states = []
    for spec in KNOWN_CREDENTIALS.values():
        source = store.source(spec.name)
        states.append(
            CredentialState(
                spec.name,
                spec.integration,
                spec.label_sv,
                spec.label_en,
                source is not None,
                source,
            )
        )
    return states


def _describe(section: str, exc: ValidationError) -> str:
    lines = ["Ogiltiga inställningar / Invalid settings:"]
    for error in exc.errors():
        dotted = ".".join([section, *(str(p) for p in error["loc"])])
        lines.append(f"  - {dotted}: {str(error['msg']).removeprefix('Value error, ')}")
    return "\n".join(lines)


def with_section(settings: Settings, section: str, values: Mapping[str, Any]) -> Settings:
    """A copy of `settings` whose `section` is rebuilt from `values` (validated).

    Raises ConfigurationError naming each bad field (e.g. ``company.org_number``).
    """
    if section not in SECTIONS:
        raise ValueError(f"unknown settings section {section!r}")
    current = getattr(settings, section)
    assert isinstance(current, BaseModel)
    merged = {**current.model_dump(mode="python"), **values}
    try:
        rebuilt = type(current).model_validate(merged)
    except ValidationError as exc:
        raise ConfigurationError(_describe(section, exc)) from exc
    return settings.model_copy(update={section: rebuilt})


def format_retry_overrides(overrides: Mapping[str, Any]) -> str:
    """Per-integration retry overrides as editable lines: ``klarna.capture = 0, 5, 300``.

    A jitter override is appended as ``; jitter 0.2``.
    """
    lines = []
    for key, override in sorted(overrides.items()):
        schedule = getattr(override, "schedule_s", None)
        jitter = getattr(override, "jitter", None)
        delays = ", ".join(_number(v) for v in schedule) if schedule is not None else ""
        extra = f"; jitter {_number(jitter)}" if jitter is not None else ""
        lines.append(f"{key} = {delays}{extra}")
    return "\n".join(lines)


def parse_retry_overrides(text: str) -> dict[str, dict[str, Any]]:
    """The lines of `format_retry_overrides` back as settings values; ConfigurationError names
    the line that is not ``key = delays[; jitter x]`` (keys and values are checked on save)."""
    result: dict[str, dict[str, Any]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, rest = line.partition("=")
        delays_text, _, jitter_text = rest.partition(";")
        jitter_text = jitter_text.strip().removeprefix("jitter").strip()
        if not sep or not key.strip():
            raise ConfigurationError(
                f"retry.overrides rad/line {number}: skriv / write 'integration = 0, 5, 300'"
            )
        override: dict[str, Any] = {}
        delays = [part.strip() for part in delays_text.split(",") if part.strip()]
        if delays:
            override["schedule_s"] = delays
        if jitter_text:
            override["jitter"] = jitter_text
        result[key.strip()] = override
    return result


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def with_database_url(settings: Settings, url: str | None) -> Settings:
    """A copy of `settings` using `url` (None or "" = the embedded SQLite file)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    cleaned = (url or "").strip() or None
    if cleaned is not None:
        try:
            backend = make_url(cleaned).get_backend_name()
        except ArgumentError as exc:
            raise ConfigurationError(f"Ogiltig databas-URL / Invalid database URL: {exc}") from exc
        if backend not in {"sqlite", "postgresql"}:
            raise ConfigurationError(
                "Databasen måste vara SQLite eller PostgreSQL. / "
                "The database must be SQLite or PostgreSQL."
            )
    return settings.model_copy(update={"database_url": cleaned})


def save_shared(
    user: CurrentUser,
    settings: Settings,
    path: Path | None = None,
    factory: sessionmaker[Session] | None = None,
) -> Path:
    """Write `settings` to the settings file (admin only); audited when `factory` is given."""
    require_permission(user, Permission.EDIT_SHARED_SETTINGS)
    target = save_settings(settings, path)
    if factory is not None:
        with unit_of_work(factory) as session:
            audit(
                session,
                actor=user.username,
                action="settings.save",
                target_type="settings",
                target_id=target.name,
                reason=None,
                details={"sections": list(SECTIONS)},
            )
    return target


def set_credential(
    user: CurrentUser,
    store: CredentialStore,
    name: str,
    value: str,
    factory: sessionmaker[Session] | None = None,
) -> None:
    """Store a known credential in the keyring (admin only); the audit names it, never its value."""
    require_permission(user, Permission.EDIT_CREDENTIALS)
    if name not in KNOWN_CREDENTIALS:
        raise ConfigurationError(f"Okänd uppgift / Unknown credential: {name}")
    if not value:
        raise ConfigurationError(f"Ange ett värde för {name}. / Enter a value for {name}.")
    store.set(name, value)
    _audit_credential(user, factory, "credential.set", name)


def clear_credential(
    user: CurrentUser,
    store: CredentialStore,
    name: str,
    factory: sessionmaker[Session] | None = None,
) -> None:
    """Remove a known credential from the keyring (admin only); audited."""
    require_permission(user, Permission.EDIT_CREDENTIALS)
    if name not in KNOWN_CREDENTIALS:
        raise ConfigurationError(f"Okänd uppgift / Unknown credential: {name}")
    store.delete(name)
    _audit_credential(user, factory, "credential.delete", name)


def _audit_credential(
    user: CurrentUser, factory: sessionmaker[Session] | None, action: str, name: str
) -> None:
    if factory is None:
        return
    with unit_of_work(factory) as session:
        audit(
            session,
            actor=user.username,
            action=action,
            target_type="credential",
            target_id=name,
            reason=None,
            details={},
        )
