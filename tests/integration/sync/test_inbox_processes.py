"""One webhook delivered many times, concurrently from several processes: one event, one effect."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tests.helpers import engine_procs

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BODY = '{"id": "evt-77", "sku": "LJ-100", "stock": 3}'


@pytest.fixture
def pg(migrated_pg_url: str) -> Iterator[Engine]:
    engine = create_engine(migrated_pg_url, poolclass=NullPool)
    engine_procs.create_effect_tables(engine)
    yield engine
    engine.dispose()


def outputs(procs: list[subprocess.Popen[str]]) -> list[int]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        results.append(int(out.strip()))
    return results


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_ten_deliveries_from_each_of_four_processes_make_one_event_and_one_effect(
    pg: Engine, migrated_pg_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    writers = [
        engine_procs.start(
            "webhooks",
            migrated_pg_url,
            "--times",
            "10",
            "--key",
            "evt-77",
            "--body",
            BODY,
            "--go",
            str(go),
        )
        for _ in range(4)
    ]
    go.touch()
    assert sum(outputs(writers)) == 1  # exactly one delivery was new, 39 were duplicates
    assert count(pg, "SELECT count(*) FROM inbox_events") == 1

    go2 = tmp_path / "go2"
    processors = [
        engine_procs.start("process-inbox", migrated_pg_url, "--desk", f"desk{n}", "--go", str(go2))
        for n in range(3)
    ]
    go2.touch()
    assert sum(outputs(processors)) == 1  # processed once, by one of the three desks
    assert count(pg, "SELECT count(*) FROM test_effects") == 1
    assert count(pg, "SELECT count(*) FROM test_runs") == 1
    assert count(pg, "SELECT count(*) FROM inbox_events WHERE status = 'processed'") == 1


def test_body_hash_dedupes_across_processes_when_the_provider_sends_no_id(
    pg: Engine, migrated_pg_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    writers = [
        engine_procs.start(
            "webhooks", migrated_pg_url, "--times", "10", "--body", BODY, "--go", str(go)
        )
        for _ in range(3)
    ]
    go.touch()
    assert sum(outputs(writers)) == 1
    assert count(pg, "SELECT count(*) FROM inbox_events WHERE dedupe_key LIKE 'sha256:%'") == 1
