"""Credentials come from env or keyring, are never shown, and survive Windows' value limit."""

from __future__ import annotations

import ast
import secrets
from pathlib import Path

import keyring  # noqa: TID251 - the test swaps the process keyring for an in-memory one
import pytest
from keyring.backends import fail  # noqa: TID251

from westgear_desk.credentials import (
    KNOWN_CREDENTIALS,
    SERVICE_NAME,
    SHARD_MANIFEST_PREFIX,
    WINDOWS_VALUE_LIMIT_BYTES,
    CredentialStore,
    MemoryKeyring,
    env_var_for,
    install_memory_keyring,
)
from westgear_desk.errors import ConfigurationError, MissingCredentialError

PACKAGE = Path(__file__).resolve().parents[2] / "westgear_desk"


@pytest.fixture
def windows_like() -> MemoryKeyring:
    return MemoryKeyring(max_value_bytes=WINDOWS_VALUE_LIMIT_BYTES)


def test_env_var_wins_over_keyring_for_headless_runs() -> None:
    backend = MemoryKeyring()
    store = CredentialStore(backend, env={"WESTGEAR_SECRET_FORTNOX_CLIENT_SECRET": "from-env"})
    store.set("fortnox.client_secret", "from-keyring")
    assert store.get("fortnox.client_secret") == "from-env"
    assert store.source("fortnox.client_secret") == "environment"


def test_keyring_value_is_read_when_no_env() -> None:
    store = CredentialStore(MemoryKeyring(), env={})
    store.set("postnord.apikey", "k-123")
    assert store.get("postnord.apikey") == "k-123"
    assert store.is_set("postnord.apikey") is True
    assert store.source("postnord.apikey") == "keyring"


def test_missing_credential_names_credential_and_env_var() -> None:
    store = CredentialStore(MemoryKeyring(), env={})
    with pytest.raises(MissingCredentialError) as caught:
        store.get("dhl.api_key")
    assert caught.value.name == "dhl.api_key"
    assert caught.value.env_var == "WESTGEAR_SECRET_DHL_API_KEY"
    assert "dhl.api_key" in str(caught.value)
    assert "WESTGEAR_SECRET_DHL_API_KEY" in str(caught.value)
    assert store.get_optional("dhl.api_key") is None
    assert store.is_set("dhl.api_key") is False


def test_env_var_names_follow_the_rule() -> None:
    assert env_var_for("sharespine.webhook_secret") == "WESTGEAR_SECRET_SHARESPINE_WEBHOOK_SECRET"
    assert env_var_for("smtp.password") == "WESTGEAR_SECRET_SMTP_PASSWORD"


def test_delete_removes_the_value() -> None:
    store = CredentialStore(MemoryKeyring(), env={})
    store.set("smtp.password", "pw")
    store.delete("smtp.password")
    store.delete("smtp.password")  # deleting again is harmless
    assert store.is_set("smtp.password") is False


def test_ten_kilobyte_token_is_sharded_under_the_windows_limit(
    windows_like: MemoryKeyring,
) -> None:
    token = secrets.token_urlsafe(7500)[:10_000]
    store = CredentialStore(windows_like, env={})
    store.set("fortnox.refresh_token", token)
    assert store.get("fortnox.refresh_token") == token
    stored = windows_like.entries
    manifest = stored[(SERVICE_NAME, "fortnox.refresh_token")]
    assert manifest.startswith(SHARD_MANIFEST_PREFIX)
    parts = int(manifest.removeprefix(SHARD_MANIFEST_PREFIX))
    assert parts == 8  # 10,000 chars = 20,000 UTF-16 bytes = 8 parts of <= 2,560 bytes
    assert all(len(v.encode("utf-16-le")) <= WINDOWS_VALUE_LIMIT_BYTES for v in stored.values())


def test_non_ascii_value_is_sharded_by_utf16_size(windows_like: MemoryKeyring) -> None:
    value = "åäö🙂" * 800  # surrogate pairs count as four bytes
    store = CredentialStore(windows_like, env={})
    store.set("klarna.password", value)
    assert store.get("klarna.password") == value


