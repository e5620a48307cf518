"""Fortnox error bodies -> our exception tree, with the Fortnox error code kept.

Three shapes are real (recorded): the API's `{"ErrorInformation": {...}}` in two casings and
the gateway's `{"message": "unauthorized"}`; the token endpoint answers RFC 6749 errors [U].
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pydantic

from westgear_desk.errors import (
    AuthenticationError,
    BusinessRuleError,
    IntegrationError,
)
from westgear_desk.integrations.fortnox.contract import (
    FortnoxErrorBody,
    GatewayErrorBody,
    OAuthErrorBody,
)
from westgear_desk.integrations.http import error_for_status

SYSTEM = "fortnox"
# Fortnox codes meaning "fix the configuration" (login, token, licence, scope) [V errors guide]
AUTH_CODES = frozenset({"2000310", "2000311", "2001101", "2001103"})
# Refusals on a business rule rather than a malformed payload [V errors guide]
BUSINESS_RULE_CODES = frozenset({"2000637", "2004167"})


def _decode(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def read_error(body: Any) -> tuple[str | None, str | None]:
    """(error code, message) from any known Fortnox error shape; (None, None) if unknown."""
    for model in (FortnoxErrorBody, OAuthErrorBody, GatewayErrorBody):
        try:
            parsed = model.model_validate(body)
        except pydantic.ValidationError:
            continue
        if isinstance(parsed, FortnoxErrorBody):
            info = parsed.error_information
            return (None if info.code is None else str(info.code)), info.message
        if isinstance(parsed, OAuthErrorBody):
            return parsed.error, parsed.error_description or parsed.error
        return None, parsed.message
    return None, None


def error_for_response(
    response: httpx.Response, *, request_id: str | None, token_endpoint: bool
) -> IntegrationError:
    """The exception a non-2xx Fortnox answer stands for."""
    code, message = read_error(_decode(response))
    text = f"Fortnox HTTP {response.status_code}: {message}" if message else None
    kwargs: dict[str, Any] = {
        "system": SYSTEM,
        "status_code": response.status_code,
        "request_id": request_id,
        "error_code": code,
    }
    if token_endpoint and response.status_code in (400, 401, 403):
        # invalid_grant: the refresh token was used already or revoked -> new consent needed
        return AuthenticationError(text or "Fortnox refused the token request", **kwargs)
    if code in AUTH_CODES:
        return AuthenticationError(text or "Fortnox refused the credentials", **kwargs)
    if code in BUSINESS_RULE_CODES and response.status_code < 500:
        return BusinessRuleError(text or "Fortnox refused on a business rule", **kwargs)
    return error_for_status(SYSTEM, response, message=text, error_code=code, request_id=request_id)
