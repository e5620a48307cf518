"""The webhook receiver (ASGI): verify the signature, store the delivery raw in the inbox, answer.

Every delivery we read is stored before we answer, whatever its verdict, so nothing a sender
was told we have can be lost, and a forged or broken one stays visible to an admin:

| delivery                                   | stored as                           | answer |
|--------------------------------------------|-------------------------------------|--------|
| signature valid, body a valid notification | event (type from body), received    | 200    |
| the same event again (same event id)       | nothing new (the first one stands)  | 200    |
| signature missing or wrong                 | `unverified`, signature_ok=False,   | 401 *  |
|                                            | status ignored, never processed     |        |
| signature valid, body not JSON / not the   | `malformed`, received, never        | 400    |
| promised shape                             | processed (no processor claims it)  |        |
| body over the cap (default 1 MiB)          | not stored (never read)             | 413    |
| path names no source we know               | not stored (no sender to trust)     | 404    |
| source secret not configured               | `unverified` (cannot be verified)   | 503    |
| database unavailable                       | not stored                          | 503    |

(*) Klarna: 400, because Klarna documents "on mismatch answer 400".

A malformed but genuinely signed body is answered 400 rather than 202: the sender's delivery
log then shows the failure, which is where its cause (their bug) gets fixed; retries of the
same body are recognised by the body's hash and stored only once.

Rows are written by the group-commit batcher (`batcher.py`): requests that arrive together
share one transaction, and each is answered only after its own row is committed
(`group_commit=False` writes one transaction per request instead).

Each request runs in its own correlation id (a sane `X-Correlation-Id` header is taken over,
else a new one), stored on the inbox event and echoed in the answer's `X-Correlation-Id`.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from westgear_desk.log import correlation_scope, new_correlation_id
from westgear_desk.sync import inbox
from westgear_desk.webhooks.batcher import DEFAULT_MAX_BATCH, Delivery, InboxBatcher
from westgear_desk.webhooks.body import (
    DEFAULT_MAX_BODY_BYTES,
    BadContentLengthError,
    BodyTooLargeError,
    read_capped,
)
from westgear_desk.webhooks.sources import (
    MALFORMED_EVENT,
    SOURCES,
    UNVERIFIED_EVENT,
    MalformedPayloadError,
    WebhookSource,
)

CORRELATION_HEADER: Final = "X-Correlation-Id"
_SANE_CID: Final = re.compile(r"[A-Za-z0-9._:-]{6,64}")
_log = logging.getLogger(__name__)

#: Returns the signing secret of a source, or None when it is not configured.
SecretLookup = Callable[[str], "str | None"]


@dataclass(frozen=True)
class ReceiverConfig:
    """What the receiver needs: where to store, how to find secrets, how much to read."""

    session_factory: sessionmaker[Session]
    secret_for: SecretLookup
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    group_commit: bool = True
    max_batch: int = DEFAULT_MAX_BATCH
    sources: Mapping[str, WebhookSource] = field(default_factory=lambda: SOURCES)

    def __post_init__(self) -> None:
        if not 0 < self.max_body_bytes <= inbox.MAX_BODY_BYTES:
            raise ValueError(f"max_body_bytes must be 1..{inbox.MAX_BODY_BYTES} (the inbox's cap)")


def _reply(status: int, cid: str, **body: object) -> JSONResponse:
    headers = {CORRELATION_HEADER: cid}
    if status == 413:
        headers["Connection"] = "close"  # the rest of the body is never read
    return JSONResponse(body, status, headers=headers)


def _correlation_id(request: Request) -> str:
    given = request.headers.get(CORRELATION_HEADER, "")
    return given if _SANE_CID.fullmatch(given) else new_correlation_id()


@dataclass(frozen=True)
class _Verdict:
    delivery: Delivery
    refusal: Response | None


class Receiver:
    """Request handlers bound to one configuration."""

    def __init__(self, config: ReceiverConfig) -> None:
        self.config = config
        self.batcher = (
            InboxBatcher(config.session_factory, max_batch=config.max_batch)
            if config.group_commit
            else None
        )

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """On shutdown, commit what is queued before the server stops."""
        del app
        yield
        if self.batcher is not None:
            await self.batcher.close()

    async def receive(self, request: Request) -> Response:
        """`POST /webhooks/{source}`."""
        cid = _correlation_id(request)
        source = self.config.sources.get(request.path_params["source"])
        if source is None:
            return _reply(404, cid, error="unknown webhook source")
        try:
            body = await read_capped(request, self.config.max_body_bytes)
        except BodyTooLargeError:
            return _reply(413, cid, error=f"body over {self.config.max_body_bytes} bytes")
        except BadContentLengthError:
            return _reply(400, cid, error="invalid Content-Length")
        with correlation_scope(cid):
            verdict = self._judge(source, body, request.headers, cid)
            try:
                result = await self._save(verdict.delivery)
            except SQLAlchemyError as exc:
                _log.error("webhook %s not stored: %s", source.name, type(exc).__name__)
                return _reply(503, cid, error="not stored, try again later")
        if verdict.refusal is not None:
            return verdict.refusal
        return _reply(200, cid, event_id=result.event_id, duplicate=result.duplicate)

    def _judge(
        self, source: WebhookSource, body: bytes, headers: Mapping[str, str], cid: str
    ) -> _Verdict:
        """What to store and what to answer (None: 200 with the stored event)."""

        def delivery(ok: bool, event_type: str, key: str | None = None) -> Delivery:
            return Delivery(source.name, key, dict(headers), body, ok, event_type, cid)

        secret = self.config.secret_for(source.name)
        if not source.verify(body, headers, secret):
            if secret is None:
                _log.error("webhook %s: no signing secret configured", source.name)
                refusal = _reply(503, cid, error="receiver not configured for this source")
            else:
                _log.warning("webhook %s: signature did not verify; kept, not processed",
                             source.name)  # fmt: skip
                refusal = _reply(source.forged_status, cid, error="invalid signature")
            return _Verdict(delivery(False, UNVERIFIED_EVENT), refusal)
        try:
            parsed = source.parse(body)
        except MalformedPayloadError as exc:
            _log.warning("webhook %s: malformed body kept: %s", source.name, exc)
            refusal = _reply(400, cid, error="malformed body", detail=str(exc)[:300])
            return _Verdict(delivery(True, MALFORMED_EVENT), refusal)
        return _Verdict(delivery(True, parsed.event_type, parsed.dedupe_key), None)

    async def _save(self, delivery: Delivery) -> inbox.RecordResult:
        if self.batcher is not None:
            return await self.batcher.record(delivery)
        return await run_in_threadpool(delivery.record_alone, self.config.session_factory)

    async def healthz(self, request: Request) -> Response:
        """`GET /healthz`: 200 when the database answers, else 503."""
        try:
            await run_in_threadpool(self._ping)
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable"}, 503)
        return JSONResponse({"status": "ok"})

    def _ping(self) -> None:
        with self.config.session_factory() as session:
            session.execute(text("SELECT 1"))


def build_app(config: ReceiverConfig) -> Starlette:
    """The receiver app: `POST /webhooks/{source}` for each known source, `GET /healthz`."""
    receiver = Receiver(config)
    return Starlette(
        lifespan=receiver.lifespan,
        routes=[
            Route("/webhooks/{source}", receiver.receive, methods=["POST"]),
            Route("/healthz", receiver.healthz, methods=["GET"]),
        ],
    )
