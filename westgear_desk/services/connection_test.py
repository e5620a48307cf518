"""Test connection for each integration and the database: one harmless call via the real client.

Each test reads the endpoint from the (possibly unsaved) settings and the secrets from the
credential store, makes one read-only call, and returns a plain-language result; it never
raises for a failed connection, and never puts a secret in the result. Fortnox may rotate
its single-use refresh token during the test; the new one goes straight back to the store.
"""

from __future__ import annotations

import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from westgear_desk.credentials import CredentialStore
from westgear_desk.errors import (
    AuthenticationError,
    ConfigurationError,
    DataError,
    IntegrationError,
    MissingCredentialError,
)
from westgear_desk.settings import Settings

INTEGRATIONS: Final = ("sharespine", "fortnox", "klarna", "postnord", "dhl", "smtp")
PROBE_POSTAL_CODE: Final = "11122"


@dataclass(frozen=True)
class ConnectionResult:
    """The outcome of one test: ok or not, what it means in words, how long it took."""

    target: str
    ok: bool
    message: str
    latency_ms: int


def _sharespine(settings: Settings, store: CredentialStore) -> str:
    from westgear_desk.integrations.sharespine.client import (
        SharespineClient,
        SharespineCredentials,
    )

    endpoint = settings.integrations.sharespine
    creds = SharespineCredentials(
        tenant=store.get("sharespine.tenant"),
        connection_id=store.get("sharespine.connection_id"),
        username=store.get("sharespine.username"),
        password=store.get("sharespine.password"),
    )
    # The settings name the API root (".../api"); the client's endpoints carry that prefix.
    base = endpoint.base_url.removesuffix("/api")
    with SharespineClient(base, creds, timeout=endpoint.timeout_s) as client:
        client.connection_info()
    return "Sharespine svarar och godtar inloggningen. / Sharespine answers and accepts the login."


def _fortnox(settings: Settings, store: CredentialStore) -> str:
    from westgear_desk.integrations.fortnox.auth import FortnoxCredentials
    from westgear_desk.integrations.fortnox.client import FortnoxClient

    endpoint = settings.integrations.fortnox
    creds = FortnoxCredentials(
        client_id=store.get("fortnox.client_id"),
        client_secret=store.get("fortnox.client_secret"),
        tenant_id=store.get_optional("fortnox.tenant_id"),
        refresh_token=store.get_optional("fortnox.refresh_token"),
    )
    with FortnoxClient(
        endpoint.base_url,
        creds,
        token_url=endpoint.auth_url.rstrip("/") + "/token",
        timeout=endpoint.timeout_s,
        on_refresh_token=lambda token: store.set("fortnox.refresh_token", token),
    ) as client:
        client.list_articles(limit=1)
    return "Fortnox svarar och godtar inloggningen. / Fortnox answers and accepts the login."


def _klarna(settings: Settings, store: CredentialStore) -> str:
    from westgear_desk.integrations.klarna.client import KlarnaClient

    endpoint = settings.integrations.klarna
    user, password = store.get("klarna.username"), store.get("klarna.password")
    with KlarnaClient(endpoint.base_url, user, password, timeout=endpoint.timeout_s) as client:
        try:
            client.get_order(f"connection-test-{uuid.uuid4()}")
        except DataError as exc:  # an unknown order after a good login: exactly what we hoped
            if exc.status_code != 404:
                raise
    return "Klarna svarar och godtar inloggningen. / Klarna answers and accepts the login."


def _postnord(settings: Settings, store: CredentialStore) -> str:
    from westgear_desk.integrations.postnord.client import PostNordClient

    endpoint = settings.integrations.postnord
    apikey = store.get("postnord.apikey")
    with PostNordClient(endpoint.base_url, apikey, timeout=endpoint.timeout_s) as client:
        client.find_service_points(PROBE_POSTAL_CODE, limit=1)
    return "PostNord svarar och godtar API-nyckeln. / PostNord answers and accepts the API key."


def _dhl(settings: Settings, store: CredentialStore) -> str:
    from westgear_desk.integrations.dhl.client import DhlClient

    endpoint = settings.integrations.dhl
    with DhlClient(
        endpoint.base_url,
        store.get("dhl.api_key"),
        tracking_base_url=endpoint.tracking_base_url,
        timeout=endpoint.timeout_s,
    ) as client:
        client.find_service_points(PROBE_POSTAL_CODE)
    return "DHL svarar och godtar API-nyckeln. / DHL answers and accepts the API key."


def _smtp(settings: Settings, store: CredentialStore) -> str:
    smtp = settings.integrations.smtp
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as server:
        if smtp.starttls:
            server.starttls()
        if smtp.username:
            server.login(smtp.username, store.get("smtp.password"))
        server.noop()
    return "E-postservern svarar. / The mail server answers."


_TESTS: Final[dict[str, Callable[[Settings, CredentialStore], str]]] = {
    "sharespine": _sharespine,
    "fortnox": _fortnox,
    "klarna": _klarna,
    "postnord": _postnord,
    "dhl": _dhl,
    "smtp": _smtp,
}


def check_integration(name: str, settings: Settings, store: CredentialStore) -> ConnectionResult:
    """Call a harmless endpoint of integration `name`; never raises for a failed connection."""
    if name not in _TESTS:
        raise ValueError(f"unknown integration {name!r}")
    started = time.monotonic()
    try:
        message = _TESTS[name](settings, store)
        ok = True
    except MissingCredentialError as exc:
        ok, message = False, f"Uppgift saknas: {exc.name}. / Credential missing: {exc.name}."
    except AuthenticationError:
        ok, message = (
            False,
            "Inloggningen nekades: kontrollera uppgifterna. / "
            "The login was refused: check the credentials.",
        )
    except IntegrationError as exc:
        ok, message = False, f"{name}: {exc}"
    except (OSError, smtplib.SMTPException) as exc:
        ok, message = False, f"{name}: {type(exc).__name__}: {exc}"
    return ConnectionResult(name, ok, message, _elapsed_ms(started))


def check_database(url: str) -> ConnectionResult:
    """Connect to `url` (SQLite file or PostgreSQL) and run SELECT 1; never raises for failure."""
    from westgear_desk.db.session import create_engine_for, describe_database

    started = time.monotonic()
    try:
        engine = create_engine_for(url)
    except (ValueError, SQLAlchemyError) as exc:
        return ConnectionResult("database", False, f"{exc}", _elapsed_ms(started))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        ok, message = True, f"Ansluten / Connected: {describe_database(url)}"
    except (SQLAlchemyError, ConfigurationError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        ok, message = False, f"Ingen anslutning / No connection: {reason}"
    finally:
        engine.dispose()
    return ConnectionResult("database", ok, message, _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
