"""Fortnox answers as the real API shapes them: error bodies by casing, list envelopes, quirks.

Codes marked [V] are from Fortnox's errors guide or a recording; [U] codes/messages are our
choice where the real one is unknown, all in `CODES`, so they are easy to correct.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import JSONResponse

# name -> (code, Swedish message)
CODES: dict[str, tuple[int, str]] = {
    "invoice_not_found": (2000434, "Kan inte hitta fakturan."),  # [V recorded]
    "customer_not_found": (2000433, "Kan inte hitta kunden."),  # [U code]
    "article_not_found": (2000428, "Kan inte hitta artikeln."),  # [U code]
    "order_not_found": (2000435, "Kan inte hitta ordern."),  # [U code]
    "invalid_filter": (2000587, "Ett ogiltigt filter har använts."),  # [V recorded]
    "invalid_parameter": (2000588, "Ogiltig parameter i anropet."),  # [V code, U text]
    "customer_number_used": (2000637, "Kundnumret är redan använt."),  # [V code, U text]
    "wrong_body": (2001392, "Tom eller felaktig body."),  # [V code, U text]
    "invalid_field": (2001399, "Ogiltigt fältnamn."),  # [V code, U text]
    "bad_json": (2002115, "Felaktig JSON."),  # [V code, U text]
    "invalid_value": (2000359, "Ogiltigt värde."),  # [V code: invalid characters; U use]
    "not_allowed": (2000064, "Åtgärden är inte tillåten för dokumentet."),  # [U]
    "unbalanced_voucher": (2000064, "Verifikationen är inte balanserad."),  # [U]
}


def api_error(name: str, status: int = 400, detail: str | None = None) -> JSONResponse:
    """The API's own error: a 404 uses `Error/Message/Code`, other statuses lower case [V]."""
    code, message = CODES[name]
    text = f"{message} {detail}" if detail else message
    if status == 404:
        inner: dict[str, Any] = {"Error": 1, "Message": text, "Code": code}
    else:
        inner = {"error": 1, "message": text, "code": code}
    return JSONResponse({"ErrorInformation": inner}, status_code=status)


def unauthorized() -> JSONResponse:
    """The gateway's 401 for a missing, wrong or expired access token [V recorded]."""
    return JSONResponse({"message": "unauthorized"}, status_code=401)


def too_many_requests(retry_after: float) -> JSONResponse:
    """429 past 25 requests in 5 s [V status]; body and Retry-After header [U]."""
    return JSONResponse(
        {"message": "rate limit exceeded"},
        status_code=429,
        headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
    )


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    """RFC 6749 error of the token endpoint [U: Fortnox's exact body]."""
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def envelope(name: str, resource: dict[str, Any], status: int = 200) -> JSONResponse:
    """`{"Invoice": {...}}`."""
    return JSONResponse({name: resource}, status_code=status)


def listing(name: str, items: list[dict[str, Any]], page: int, limit: int) -> JSONResponse:
    """`{"Invoices": [...], "MetaInformation": {...}}`; empty lists carry it too [V]."""
    total = len(items)
    pages = math.ceil(total / limit) if total else 0
    chunk = items[(page - 1) * limit : page * limit]
    meta = {"@TotalResources": total, "@TotalPages": pages, "@CurrentPage": page}
    return JSONResponse({"MetaInformation": meta, name: chunk})


def fortnox_text(value: bool) -> str:
    """Fortnox's string booleans (`"Credit": "false"`)."""
    return "true" if value else "false"
