"""The desk's settings, from init kwargs > env (WESTGEAR_…) > settings.toml > defaults; no secrets.

Secrets are never settings: they live in the keyring (see `credentials.py`). A test walks the
whole model tree and fails on any field named like a password, secret, token or API key.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import os
import re
import socket
import tempfile
import tomllib
import typing
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import orgnr, vat

from westgear_desk.errors import ConfigurationError
from westgear_desk.paths import config_dir, default_sqlite_url

ENV_PREFIX: Final = "WESTGEAR_"
ENV_NESTED_DELIMITER: Final = "__"
SETTINGS_FILE_NAME: Final = "settings.toml"
INTEGRATION_NAMES: Final = ("sharespine", "fortnox", "klarna", "postnord", "dhl", "smtp")

_toml_path: ContextVar[Path | None] = ContextVar("westgear_settings_toml", default=None)


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return value.strip().rstrip("/")


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip()):
        raise ValueError(f"must be an e-mail address, got {value!r}")
    return value.strip()


HttpUrlStr = Annotated[str, AfterValidator(_http_url)]
EmailStr = Annotated[str, AfterValidator(_email)]
PositiveSeconds = Annotated[float, Field(gt=0)]
Port = Annotated[int, Field(ge=1, le=65535)]


class _Section(BaseModel):
    """A nested settings section: unknown keys are errors, so typos in the file are caught."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class IntegrationEndpoint(_Section):
    """Where and how to reach one external system."""

    base_url: HttpUrlStr
    timeout_s: PositiveSeconds = 30.0
    enabled: bool = True


class FortnoxEndpoint(IntegrationEndpoint):
    """Fortnox also needs its OAuth host."""

    base_url: HttpUrlStr = "https://api.fortnox.se/3"
    auth_url: HttpUrlStr = "https://apps.fortnox.se/oauth-v1"


class DhlEndpoint(IntegrationEndpoint):
    """DHL Freight booking and the separate DHL tracking API."""

    base_url: HttpUrlStr = "https://api.freight-logistics.dhl.com"
    tracking_base_url: HttpUrlStr = "https://api-eu.dhl.com"


class SmtpSettings(_Section):
    """Outgoing mail server; its password is the credential `smtp.password`."""

    host: str = "localhost"
    port: Port = 587
    sender_address: EmailStr = "order@westgear.se"
    sender_name: str = "WestGear"
    starttls: bool = True
    username: str | None = None
    timeout_s: PositiveSeconds = 30.0
    enabled: bool = True


class WebhookServerSettings(_Section):
    """Where `westgear-desk serve-webhooks` listens."""

    host: str = "127.0.0.1"
    port: Port = 8780


def _endpoint(url: str) -> Any:
    return Field(default_factory=lambda: IntegrationEndpoint(base_url=url))


class IntegrationSettings(_Section):
    """One endpoint section per external system, plus SMTP and the webhook receiver."""

    sharespine: IntegrationEndpoint = _endpoint("https://api.plugboard.io/api")
    fortnox: FortnoxEndpoint = Field(default_factory=FortnoxEndpoint)
    klarna: IntegrationEndpoint = _endpoint("https://api.klarna.com")
    postnord: IntegrationEndpoint = _endpoint("https://api2.postnord.com")
    dhl: DhlEndpoint = Field(default_factory=DhlEndpoint)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    webhooks: WebhookServerSettings = Field(default_factory=WebhookServerSettings)


class ScheduleSettings(_Section):
    """How often each flow and engine loop runs (seconds), in the shop's time zone."""

    timezone: str = "Europe/Stockholm"
    job_tick_s: PositiveSeconds = 2
    inbox_tick_s: PositiveSeconds = 2
    stock_price_interval_s: PositiveSeconds = 120
    catalog_interval_s: PositiveSeconds = 900
    customers_orders_interval_s: PositiveSeconds = 300
    full_refresh_cron: str = "0 2 * * *"
    tracking_interval_s: PositiveSeconds = 1800
    misfire_grace_s: PositiveSeconds = 60

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use e.g. Europe/Stockholm)") from exc
        return value

    @model_validator(mode="after")
    def _valid_cron(self) -> ScheduleSettings:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(self.full_refresh_cron, timezone=self.timezone)
        except ValueError as exc:
            raise ValueError(
                f"full_refresh_cron {self.full_refresh_cron!r} is not a 5-field cron expression"
            ) from exc
        return self


