"""`westgear-desk sync catalog` and `quarantine list|show|release|ignore` as an admin runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.integration.sync.sharespine.catalog_fixtures import (
    PRODUCTS,
    Hub,
    cli_env,
    reset_hub,
    serve_hub,
)
from westgear_desk.db.models import AuditEntry, SyncRun


@pytest.fixture(scope="module")
def hub_server() -> Iterator[Hub]:
    """A catalog sandbox for this module."""
    yield from serve_hub()


@pytest.fixture
def hub(hub_server: Hub) -> Hub:
    return reset_hub(hub_server)


def _run(
    args: list[str], tmp_path: Path, hub: Hub, db_url: str
) -> subprocess.CompletedProcess[str]:
    env = cli_env(hub, tmp_path)
    command = [sys.executable, "-m", "westgear_desk.cli", *args, "--database-url", db_url]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=180, check=False
    )


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sync_then_resolve_quarantine_from_the_command_line(
    hub: Hub, db_url: str, tmp_path: Path
) -> None:
    broken = hub.broken()
    run = _json(_run(["sync", "catalog", "--full", "--json"], tmp_path, hub, db_url))
    assert run["status"] == "succeeded"
    assert run["schedule"] == "full_refresh"
    assert run["counts"]["fetched"] == PRODUCTS
    assert run["counts"]["quarantined"] == len(broken)

    entries = _json(_run(["quarantine", "list", "--json"], tmp_path, hub, db_url))
    assert {e["external_id"] for e in entries} == set(broken)
    first, second = entries[0], entries[1]

    shown = _run(["quarantine", "show", str(first["id"])], tmp_path, hub, db_url)
    assert shown.returncode == 0
    assert first["reasons"][0]["code"] in shown.stdout
    assert first["reasons"][0]["message_sv"] in shown.stdout  # the desk speaks Swedish
    assert first["external_id"] in shown.stdout

    released = _run(
        ["quarantine", "release", str(first["id"]), "--reason", "kontrollerad", "--actor", "anna"],
        tmp_path,
        hub,
        db_url,
    )
    ignored = _run(
        ["quarantine", "ignore", str(second["id"]), "--reason", "utgår", "--actor", "anna"],
        tmp_path,
        hub,
        db_url,
    )
    missing = _run(["quarantine", "release", "999999", "--reason", "x"], tmp_path, hub, db_url)
    assert released.returncode == 0, released.stderr
    assert "released" in released.stdout
    assert ignored.returncode == 0
    assert missing.returncode == 2
    assert "999999" in missing.stderr

    left = _json(_run(["quarantine", "list", "--json"], tmp_path, hub, db_url))
    assert {e["external_id"] for e in left} == set(broken) - {
        first["external_id"],
        second["external_id"],
    }
    incremental = _json(_run(["sync", "catalog", "--json"], tmp_path, hub, db_url))
    assert incremental["schedule"] == "catalog"
    assert incremental["status"] == "succeeded"

    engine = create_engine(db_url)
    with Session(engine) as session:
        audits = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        schedules = sorted(session.scalars(select(SyncRun.schedule)))
    engine.dispose()
    assert [(a.username, a.action, a.reason) for a in audits] == [
        ("anna", "quarantine.release", "kontrollerad"),
        ("anna", "quarantine.ignore", "utgår"),
    ]
    assert schedules == ["catalog", "full_refresh"]
