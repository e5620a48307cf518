"""The exception tree of WestGear Desk, drawn once so every layer classifies failures alike.

Why a tree: the sync engine decides retry versus dead-letter, and the UI decides "show a
clear message" versus "this is a bug", purely from the class of an exception.

    WestgearError
    ├── KnownError                      shown to the user as a plain message, never a traceback
    │   ├── ConfigurationError          a setting or credential is missing or wrong
    │   │   └── MissingCredentialError  names the credential and how to set it
    │   ├── PermissionDeniedError       the user's role does not allow the action
    │   └── SchemaMismatchError         the database schema is newer/older than this app
    └── IntegrationError                a call to an external system failed
        ├── TransientError              retry later: timeouts, connection errors, 408, 429, 5xx
        │   ├── TimeoutFailure
        │   ├── ConnectionFailure
        │   ├── RateLimitedError        carries the provider's Retry-After
        │   └── ServerError             5xx
        ├── AuthenticationError         401/403: a configuration problem, never retried
        └── PermanentError              other 4xx: retrying the same request cannot help
            ├── DataError               the payload was rejected or is malformed (quarantine)
            └── BusinessRuleError       the provider refused on a business rule
                                        (e.g. capture beyond the authorized amount)

`ErrorCategory` is the engine's four-way taxonomy (transient, configuration, data,
external business rule) derived from the class, see `categorize`.
"""

from __future__ import annotations

import enum


class WestgearError(Exception):
    """Base of every exception this application raises on purpose."""


class KnownError(WestgearError):
    """An expected failure with a message fit to show a user."""


class ConfigurationError(KnownError):
    """A setting or credential is missing, malformed or rejected."""


class MissingCredentialError(ConfigurationError):
    """A named credential is not in the keyring nor in the environment."""

    def __init__(self, name: str, env_var: str) -> None:
        self.name = name
        self.env_var = env_var
        super().__init__(
            f"Credential '{name}' is not set. Store it with "
            f"'westgear-desk credentials set {name}' (OS keyring) or set the "
            f"environment variable {env_var} for headless runs."
        )


class PermissionDeniedError(KnownError):
    """The signed-in user's role does not allow this action."""


class SchemaMismatchError(KnownError):
    """The database schema revision differs from the one this application knows."""


class IntegrationError(WestgearError):
    """A call to an external system failed.

    Attributes carry what the engine records per attempt: the system, the HTTP status
    (if any), the provider's request id and a provider error code.
    """

    def __init__(
        self,
        message: str,
        *,
        system: str = "",
        status_code: int | None = None,
        request_id: str | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.system = system
        self.status_code = status_code
        self.request_id = request_id
        self.error_code = error_code


class TransientError(IntegrationError):
    """Worth retrying later: the same request may succeed."""


class TimeoutFailure(TransientError):
    """The provider did not answer in time."""


class ConnectionFailure(TransientError):
    """The connection could not be made or was dropped."""


class RateLimitedError(TransientError):
    """The provider asked us to slow down (429); `retry_after` is in seconds if given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(TransientError):
    """The provider failed (5xx or 408)."""


class AuthenticationError(IntegrationError):
    """Credentials were refused (401/403); an admin must fix the configuration."""


class PermanentError(IntegrationError):
    """The request itself is wrong; retrying it unchanged cannot succeed."""


class DataError(PermanentError):
    """The payload (ours or theirs) breaks the contract."""


class BusinessRuleError(PermanentError):
    """The provider refused the request on a business rule."""


class ErrorCategory(enum.StrEnum):
    """The engine's taxonomy of a failure, stored with each job attempt."""

    TRANSIENT = "transient"
    CONFIGURATION = "configuration"
    DATA = "data"
    BUSINESS_RULE = "business_rule"
    BUG = "bug"


def categorize(exc: BaseException) -> ErrorCategory:
    """Return the taxonomy category of an exception (unknown exceptions are bugs)."""
    if isinstance(exc, TransientError):
        return ErrorCategory.TRANSIENT
    if isinstance(exc, AuthenticationError | ConfigurationError):
        return ErrorCategory.CONFIGURATION
    if isinstance(exc, BusinessRuleError):
        return ErrorCategory.BUSINESS_RULE
    if isinstance(exc, PermanentError):
        return ErrorCategory.DATA
    return ErrorCategory.BUG


def is_retryable(exc: BaseException) -> bool:
    """True when the engine should schedule another attempt."""
    return isinstance(exc, TransientError)
