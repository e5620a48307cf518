"""The small protocol every page of the main window implements, and how pages are listed.

A page is a QWidget built as ``PageClass(services, user, tasks)``. The window calls
`focus_search()` on Ctrl+F, `refresh()` on F5 and shows `title` in the navigation. Column
layouts are remembered by the window for every QTableView/QTreeView child that has an
objectName, so pages only need to name their views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from westgear_desk.app import AppServices
    from westgear_desk.services.auth import CurrentUser
    from westgear_desk.ui.tasks import TaskRunner


@runtime_checkable
class Page(Protocol):
    """What the main window needs from a page (beyond being a QWidget)."""

    @property
    def title(self) -> str: ...

    def focus_search(self) -> None: ...

    def refresh(self) -> None: ...


class PageFactory(Protocol):
    def __call__(self, services: AppServices, user: CurrentUser, tasks: TaskRunner) -> QWidget: ...


@dataclass(frozen=True)
class PageSpec:
    """One navigation entry: a stable key (used in QSettings), the module and the class."""

    key: str
    module: str
    class_name: str
    title_key: str


#: The pages in navigation order (Ctrl+1 … Ctrl+5). A page whose module is not part of this
#: build is left out of the navigation.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("orders", "westgear_desk.ui.pages.orders_page", "OrdersPage", "page.orders"),
    PageSpec("catalog", "westgear_desk.ui.pages.catalog_page", "CatalogPage", "page.catalog"),
    PageSpec(
        "quarantine", "westgear_desk.ui.pages.quarantine_page", "QuarantinePage", "page.quarantine"
    ),
    PageSpec(
        "sync_health",
        "westgear_desk.ui.pages.sync_health_page",
        "SyncHealthPage",
        "page.sync_health",
    ),
    PageSpec("settings", "westgear_desk.ui.pages.settings_page", "SettingsPage", "page.settings"),
)


def page_available(spec: PageSpec) -> bool:
    """Whether the page's module is part of this build (found without importing it)."""
    from importlib.util import find_spec

    return find_spec(spec.module) is not None


def load_page_class(spec: PageSpec) -> PageFactory | None:
    """Import the page's module; None when that module does not exist in this build."""
    import importlib

    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if exc.name == spec.module:
            return None
        raise
    factory: PageFactory = getattr(module, spec.class_name)
    return factory
