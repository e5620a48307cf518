"""A table model that holds ids, not rows: instant over 100,000 records (STYLE.md, "table models").

How it stays fast: filtering and sorting happen in SQL in the TaskRunner (`fetch_ids`), which
returns only the ordered ids plus the first page of rows. The view sees rows in pages through
`canFetchMore`/`fetchMore`; a row's data is loaded with its page (`fetch_rows`, also in the
TaskRunner) the first time the view asks for it and kept in a bounded LRU cache of pages. Until
then the cell shows "Laddar…". Every new query supersedes the previous one: a stale result (the
user typed more) is dropped, never shown.

Use it by giving columns and two plain functions that run off the GUI thread:

    model = LazyTableModel(tasks, columns, fetch_ids=..., fetch_rows=...)
    model.set_query(OrderQuery(text="anna"))

Signals: `query_started()`, `query_finished(total)`, `load_failed(message)`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from westgear_desk.ui.i18n import tr
from westgear_desk.ui.tasks import TaskError, TaskHandle, TaskRunner

RowT = TypeVar("RowT")
DEFAULT_PAGE_SIZE = 200
DEFAULT_MAX_CACHED_PAGES = 100
ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class SortSpec:
    """The column key to sort by (None: the query's natural order) and the direction."""

    key: str | None = None
    descending: bool = False


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column: a stable key (also the SQL sort key), a title and how to show a row."""

    key: str
    title: Callable[[], str]
    display: Callable[[RowT], str]
    sortable: bool = True
    align_right: bool = False
    tooltip: Callable[[RowT], str | None] | None = None
    color: Callable[[RowT], str | None] | None = None


@dataclass(frozen=True)
class IdsResult(Generic[RowT]):
    """What one id query returns: all matching ids in order and the rows of the first page."""

    ids: list[int]
    first_rows: list[RowT]


def _load_ids(
    fetch_ids: Callable[[Any, SortSpec], Sequence[int]],
    fetch_rows: Callable[[Sequence[int]], Sequence[Any]],
    query: Any,
    sort: SortSpec,
    first_page: int,
) -> IdsResult[Any]:
    ids = list(fetch_ids(query, sort))
    return IdsResult(ids, list(fetch_rows(ids[:first_page])) if ids else [])


class LazyTableModel(QAbstractTableModel, Generic[RowT]):
    """Ids from `fetch_ids(query, sort)`; rows from `fetch_rows(ids)` (any order, any subset)."""

    query_started = Signal()
    query_finished = Signal(int)
    load_failed = Signal(str)

    def __init__(
        self,
        tasks: TaskRunner,
        columns: Sequence[Column[RowT]],
        *,
        fetch_ids: Callable[[Any, SortSpec], Sequence[int]],
        fetch_rows: Callable[[Sequence[int]], Sequence[RowT]],
        row_id: Callable[[RowT], int] = lambda row: row.id,  # type: ignore[attr-defined]
        page_size: int = DEFAULT_PAGE_SIZE,
        max_cached_pages: int = DEFAULT_MAX_CACHED_PAGES,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._columns = list(columns)
        self._fetch_ids, self._fetch_rows, self._row_id = fetch_ids, fetch_rows, row_id
        self._page_size, self._max_pages = page_size, max_cached_pages
        self._query: Any = None
        self._sort = SortSpec()
        self._ids: list[int] = []
        self._exposed = 0
        self._pages: OrderedDict[int, list[RowT | None]] = OrderedDict()
        self._loading: dict[int, TaskHandle] = {}
        self._ids_handle: TaskHandle | None = None
        self._generation = 0
        self._loaded_once = False

    # ------------------------------------------------------------------ public API

    @property
    def query(self) -> Any:
        return self._query

    @property
    def sort_spec(self) -> SortSpec:
        return self._sort

    @property
    def is_loading(self) -> bool:
        return self._ids_handle is not None and not self._ids_handle.finished

    @property
    def loaded_once(self) -> bool:
        """True once any id query has delivered its result."""
        return self._loaded_once

    def total(self) -> int:
        """How many ids the last finished query matched (more than `rowCount` while paging)."""
        return len(self._ids)

    def columns(self) -> list[Column[RowT]]:
        return list(self._columns)

    def set_query(self, query: Any) -> None:
        """Run `query` off the GUI thread; its result replaces the rows (earlier ones dropped)."""
        self._query = query
        self._start_ids_query(keep_exposed=False)

    def set_sort(self, key: str | None, descending: bool = False) -> None:
        """Set the sort without running a query (the next `set_query`/`refresh` uses it)."""
        self._sort = SortSpec(key, descending)

    def refresh(self) -> None:
        """Run the current query again, keeping as many rows exposed as before."""
        self._start_ids_query(keep_exposed=True)

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < self._exposed else None

    def row_at(self, row: int) -> RowT | None:
        """The cached row object at `row`, or None while it is not loaded."""
        page = self._pages.get(row // self._page_size)
        return None if page is None else page[row % self._page_size]

    def row_of(self, record_id: int) -> int | None:
        """The row showing `record_id`, exposing more pages if needed; None if not matched."""
        try:
            row = self._ids.index(record_id)
        except ValueError:
            return None
        if row >= self._exposed:
            self._expose(row + 1 - self._exposed)
        return row

    def cancel(self) -> None:
        """Drop every outstanding load (used when the page closes)."""
        if self._ids_handle is not None:
            self._ids_handle.cancel()
        for handle in self._loading.values():
            handle.cancel()
        self._loading.clear()

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else self._exposed

    def columnCount(self, parent: AnyIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            return self._columns[section].title()
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._exposed:
            return None
        column = self._columns[index.column()]
        if role == ROW_ID_ROLE:
            return self._ids[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if column.align_right else Qt.AlignmentFlag.AlignLeft
            )
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.ForegroundRole,
        ):
            return None
        page = self._cached_page(index.row() // self._page_size)
        if page is None:
            return tr("common.loading") if role == Qt.ItemDataRole.DisplayRole else None
        row = page[index.row() % self._page_size]
        if row is None:  # deleted since the id query, or its page failed to load
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        return self._cell(column, row, role)

    def _cell(self, column: Column[RowT], row: RowT, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip is not None else None
        color = column.color(row) if column.color is not None else None
        return QColor(color) if color else None

    def canFetchMore(self, parent: AnyIndex) -> bool:
        return not parent.isValid() and self._exposed < len(self._ids)

    def fetchMore(self, parent: AnyIndex) -> None:
        if parent.isValid():
            return
        self._expose(self._page_size)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns) or not self._columns[column].sortable:
            return
        spec = SortSpec(self._columns[column].key, order == Qt.SortOrder.DescendingOrder)
        if spec == self._sort and self._loaded_once:
            return
        self._sort = spec
        if self._query is not None:
            self._start_ids_query(keep_exposed=False)

    # ------------------------------------------------------------------ internals

    def _expose(self, count: int) -> None:
        count = min(count, len(self._ids) - self._exposed)
        if count <= 0:
            return
        first = self._exposed
        self.beginInsertRows(QModelIndex(), first, first + count - 1)
        self._exposed += count
        self.endInsertRows()

    def _start_ids_query(self, *, keep_exposed: bool) -> None:
        if self._ids_handle is not None:
            self._ids_handle.cancel()
        self.query_started.emit()
        self._ids_handle = self._tasks.run(
            _load_ids,
            self._fetch_ids,
            self._fetch_rows,
            self._query,
            self._sort,
            self._page_size,
            on_done=partial(self._ids_ready, keep_exposed),
            on_error=self._failed,
            owner=self,
        )

    def _ids_ready(self, keep_exposed: bool, result: IdsResult[RowT]) -> None:
        previous = self._exposed if keep_exposed else 0
        self.beginResetModel()
        for handle in self._loading.values():
            handle.cancel()
        self._loading.clear()
        self._pages.clear()
        self._generation += 1
        self._ids = result.ids
        self._exposed = min(len(self._ids), max(self._page_size, previous))
        if self._ids:
            self._store_page(0, result.first_rows)
        self._loaded_once = True
        self.endResetModel()
        self.query_finished.emit(len(self._ids))

    def _failed(self, error: TaskError) -> None:
        self.load_failed.emit(error.message)

    def _cached_page(self, page_no: int) -> list[RowT | None] | None:
        page = self._pages.get(page_no)
        if page is None:
            self._request_page(page_no)
            return None
        self._pages.move_to_end(page_no)
        return page

    def _page_ids(self, page_no: int) -> list[int]:
        start = page_no * self._page_size
        return self._ids[start : start + self._page_size]

    def _request_page(self, page_no: int) -> None:
        if page_no in self._loading:
            return
        self._loading[page_no] = self._tasks.run(
            self._fetch_rows,
            self._page_ids(page_no),
            on_done=partial(self._page_ready, self._generation, page_no),
            on_error=partial(self._page_failed, self._generation, page_no),
            owner=self,
        )

    def _page_ready(self, generation: int, page_no: int, rows: Sequence[RowT]) -> None:
        if generation != self._generation:
            return
        self._loading.pop(page_no, None)
        self._store_page(page_no, rows)
        first = page_no * self._page_size
        last = min(first + self._page_size, self._exposed) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self._columns) - 1))

    def _page_failed(self, generation: int, page_no: int, error: TaskError) -> None:
        if generation == self._generation:
            self._page_ready(generation, page_no, [])  # shown empty until a refresh; no retry loop
            self.load_failed.emit(error.message)

    def _store_page(self, page_no: int, rows: Sequence[RowT]) -> None:
        by_id = {self._row_id(row): row for row in rows}
        self._pages[page_no] = [by_id.get(record_id) for record_id in self._page_ids(page_no)]
        self._pages.move_to_end(page_no)
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)
