"""`westgear-desk jobs list|show|retry|discard`, as an admin runs them (audited)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.cli import main
from westgear_desk.db.models.admin import AuditEntry
from westgear_desk.db.models.engine import Job
from westgear_desk.errors import DataError
from westgear_desk.sync.job_worker import JobWorker
from westgear_desk.sync.jobs import JobContext, JobRegistry, enqueue
from westgear_desk.sync.retry import PolicyResolver


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA", "CONFIG", "LOG"):
        monkeypatch.setenv(f"WESTGEAR_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.delenv("WESTGEAR_DATABASE_URL", raising=False)
    monkeypatch.setenv("WESTGEAR_USER", "admin1")


def refuse(context: JobContext) -> None:
    raise DataError("Fortnox: customer 17 does not exist", status_code=400)


@pytest.fixture
def dead_job(session_factory: sessionmaker[Session]) -> int:
    with session_factory.begin() as session:
        job_id = enqueue(session, "fortnox.invoice", {"customer": "17"}, "invoice:A-1", "cid-9")
        enqueue(session, "smtp.send", {"template": "shipped"}, "mail:A-1", "cid-9")
    registry = JobRegistry()
    registry.register("fortnox.invoice", refuse)
    JobWorker(session_factory, registry, desk_id="d1", policies=PolicyResolver()).run_once()
    return job_id


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_list_and_show_jobs(db_url: str, dead_job: int, capsys: pytest.CaptureFixture[str]) -> None:
    listed = cli_json(capsys, "jobs", "list", "--database-url", db_url)
    assert isinstance(listed, list)
    assert [(j["kind"], j["status"]) for j in listed] == [
        ("smtp.send", "pending"),
        ("fortnox.invoice", "dead"),
    ]
    dead = cli_json(capsys, "jobs", "list", "--status", "dead", "--database-url", db_url)
    assert [j["id"] for j in dead] == [dead_job]  # type: ignore[union-attr]
    shown = cli_json(capsys, "jobs", "show", str(dead_job), "--database-url", db_url)
    assert isinstance(shown, dict)
    assert shown["payload"] == {"customer": "17"}
    assert shown["last_error_class"] == "DataError"
    [attempt] = shown["history"]
    assert (attempt["outcome"], attempt["http_status"], attempt["error_category"]) == (
        "dead",
        400,
        "data",
    )
    assert main(["jobs", "list", "--database-url", db_url]) == 0
    table = capsys.readouterr().out
    assert "fortnox.invoice" in table
    assert "DataError" in table
    assert main(["jobs", "show", str(dead_job), "--database-url", db_url]) == 0
    assert "Fortnox: customer 17 does not exist" in capsys.readouterr().out


def test_retry_with_edited_payload_from_the_command_line_is_audited(
    db_url: str,
    dead_job: int,
    session_factory: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text('{"customer": "18"}', encoding="utf-8")
    result = cli_json(
        capsys,
        "jobs",
        "retry",
        str(dead_job),
        "--reason",
        "customer merged",
        "--payload-file",
        str(payload),
        "--database-url",
        db_url,
    )
    assert result == {**result, "id": dead_job, "status": "pending"}  # type: ignore[dict-item]
    with session_factory() as session:
        job = session.get_one(Job, dead_job)
        entry = session.scalars(select(AuditEntry)).one()
    assert (job.status, job.payload, job.retry_base) == ("pending", {"customer": "18"}, 1)
    assert (entry.username, entry.action, entry.target_id, entry.reason) == (
        "admin1",
        "job.retry",
        str(dead_job),
        "customer merged",
    )
    assert entry.details["payload_changed_fields"] == ["customer"]


def test_discard_from_the_command_line_and_refusals(
    db_url: str,
    dead_job: int,
    session_factory: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--database-url", db_url, "--user", "admin2"]
    assert main(["jobs", "discard", str(dead_job), "--reason", "sent by hand", *args]) == 0
    assert "discarded" in capsys.readouterr().out
    assert main(["jobs", "discard", str(dead_job), "--reason", "again", *args]) == 2
    assert "only dead or pending jobs" in capsys.readouterr().err
    assert main(["jobs", "retry", "424242", "--reason", "x", *args]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["jobs", "retry", str(dead_job), "--reason", "x", "--payload", "[1]", *args]) == 2
    assert "JSON object" in capsys.readouterr().err
    with session_factory() as session:
        actions = [(a.username, a.action) for a in session.scalars(select(AuditEntry))]
    assert actions == [("admin2", "job.discard")]  # refused actions leave no audit trace


@pytest.mark.postgres
def test_retry_as_a_separate_process(migrated_pg_url: str, tmp_path: Path) -> None:
    from westgear_desk.db.session import create_engine_for, make_session_factory

    engine = create_engine_for(migrated_pg_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        job_id = enqueue(session, "fortnox.invoice", {"customer": "17"}, "invoice:B-1")
    registry = JobRegistry()
    registry.register("fortnox.invoice", refuse)
    JobWorker(factory, registry, desk_id="d1", policies=PolicyResolver()).run_once()
    env = {
        **os.environ,
        "WESTGEAR_USER": "ops-anna",
        "WESTGEAR_DATA_DIR": str(tmp_path / "d"),
        "WESTGEAR_CONFIG_DIR": str(tmp_path / "c"),
        "WESTGEAR_LOG_DIR": str(tmp_path / "l"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "westgear_desk.cli",
            "jobs",
            "retry",
            str(job_id),
            "--reason",
            "provider fixed",
            "--database-url",
            migrated_pg_url,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "pending"
    with factory() as session:
        entry = session.scalars(select(AuditEntry)).one()
    engine.dispose()
    assert (entry.username, entry.action, entry.reason) == (
        "ops-anna",
        "job.retry",
        "provider fixed",
    )


def test_empty_lists_say_so(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "list", "--database-url", db_url]) == 0
    assert "(none)" in capsys.readouterr().out
    assert main(["inbox", "list", "--database-url", db_url]) == 0
    assert "(none)" in capsys.readouterr().out
    assert cli_json(capsys, "jobs", "list", "--database-url", db_url) == []
