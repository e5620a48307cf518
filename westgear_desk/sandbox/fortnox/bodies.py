"""Request bodies of the Fortnox sandbox, refused the way Fortnox refuses them (400s)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TypeVar

import pydantic
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from westgear_desk.integrations.drift import describe_validation_error
from westgear_desk.integrations.fortnox.fields import FortnoxModel
from westgear_desk.integrations.fortnox.paging import FORTNOX_ZONE
from westgear_desk.sandbox.fortnox import replies

E = TypeVar("E", bound=pydantic.BaseModel)
Handler = Callable[[Request], Awaitable[Response]]


class BadBodyError(Exception):
    """A request body the real API would refuse; carries the reply."""

    def __init__(self, reply: JSONResponse) -> None:
        super().__init__("bad body")
        self.reply = reply


async def read_body(request: Request, model: type[E], wrapper: str) -> E:
    """Parse `{wrapper: {...}}` into `model` the way Fortnox refuses bad input (400s)."""
    try:
        document = json.loads(await request.body())
    except ValueError as exc:
        raise BadBodyError(replies.api_error("bad_json")) from exc
    if not isinstance(document, dict) or not isinstance(document.get(wrapper), dict):
        raise BadBodyError(
            replies.api_error("wrong_body", detail=f"expected {{{wrapper!r}: {{...}}}}")
        )
    try:
        parsed = model.model_validate(document)
    except pydantic.ValidationError as exc:
        detail = describe_validation_error(exc)
        raise BadBodyError(replies.api_error("invalid_value", detail=detail)) from exc
    unknown = parsed.unknown_fields() if isinstance(parsed, FortnoxModel) else []
    if unknown:
        raise BadBodyError(replies.api_error("invalid_field", detail=unknown[0]))
    return parsed


def today() -> date:
    """Today in Sweden, the date Fortnox stamps documents with."""
    return datetime.now(FORTNOX_ZONE).date()
