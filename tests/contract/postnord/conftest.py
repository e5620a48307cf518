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
def postnord_sandbox() -> Iterator[tuple[SandboxSystem, str]]:
    system = build(SandboxConfig(seed=7))
    with SandboxServer(system.app) as server:
        yield system, server.url


@pytest.fixture
def postnord_url(postnord_sandbox: tuple[SandboxSystem, str]) -> str:
    _, url = postnord_sandbox
    httpx.post(f"{url}/_sandbox/reset").raise_for_status()
    httpx.put(f"{url}/_sandbox/faults", json={}).raise_for_status()
    return url


@pytest.fixture
def apikey(postnord_sandbox: tuple[SandboxSystem, str]) -> str:
    return postnord_sandbox[0].credentials["apikey"]


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def postnord(postnord_url: str, apikey: str, records: list[CallRecord]) -> Iterator[PostNordClient]:
    with PostNordClient(postnord_url, apikey, recorder=records.append, timeout=5.0) as client:
        yield client
