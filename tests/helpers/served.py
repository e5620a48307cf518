"""One system sandbox served on loopback for a contract test module, with its admin API at hand.

The contract tests serve only the system they test (not the whole cluster), so a per-test reset
is cheap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from westgear_desk.sandbox.common import FaultSettings, SandboxConfig, SandboxSystem
from westgear_desk.sandbox.server import SandboxServer

CONTRACT_SEED = 7


@dataclass
class ServedSandbox:
    """One served sandbox app and its admin API."""

    url: str
    credentials: dict[str, str]

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, timeout=10.0, **kwargs)

    def set_faults(self, **fields: Any) -> None:
        body = FaultSettings(**fields).model_dump(mode="json")
        self.admin("PUT", "/_sandbox/faults", json=body).raise_for_status()

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        params = {"path": path} if path else None
        response = self.admin("GET", "/_sandbox/requests", params=params)
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()["requests"]
        return entries

    def reset(self) -> None:
        """Forget every booking, order and request, and switch all faults off."""
        self.admin("POST", "/_sandbox/reset").raise_for_status()
        self.admin("PUT", "/_sandbox/faults", json={}).raise_for_status()


ServedT = TypeVar("ServedT", bound=ServedSandbox)


@contextlib.contextmanager
def serve(
    build: Callable[[SandboxConfig], SandboxSystem], kind: type[ServedT]
) -> Iterator[ServedT]:
    """Serve the sandbox `build` makes (seed `CONTRACT_SEED`) as a `kind` until the block ends."""
    system = build(SandboxConfig(seed=CONTRACT_SEED))
    with SandboxServer(system.app) as server:
        yield kind(server.url, dict(system.credentials))
