"""A PostNord sandbox served over loopback for the contract tests, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.postnord.client import PostNordClient
from westgear_desk.sandbox.common import SandboxConfig, SandboxSystem
from westgear_desk.sandbox.postnord import build
from westgear_desk.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def postnord_served() -> Iterator[tuple[SandboxSystem, str, httpx.Client]]:
    system = build(SandboxConfig(seed=7))
    with SandboxServer(system.app) as server, httpx.Client(base_url=server.url) as admin:
        yield system, server.url, admin


@pytest.fixture
def postnord_url(postnord_served: tuple[SandboxSystem, str, httpx.Client]) -> str:
    _, url, admin = postnord_served
    admin.post("/_sandbox/reset").raise_for_status()
    admin.put("/_sandbox/faults", json={}).raise_for_status()
    return url


@pytest.fixture
def apikey(postnord_served: tuple[SandboxSystem, str, httpx.Client]) -> str:
    return postnord_served[0].credentials["apikey"]


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def postnord(postnord_url: str, apikey: str, records: list[CallRecord]) -> Iterator[PostNordClient]:
    with PostNordClient(postnord_url, apikey, recorder=records.append, timeout=5.0) as client:
        yield client
