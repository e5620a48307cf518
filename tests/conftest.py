"""Session-wide test setup: Qt off screen, no real keyring, and the shared fixtures."""

from __future__ import annotations

import importlib
import importlib.util
import os

import pytest

# Before anything imports Qt: widgets render off screen in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never let a test reach the user's real keyring: anything not routed to the in-memory
# backend below fails loudly instead.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# Fixture modules in tests/helpers; optional ones are registered once they exist.
pytest_plugins = [
    "tests.helpers.databases",
    *[name for name in ("tests.helpers.sandboxes",) if _present(name)],
]


def pytest_configure(config: pytest.Config) -> None:
    """Install the in-memory keyring for the whole session, if credentials.py offers one."""
    del config
    try:
        credentials = importlib.import_module("westgear_desk.credentials")
    except ModuleNotFoundError as exc:
        if exc.name != "westgear_desk.credentials":
            raise
        return
    install = getattr(credentials, "install_memory_keyring", None)
    if install is not None:
        install()
