"""The Fortnox sandbox's OAuth server and per-tenant rate window (25 requests per 5 s).

Grants: client credentials (Basic client id/secret + `TenantId` header [U]) and refresh
token, where each refresh token works exactly once (reusing an old one fails with
`invalid_grant`, as the real single-use tokens do). Access tokens live one hour.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

ACCESS_TOKEN_TTL_S = 3600  # [V]
RATE_LIMIT = 25  # requests ... [V]
RATE_WINDOW_S = 5.0  # ... per sliding 5 s, per client id + tenant [V]
SCOPE = "customer article invoice order bookkeeping companyinformation"


@dataclass(frozen=True)
class GrantResult:
    """Either a token body (status 200) or an OAuth error (status 4xx)."""

    status: int
    body: dict[str, object]


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _error(error: str, description: str, status: int = 400) -> GrantResult:
    return GrantResult(status, {"error": error, "error_description": description})


class TokenIssuer:
    """Issues and checks tokens; counts each tenant's requests in a sliding window."""

    def __init__(self, credentials: Mapping[str, str], clock: Callable[[], float] = time.monotonic):
        self._credentials = dict(credentials)
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to the initial refresh token, no access tokens, empty rate windows."""
        with self._lock:
            self._refresh_tokens = {self._credentials["refresh_token"]}
            self._access: dict[str, float] = {}
            self._windows: dict[str, deque[float]] = {}

    @property
    def _tenant(self) -> str:
        return f"{self._credentials['client_id']}:{self._credentials['tenant_id']}"

    def grant(self, form: Mapping[str, str], headers: Mapping[str, str]) -> GrantResult:
        """Answer one POST /oauth-v1/token."""
        client = _basic(headers.get("authorization"))
        if client != (self._credentials["client_id"], self._credentials["client_secret"]):
            return _error("invalid_client", "Client authentication failed", 401)
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "client_credentials":
                if headers.get("tenantid") != self._credentials["tenant_id"]:
                    return _error("invalid_request", "Missing or unknown TenantId")
                return GrantResult(200, self._issue(refresh=False))
            if grant_type == "refresh_token":
                token = form.get("refresh_token", "")
                if token not in self._refresh_tokens:
                    return _error("invalid_grant", "Invalid refresh token")
                self._refresh_tokens.discard(token)  # single use
                return GrantResult(200, self._issue(refresh=True))
        return _error("unsupported_grant_type", f"Unsupported grant_type {grant_type!r}")

    def _issue(self, *, refresh: bool) -> dict[str, object]:
        access = secrets.token_urlsafe(32)
        self._access[access] = self._clock() + ACCESS_TOKEN_TTL_S
        body: dict[str, object] = {
            "access_token": access,
            "scope": SCOPE,
            "expires_in": ACCESS_TOKEN_TTL_S,
            "token_type": "bearer",
        }
        if refresh:
            new_refresh = secrets.token_urlsafe(32)
            self._refresh_tokens.add(new_refresh)
            body["refresh_token"] = new_refresh
        return body

    def check(self, authorization: str | None) -> bool:
        """True when the header carries a live access token."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return False
        with self._lock:
            expiry = self._access.get(authorization[7:].strip())
            return expiry is not None and self._clock() < expiry

    def take_slot(self) -> float | None:
        """Count one request of the tenant; None if allowed, else seconds until a slot frees."""
        now = self._clock()
        with self._lock:
            window = self._windows.setdefault(self._tenant, deque())
            while window and window[0] <= now - RATE_WINDOW_S:
                window.popleft()
            if len(window) >= RATE_LIMIT:
                return window[0] + RATE_WINDOW_S - now
            window.append(now)
            return None

    def expire_access_tokens(self) -> int:
        """Make every access token expired (the next call gets 401); returns how many."""
        with self._lock:
            count = len(self._access)
            self._access = dict.fromkeys(self._access, 0.0)
            return count
