"""Reading a request body under a size cap, so an oversized delivery costs us nothing.

A declared `Content-Length` over the cap is refused before a byte of the body is read; a
chunked (or lying) body is read only until it passes the cap.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024  # 1 MiB: a notification is a few hundred bytes


class BodyTooLargeError(Exception):
    """The body is (or declares to be) larger than the cap."""


class BadContentLengthError(Exception):
    """The Content-Length header is not a non-negative integer."""


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise BadContentLengthError(raw)
    return int(raw)


async def read_capped(request: Request, limit: int = DEFAULT_MAX_BODY_BYTES) -> bytes:
    """Return the whole body; raise BodyTooLargeError as soon as it exceeds `limit` bytes."""
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise BodyTooLargeError(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(size)
        chunks.append(chunk)
    return b"".join(chunks)
