"""`westgear-desk serve-webhooks` as a real process: schema check, secrets from env, intake."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from westgear_desk.credentials import env_var_for
from westgear_desk.db.models import InboxEvent
from westgear_desk.db.session import create_engine_for, make_session_factory

from .conftest import SHARESPINE_SECRET, notification, signed

START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(database_url: str, port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        env_var_for("sharespine.webhook_secret"): SHARESPINE_SECRET,
        "WESTGEAR_LOG_DIR": str(tmp_path / "logs"),
    }
    command = [sys.executable, "-m", "westgear_desk.cli", "serve-webhooks",
               "--database-url", database_url, "--host", "127.0.0.1", "--port", str(port),
               "--max-body-bytes", "4096"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"serve-webhooks exited early: {err.decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail("serve-webhooks did not answer /healthz in time")


@pytest.fixture
def server(migrated_sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = serve(migrated_sqlite_url, port, tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serves_signed_webhooks_into_the_inbox(server: str, migrated_sqlite_url: str) -> None:
    body = notification()
    assert (
        httpx.post(f"{server}/webhooks/sharespine", content=body, headers=signed(body)).status_code
        == 200
    )
    forged = httpx.post(f"{server}/webhooks/sharespine", content=body, headers=signed(body, "x"))
    assert forged.status_code == 401
    big = b"{" + b" " * 5000 + b"}"
    assert (
        httpx.post(f"{server}/webhooks/sharespine", content=big, headers=signed(big)).status_code
        == 413
    )
    klarna = httpx.post(
        f"{server}/webhooks/klarna", content=b"{}", headers={"Klarna-Signature": "00"}
    )
    assert klarna.status_code == 503  # no Klarna signing key configured: refused, kept unverified

    engine = create_engine_for(migrated_sqlite_url)
    try:
        with make_session_factory(engine)() as session:
            stored = [
                (e.source, e.signature_ok)
                for e in session.scalars(select(InboxEvent).order_by(InboxEvent.id))
            ]
    finally:
        engine.dispose()
    assert stored == [("sharespine", True), ("sharespine", False), ("klarna", False)]


def test_refuses_a_database_without_the_schema(sqlite_url: str, tmp_path: Path) -> None:
    process = serve(sqlite_url, free_port(), tmp_path)
    try:
        _, err = process.communicate(timeout=START_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0
    assert b"migrat" in err.lower()
