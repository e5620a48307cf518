"""A DHL sandbox served over loopback for the contract tests, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.served import ServedSandbox, serve
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.dhl.client import DhlClient
from westgear_desk.sandbox.dhl import build


@pytest.fixture(scope="module")
def dhl_served() -> Iterator[ServedSandbox]:
    with serve(build, ServedSandbox) as served:
        yield served


@pytest.fixture
def dhl_url(dhl_served: ServedSandbox) -> str:
    dhl_served.reset()
    return dhl_served.url


@pytest.fixture
def api_key(dhl_served: ServedSandbox) -> str:
    return dhl_served.credentials["api_key"]


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def dhl(dhl_url: str, api_key: str, records: list[CallRecord]) -> Iterator[DhlClient]:
    with DhlClient(dhl_url, api_key, recorder=records.append, timeout=5.0) as client:
        yield client
