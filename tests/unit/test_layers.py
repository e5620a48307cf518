"""Imports point one way (STYLE.md): scan every module's imports and enforce the layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "westgear_desk"

# layer -> packages of ours it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": (
        "db",
        "sync",
        "integrations",
        "services",
        "ui",
        "documents",
        "webhooks",
        "sandbox",
        "app",
        "cli",
        "credentials",
    ),
    "db": (
        "sync",
        "integrations",
        "services",
        "ui",
        "documents",
        "webhooks",
        "sandbox",
        "app",
        "cli",
    ),
    "integrations": ("db", "sync", "services", "ui", "webhooks", "sandbox", "app", "cli"),
    "documents": ("db", "sync", "services", "ui", "webhooks", "sandbox", "app", "cli"),
    "sync": ("services", "ui", "sandbox", "app", "cli"),
    "services": ("ui", "sandbox", "app", "cli"),
    "webhooks": ("ui", "sandbox", "app", "cli"),
}
QT_FREE = (
    "domain",
    "db",
    "sync",
    "integrations",
    "documents",
    "services",
    "webhooks",
    "sandbox",
    "settings",
    "credentials",
    "log",
    "errors",
    "paths",
)


def _modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_its_layer(path: Path) -> None:
    layer = _layer(path)
    imports = _imports(path)
    ours = {
        name.split(".")[1]
        for name in imports
        if name.startswith("westgear_desk.") and len(name.split(".")) > 1
    }
    bad = ours & set(FORBIDDEN.get(layer, ()))
    assert not bad, f"{layer}/ must not import {sorted(bad)}"
    if layer in QT_FREE:
        assert not any(name.startswith("PySide6") for name in imports), "Qt below ui/"
    if path.name != "credentials.py":
        assert not any(name == "keyring" or name.startswith("keyring.") for name in imports)


def test_production_code_never_imports_the_sandbox() -> None:
    allowed = {"sandbox", "cli"}  # the sandbox itself and the `sandbox`/`demo` commands
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _modules()
        if _layer(p) not in allowed
        and not p.name.startswith("demo")  # the demo wires sandboxes by design
        and any(n.startswith("westgear_desk.sandbox") for n in _imports(p))
    ]
    assert offenders == []
