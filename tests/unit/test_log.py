"""The JSON-lines log carries time, level, correlation id and extras, redacted, once per record."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from westgear_desk.log import (
    LOG_FILE_NAME,
    configure_logging,
    correlation_scope,
    current_correlation_id,
    new_correlation_id,
    reset_logging,
)


@pytest.fixture(autouse=True)
def clean_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    reset_logging()
    root.setLevel(level)


def read_records(path: Path) -> list[dict[str, Any]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.rstrip("\n").split("\n") if line]


def test_correlation_scope_sets_and_restores() -> None:
    assert current_correlation_id() is None
    with correlation_scope("outer-1") as outer:
        assert outer == "outer-1"
        assert current_correlation_id() == "outer-1"
        with correlation_scope() as inner:
            assert inner != "outer-1"
            assert current_correlation_id() == inner
        assert current_correlation_id() == "outer-1"
    assert current_correlation_id() is None


def test_correlation_scope_restores_after_an_exception() -> None:
    with pytest.raises(RuntimeError), correlation_scope("c-1"):
        raise RuntimeError
    assert current_correlation_id() is None


def test_correlation_ids_are_short_unique_hex() -> None:
    ids = {new_correlation_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(cid) == 12 and int(cid, 16) >= 0 for cid in ids)


def test_correlation_id_does_not_leak_between_threads() -> None:
    seen: list[str | None] = []
    with correlation_scope("main-thread"):
        worker = threading.Thread(target=lambda: seen.append(current_correlation_id()))
        worker.start()
        worker.join()
    assert seen == [None]


def test_json_lines_carry_time_level_logger_message_correlation_and_extras(
    tmp_path: Path,
) -> None:
    log_file = configure_logging(tmp_path / "logs", console=False)
    assert log_file == tmp_path / "logs" / LOG_FILE_NAME
    logger = logging.getLogger("westgear_desk.sync.test")
    before = datetime.now(UTC)
    with correlation_scope("abc123def456"):
        logger.info("order %s synced in %d ms", "WG-1001", 42, extra={"system": "fortnox"})
    logger.warning("outside any scope")
    first, second = read_records(log_file)
    ts = datetime.fromisoformat(first["ts"])
    assert ts.tzinfo is not None
    assert ts.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= ts <= datetime.now(UTC)
    assert first["level"] == "INFO"
    assert first["logger"] == "westgear_desk.sync.test"
    assert first["message"] == "order WG-1001 synced in 42 ms"
    assert first["correlation_id"] == "abc123def456"
    assert first["system"] == "fortnox"
    assert second["correlation_id"] is None
    assert second["level"] == "WARNING"


def test_explicit_correlation_id_in_extra_wins(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path, console=False)
    assert log_file is not None
    with correlation_scope("ambient"):
        logging.getLogger("t").info("webhook", extra={"correlation_id": "from-event"})
    assert read_records(log_file)[0]["correlation_id"] == "from-event"


def test_secrets_and_personal_data_are_redacted_in_file_and_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = configure_logging(tmp_path, console=True)
    assert log_file is not None
    logger = logging.getLogger("westgear_desk.integrations.test")
    logger.info(
        "POST /token for %s failed: Authorization: Bearer eyJhbGciOi.J9abc.def",
        "kalle@example.se",
        extra={"customer": {"Email": "kalle@example.se", "Phone1": "070-123 45 67"}},
    )
    logger.info({"refresh_token": "rt-very-secret", "OrderNumber": "1001"})
    logger.info("by mapping %(who)s", {"who": "anna@example.se"})
    try:
        raise ValueError("client_secret=cs-very-secret rejected")
    except ValueError:
        logger.exception("token refresh failed for 811218-9876")
    file_text = log_file.read_text(encoding="utf-8")
    console_text = capsys.readouterr().err
    for text in (file_text, console_text):
        for leaked in ("kalle@example.se", "anna@example.se", "070-123 45 67", "eyJhbGciOi"):
            assert leaked not in text
        for leaked in ("rt-very-secret", "cs-very-secret", "811218-9876"):
            assert leaked not in text
    records = read_records(log_file)
    assert records[0]["customer"] == {"Email": "[personal]", "Phone1": "[personal]"}
    assert "1001" in records[1]["message"]
    assert records[2]["message"] == "by mapping [email]"
    assert "client_secret=[secret]" in records[3]["exception"]
    assert "ValueError" in records[3]["exception"]
    assert "INFO" in console_text
    assert "westgear_desk.integrations.test" in console_text


def test_configure_twice_does_not_duplicate_lines(tmp_path: Path) -> None:
    configure_logging(tmp_path, console=True)
    log_file = configure_logging(tmp_path, console=True)
    assert log_file is not None
    logging.getLogger("t").warning("once")
    assert [r["message"] for r in read_records(log_file)] == ["once"]
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_westgear", False)]
    assert len(ours) == 2


def test_reconfigure_moves_the_file_and_honours_level(tmp_path: Path) -> None:
    configure_logging(tmp_path / "a", console=False)
    log_file = configure_logging(tmp_path / "b", console=False, level="WARNING")
    assert log_file is not None
    logging.getLogger("t").info("hidden")
    logging.getLogger("t").error("shown")
    assert [r["message"] for r in read_records(log_file)] == ["shown"]
    assert read_records_or_empty(tmp_path / "a" / LOG_FILE_NAME) == []


def read_records_or_empty(path: Path) -> list[dict[str, Any]]:
    return read_records(path) if path.exists() and path.stat().st_size else []


def test_default_log_dir_comes_from_env_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WESTGEAR_LOG_DIR", str(tmp_path / "envlogs"))
    log_file = configure_logging(console=False)
    assert log_file == tmp_path / "envlogs" / LOG_FILE_NAME
    logging.getLogger("t").warning("here")
    assert read_records(log_file)[0]["message"] == "here"


def test_no_file_when_json_file_is_off(tmp_path: Path) -> None:
    assert configure_logging(tmp_path, console=True, json_file=False) is None
    logging.getLogger("t").warning("console only")
    assert list(tmp_path.iterdir()) == []


def test_bad_format_args_do_not_crash_logging(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path, console=False)
    assert log_file is not None
    logger = logging.getLogger("t")
    broken = logger.makeRecord(
        "t", logging.WARNING, __file__, 1, "needs two %s %s", ("x@y.se",), None
    )
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_westgear", False):  # pytest's own capture handler would raise
            handler.handle(broken)
    (record,) = read_records(log_file)
    assert "x@y.se" not in record["message"]
    assert "needs two" in record["message"]
