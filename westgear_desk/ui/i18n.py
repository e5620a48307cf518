"""UI texts in Swedish and English, chosen by `Settings.locale`.

Why a dictionary and not Qt .ts/.qm files: the desk has two languages and a few hundred
strings, all written by us; a Python mapping keeps both languages side by side in review,
needs no lrelease build step, and a test can check that every key has both texts. Each page
module registers its own texts with `register({...})` at import, so pages stay independent.

    tr("orders.title")                 -> "Ordrar" / "Orders"
    tr("orders.count", count=12)       -> str.format with the keyword arguments
    pick("Ordrar", "Orders")           -> a one-off text without a key
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

Language = Literal["sv", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("sv", "en")

_catalogue: dict[str, tuple[str, str]] = {}
_language: list[Language] = ["sv"]


def set_language(language: str) -> None:
    """Use `language` ("sv" or "en") for every later `tr` call."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported UI language {language!r} (use sv or en)")
    _language[0] = language


def language() -> Language:
    return _language[0]


def register(texts: Mapping[str, tuple[str, str]]) -> None:
    """Add (Swedish, English) texts by key; a key registered twice must keep its texts."""
    for key, pair in texts.items():
        if len(pair) != 2 or not all(pair):
            raise ValueError(f"text {key!r} needs a Swedish and an English text")
        existing = _catalogue.get(key)
        if existing is not None and existing != pair:
            raise ValueError(f"text {key!r} is already registered differently")
        _catalogue[key] = pair


def tr(key: str, **values: object) -> str:
    """Return the text for `key` in the current language; KeyError for an unknown key."""
    sv, en = _catalogue[key]
    text = sv if _language[0] == "sv" else en
    return text.format(**values) if values else text


def pick(sv: str, en: str) -> str:
    """Return `sv` or `en` by the current language (for texts used once)."""
    return sv if _language[0] == "sv" else en


def keys() -> list[str]:
    return sorted(_catalogue)


register(
    {
        "app.title": ("WestGear Desk", "WestGear Desk"),
        "error.unexpected": (
            "Ett oväntat fel inträffade. Det har loggats; försök igen eller kontakta support.",
            "An unexpected error occurred. It has been logged; try again or contact support.",
        ),
        "error.title": ("Något gick fel", "Something went wrong"),
        "action.refresh": ("Uppdatera", "Refresh"),
        "action.search": ("Sök", "Search"),
        "action.quit": ("Avsluta", "Quit"),
        "action.cancel": ("Avbryt", "Cancel"),
        "search.placeholder": ("Sök… (Ctrl+F)", "Search… (Ctrl+F)"),
        "common.loading": ("Laddar…", "Loading…"),
        "common.all": ("Alla", "All"),
        "common.none": ("–", "–"),
        "common.rows": ("{count} rader", "{count} rows"),
        "page.orders": ("Ordrar", "Orders"),
        "page.catalog": ("Katalog", "Catalog"),
        "page.quarantine": ("Karantän", "Quarantine"),
        "page.sync_health": ("Synkhälsa", "Sync health"),
        "page.settings": ("Inställningar", "Settings"),
        "status.user": ("{name} ({role})", "{name} ({role})"),
        "status.scheduler.running": ("Schemaläggare: igång", "Scheduler: running"),
        "status.scheduler.stopped": ("Schemaläggare: stoppad", "Scheduler: stopped"),
        "status.scheduler.none": (
            "Schemaläggare: körs i annan process",
            "Scheduler: runs in another process",
        ),
        "status.busy": ("Arbetar…", "Working…"),
        "health.ok": ("fungerar", "working"),
        "health.degraded": ("försämrad", "degraded"),
        "health.failing": ("fel", "failing"),
        "health.idle": ("ingen aktivitet ännu", "no activity yet"),
        "health.tooltip": (
            "{name}: {level}\nSenaste körning: {last_run}\nDöda jobb: {dead}\n"
            "Anrop senaste 15 min: {calls} ({errors} fel)",
            "{name}: {level}\nLast run: {last_run}\nDead jobs: {dead}\n"
            "Calls last 15 min: {calls} ({errors} errors)",
        ),
        "role.warehouse": ("Lager", "Warehouse"),
        "role.sales": ("Sälj", "Sales"),
        "role.admin": ("Administratör", "Administrator"),
    }
)
