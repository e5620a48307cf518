"""A DHL sandbox served over loopback for the contract tests, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.dhl.client import DhlClient
from westgear_desk.sandbox.common import SandboxConfig, SandboxSystem
from westgear_desk.sandbox.dhl import build
from westgear_desk.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def dhl_served() -> Iterator[tuple[SandboxSystem, str, httpx.Client]]:
    system = build(SandboxConfig(seed=7))
    with SandboxServer(system.app) as server, httpx.Client(base_url=server.url) as admin:
        yield system, server.url, admin


@pytest.fixture
def dhl_url(dhl_served: tuple[SandboxSystem, str, httpx.Client]) -> str:
    _, url, admin = dhl_served
    admin.post("/_sandbox/reset").raise_for_status()
    admin.put("/_sandbox/faults", json={}).raise_for_status()
    return url


@pytest.fixture
def api_key(dhl_served: tuple[SandboxSystem, str, httpx.Client]) -> str:
    return dhl_served[0].credentials["api_key"]


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def dhl(dhl_url: str, api_key: str, records: list[CallRecord]) -> Iterator[DhlClient]:
    with DhlClient(dhl_url, api_key, recorder=records.append, timeout=5.0) as client:
        yield client
