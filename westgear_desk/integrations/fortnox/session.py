"""How every Fortnox call is made: OAuth2 token, the shared rate limit, 401 and 429 handling.

Every `/3/` call takes a slot of the token's shared limiter, carries the current access
token, renews it once on a 401 and retries once, and waits out a 429's Retry-After (all
threads of the token pause) before retrying a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
import pydantic

from westgear_desk.errors import AuthenticationError, IntegrationError, RateLimitedError
from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.fortnox import contract as fx
from westgear_desk.integrations.fortnox.auth import TOKEN_ENDPOINT, FortnoxCredentials, TokenManager
from westgear_desk.integrations.fortnox.errors import error_for_response
from westgear_desk.integrations.fortnox.ratelimit import SlidingWindowLimiter, shared_limiter
from westgear_desk.integrations.http import ApiClient

M = TypeVar("M", bound=pydantic.BaseModel)
DEFAULT_RETRY_AFTER_S = 1.0  # [U] Fortnox may send no Retry-After: back off at least 1 s
RATE_LIMIT_RETRIES = 2


def wire(model: pydantic.BaseModel) -> Any:
    """A request model as Fortnox JSON (PascalCase keys, no empty fields)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class FortnoxSession(ApiClient):
    """Authenticated, rate-limited access to Fortnox API v3 (resources: FortnoxClient).

    `base_url` is the API host (``https://api.fortnox.se``; a trailing ``/3`` is accepted);
    `token_url` the OAuth token endpoint, absolute in production
    (``https://apps.fortnox.se/oauth-v1/token``), default ``/oauth-v1/token`` on the same
    host as in the sandbox.
    """

    system = "fortnox"

    def __init__(
        self,
        base_url: str,
        credentials: FortnoxCredentials,
        *,
        on_refresh_token: Callable[[str], None] | None = None,
        token_url: str | None = None,
        limiter: SlidingWindowLimiter | None = None,
        rate_limit_retries: int = RATE_LIMIT_RETRIES,
        recorder: CallRecorder = NULL_RECORDER,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # endpoints carry their /3 prefix; accept a base configured as ".../3" as well
        root = base_url.rstrip("/").removesuffix("/3")
        super().__init__(root, recorder=recorder, timeout=timeout, transport=transport)
        self._token_url = token_url or TOKEN_ENDPOINT
        self.tokens = TokenManager(
            credentials, self._fetch_token, on_refresh_token=on_refresh_token
        )
        self.limiter = limiter or shared_limiter(credentials.limiter_key)
        self._rate_limit_retries = rate_limit_retries

    # ----------------------------------------------------------------- plumbing

    def _fetch_token(self, form: dict[str, str], headers: dict[str, str]) -> fx.TokenResponse:
        body = self.request_json(
            "POST",
            self._token_url,
            content=str(httpx.QueryParams(form)).encode("ascii"),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        return parse_contract(fx.TokenResponse, body, system=self.system)

    def _error_for(self, response: httpx.Response) -> IntegrationError:
        is_token = response.request.url.path.endswith(TOKEN_ENDPOINT)
        return error_for_response(
            response, request_id=self._request_id(response), token_endpoint=is_token
        )

    def _api(
        self,
        method: str,
        endpoint: str,
        *,
        path_params: Mapping[str, str | int] | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """One /3/ call with rate limit, bearer token, one renewal on 401, Retry-After on 429."""
        token = self.tokens.access_token()
        renewed = False
        throttled = 0
        while True:
            self.limiter.acquire()
            try:
                return self.request_json(
                    method,
                    endpoint,
                    path_params=path_params,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except AuthenticationError as exc:
                if exc.status_code != 401 or renewed:
                    raise
                token = self.tokens.renew_after_rejection(token)
                renewed = True
            except RateLimitedError as exc:
                wait = DEFAULT_RETRY_AFTER_S if exc.retry_after is None else exc.retry_after
                if throttled >= self._rate_limit_retries or wait > self.limiter.max_wait:
                    raise
                self.limiter.pause(wait)
                throttled += 1

    def _get(self, model: type[M], endpoint: str, **path_params: str | int) -> M:
        body = self._api("GET", endpoint, path_params=path_params)
        return parse_contract(model, body, system=self.system)

    def _send(
        self, method: str, model: type[M], endpoint: str, payload: pydantic.BaseModel, **path: str
    ) -> M:
        body = self._api(method, endpoint, path_params=path or None, json=wire(payload))
        return parse_contract(model, body, system=self.system)

    def _page(self, model: type[M], endpoint: str, params: dict[str, Any]) -> M:
        return parse_contract(model, self._api("GET", endpoint, params=params), system=self.system)
