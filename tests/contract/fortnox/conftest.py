"""A Fortnox sandbox of its own (reset before each test) and clients wired to it.

Only the Fortnox app is served (not the whole cluster), so a per-test reset is cheap; each
test gets a fresh limiter shared by all its clients, because the sandbox's rate window is
reset with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.helpers.served import ServedSandbox, serve
from westgear_desk.integrations.calllog import CallRecord
from westgear_desk.integrations.fortnox.auth import FortnoxCredentials
from westgear_desk.integrations.fortnox.client import FortnoxClient
from westgear_desk.integrations.fortnox.ratelimit import SlidingWindowLimiter
from westgear_desk.sandbox.fortnox import build

MakeClient = Callable[..., FortnoxClient]


@pytest.fixture(scope="module")
def served_fortnox() -> Iterator[ServedSandbox]:
    with serve(build, ServedSandbox) as served:
        yield served


@pytest.fixture
def fortnox_sandbox(served_fortnox: ServedSandbox) -> ServedSandbox:
    served_fortnox.reset()
    return served_fortnox


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def issued_refresh_tokens() -> list[str]:
    """Every new refresh token a client handed back (what the desk would store)."""
    return []


@pytest.fixture
def make_client(
    fortnox_sandbox: ServedSandbox,
    records: list[CallRecord],
    issued_refresh_tokens: list[str],
) -> Iterator[MakeClient]:
    """Build clients on the refresh-token grant by default; closes them after the test."""
    made: list[FortnoxClient] = []
    limiter = SlidingWindowLimiter()
    creds = fortnox_sandbox.credentials

    def make(**overrides: object) -> FortnoxClient:
        credentials = FortnoxCredentials(
            client_id=str(overrides.pop("client_id", creds["client_id"])),
            client_secret=str(overrides.pop("client_secret", creds["client_secret"])),
            tenant_id=overrides.pop("tenant_id", None),  # type: ignore[arg-type]
            refresh_token=overrides.pop("refresh_token", creds["refresh_token"]),  # type: ignore[arg-type]
        )
        options: dict[str, object] = {
            "on_refresh_token": issued_refresh_tokens.append,
            "recorder": records.append,
            "timeout": 5.0,
            "limiter": limiter,
        }
        options.update(overrides)
        client = FortnoxClient(fortnox_sandbox.url, credentials, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def fortnox(make_client: MakeClient) -> FortnoxClient:
    return make_client()
