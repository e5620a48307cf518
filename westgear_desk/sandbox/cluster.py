"""Start every system sandbox and the SMTP sandbox together, each on its own loopback port."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from westgear_desk.sandbox.common import FaultSettings, SandboxConfig, SandboxSystem
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sandbox.smtp import SmtpSandbox

ALL_SYSTEMS: tuple[str, ...] = ("sharespine", "fortnox", "klarna", "postnord", "dhl")
SMTP = "smtp"
ADMIN_TIMEOUT_S = 10.0


class SandboxUnavailableError(LookupError):
    """A system was asked for whose sandbox module does not exist (or has no `build`)."""


def _module_name(system: str) -> str:
    return f"westgear_desk.sandbox.{system}"


def is_available(system: str) -> bool:
    """True when `westgear_desk.sandbox.<system>` exists and has a `build` function.

    An error raised while importing an existing module propagates: it is a bug to see.
    """
    name = _module_name(system)
    if importlib.util.find_spec(name) is None:
        return False
    return callable(getattr(importlib.import_module(name), "build", None))


def available_systems() -> tuple[str, ...]:
    """The systems of ALL_SYSTEMS whose sandbox can be built, in ALL_SYSTEMS order."""
    return tuple(system for system in ALL_SYSTEMS if is_available(system))


def build_system(system: str, config: SandboxConfig) -> SandboxSystem:
    """Import `westgear_desk.sandbox.<system>` lazily and call its `build(config)`.

    Raises SandboxUnavailableError for an unknown system or a missing module.
    """
    if system not in ALL_SYSTEMS:
        known = ", ".join(ALL_SYSTEMS)
        raise SandboxUnavailableError(f"unknown sandbox system {system!r}; known: {known}")
    name = _module_name(system)
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise SandboxUnavailableError(
            f"the {system} sandbox is not available: module {name} does not exist"
        ) from exc
    build = getattr(module, "build", None)
    if not callable(build):
        raise SandboxUnavailableError(f"module {name} has no build(config) function")
    result = build(config)
    if not isinstance(result, SandboxSystem):
        raise TypeError(f"{name}.build returned {type(result).__name__}, not SandboxSystem")
    return result


class SandboxCluster:
    """Every requested system sandbox in its own SandboxServer, plus the SMTP sandbox.

    Names in `systems` come from ALL_SYSTEMS; include "smtp" there or pass `smtp=True`
    (the default) for the mail server. `describe()` is the one-line JSON object of
    `westgear-desk sandbox`: per system its base URL and the credentials it accepts.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        systems: Sequence[str] = ALL_SYSTEMS,
        *,
        smtp: bool = True,
    ) -> None:
        self.config = config or SandboxConfig()
        self.names = tuple(s for s in dict.fromkeys(systems) if s != SMTP)
        self._with_smtp = smtp or SMTP in systems
        self._systems: dict[str, SandboxSystem] = {}
        self._servers: dict[str, SandboxServer] = {}
        self._smtp: SmtpSandbox | None = None
        self._http: httpx.Client | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Build and serve every system; on any failure stop what was started and raise."""
        try:
            for name in self.names:
                self._start_system(name)
            if self._with_smtp:
                self._smtp = SmtpSandbox()
                self._smtp.start()
        except BaseException:
            self.stop()
            raise

    def _start_system(self, name: str) -> None:
        system = build_system(name, self.config)
        server = SandboxServer(system.app)
        self._systems[name] = system
        self._servers[name] = server
        server.start()
        if system.on_started is not None:
            system.on_started(server.url)

    def stop(self) -> None:
        """Stop every server (SMTP first, then the systems in reverse order)."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        for name in reversed(list(self._servers)):
            self._servers.pop(name).stop()
        self._systems.clear()

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

    # ----------------------------------------------------------------- lookup

    @property
    def urls(self) -> dict[str, str]:
        """Base URL per running system (and "smtp")."""
        urls = {name: server.url for name, server in self._servers.items()}
        if self._smtp is not None:
            urls[SMTP] = self._smtp.url
        return urls

    def url(self, name: str) -> str:
        """Base URL of one running system. Raises SandboxUnavailableError if not running."""
        try:
            return self.urls[name]
        except KeyError:
            raise SandboxUnavailableError(f"the {name} sandbox is not running") from None

    def describe(self) -> dict[str, dict[str, str]]:
        """{system: {"url": ..., <credentials as the real API names them>}} for all running."""
        described = {
            name: {"url": self._servers[name].url, **system.credentials}
            for name, system in self._systems.items()
        }
        if self._smtp is not None:
            described[SMTP] = {"url": self._smtp.url, **self._smtp.credentials}
        return described

    def system(self, name: str) -> SandboxSystem:
        """The running SandboxSystem `name`. Raises SandboxUnavailableError if not running."""
        try:
            return self._systems[name]
        except KeyError:
            raise SandboxUnavailableError(f"the {name} sandbox is not running") from None

    @property
    def smtp(self) -> SmtpSandbox:
        """The running SMTP sandbox. Raises SandboxUnavailableError if it is not running."""
        if self._smtp is None:
            raise SandboxUnavailableError("the SMTP sandbox is not running")
        return self._smtp

    # ----------------------------------------------------------------- admin API

    def set_faults(self, name: str, settings: FaultSettings | None = None, **fields: Any) -> None:
        """Replace one system's faults through its admin API (PUT /_sandbox/faults)."""
        body = (settings or FaultSettings(**fields)).model_dump(mode="json")
        self._admin("PUT", name, "/_sandbox/faults", body)

    def reset(self) -> None:
        """Reset every system's state and faults (admin API) and forget received mail."""
        for name in self._servers:
            self._admin("POST", name, "/_sandbox/reset", None)
            self._admin("PUT", name, "/_sandbox/faults", {})
        if self._smtp is not None:
            self._smtp.clear()

    def requests(self, name: str, *, path: str | None = None) -> list[dict[str, Any]]:
        """What system `name` received (GET /_sandbox/requests), oldest first."""
        params = {"path": path} if path else None
        response = self._admin("GET", name, "/_sandbox/requests", params=params)
        entries: list[dict[str, Any]] = response.json()["requests"]
        return entries

    def _admin(
        self,
        method: str,
        name: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        if self._http is None:  # one pooled client: a new one per call costs ~0.1 s of TLS setup
            self._http = httpx.Client(timeout=ADMIN_TIMEOUT_S)
        response = self._http.request(method, self.url(name) + path, json=body, params=params)
        response.raise_for_status()
        return response
