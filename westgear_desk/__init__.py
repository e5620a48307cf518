"""WestGear Desk: the back-office desk for WestGear's shop and its integrations."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed metadata on first use (PEP 562).

    Lazy because `importlib.metadata` costs ~50 ms of every start, and only the command
    line's --version and the integrations' User-Agent need it.
    """
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("westgear-desk")
    except PackageNotFoundError:  # running from a source tree without installation
        found = "0.0.0+source"
    globals()["__version__"] = found
    return found
