"""Session-wide test setup: Qt off screen, no real keyring, and the shared fixtures."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

# Before anything imports Qt: widgets render off screen in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never let a test reach the user's real keyring: anything not routed to the in-memory
# backend below fails loudly instead.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
# Never let a test read or write the user's real data, config or log directories.
_SANDBOX_HOME = tempfile.mkdtemp(prefix="westgear-tests-")
atexit.register(shutil.rmtree, _SANDBOX_HOME, ignore_errors=True)
for _name in ("DATA", "CONFIG", "LOG"):
    os.environ[f"WESTGEAR_{_name}_DIR"] = os.path.join(_SANDBOX_HOME, _name.lower())
os.environ.pop("WESTGEAR_DATABASE_URL", None)


# Fixture modules in tests/helpers, available to every test.
pytest_plugins = ["tests.helpers.databases", "tests.helpers.sandboxes"]


def pytest_configure(config: pytest.Config) -> None:
    """Make an in-memory keyring the process-wide backend for the whole session."""
    del config
    from westgear_desk.credentials import install_memory_keyring

    install_memory_keyring()
