"""`westgear-desk sync catalog --full` on a catalog large enough for the check process.

The production path end to end: the command line's own process spawns the check process
(from `python -m westgear_desk.cli`, whose `__main__` must not run again in the child),
and the run's outcome is the same as checking in-process would give.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from tests.integration.sync.sharespine.catalog_fixtures import Hub, cli_env
from westgear_desk.db.models import Product
from westgear_desk.sandbox import sharespine
from westgear_desk.sandbox.common import SandboxConfig
from westgear_desk.sandbox.server import SandboxServer
from westgear_desk.sync.sharespine.check_process import CHECK_PROCESS_FROM

PRODUCTS = CHECK_PROCESS_FROM  # the smallest run that uses the check process


@pytest.fixture(scope="module")
def big_hub() -> Iterator[Hub]:
    config = SandboxConfig(seed=5, products=PRODUCTS, broken_share=0.02)
    system = sharespine.build(config, variants_per_product=2, prerender=True)
    with SandboxServer(system.app) as server:
        yield Hub(server.url, dict(system.credentials))


def test_a_large_full_refresh_from_the_command_line_uses_the_check_process(
    big_hub: Hub, migrated_sqlite_url: str, tmp_path: Path
) -> None:
    broken = big_hub.broken()
    env = cli_env(big_hub, tmp_path)
    command = [sys.executable, "-m", "westgear_desk.cli", "sync", "catalog", "--full", "--json"]
    done = subprocess.run(
        [*command, "--database-url", migrated_sqlite_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout)
    assert run["status"] == "succeeded"
    assert run["counts"]["fetched"] == PRODUCTS
    assert run["counts"]["quarantined"] == len(broken)
    assert run["counts"]["created"] == PRODUCTS - len(broken)

    logged = "\n".join(p.read_text() for p in (tmp_path / "log").rglob("*") if p.is_file())
    assert "checked in a separate process" in logged
    assert "check process failed" not in logged
    assert "could not start" not in logged

    engine = create_engine(migrated_sqlite_url)
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(Product))
    engine.dispose()
    assert stored == PRODUCTS - len(broken)
