"""`westgear-desk inbox list|show|replay`, as an admin runs them (replays audited)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers import engine_procs
from westgear_desk.cli import main
from westgear_desk.db.models.admin import AuditEntry
from westgear_desk.sync import flows as flows_module
from westgear_desk.sync.inbox import record


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA", "CONFIG", "LOG"):
        monkeypatch.setenv(f"WESTGEAR_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.delenv("WESTGEAR_DATABASE_URL", raising=False)
    monkeypatch.setenv("WESTGEAR_USER", "admin1")


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_inbox_list_show_and_replay(
    db_url: str,
    session_factory: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    effect_engine = create_engine(db_url)
    engine_procs.create_effect_tables(effect_engine)
    effect_engine.dispose()
    monkeypatch.setattr(flows_module, "ENGINE_MODULES", ["tests.helpers.engine_procs"])
    body = b'{"id": "evt-5", "stock": 4}'
    event_id = record(
        session_factory, "sharespine", "evt-5", {}, body, True, event_type="stock.changed"
    ).event_id
    listed = cli_json(capsys, "inbox", "list", "--database-url", db_url)
    assert [(e["id"], e["status"]) for e in listed] == [(event_id, "received")]  # type: ignore[union-attr]
    replayed = cli_json(
        capsys, "inbox", "replay", str(event_id), "--reason", "check", "--database-url", db_url
    )
    assert isinstance(replayed, dict)
    assert replayed["status"] == "processed"
    assert [(h["is_replay"], h["replayed_by"]) for h in replayed["history"]] == [(True, "admin1")]
    assert main(["inbox", "show", str(event_id), "--database-url", db_url]) == 0
    assert "admin1" in capsys.readouterr().out
    assert main(["inbox", "replay", "999", "--database-url", db_url]) == 2
    assert "does not exist" in capsys.readouterr().err
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.username, entry.reason) == ("inbox.replay", "admin1", "check")


def test_inbox_replay_without_a_processor_is_refused(
    db_url: str, session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    event_id = record(
        session_factory, "klarna", "k-1", {}, b"{}", True, event_type="order.captured"
    ).event_id
    assert main(["inbox", "replay", str(event_id), "--database-url", db_url]) == 2
    assert "no processor for klarna/order.captured" in capsys.readouterr().err
