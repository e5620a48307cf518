"""A PostNord sandbox served over loopback for the contract tests, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.served import ServedSandbox, serve
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.postnord.client import PostNordClient
from westgear_desk.sandbox.postnord import build


@pytest.fixture(scope="module")
def postnord_served() -> Iterator[ServedSandbox]:
    with serve(build, ServedSandbox) as served:
        yield served


@pytest.fixture
def postnord_url(postnord_served: ServedSandbox) -> str:
    postnord_served.reset()
    return postnord_served.url


@pytest.fixture
def apikey(postnord_served: ServedSandbox) -> str:
    return postnord_served.credentials["apikey"]


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def postnord(postnord_url: str, apikey: str, records: list[CallRecord]) -> Iterator[PostNordClient]:
    with PostNordClient(postnord_url, apikey, recorder=records.append, timeout=5.0) as client:
        yield client
