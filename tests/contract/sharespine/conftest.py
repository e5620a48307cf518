"""A Sharespine sandbox with a small, defect-rich catalog of its own (seed 17), reset per test.

Not the shared cluster fixture: these tests need a known seed, size and broken share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.sharespine.client import SharespineClient, SharespineCredentials
from westgear_desk.sandbox.common import SandboxConfig, SandboxSystem
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sandbox.sharespine import build

PRODUCTS = 120
BROKEN_SHARE = 0.2


@pytest.fixture(scope="module")
def seeded_sharespine() -> Iterator[tuple[SandboxSystem, str]]:
    system = build(SandboxConfig(seed=17, products=PRODUCTS, broken_share=BROKEN_SHARE))
    with SandboxServer(system.app) as server:
        yield system, server.url


@pytest.fixture
def sharespine_url(seeded_sharespine: tuple[SandboxSystem, str]) -> str:
    _, url = seeded_sharespine
    httpx.post(f"{url}/_sandbox/reset").raise_for_status()
    httpx.put(f"{url}/_sandbox/faults", json={}).raise_for_status()
    return url


@pytest.fixture
def credentials(seeded_sharespine: tuple[SandboxSystem, str]) -> SharespineCredentials:
    c = seeded_sharespine[0].credentials
    return SharespineCredentials(c["tenant"], c["connection_id"], c["username"], c["password"])


@pytest.fixture
def auth_headers(seeded_sharespine: tuple[SandboxSystem, str]) -> dict[str, str]:
    c = seeded_sharespine[0].credentials
    token = httpx.BasicAuth(c["username"], c["password"])
    request = next(token.auth_flow(httpx.Request("GET", "http://x")))
    return {
        "Authorization": request.headers["Authorization"],
        "X-Tenant": c["tenant"],
        "X-ConnectionId": c["connection_id"],
    }


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def client(
    sharespine_url: str, credentials: SharespineCredentials, records: list[CallRecord]
) -> Iterator[SharespineClient]:
    with SharespineClient(sharespine_url, credentials, recorder=records.append, timeout=5.0) as c:
        yield c


@pytest.fixture
def set_faults(sharespine_url: str) -> Callable[..., None]:
    def apply(**faults: object) -> None:
        httpx.put(f"{sharespine_url}/_sandbox/faults", json=faults).raise_for_status()

    return apply
