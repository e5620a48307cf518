"""Where the desk keeps its data, configuration and logs, overridable by env for tests and demos."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import platformdirs

APP_NAME: Final = "WestGearDesk"
APP_AUTHOR: Final = "WestGear"
SQLITE_FILE_NAME: Final = "westgear.sqlite3"
DATA_DIR_ENV: Final = "WESTGEAR_DATA_DIR"
CONFIG_DIR_ENV: Final = "WESTGEAR_CONFIG_DIR"
LOG_DIR_ENV: Final = "WESTGEAR_LOG_DIR"


def _resolve(env_var: str, default: str) -> Path:
    override = os.environ.get(env_var, "").strip()
    path = Path(override).expanduser() if override else Path(default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Return the user data directory (created if missing); `WESTGEAR_DATA_DIR` overrides."""
    return _resolve(DATA_DIR_ENV, platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def config_dir() -> Path:
    """Return the user config directory (created if missing); `WESTGEAR_CONFIG_DIR` overrides."""
    return _resolve(CONFIG_DIR_ENV, platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def log_dir() -> Path:
    """Return the user log directory (created if missing); `WESTGEAR_LOG_DIR` overrides."""
    return _resolve(LOG_DIR_ENV, platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def default_sqlite_url() -> str:
    """Return the SQLAlchemy URL of the embedded SQLite file in the data directory."""
    return f"sqlite:///{(data_dir() / SQLITE_FILE_NAME).as_posix()}"