def test_overwriting_sharded_value_with_short_one_leaves_no_orphans(
    windows_like: MemoryKeyring,
) -> None:
    store = CredentialStore(windows_like, env={})
    store.set("fortnox.refresh_token", "x" * 6000)
    store.set("fortnox.refresh_token", "short")
    assert store.get("fortnox.refresh_token") == "short"
    assert list(windows_like.entries) == [(SERVICE_NAME, "fortnox.refresh_token")]


def test_overwriting_with_fewer_shards_deletes_the_surplus(windows_like: MemoryKeyring) -> None:
    store = CredentialStore(windows_like, env={})
    store.set("fortnox.refresh_token", "a" * 6000)  # 5 parts
    store.set("fortnox.refresh_token", "b" * 3000)  # 3 parts
    assert store.get("fortnox.refresh_token") == "b" * 3000
    assert len(windows_like.entries) == 4


def test_delete_removes_every_shard(windows_like: MemoryKeyring) -> None:
    store = CredentialStore(windows_like, env={})
    store.set("fortnox.refresh_token", "z" * 6000)
    store.delete("fortnox.refresh_token")
    assert windows_like.entries == {}


def test_a_lost_shard_is_reported_not_returned_truncated(windows_like: MemoryKeyring) -> None:
    store = CredentialStore(windows_like, env={})
    store.set("fortnox.refresh_token", "z" * 6000)
    del windows_like.entries[(SERVICE_NAME, "fortnox.refresh_token#2")]
    with pytest.raises(ConfigurationError, match="damaged"):
        store.get("fortnox.refresh_token")


def test_check_usable_is_false_with_the_fail_keyring() -> None:
    ok, reason = CredentialStore(fail.Keyring(), env={}).check_usable()
    assert ok is False
    assert "fail" in reason
    assert "not usable" in reason


def test_check_usable_is_true_with_a_working_keyring_and_leaves_nothing() -> None:
    backend = MemoryKeyring()
    ok, reason = CredentialStore(backend, env={}).check_usable()
    assert ok is True, reason
    assert backend.entries == {}


def test_install_memory_keyring_becomes_the_process_keyring() -> None:
    previous = keyring.get_keyring()
    try:
        backend = install_memory_keyring()
        store = CredentialStore(env={})
        assert store.backend_name().endswith("MemoryKeyring")
        store.set("sharespine.password", "pw")
        assert backend.entries[(SERVICE_NAME, "sharespine.password")] == "pw"
    finally:
        keyring.set_keyring(previous)


def test_memory_keyring_is_never_chosen_automatically() -> None:
    assert MemoryKeyring.priority < fail.Keyring.priority


def test_store_refuses_malformed_names_and_empty_values() -> None:
    store = CredentialStore(MemoryKeyring(), env={})
    with pytest.raises(ValueError, match="credential name"):
        store.get("fortnox")
    with pytest.raises(ValueError, match="empty"):
        store.set("smtp.password", "")


def test_catalogue_lists_every_integration_with_bilingual_labels() -> None:
    integrations = {spec.integration for spec in KNOWN_CREDENTIALS.values()}
    assert integrations == {"sharespine", "fortnox", "klarna", "postnord", "dhl", "smtp"}
    assert "fortnox.refresh_token" in KNOWN_CREDENTIALS
    for spec in KNOWN_CREDENTIALS.values():
        assert spec.label_sv
        assert spec.label_en


def test_status_reports_set_or_not_without_values() -> None:
    store = CredentialStore(MemoryKeyring(), env={"WESTGEAR_SECRET_DHL_API_KEY": "v"})
    status = {spec.name: is_set for spec, is_set in store.status()}
    assert status["dhl.api_key"] is True
    assert status["smtp.password"] is False
    assert set(status) == set(KNOWN_CREDENTIALS)


def test_values_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    store = CredentialStore(MemoryKeyring(), env={})
    store.set("klarna.password", "very-secret-value-42")
    store.get("klarna.password")
    store.delete("klarna.password")
    assert "klarna.password" in caplog.text
    assert "very-secret-value-42" not in caplog.text


def test_only_credentials_module_imports_keyring() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "keyring" or n.startswith("keyring.") for n in names):
                offenders.append(path.relative_to(PACKAGE).as_posix())
    assert set(offenders) == {"credentials.py"}