DEFAULT_RETRY_SCHEDULE_S: Final = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
Jitter = Annotated[float, Field(ge=0, lt=1)]


def _non_decreasing(schedule: list[float]) -> list[float]:
    if any(delay < 0 for delay in schedule):
        raise ValueError("retry delays must be >= 0")
    if any(later < earlier for earlier, later in itertools.pairwise(schedule)):
        raise ValueError("retry delays must not decrease")
    return schedule


RetrySchedule = Annotated[list[float], AfterValidator(_non_decreasing)]


class RetryOverride(_Section):
    """A per-integration or per-kind change to the retry policy; unset fields are inherited."""

    schedule_s: RetrySchedule | None = None
    jitter: Jitter | None = None


class RetrySettings(_Section):
    """The outbox retry policy: delays before attempt 2, 3, …, jitter share, claim lease.

    `overrides` is keyed by "integration" or "integration.kind" (e.g. "klarna.capture"); a bare
    list as value is shorthand for ``{schedule_s = [...]}``.
    """

    schedule_s: RetrySchedule = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE_S))
    jitter: Jitter = 0.1
    lease_s: PositiveSeconds = 60
    overrides: dict[str, RetryOverride] = Field(default_factory=dict)

    @field_validator("overrides", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        if not isinstance(value, Mapping):
            return value
        return {k: {"schedule_s": v} if isinstance(v, list) else v for k, v in value.items()}

    @field_validator("overrides")
    @classmethod
    def _known_keys(cls, value: dict[str, RetryOverride]) -> dict[str, RetryOverride]:
        for key in value:
            integration, _, kind = key.partition(".")
            if integration not in INTEGRATION_NAMES or (kind == "" and "." in key):
                known = ", ".join(INTEGRATION_NAMES)
                raise ValueError(f"override key {key!r} must be 'integration[.kind]' ({known})")
        return value


class InvoiceTrigger(enum.StrEnum):
    """When a Fortnox invoice is created for an order."""

    ON_CAPTURE = "on_capture"
    ON_SHIPMENT = "on_shipment"
    MANUAL = "manual"


class InvoicePolicySettings(_Section):
    """When invoices are made, and the payment terms B2B invoices carry."""

    trigger: InvoiceTrigger = InvoiceTrigger.ON_CAPTURE
    b2b_payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30


class CompanySettings(_Section):
    """The seller's details printed on quotes, invoices, receipts and labels."""

    name: str = "WestGear AB"
    org_number: str | None = None
    vat_number: str | None = None
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "SE"
    email: EmailStr | None = None
    phone: str | None = None
    website: str | None = None
    bankgiro: Annotated[str, Field(pattern=r"^\d{3,4}-\d{4}$")] | None = None
    plusgiro: Annotated[str, Field(pattern=r"^\d{1,7}-\d$")] | None = None

    @field_validator("org_number")
    @classmethod
    def _orgnr(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(orgnr.format(orgnr.validate(value)))
        except StdnumError as exc:
            raise ValueError(f"{value!r} is not a valid Swedish organisation number") from exc

    @field_validator("vat_number")
    @classmethod
    def _vat(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return "SE" + str(vat.validate(value)).removeprefix("SE")
        except StdnumError as exc:
            raise ValueError(f"{value!r} is not a valid Swedish VAT number (SE…01)") from exc


class Settings(BaseSettings):
    """Everything configurable about one desk. Secrets are credentials, never settings."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
        validate_default=True,
        validate_assignment=True,
    )

    database_url: str | None = Field(default=None, repr=False)
    desk_name: str = Field(default_factory=socket.gethostname, min_length=1)
    locale: Literal["sv", "en"] = "sv"
    integrations: IntegrationSettings = Field(default_factory=IntegrationSettings)
    schedules: ScheduleSettings = Field(default_factory=ScheduleSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    invoice_policy: InvoicePolicySettings = Field(default_factory=InvoicePolicySettings)
    company: CompanySettings = Field(default_factory=CompanySettings)
    b2b_customer_owner: Literal["sharespine", "fortnox"] = "sharespine"

    def resolved_database_url(self) -> str:
        """Return the configured database URL, or the embedded SQLite file's URL."""
        return self.database_url or default_sqlite_url()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_data = read_settings_file(settings_path(_toml_path.get()))
        toml_source = InitSettingsSource(settings_cls, init_kwargs=toml_data)
        return init_settings, env_settings, toml_source


def settings_path(path: Path | None = None) -> Path:
    """Return `path`, or the default settings.toml in the config directory."""
    return path if path is not None else config_dir() / SETTINGS_FILE_NAME


def read_settings_file(path: Path) -> dict[str, Any]:
    """Return the parsed TOML file ({} if it does not exist); raise ConfigurationError if bad."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"The settings file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigurationError(f"The settings file {path} cannot be read: {exc}") from exc


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from overrides, env, the TOML file (`path` or the default) and defaults.

    Raises ConfigurationError naming every bad field by dotted path and where its value came from.
    """
    file_path = settings_path(path)
    token = _toml_path.set(file_path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc, file_path, overrides)) from exc
    except SettingsError as exc:
        raise ConfigurationError(f"A WESTGEAR_ environment variable is malformed: {exc}") from exc
    finally:
        _toml_path.reset(token)


def _describe(exc: ValidationError, file_path: Path, overrides: Mapping[str, Any]) -> str:
    toml_data = read_settings_file(file_path)
    lines = ["Some settings are not valid:"]
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        dotted = ".".join(loc) or "(settings)"
        source = _source_of(loc, overrides, toml_data, file_path)
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a known setting (check the spelling)"
        shown = "" if "database_url" in loc else f" (got {error.get('input')!r})"
        lines.append(f"  - {dotted}: {message}{shown}; from {source}")
    return "\n".join(lines)


def _source_of(
    loc: tuple[str, ...], overrides: Mapping[str, Any], toml_data: Mapping[str, Any], path: Path
) -> str:
    if _has_path(overrides, loc):
        return "the program's arguments"
    env_upper = {key.upper(): key for key in os.environ}
    for depth in range(len(loc), 0, -1):
        name = ENV_PREFIX + ENV_NESTED_DELIMITER.join(loc[:depth]).upper()
        if name in env_upper:
            return f"environment variable {env_upper[name]}"
    if _has_path(toml_data, loc):
        return f"settings file {path}"
    return "the built-in default"


def _has_path(data: Mapping[str, Any], loc: tuple[str, ...]) -> bool:
    node: Any = data
    for part in loc:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings that differ from the defaults to TOML, atomically; return the path.

    Raises ConfigurationError if the database URL carries a password (passwords are never
    written to a file: use WESTGEAR_DATABASE_URL or a PostgreSQL passfile instead).
    """
    if settings.database_url and urlsplit(settings.database_url).password:
        raise ConfigurationError(
            "The database URL contains a password, which must not be stored in the settings "
            "file. Set WESTGEAR_DATABASE_URL in the environment or use a PostgreSQL passfile."
        )
    target = settings_path(path)
    data = _drop_none(settings.model_dump(mode="json", exclude_defaults=True))
    target.parent.mkdir(parents=True, exist_ok=True)
    with _atomic_writer(target) as handle:
        tomli_w.dump(data, handle)
    return target


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        kept = _drop_none(value) if isinstance(value, dict) else value
        if kept is not None and kept != {}:
            cleaned[key] = kept
    return cleaned


@contextlib.contextmanager
def _atomic_writer(target: Path) -> Iterator[Any]:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def iter_field_names(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    """Yield the dotted name of every field in the settings tree (used by the no-secrets test)."""
    for name, field in model.model_fields.items():
        dotted = f"{prefix}{name}"
        yield dotted
        for nested in _models_in(field.annotation):
            yield from iter_field_names(nested, f"{dotted}.")


def _models_in(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)
