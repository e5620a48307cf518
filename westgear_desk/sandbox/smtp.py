"""A real SMTP server on loopback (aiosmtpd) that accepts authenticated mail and keeps it."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

DEFAULT_USERNAME = "westgear-desk"
DEFAULT_PASSWORD = "sandbox-smtp-password"


class _QuietDeprecation(logging.Filter):
    """Drops aiosmtpd's own deprecation warning, logged on every successful AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_AIOSMTPD_LOG = logging.getLogger("mail.log")
if not any(isinstance(f, _QuietDeprecation) for f in _AIOSMTPD_LOG.filters):
    _AIOSMTPD_LOG.addFilter(_QuietDeprecation())


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message with its SMTP envelope and the user who sent it."""

    envelope_from: str
    envelope_to: tuple[str, ...]
    username: str | None
    message: EmailMessage


class _BoundController(Controller):
    """aiosmtpd's threaded Controller, serving on a socket bound beforehand (free port)."""

    def __init__(self, handler: Any, sock: socket.socket, **smtp_kwargs: Any) -> None:
        host, port = sock.getsockname()
        super().__init__(handler, hostname=host, port=port, **smtp_kwargs)
        self._sock = sock

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class SmtpSandbox:
    """SMTP on 127.0.0.1:<free port>; AUTH PLAIN/LOGIN with `credentials` (no TLS, loopback only).

    Mail from unauthenticated sessions is refused (530), wrong credentials get 535. Accepted
    messages are parsed (`email.policy.default`) and kept in `received` / `messages`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        require_auth: bool = True,
    ) -> None:
        self.credentials = {"username": username, "password": password}
        self._received: list[ReceivedMail] = []
        self._changed = threading.Condition()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, 0))
        self.host, self.port = sock.getsockname()
        self.url = f"smtp://{self.host}:{self.port}"
        self._controller = _BoundController(
            self,
            sock,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )
        self._require_auth = require_auth
        self._running = False

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start serving; returns once the server has answered a connection."""
        self._controller.start()
        self._running = True

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._running:
            self._controller.stop()
            self._running = False

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- what arrived

    @property
    def received(self) -> list[ReceivedMail]:
        """Every accepted message with its envelope, oldest first (a copy)."""
        with self._changed:
            return list(self._received)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every accepted message, parsed, oldest first."""
        return [mail.message for mail in self.received]

    def clear(self) -> None:
        """Forget every received message."""
        with self._changed:
            self._received.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until at least `count` messages arrived; return them. Raises TimeoutError."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._received) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} message(s) within {timeout}s, got {len(self._received)}"
                )
            return [mail.message for mail in self._received]

    # ----------------------------------------------------------------- aiosmtpd hooks

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        del server, session, envelope
        ok = (
            mechanism in {"PLAIN", "LOGIN"}
            and isinstance(data, LoginPassword)
            and data.login.decode("utf-8", "replace") == self.credentials["username"]
            and data.password.decode("utf-8", "replace") == self.credentials["password"]
        )
        return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """aiosmtpd hook: refuse mail from sessions that have not authenticated."""
        del server
        if self._require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        """aiosmtpd hook: parse and keep one message."""
        del server
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        login = session.auth_data
        mail = ReceivedMail(
            envelope_from=envelope.mail_from or "",
            envelope_to=tuple(envelope.rcpt_tos),
            username=login.decode("utf-8", "replace") if isinstance(login, bytes) else None,
            message=message,
        )
        with self._changed:
            self._received.append(mail)
            self._changed.notify_all()
        return "250 Message accepted for delivery"
