"""Test connection per integration: the real clients against the sandboxes on loopback."""

from __future__ import annotations

import pytest

from tests.helpers.sandboxes import RunningSandbox
from westgear_desk.credentials import CredentialStore, MemoryKeyring
from westgear_desk.services.connection_test import check_database, check_integration
from westgear_desk.services.settings_admin import with_section
from westgear_desk.settings import Settings, load_settings

KEYS = {
    "sharespine": ("tenant", "connection_id", "username", "password"),
    "fortnox": ("client_id", "client_secret", "tenant_id"),
    "klarna": ("username", "password"),
    "postnord": ("apikey",),
    "dhl": ("api_key",),
}


def _store(sandbox: RunningSandbox, *, wrong: str | None = None) -> CredentialStore:
    store = CredentialStore(backend=MemoryKeyring(), env={})
    for key in KEYS[sandbox.name]:
        value = sandbox.credentials[key]
        store.set(f"{sandbox.name}.{key}", "wrong" if key == wrong else value)
    return store


def _pointing_at(sandbox: RunningSandbox) -> Settings:
    settings = load_settings()
    endpoint: dict[str, str] = {"base_url": sandbox.url}
    if sandbox.name == "sharespine":
        endpoint["base_url"] = sandbox.url + "/api"
    if sandbox.name == "fortnox":
        endpoint["auth_url"] = sandbox.url + "/oauth-v1"
    if sandbox.name == "dhl":
        endpoint["tracking_base_url"] = sandbox.url
    section = settings.integrations.model_dump()
    section[sandbox.name] = {**section[sandbox.name], **endpoint}
    return with_section(settings, "integrations", section)


@pytest.mark.parametrize(
    ("name", "secret"),
    [("sharespine", "password"), ("fortnox", "client_secret"), ("klarna", "password"),
     ("postnord", "apikey"), ("dhl", "api_key")],
)  # fmt: skip
def test_each_integration_answers_with_good_credentials_and_refuses_bad(
    request: pytest.FixtureRequest, name: str, secret: str
) -> None:
    sandbox: RunningSandbox = request.getfixturevalue(f"{name}_sandbox")
    settings = _pointing_at(sandbox)

    good = check_integration(name, settings, _store(sandbox))
    assert good.ok, good.message
    assert sandbox.requests()  # a real request reached the sandbox

    bad = check_integration(name, settings, _store(sandbox, wrong=secret))
    assert not bad.ok
    assert sandbox.credentials[secret] not in bad.message


def test_smtp_login(smtp_sandbox: object) -> None:
    from westgear_desk.sandbox.smtp import SmtpSandbox

    assert isinstance(smtp_sandbox, SmtpSandbox)
    settings = load_settings()
    smtp = {**settings.integrations.smtp.model_dump(), "host": smtp_sandbox.host,
            "port": smtp_sandbox.port, "starttls": False,
            "username": smtp_sandbox.credentials["username"]}  # fmt: skip
    section = {**settings.integrations.model_dump(), "smtp": smtp}
    settings = with_section(settings, "integrations", section)
    store = CredentialStore(backend=MemoryKeyring(), env={})
    store.set("smtp.password", smtp_sandbox.credentials["password"])
    assert check_integration("smtp", settings, store).ok
    store.set("smtp.password", "wrong")
    assert not check_integration("smtp", settings, store).ok


def test_unreachable_endpoint_and_missing_credential_are_plain_results() -> None:
    settings = load_settings()
    section = settings.integrations.model_dump()
    section["postnord"] = {**section["postnord"], "base_url": "http://127.0.0.1:1"}
    settings = with_section(settings, "integrations", section)
    store = CredentialStore(backend=MemoryKeyring(), env={})
    missing = check_integration("postnord", settings, store)
    assert not missing.ok
    assert "postnord.apikey" in missing.message
    store.set("postnord.apikey", "k")
    unreachable = check_integration("postnord", settings, store)
    assert not unreachable.ok
    assert unreachable.message.startswith("postnord:")


def test_database_check(migrated_sqlite_url: str) -> None:
    assert check_database(migrated_sqlite_url).ok
    refused = check_database("postgresql://nobody@127.0.0.1:1/none")
    assert not refused.ok
    assert "Ingen anslutning / No connection" in refused.message
    assert not check_database("mysql://x/y").ok


@pytest.mark.postgres
def test_database_check_on_postgresql(pg_url: str) -> None:
    result = check_database(pg_url)
    assert result.ok, result.message
    assert "PostgreSQL" in result.message or "postgres" in result.message.lower()
