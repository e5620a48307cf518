"""Pytest fixtures that serve the system sandboxes, SMTP and a webhook receiver over loopback.

Register with ``pytest_plugins = ["tests.helpers.sandboxes"]`` in the root conftest.

- ``sandbox_cluster`` (session): every available system sandbox plus SMTP, small seeded catalog.
- ``sandboxes`` (function): the same cluster, every system's state and faults reset first.
- ``sharespine_sandbox`` … ``dhl_sandbox`` (function): one reset system as a ``RunningSandbox``.
- ``smtp_sandbox`` (function): a fresh SMTP server of its own.
- ``webhook_receiver`` (function): a loopback HTTP server that records every POST it gets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from westgear_desk.sandbox.cluster import SandboxCluster, available_systems
from westgear_desk.sandbox.common import FaultSettings, SandboxConfig, SandboxSystem
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sandbox.smtp import SmtpSandbox

SANDBOX_SEED = 4242
SANDBOX_PRODUCTS = 60


@dataclass
class RunningSandbox:
    """One system of the running cluster, with its admin API at hand."""

    name: str
    url: str
    credentials: dict[str, str]
    system: SandboxSystem
    cluster: SandboxCluster

    def set_faults(self, **fields: Any) -> None:
        """Replace this system's fault settings (PUT /_sandbox/faults)."""
        self.cluster.set_faults(self.name, FaultSettings(**fields))

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """What this sandbox received, oldest first, optionally only paths starting with `path`."""
        return self.cluster.requests(self.name, path=path)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call one of this sandbox's admin endpoints (e.g. "/_sandbox/klarna/...")."""
        return httpx.request(method, self.url + path, timeout=10.0, **kwargs)


@pytest.fixture(scope="session")
def sandbox_cluster() -> Iterator[SandboxCluster]:
    """Every available system sandbox plus SMTP, served for the whole test session."""
    config = SandboxConfig(seed=SANDBOX_SEED, products=SANDBOX_PRODUCTS)
    with SandboxCluster(config, available_systems()) as cluster:
        yield cluster


@pytest.fixture
def sandboxes(sandbox_cluster: SandboxCluster) -> SandboxCluster:
    """The session cluster with every system's state and faults reset, and no mail kept."""
    sandbox_cluster.reset()
    return sandbox_cluster


def _running(name: str) -> Callable[[SandboxCluster], RunningSandbox]:
    def fixture(sandboxes: SandboxCluster) -> RunningSandbox:
        return RunningSandbox(
            name=name,
            url=sandboxes.url(name),
            credentials=dict(sandboxes.system(name).credentials),
            system=sandboxes.system(name),
            cluster=sandboxes,
        )

    fixture.__name__ = f"{name}_sandbox"
    fixture.__doc__ = f"The reset {name} sandbox of the session cluster."
    return fixture


sharespine_sandbox = pytest.fixture(_running("sharespine"), name="sharespine_sandbox")
fortnox_sandbox = pytest.fixture(_running("fortnox"), name="fortnox_sandbox")
klarna_sandbox = pytest.fixture(_running("klarna"), name="klarna_sandbox")
postnord_sandbox = pytest.fixture(_running("postnord"), name="postnord_sandbox")
dhl_sandbox = pytest.fixture(_running("dhl"), name="dhl_sandbox")


@pytest.fixture
def smtp_sandbox() -> Iterator[SmtpSandbox]:
    """A fresh SMTP server on its own port (AUTH with its `credentials`)."""
    with SmtpSandbox() as server:
        yield server


@dataclass
class FakeWebhookReceiver:
    """Records every POST it receives; answers `status` (changeable by tests)."""

    url: str = ""
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def _post(self, request: Request) -> Response:
        entry = {
            "path": request.url.path,
            "headers": dict(request.headers),
            "body": await request.body(),
        }
        with self._changed:
            self.received.append(entry)
            self._changed.notify_all()
        return Response(status_code=self.status)

    def app(self) -> Starlette:
        """The receiving ASGI app (any path)."""
        return Starlette(routes=[Route("/{path:path}", self._post, methods=["POST"])])

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until `count` posts arrived; return them all. Raises TimeoutError."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"expected {count} webhook(s), got {len(self.received)}")
            return list(self.received)


@pytest.fixture
def webhook_receiver() -> Iterator[FakeWebhookReceiver]:
    """A loopback HTTP server recording every POST; `url` is its base URL."""
    receiver = FakeWebhookReceiver()
    with SandboxServer(receiver.app()) as server:
        receiver.url = server.url
        yield receiver
