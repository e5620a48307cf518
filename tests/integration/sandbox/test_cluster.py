"""The sandbox cluster and the `westgear-desk sandbox` command, run as a real subprocess."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any

import httpx
import pytest

from tests.helpers.sandboxes import RunningSandbox
from westgear_desk.sandbox import cluster as cluster_module
from westgear_desk.sandbox.cli import PROFILES, fault_profile
from westgear_desk.sandbox.cluster import (
    ALL_SYSTEMS,
    SandboxCluster,
    SandboxUnavailableError,
    available_systems,
    build_system,
)
from westgear_desk.sandbox.common import SandboxConfig

# The credentials each sandbox must hand out, named as the real API names them (issue 4 §3).
CREDENTIAL_NAMES = {
    "sharespine": {"tenant", "connection_id", "username", "password"},
    "fortnox": {"client_id", "client_secret", "tenant_id", "refresh_token"},
    "klarna": {"username", "password"},
    "postnord": {"apikey"},
    "dhl": {"api_key"},
    "smtp": {"username", "password"},
}

# A real API request with wrong credentials, per system: (method, path, headers).
WRONG_CREDENTIALS: dict[str, tuple[str, str, dict[str, str]]] = {
    "sharespine": ("GET", "/api/product", {"Authorization": "Basic d3Jvbmc6d3Jvbmc="}),
    "fortnox": ("GET", "/3/customers", {"Authorization": "Bearer wrong-token"}),
    "klarna": ("GET", "/ordermanagement/v1/orders/no-such", {"Authorization": "Basic eDp5"}),
    "postnord": ("GET", "/rest/shipment/v5/trackandtrace/findByIdentifier.json?id=1&apikey=x", {}),
    "dhl": ("GET", "/track/shipments?trackingNumber=1", {"DHL-API-Key": "wrong"}),
}

SMALL = SandboxConfig(seed=11, products=20)


def _sandbox_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("sandbox-server-")}


@pytest.fixture
def extra_system(monkeypatch: pytest.MonkeyPatch) -> str:
    """A system name the cluster knows but whose sandbox module does not exist."""
    monkeypatch.setattr(cluster_module, "ALL_SYSTEMS", (*ALL_SYSTEMS, "bokio"))
    return "bokio"


def test_unknown_system_is_a_clear_error() -> None:
    with pytest.raises(SandboxUnavailableError, match="unknown sandbox system 'visma'"):
        build_system("visma", SMALL)


def test_missing_module_is_a_clear_error(extra_system: str) -> None:
    with pytest.raises(SandboxUnavailableError, match=r"westgear_desk\.sandbox\.bokio"):
        build_system(extra_system, SMALL)


def test_a_failed_start_stops_what_was_started(extra_system: str) -> None:
    before = _sandbox_threads()
    cluster = SandboxCluster(SMALL, [*available_systems(), extra_system])
    with pytest.raises(SandboxUnavailableError):
        cluster.start()
    assert _sandbox_threads() == before
    assert cluster.urls == {}


def test_cluster_serves_every_available_system(sandboxes: SandboxCluster) -> None:
    described = sandboxes.describe()
    assert set(described) == {*available_systems(), "smtp"}
    for name, entry in described.items():
        assert CREDENTIAL_NAMES[name] <= set(entry), name
        assert all(isinstance(value, str) and value for value in entry.values()), name
        if name == "smtp":
            assert entry["url"] == f"smtp://127.0.0.1:{sandboxes.smtp.port}"
            continue
        assert entry["url"].startswith("http://127.0.0.1:")
        assert httpx.get(entry["url"] + "/_sandbox/faults").status_code == 200
        assert sandboxes.system(name).credentials == {k: v for k, v in entry.items() if k != "url"}


def test_reset_restores_faults(sandboxes: SandboxCluster) -> None:
    name = available_systems()[0]
    sandboxes.set_faults(name, error_rate=1.0)
    url = sandboxes.url(name)
    assert httpx.get(url + "/_sandbox/faults").json()["error_rate"] == 1.0
    sandboxes.reset()
    assert httpx.get(url + "/_sandbox/faults").json()["error_rate"] == 0.0


def test_system_that_is_not_running_is_a_clear_error(sandboxes: SandboxCluster) -> None:
    with pytest.raises(SandboxUnavailableError, match="not running"):
        sandboxes.system("visma")


def test_per_system_fixture_reaches_its_admin_api(sharespine_sandbox: RunningSandbox) -> None:
    url = sharespine_sandbox.url
    method, path, headers = WRONG_CREDENTIALS["sharespine"]
    httpx.request(method, url + path, headers=headers, timeout=5)
    [entry] = sharespine_sandbox.requests(path="/api/")
    assert entry["headers"]["authorization"] == "<redacted>"
    sharespine_sandbox.set_faults(error_rate=1.0, only_paths=["/api/"])
    assert httpx.request(method, url + path, headers=headers, timeout=5).status_code == 503


def test_all_five_systems_exist() -> None:
    assert available_systems() == ALL_SYSTEMS


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_fault_profiles_are_valid(profile: str) -> None:
    assert fault_profile(profile, seed=3).seed == 3


# ----------------------------------------------------------------- the command, as a process


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@pytest.fixture
def sandbox_process() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    systems = ",".join([*available_systems(), "smtp"])
    command = [sys.executable, "-m", "westgear_desk.sandbox.cli", "--systems", systems]
    command += ["--seed", "5", "--products", "25", "--faults", "flaky"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    lines: queue.Queue[str | None] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        first = lines.get(timeout=60)
    except queue.Empty:
        first = None
    if first is None:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"the sandbox printed no JSON line; stderr:\n{err[-2000:]}")
    try:
        yield process, json.loads(first)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_command_prints_one_json_line_and_stops_on_sigterm(
    sandbox_process: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    process, described = sandbox_process
    assert set(described) == {*available_systems(), "smtp"}
    for name, entry in described.items():
        assert CREDENTIAL_NAMES[name] <= set(entry), name
        if name == "smtp":
            assert entry["url"].startswith("smtp://127.0.0.1:")
            continue
        faults = httpx.get(entry["url"] + "/_sandbox/faults", timeout=5).json()
        assert faults == fault_profile("flaky", seed=5).model_dump(mode="json"), name
        httpx.put(entry["url"] + "/_sandbox/faults", json={}, timeout=5).raise_for_status()
        method, path, headers = WRONG_CREDENTIALS[name]
        refused = httpx.request(method, entry["url"] + path, headers=headers, timeout=5)
        assert refused.status_code in (401, 403), (name, refused.status_code, refused.text)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    for name, entry in described.items():
        if name != "smtp":
            with pytest.raises(httpx.ConnectError):
                httpx.get(entry["url"] + "/_sandbox/faults", timeout=2)


def test_command_stops_on_sigint(
    sandbox_process: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    process, _ = sandbox_process
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0


def test_command_refuses_an_unknown_system() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "westgear_desk.sandbox.cli", "--systems", "visma"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown system" in result.stderr
    assert result.stdout == ""
