"""Settings load from env and settings.toml in the documented order and explain bad values."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from stdnum import luhn

from westgear_desk.errors import ConfigurationError
from westgear_desk.settings import (
    DEFAULT_RETRY_SCHEDULE_S,
    InvoiceTrigger,
    Settings,
    iter_field_names,
    load_settings,
    save_settings,
)

ORGNR_DIGITS = "556677889" + luhn.calc_check_digit("556677889")
ORGNR = f"{ORGNR_DIGITS[:6]}-{ORGNR_DIGITS[6:]}"
SECRET_WORDS = re.compile(r"password|passwd|secret|token|api_?key|credential", re.IGNORECASE)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No WESTGEAR_ variable from the caller, and user dirs under tmp_path."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("WESTGEAR_"):
            monkeypatch.delenv(name)
    for kind in ("DATA", "CONFIG", "LOG"):
        monkeypatch.setenv(f"WESTGEAR_{kind}_DIR", str(tmp_path / kind.lower()))
    return tmp_path


def write_toml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_configured(isolated: Path) -> None:
    settings = load_settings()
    assert settings.locale == "sv"
    assert settings.database_url is None
    expected = (isolated / "data" / "westgear.sqlite3").as_posix()
    assert settings.resolved_database_url() == f"sqlite:///{expected}"
    assert settings.retry.schedule_s == list(DEFAULT_RETRY_SCHEDULE_S)
    assert settings.retry.jitter == 0.1
    assert settings.schedules.timezone == "Europe/Stockholm"
    assert settings.schedules.stock_price_interval_s == 120
    assert settings.schedules.full_refresh_cron == "0 2 * * *"
    assert settings.invoice_policy.trigger is InvoiceTrigger.ON_CAPTURE
    assert settings.invoice_policy.b2b_payment_terms_days == 30
    assert settings.company.name == "WestGear AB"
    assert settings.company.country == "SE"
    assert settings.desk_name


def test_values_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WESTGEAR_LOCALE", "en")
    monkeypatch.setenv("WESTGEAR_DATABASE_URL", "postgresql+psycopg://desk@db.local/westgear")
    monkeypatch.setenv("WESTGEAR_INTEGRATIONS__FORTNOX__TIMEOUT_S", "12.5")
    monkeypatch.setenv("WESTGEAR_INTEGRATIONS__KLARNA__BASE_URL", "http://127.0.0.1:9001/")
    monkeypatch.setenv("WESTGEAR_RETRY__SCHEDULE_S", "[1, 2, 3]")
    monkeypatch.setenv("WESTGEAR_INVOICE_POLICY__TRIGGER", "on_shipment")
    settings = load_settings()
    assert settings.locale == "en"
    assert settings.resolved_database_url() == "postgresql+psycopg://desk@db.local/westgear"
    assert settings.integrations.fortnox.timeout_s == 12.5
    assert settings.integrations.klarna.base_url == "http://127.0.0.1:9001"
    assert settings.retry.schedule_s == [1.0, 2.0, 3.0]
    assert settings.invoice_policy.trigger is InvoiceTrigger.ON_SHIPMENT


def test_values_from_default_toml_in_config_dir(isolated: Path) -> None:
    write_toml(
        isolated / "config" / "settings.toml",
        f"""
        locale = "en"
        desk_name = "lager-1"
        [company]
        org_number = "{ORGNR_DIGITS}"
        vat_number = "SE{ORGNR_DIGITS}01"
        [schedules]
        catalog_interval_s = 600
        [retry.overrides]
        klarna = [0, 10, 60]
        "fortnox.invoice" = {{ jitter = 0.2 }}
        """,
    )
    settings = load_settings()
    assert settings.locale == "en"
    assert settings.desk_name == "lager-1"
    assert settings.company.org_number == ORGNR
    assert settings.company.vat_number == f"SE{ORGNR_DIGITS}01"
    assert settings.schedules.catalog_interval_s == 600
    assert settings.retry.overrides["klarna"].schedule_s == [0, 10, 60]
    assert settings.retry.overrides["fortnox.invoice"].jitter == 0.2
    assert settings.retry.overrides["fortnox.invoice"].schedule_s is None


def test_explicit_toml_path(isolated: Path) -> None:
    path = write_toml(isolated / "elsewhere.toml", 'b2b_customer_owner = "fortnox"\n')
    assert load_settings(path).b2b_customer_owner == "fortnox"
    assert load_settings().b2b_customer_owner == "sharespine"


def test_environment_overrides_toml_and_nested_values_merge(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_toml(
        isolated / "s.toml",
        'locale = "en"\n[integrations.postnord]\nbase_url = "http://127.0.0.1:9100"\n',
    )
    monkeypatch.setenv("WESTGEAR_LOCALE", "sv")
    monkeypatch.setenv("WESTGEAR_INTEGRATIONS__POSTNORD__TIMEOUT_S", "5")
    settings = load_settings(path)
    assert settings.locale == "sv"
    assert settings.integrations.postnord.base_url == "http://127.0.0.1:9100"
    assert settings.integrations.postnord.timeout_s == 5


def test_arguments_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WESTGEAR_DATABASE_URL", "postgresql+psycopg://a@h/env")
    settings = load_settings(database_url="postgresql+psycopg://a@h/arg")
    assert settings.resolved_database_url() == "postgresql+psycopg://a@h/arg"


def test_bad_env_value_names_field_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WESTGEAR_INTEGRATIONS__KLARNA__BASE_URL", "ftp://files.example")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert "integrations.klarna.base_url" in message
    assert "environment variable WESTGEAR_INTEGRATIONS__KLARNA__BASE_URL" in message
    assert "http" in message


def test_every_bad_toml_value_is_named_with_the_file(isolated: Path) -> None:
    path = write_toml(
        isolated / "bad.toml",
        """
        locale = "de"
        [schedules]
        timezone = "Mars/Olympus"
        job_tick_s = 0
        [retry]
        jitter = 1.0
        schedule_s = [5, 1]
        [company]
        org_number = "556677-8890"
        """,
    )
    with pytest.raises(ConfigurationError) as caught:
        load_settings(path)
    message = str(caught.value)
    for field in (
        "locale",
        "schedules.timezone",
        "schedules.job_tick_s",
        "retry.jitter",
        "retry.schedule_s",
        "company.org_number",
    ):
        assert f"- {field}:" in message, field
    assert f"settings file {path}" in message
    assert "Mars/Olympus" in message


def test_misspelled_key_is_reported(isolated: Path) -> None:
    path = write_toml(isolated / "typo.toml", "[schedules]\ncatalog_intervall_s = 5\n")
    with pytest.raises(ConfigurationError, match=r"schedules\.catalog_intervall_s: is not a known"):
        load_settings(path)


def test_bad_cron_and_override_key_are_reported(isolated: Path) -> None:
    path = write_toml(
        isolated / "x.toml",
        '[schedules]\nfull_refresh_cron = "every night"\n[retry.overrides]\nbank = [1]\n',
    )
    with pytest.raises(ConfigurationError) as caught:
        load_settings(path)
    assert "cron" in str(caught.value)
    assert "retry.overrides" in str(caught.value)


def test_malformed_toml_is_a_configuration_error(isolated: Path) -> None:
    path = write_toml(isolated / "broken.toml", "locale = \n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_settings(path)


def test_argument_errors_name_the_arguments_as_source() -> None:
    with pytest.raises(ConfigurationError, match=r"locale: .*from the program's arguments"):
        load_settings(locale="fi")


def test_default_value_named_when_nothing_was_given(isolated: Path) -> None:
    path = write_toml(isolated / "a.toml", "[integrations.smtp]\nport = 70000\n")
    with pytest.raises(ConfigurationError, match=r"integrations\.smtp\.port: .*settings file"):
        load_settings(path)


def test_save_then_load_round_trips_only_changed_values(isolated: Path) -> None:
    path = isolated / "config" / "settings.toml"
    settings = load_settings(
        locale="en",
        desk_name="kassa-2",
        company={"org_number": ORGNR_DIGITS, "city": "Göteborg"},
        retry={"overrides": {"klarna.capture": [0, 30]}},
    )
    assert save_settings(settings, path) == path
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    assert written["locale"] == "en"
    assert "schedules" not in written
    assert "database_url" not in written
    assert written["company"] == {"org_number": ORGNR, "city": "Göteborg"}
    assert load_settings(path) == settings
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]  # no temp file left


def test_save_refuses_a_database_password(isolated: Path) -> None:
    settings = load_settings(database_url="postgresql+psycopg://desk:hunter2@db/westgear")
    with pytest.raises(ConfigurationError, match="password"):
        save_settings(settings, isolated / "s.toml")
    assert not (isolated / "s.toml").exists()
    assert "hunter2" not in repr(settings)


def test_no_setting_is_named_like_a_secret() -> None:
    names = list(iter_field_names(Settings))
    assert "integrations.smtp.username" in names  # the walk reaches nested sections
    assert "retry.overrides.jitter" in names  # and models inside dict values
    offenders = [name for name in names if SECRET_WORDS.search(name.rsplit(".", 1)[-1])]
    assert offenders == []


def test_malformed_json_in_environment_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WESTGEAR_RETRY__SCHEDULE_S", "[1, 2")
    with pytest.raises(ConfigurationError, match="environment variable"):
        load_settings()
