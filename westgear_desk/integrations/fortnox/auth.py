"""Fortnox OAuth2 tokens for one desk: one access token, refreshed by one thread at a time.

Refresh tokens are single-use [V]: every refresh returns a new one, the old one stops
working. So refreshes are serialized by a lock (concurrent threads wait for the one
refresh in flight and reuse its token), and each new refresh token is handed to the caller
through `on_refresh_token` at once, to be stored (keyring) before anything else can happen.
Client credentials (service accounts, with a TenantId) need no refresh token at all.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from westgear_desk.errors import AuthenticationError
from westgear_desk.integrations.fortnox.contract import TokenResponse

TOKEN_ENDPOINT = "/oauth-v1/token"  # noqa: S105 - a path, not a secret
TENANT_HEADER = "TenantId"  # [U] how the TenantId travels with a client-credentials request
EXPIRY_LEEWAY_S = 60.0  # renew this long before the access token's stated expiry

# (form fields, extra headers) -> the token endpoint's answer
TokenFetcher = Callable[[dict[str, str], dict[str, str]], TokenResponse]


@dataclass(frozen=True)
class FortnoxCredentials:
    """What the desk authenticates with; `tenant_id` selects the client-credentials grant."""

    client_id: str
    client_secret: str
    tenant_id: str | None = None
    refresh_token: str | None = None

    def __repr__(self) -> str:  # never print secrets
        return f"FortnoxCredentials(client_id={self.client_id!r}, tenant_id={self.tenant_id!r})"

    @property
    def limiter_key(self) -> str:
        """Identity of the access token for rate limiting (client id + tenant)."""
        return f"{self.client_id}:{self.tenant_id or 'refresh'}"

    def basic_auth(self) -> str:
        """`Authorization` value for the token endpoint."""
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


class TokenManager:
    """Holds the access token and renews it, single-flight, under a lock."""

    def __init__(
        self,
        credentials: FortnoxCredentials,
        fetch: TokenFetcher,
        *,
        on_refresh_token: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not credentials.tenant_id and not credentials.refresh_token:
            raise AuthenticationError(
                "Fortnox needs a TenantId (client credentials) or a refresh token",
                system="fortnox",
                error_code="no_grant",
            )
        self._credentials = credentials
        self._fetch = fetch
        self._on_refresh_token = on_refresh_token
        self._clock = clock
        self._lock = threading.Lock()
        self._refresh_token = credentials.refresh_token
        self._access_token: str | None = None
        self._expires_at = 0.0
        self.refresh_count = 0  # grants performed, for diagnostics and tests

    def access_token(self) -> str:
        """A valid access token, obtaining one first if there is none or it is about to expire."""
        with self._lock:
            if self._access_token and self._clock() < self._expires_at:
                return self._access_token
            return self._obtain()

    def renew_after_rejection(self, rejected: str) -> str:
        """A new token after Fortnox refused `rejected` (401); one renewal for many threads."""
        with self._lock:
            if self._access_token and self._access_token != rejected:
                return self._access_token  # another thread renewed while we waited
            return self._obtain()

    def _obtain(self) -> str:
        if self._credentials.tenant_id:
            form = {"grant_type": "client_credentials"}
            headers = {TENANT_HEADER: self._credentials.tenant_id}
        else:
            assert self._refresh_token is not None
            form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
            headers = {}
        headers["Authorization"] = self._credentials.basic_auth()
        token = self._fetch(form, headers)
        self.refresh_count += 1
        self._access_token = token.access_token
        self._expires_at = self._clock() + max(0.0, token.expires_in - EXPIRY_LEEWAY_S)
        if token.refresh_token and token.refresh_token != self._refresh_token:
            self._refresh_token = token.refresh_token
            if self._on_refresh_token is not None:
                self._on_refresh_token(token.refresh_token)
        return token.access_token
