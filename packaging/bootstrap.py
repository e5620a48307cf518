"""Set up a development environment from the lock file and run the demo or the tests.

Why a Python script: it is the one thing a fresh machine is guaranteed to have (Python 3.11+),
on Linux, macOS and Windows alike. It installs uv into a private tools environment, lets uv
build `.venv` exactly as `uv.lock` says, then hands over to the requested command.

    python3 packaging/bootstrap.py demo     # set up, then start the demo
    python3 packaging/bootstrap.py test     # set up, then run the whole test suite
    python3 packaging/bootstrap.py setup    # only set up
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".venv-tools"
VENV = ROOT / ".venv"
UV_VERSION = "0.13.9"
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""


def _run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def _uv() -> Path:
    uv = TOOLS / BIN / f"uv{EXE}"
    if not uv.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        _run([str(TOOLS / BIN / f"python{EXE}"), "-m", "pip", "install", "-q", f"uv=={UV_VERSION}"])
    return uv


def setup() -> None:
    """Create or update .venv from uv.lock (no resolution: the lock file is the truth)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs on any python3
        sys.exit("WestGear Desk needs Python 3.11 or newer.")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    _run([str(_uv()), "sync", "--frozen", "--compile-bytecode", "--python", sys.executable],
         env=env)  # fmt: skip
    _compile_project()


def _compile_project() -> None:
    """Write the bytecode of the desk's own modules now, as an installer does.

    Without it every start compiles ~300 modules from source when bytecode may not be
    written (PYTHONDONTWRITEBYTECODE, a read-only install): about a second of the desk's
    start-up. `uv sync --compile-bytecode` does the same for the dependencies. Only files
    whose source changed are compiled again.
    """
    _run([str(VENV / BIN / f"python{EXE}"), "-m", "compileall", "-q", "-j", "0",
          str(ROOT / "westgear_desk")])  # fmt: skip


def _tool(name: str) -> str:
    return str(VENV / BIN / f"{name}{EXE}")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "setup"
    rest = argv[1:]
    if command not in {"setup", "demo", "test"}:
        sys.exit(f"unknown command {command!r}: use setup, demo or test")
    setup()
    if command == "demo":
        return subprocess.call([_tool("westgear-desk"), "demo", *rest], cwd=ROOT)
    if command == "test":
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        return subprocess.call([_tool("python"), "-m", "pytest", *rest], cwd=ROOT, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
