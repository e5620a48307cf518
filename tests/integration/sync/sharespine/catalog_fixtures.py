"""A Sharespine sandbox with many broken products, and a CatalogSync on the test database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db.enums import QuarantineStatus, SourceSystem
from westgear_desk.db.models import Product, QuarantineEntry
from westgear_desk.integrations.sharespine.client import SharespineClient, SharespineCredentials
from westgear_desk.sandbox import sharespine
from westgear_desk.sandbox.common import FaultSettings, SandboxConfig
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sync.sharespine.catalog_pages import CatalogSync

PRODUCTS = 120
BROKEN_SHARE = 0.25
PAGE_SIZE = 10

#: The sandbox's BrokenKind tags and the reason code each must produce.
EXPECTED_CODES = {
    "missing_sku": "missing_sku",
    "missing_name": "missing_name",
    "missing_vat": "missing_vat_rate",
    "missing_price": "missing_price",
    "variant_missing_parent": "variant_without_parent",
    "variant_inconsistent_attributes": "variant_attributes_inconsistent",
    "invalid_gtin": "invalid_gtin",
    "vat_mismatch": "vat_mismatch",
    "negative_stock": "negative_stock",
    "campaign_without_validity": "campaign_without_validity",
    "campaign_above_list": "campaign_above_list",
    "unknown_currency": "unknown_currency",
    "duplicate_sku": "duplicate_sku",
    "unknown_field": "schema_unknown_field",
}


@dataclass
class Hub:
    """The running catalog sandbox and its admin calls."""

    url: str
    credentials: dict[str, str]

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.url}/_sandbox{path}", timeout=10.0, **kwargs)
        response.raise_for_status()
        return response

    def faults(self, **fields: Any) -> None:
        self.admin("PUT", "/faults", json=FaultSettings(**fields).model_dump(mode="json"))

    def broken(self) -> dict[str, set[str]]:
        listed = self.admin("GET", "/sharespine/broken").json()
        return {b["remoteId"]: set(b["broken"]) for b in listed}

    def requests(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.admin("GET", "/requests").json()["requests"]
        return entries

    def client(self) -> SharespineClient:
        c = self.credentials
        return SharespineClient(
            self.url,
            SharespineCredentials(c["tenant"], c["connection_id"], c["username"], c["password"]),
        )


def serve_hub() -> Iterator[Hub]:
    """Serve a catalog sandbox: 120 products, about a quarter of them broken."""
    config = SandboxConfig(seed=7, products=PRODUCTS, broken_share=BROKEN_SHARE)
    system = sharespine.build(config)
    with SandboxServer(system.app) as server:
        yield Hub(server.url, dict(system.credentials))


def cli_env(hub: Hub, tmp_path: Path) -> dict[str, str]:
    """Environment for `python -m westgear_desk.cli` against `hub` (secrets from variables)."""
    env = {
        **os.environ,
        "WESTGEAR_DATA_DIR": str(tmp_path / "data"),
        "WESTGEAR_CONFIG_DIR": str(tmp_path / "config"),
        "WESTGEAR_LOG_DIR": str(tmp_path / "log"),
        "PYTHON_KEYRING_BACKEND": "westgear_desk.credentials.MemoryKeyring",
        "WESTGEAR_INTEGRATIONS__SHARESPINE__BASE_URL": hub.url + "/api",
        **{
            f"WESTGEAR_SECRET_SHARESPINE_{name.upper()}": hub.credentials[name]
            for name in ("tenant", "connection_id", "username", "password")
        },
    }
    env.pop("WESTGEAR_DATABASE_URL", None)
    return env


def reset_hub(hub: Hub) -> Hub:
    """Back to the seed, no faults, an empty request log."""
    hub.admin("POST", "/reset")
    hub.faults()
    hub.admin("DELETE", "/requests")
    return hub


@pytest.fixture(scope="module")
def hub_server() -> Iterator[Hub]:
    """One catalog sandbox per module."""
    yield from serve_hub()


@pytest.fixture
def hub(hub_server: Hub) -> Hub:
    """The module's sandbox, reset."""
    return reset_hub(hub_server)


@pytest.fixture(params=["checked_here", "check_process"])
def catalog(
    request: pytest.FixtureRequest, hub: Hub, session_factory: sessionmaker[Session]
) -> Iterator[CatalogSync]:
    """A CatalogSync of 10-product pages against the hub.

    Every test runs twice: with pages parsed and checked in this process (as small runs
    are), and with the check process (as runs of thousands of products are).
    """
    client = hub.client()
    check_process_from = 1 if request.param == "check_process" else None
    yield CatalogSync(
        session_factory, client, page_size=PAGE_SIZE, check_process_from=check_process_from
    )
    client.close()


def open_entries(session: Session) -> dict[str, set[str]]:
    """Open product quarantine entries: external id -> reason codes."""
    rows = session.scalars(
        select(QuarantineEntry).where(QuarantineEntry.status == QuarantineStatus.OPEN)
    )
    return {e.external_id: {r["code"] for r in e.reasons} for e in rows}


def published_ids(session: Session) -> set[str]:
    """External ids of the products the shop shows."""
    return set(
        session.scalars(
            select(Product.external_id).where(
                Product.source_system == SourceSystem.SHARESPINE,
                Product.published.is_(True),
                Product.active.is_(True),
            )
        )
    )


def product_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Product)) or 0)
