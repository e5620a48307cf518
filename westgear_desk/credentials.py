"""Secrets in the OS keyring (or env for headless runs): the only module that imports keyring.

Windows Credential Manager refuses values whose UTF-16 encoding exceeds 2,560 bytes, and
OAuth tokens can be longer, so such values are sharded: entry ``name`` holds a manifest
``__westgear_sharded__:N`` and entries ``name#1`` … ``name#N`` hold the parts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

import keyring  # noqa: TID251 - this is the one module allowed to
import keyring.errors  # noqa: TID251
from keyring.backend import KeyringBackend  # noqa: TID251

from westgear_desk.errors import ConfigurationError, MissingCredentialError

SERVICE_NAME: Final = "westgear-desk"
ENV_PREFIX: Final = "WESTGEAR_SECRET_"
WINDOWS_VALUE_LIMIT_BYTES: Final = 2560
SHARD_MANIFEST_PREFIX: Final = "__westgear_sharded__:"
_PROBE_NAME: Final = "westgear-desk.probe"
_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CredentialSpec:
    """A credential the desk knows: its integration and labels for the settings screen."""

    name: str
    label_sv: str
    label_en: str

    @property
    def integration(self) -> str:
        return self.name.split(".", 1)[0]


def _specs(*rows: tuple[str, str, str]) -> dict[str, CredentialSpec]:
    return {name: CredentialSpec(name, sv, en) for name, sv, en in rows}


KNOWN_CREDENTIALS: Final[Mapping[str, CredentialSpec]] = _specs(
    ("sharespine.tenant", "Sharespine tenant", "Sharespine tenant"),
    ("sharespine.connection_id", "Sharespine anslutnings-id", "Sharespine connection id"),
    ("sharespine.username", "Sharespine användarnamn", "Sharespine username"),
    ("sharespine.password", "Sharespine lösenord", "Sharespine password"),
    ("sharespine.webhook_secret", "Sharespine webhook-hemlighet", "Sharespine webhook secret"),
    ("fortnox.client_id", "Fortnox klient-id", "Fortnox client id"),
    ("fortnox.client_secret", "Fortnox klienthemlighet", "Fortnox client secret"),
    ("fortnox.tenant_id", "Fortnox tenant-id", "Fortnox tenant id"),
    ("fortnox.refresh_token", "Fortnox refresh-token", "Fortnox refresh token"),
    ("klarna.username", "Klarna användarnamn (API)", "Klarna API username"),
    ("klarna.password", "Klarna lösenord (API)", "Klarna API password"),
    ("postnord.apikey", "PostNord API-nyckel", "PostNord API key"),
    ("dhl.api_key", "DHL API-nyckel", "DHL API key"),
    ("smtp.password", "SMTP-lösenord", "SMTP password"),
)


def env_var_for(name: str) -> str:
    """Return the environment variable that supplies credential `name` in headless runs."""
    return ENV_PREFIX + name.replace(".", "_").upper()


def _check_name(name: str) -> None:
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"Not a credential name (want 'integration.key'): {name!r}")


def _utf16_size(text: str) -> int:
    return len(text.encode("utf-16-le"))


def split_for_limit(value: str, limit: int = WINDOWS_VALUE_LIMIT_BYTES) -> list[str]:
    """Split `value` into parts whose UTF-16 encoding each fits in `limit` bytes."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in value:
        char_size = _utf16_size(char)
        if size + char_size > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += char_size
    parts.append("".join(current))
    return parts


def _part_name(name: str, index: int) -> str:
    return f"{name}#{index}"


def _shard_count(stored: str | None) -> int:
    if stored is None or not stored.startswith(SHARD_MANIFEST_PREFIX):
        return 0
    count = stored.removeprefix(SHARD_MANIFEST_PREFIX)
    return int(count) if count.isdigit() else 0


