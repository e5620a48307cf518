"""What the DHL and PostNord sandboxes share: carrier local time and the tracking test controls."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ZONE = ZoneInfo("Europe/Stockholm")


class PollSetting(Protocol):
    """A carrier sandbox state whose tracking may advance on each poll."""

    advance_on_poll: bool


def now_local() -> str:
    """Swedish local time without a zone, to the second, as both carriers print it."""
    return datetime.now(ZONE).replace(tzinfo=None, microsecond=0).isoformat()


async def advance_target(request: Request, example: str) -> str | Response | None:
    """The ``{"to": …}`` status an advance request names (None: one step), or a 400 answer."""
    if not (await request.body()).strip():
        return None
    try:
        target: str | None = (await request.json()).get("to")
    except (ValueError, AttributeError):
        return JSONResponse({"error": f'body must be JSON like {{"to": "{example}"}}'}, 400)
    return target


def poll_setting_route(carrier: str, state: PollSetting) -> Route:
    """``PUT /_sandbox/<carrier>/tracking`` with ``{"advance_on_poll": bool}``."""

    async def settings(request: Request) -> Response:
        try:
            state.advance_on_poll = bool((await request.json())["advance_on_poll"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'expected {"advance_on_poll": true|false}'}, 400)
        return JSONResponse({"advance_on_poll": state.advance_on_poll})

    return Route(f"/_sandbox/{carrier}/tracking", settings, methods=["PUT"])