class CredentialStore:
    """Reads and writes named credentials; never logs or displays a value."""

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        env: Mapping[str, str] | None = None,
        *,
        service: str = SERVICE_NAME,
    ) -> None:
        self._backend = backend
        self._env = os.environ if env is None else env
        self._service = service

    @property
    def backend(self) -> KeyringBackend:
        """The keyring backend in use (the process-wide one unless one was injected)."""
        return self._backend if self._backend is not None else keyring.get_keyring()

    def backend_name(self) -> str:
        """Return the dotted class name of the keyring backend, for the doctor screen."""
        cls = type(self.backend)
        return f"{cls.__module__}.{cls.__qualname__}"

    def get(self, name: str) -> str:
        """Return the credential: env var first, then keyring.

        Raises MissingCredentialError (naming the credential and env var) when neither has it.
        """
        value = self.get_optional(name)
        if value is None:
            raise MissingCredentialError(name, env_var_for(name))
        return value

    def get_optional(self, name: str) -> str | None:
        """Return the credential or None when it is set nowhere."""
        _check_name(name)
        from_env = self._env.get(env_var_for(name))
        if from_env:
            return from_env
        return self._read_keyring(name)

    def is_set(self, name: str) -> bool:
        """True when the credential is available (env or keyring); never reveals the value."""
        return self.get_optional(name) is not None

    def source(self, name: str) -> str | None:
        """Return "environment", "keyring" or None: where the credential would be read from."""
        _check_name(name)
        if self._env.get(env_var_for(name)):
            return "environment"
        return "keyring" if self._read_keyring(name) is not None else None

    def set(self, name: str, value: str) -> None:
        """Store the credential in the keyring, sharding long values, leaving no stale parts."""
        _check_name(name)
        if not value:
            raise ValueError(f"Refusing to store an empty value for credential {name!r}")
        old_parts = _shard_count(self._raw_get(name))
        parts = split_for_limit(value)
        if len(parts) == 1:
            self.backend.set_password(self._service, name, value)
        else:
            for index, part in enumerate(parts, start=1):
                self.backend.set_password(self._service, _part_name(name, index), part)
            self.backend.set_password(self._service, name, f"{SHARD_MANIFEST_PREFIX}{len(parts)}")
        new_parts = len(parts) if len(parts) > 1 else 0
        for index in range(new_parts + 1, old_parts + 1):
            self._raw_delete(_part_name(name, index))
        _log.info("credential %s stored in keyring (%d part(s))", name, len(parts))

    def delete(self, name: str) -> None:
        """Remove the credential and all its parts from the keyring (no error if absent)."""
        _check_name(name)
        for index in range(1, _shard_count(self._raw_get(name)) + 1):
            self._raw_delete(_part_name(name, index))
        self._raw_delete(name)
        _log.info("credential %s deleted from keyring", name)

    def check_usable(self) -> tuple[bool, str]:
        """Write, read back and delete a probe entry; return (ok, a plain-words reason)."""
        probe = uuid.uuid4().hex
        try:
            self.backend.set_password(self._service, _PROBE_NAME, probe)
            read_back = self.backend.get_password(self._service, _PROBE_NAME)
            self.backend.delete_password(self._service, _PROBE_NAME)
        except Exception as exc:  # any backend failure means "not usable", with the reason
            return (
                False,
                f"Keyring {self.backend_name()} is not usable: {type(exc).__name__}: {exc}",
            )
        if read_back != probe:
            return False, f"Keyring {self.backend_name()} did not return what was written."
        return True, f"Keyring {self.backend_name()} works."

    def status(self) -> Iterator[tuple[CredentialSpec, bool]]:
        """Yield every known credential with whether it is set, for the settings screen."""
        for spec in KNOWN_CREDENTIALS.values():
            yield spec, self.is_set(spec.name)

    def _read_keyring(self, name: str) -> str | None:
        stored = self._raw_get(name)
        count = _shard_count(stored)
        if count == 0:
            return stored
        parts = [self._raw_get(_part_name(name, index)) for index in range(1, count + 1)]
        if any(part is None for part in parts):
            raise ConfigurationError(
                f"Credential '{name}' is damaged in the keyring (a part is missing). "
                f"Store it again with 'westgear-desk credentials set {name}'."
            )
        return "".join(part for part in parts if part is not None)

    def _raw_get(self, key: str) -> str | None:
        value: str | None = self.backend.get_password(self._service, key)
        return value

    def _raw_delete(self, key: str) -> None:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self.backend.delete_password(self._service, key)


class MemoryKeyring(KeyringBackend):
    """A dict-backed keyring for tests and the demo; never auto-selected (negative priority).

    `max_value_bytes` makes it refuse values whose UTF-16 size exceeds the limit, like
    Windows Credential Manager does at 2,560 bytes.
    """

    priority = -1

    def __init__(self, max_value_bytes: int | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}
        self.max_value_bytes = max_value_bytes

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.max_value_bytes is not None and _utf16_size(password) > self.max_value_bytes:
            raise keyring.errors.PasswordSetError(
                f"value of {_utf16_size(password)} bytes exceeds {self.max_value_bytes}"
            )
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(f"{username} is not set")


def install_memory_keyring(max_value_bytes: int | None = None) -> MemoryKeyring:
    """Make a fresh MemoryKeyring the process-wide keyring and return it (tests, demo)."""
    backend = MemoryKeyring(max_value_bytes)
    keyring.set_keyring(backend)
    return backend
