"""A table model that holds ids, not rows: instant over 100,000 records (STYLE.md, "table models").

How it stays fast: filtering and sorting happen in SQL in the TaskRunner. With `fetch_first`
a new query first asks for just one page of ids (SQL LIMIT) and shows those rows at once, then
fetches every id; without it, `fetch_ids` returns all ids and the first page comes with them.
The view sees rows in pages through `canFetchMore`/`fetchMore`; a row's data is loaded with its
page (`fetch_rows`, in the TaskRunner) the first time the view asks for it and kept in a bounded
LRU cache by id. Until then the cell shows "Laddar…". Every new query supersedes the previous
one: a stale result (the user typed more) is dropped, never shown.

`refresh()` re-runs the query without disturbing the user: the same ids only mark rows stale
(each visible page is re-read in the background while its old values stay on screen), new ids
in front (new orders, newest first) are inserted above, anything else resets the model.

Use it by giving columns and two plain functions that run off the GUI thread:

    model = LazyTableModel(tasks, columns, fetch_ids=..., fetch_rows=...)
    model.set_query(OrderQuery(text="anna"))

Signals: `query_started()`, `first_page_ready()`, `query_finished(total)`, `load_failed(message)`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Final, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from westgear_desk.ui.i18n import tr
from westgear_desk.ui.tasks import TaskError, TaskHandle, TaskRunner

RowT = TypeVar("RowT")
DEFAULT_PAGE_SIZE = 200
#: The longest the rest of a query's ids waits for a view to paint its first rows.
REST_AFTER_MS = 150
DEFAULT_MAX_CACHED_ROWS = 5_000  # 25 pages: rows kept alive are rows the collector walks
ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex
_DISPLAY: Final = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP: Final = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND: Final = int(Qt.ItemDataRole.ForegroundRole)
_ALIGN: Final = int(Qt.ItemDataRole.TextAlignmentRole)
_ROW_ID: Final = int(ROW_ID_ROLE)
#: data() answers these roles only; every other role returns at once (views ask for ~10 roles
#: per cell on every paint, so the early exit matters when scrolling).
_HANDLED: Final = frozenset({_DISPLAY, _TOOLTIP, _FOREGROUND, _ALIGN, _ROW_ID})


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


class _Gone:
    """Cache entry of an id whose row no longer exists (or whose page failed to load)."""


_GONE: Final = _Gone()


@dataclass(frozen=True, slots=True)
class _Entry(Generic[RowT]):
    """A cached row with its display texts and text colours, made in the worker thread so
    painting only looks them up."""

    row: RowT
    texts: tuple[str, ...]
    colors: tuple[str | None, ...] | None = None  # names: tuples of str stay out of the GC


def _color_name(column: Column[RowT], row: RowT) -> str | None:
    return (column.color(row) or None) if column.color is not None else None


@lru_cache(maxsize=64)
def _qcolor(name: str) -> QColor:
    return QColor(name)


def _load_ids(
    fetch_ids: Callable[[Any, SortSpec], Sequence[int]],
    fetch_rows: Callable[[Sequence[int]], Sequence[Any]],
    query: Any,
    sort: SortSpec,
    first_page: int,
) -> IdsResult[Any]:
    ids = list(fetch_ids(query, sort))
    return IdsResult(ids, list(fetch_rows(ids[:first_page])) if ids else [])


def _load_first(
    fetch_first: Callable[[Any, SortSpec, int], Sequence[int]],
    fetch_rows: Callable[[Sequence[int]], Sequence[Any]],
    query: Any,
    sort: SortSpec,
    first_page: int,
) -> IdsResult[Any]:
    ids = list(fetch_first(query, sort, first_page))
    return IdsResult(ids, list(fetch_rows(ids)) if ids else [])


class LazyTableModel(QAbstractTableModel, Generic[RowT]):
    """Ids from `fetch_ids(query, sort)` (optionally first `fetch_first(query, sort, limit)`);
    rows from `fetch_rows(ids)` (any order, any subset)."""

    query_started = Signal()
    first_page_ready = Signal()
    query_finished = Signal(int)
    load_failed = Signal(str)

    def __init__(
        self,
        tasks: TaskRunner,
        columns: Sequence[Column[RowT]],
        *,
        fetch_ids: Callable[[Any, SortSpec], Sequence[int]],
        fetch_rows: Callable[[Sequence[int]], Sequence[RowT]],
        fetch_first: Callable[[Any, SortSpec, int], Sequence[int]] | None = None,
        row_id: Callable[[RowT], int] = lambda row: row.id,  # type: ignore[attr-defined]
        page_size: int = DEFAULT_PAGE_SIZE,
        max_cached_rows: int = DEFAULT_MAX_CACHED_ROWS,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._columns = list(columns)
        self._fetch_ids, self._fetch_rows, self._row_id = fetch_ids, fetch_rows, row_id
        self._fetch_first = fetch_first
        self._page_size, self._max_rows = page_size, max(max_cached_rows, page_size * 4)
        self._query: Any = None
        self._sort = SortSpec()
        self._ids: list[int] = []
        self._exposed = 0
        self._complete = False
        self._first_shown = False
        self._rows: OrderedDict[int, _Entry[RowT] | _Gone] = OrderedDict()
        self._loading_text = tr("common.loading")
        self._span_places: dict[int, tuple[tuple[int, int], ...]] = {}
        self._wanted_page = 0  # the page the view last asked for and did not have
        self._rest_waiting: int | None = None  # query generation whose other ids wait
        self._rest_started = 0
        self._rest_nudged = 0
        left, right = Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignRight
        self._alignments = [
            int((right if c.align_right else left) | Qt.AlignmentFlag.AlignVCenter)
            for c in self._columns
        ]
        self._row_gen: dict[int, int] = {}
        self._data_gen = 0
        self._layout_gen = 0
        self._query_gen = 0
        self._loading: dict[int, TaskHandle] = {}
        self._handle: TaskHandle | None = None
        self._loaded_once = False
        self._refresh_again = False

    # ------------------------------------------------------------------ public API

    @property
    def query(self) -> Any:
        return self._query

    @property
    def sort_spec(self) -> SortSpec:
        return self._sort

    @property
    def is_loading(self) -> bool:
        """True until every id of the current query is known (rows may already show)."""
        if self._rest_waiting is not None:
            return True
        return self._handle is not None and not self._handle.finished

    @property
    def has_first_page(self) -> bool:
        """True once the current query's first rows are in the model."""
        return self._first_shown

    @property
    def loaded_once(self) -> bool:
        """True once any query has delivered its rows."""
        return self._loaded_once

    def total(self) -> int:
        """How many ids are known for the query (all of them once `is_loading` is False)."""
        return len(self._ids)

    def columns(self) -> list[Column[RowT]]:
        return list(self._columns)

    def set_query(self, query: Any) -> None:
        """Run `query` off the GUI thread; its result replaces the rows (earlier ones dropped)."""
        self._query = query
        self._start_query()

    def set_sort(self, key: str | None, descending: bool = False) -> None:
        """Set the sort without running a query (the next `set_query`/`refresh` uses it)."""
        self._sort = SortSpec(key, descending)

    def refresh(self) -> None:
        """Run the current query again and merge the result in quietly (see module doc)."""
        if self._query_gen == 0:
            return
        if self.is_loading:  # run once the query in flight is in (it may predate the change)
            self._refresh_again = True
            return
        self._refresh_again = False
        self._handle = self._tasks.run(
            _load_ids,
            self._fetch_ids,
            self._load_rows,
            self._query,
            self._sort,
            self._page_size,
            on_done=partial(self._refresh_ready, self._query_gen),
            on_error=self._failed,
            owner=self,
        )

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < self._exposed else None

    def row_at(self, row: int) -> RowT | None:
        """The cached row object at `row`, or None while it is not loaded."""
        record_id = self.id_at(row)
        cached = None if record_id is None else self._rows.get(record_id)
        return None if cached is None or isinstance(cached, _Gone) else cached.row

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
        self._rest_waiting = None
        self._query_gen += 1  # a rest of ids still to start never starts
        if self._handle is not None:
            self._handle.cancel()
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

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if role not in _HANDLED or not index.isValid():
            return None
        row_no, column = index.row(), index.column()
        if row_no >= self._exposed:
            return None
        if role == _ALIGN:
            return self._alignments[column]
        if role == _ROW_ID:
            return self._ids[row_no]
        entry = self._cached(row_no)
        if entry is None:
            return self._loading_text if role == _DISPLAY else None
        if isinstance(entry, _Gone):
            return "" if role == _DISPLAY else None
        if role == _DISPLAY:
            return entry.texts[column]
        return self._cell(self._columns[column], entry.row, role)

    def multiData(self, index: AnyIndex, span: QModelRoleDataSpan | QModelRoleData, /) -> None:
        """Every role a cell paints with, in one call (the view asks for 7 per cell per paint).

        The default asks `data()` once per role: each a call into Python that must take the
        interpreter lock, which the threads loading rows want too while the user scrolls.
        Only the roles this model answers are touched, found by their place in the span
        (learnt once per span shape and checked on every call).
        """
        row_no = index.row()
        if row_no < 0 or row_no >= self._exposed:
            return
        if self._rest_waiting is not None:
            self._first_rows_painted()
        column = index.column()
        entry = self._cached(row_no)
        items: Any = span  # a sequence of QModelRoleData (the stubs do not say so)
        places = self._span_places.get(len(items))
        if places is None:
            places = self._span_places[len(items)] = tuple(
                (place, item.role()) for place, item in enumerate(items) if item.role() in _HANDLED
            )
        for place, role in places:
            item = items[place]
            if item.role() != role:  # a span of another shape: ask role by role
                self._multi_data_by_role(index, span)
                return
            if role == _DISPLAY:
                if entry is None:
                    item.setData(self._loading_text)
                elif isinstance(entry, _Entry):
                    item.setData(entry.texts[column])
            elif role == _ALIGN:
                item.setData(self._alignments[column])
            elif role == _FOREGROUND:
                if isinstance(entry, _Entry) and entry.colors:
                    color = entry.colors[column]
                    if color is not None:
                        item.setData(_qcolor(color))
            else:
                value = self.data(index, role)
                if value is not None:
                    item.setData(value)

    def _multi_data_by_role(
        self, index: AnyIndex, span: QModelRoleDataSpan | QModelRoleData
    ) -> None:
        items: Any = span
        for item in items:
            value = self.data(index, item.role())
            if value is not None:
                item.setData(value)

    def _cell(self, column: Column[RowT], row: RowT, role: int) -> Any:
        if role == _TOOLTIP:
            return column.tooltip(row) if column.tooltip is not None else None
        name = _color_name(column, row)
        return _qcolor(name) if name else None

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
            self._start_query()

    # ------------------------------------------------------------------ queries

    def _start_query(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._query_gen += 1
        self._rest_waiting = None
        self._first_shown = False
        self._refresh_again = False
        self.query_started.emit()
        if self._fetch_first is None:
            loader: Any = partial(_load_ids, self._fetch_ids)
            done = partial(self._all_ready, self._query_gen)
        else:
            loader = partial(_load_first, self._fetch_first)
            done = partial(self._first_ready, self._query_gen)
        self._handle = self._tasks.run(
            loader,
            self._load_rows,
            self._query,
            self._sort,
            self._page_size,
            on_done=done,
            on_error=self._failed,
            owner=self,
        )

    def _all_ready(self, generation: int, result: IdsResult[_Entry[RowT]]) -> None:
        if generation != self._query_gen:
            return
        self._reset(result.ids, result.first_rows)
        self._first_shown = True
        self.first_page_ready.emit()
        self._finished()

    def _first_ready(self, generation: int, result: IdsResult[_Entry[RowT]]) -> None:
        if generation != self._query_gen:
            return
        self._reset(result.ids, result.first_rows)
        self._first_shown = True
        self.first_page_ready.emit()
        if len(result.ids) < self._page_size:
            self._finished()
            return
        # The rest of the ids waits until the first rows are painted: reading 100,000 ids
        # holds the interpreter lock in bursts, and the view takes it once per cell it paints.
        self._rest_waiting = generation
        QTimer.singleShot(REST_AFTER_MS, self, partial(self._start_rest, generation))

    def _first_rows_painted(self) -> None:
        generation = self._rest_waiting
        if generation is not None and self._rest_nudged != generation:
            self._rest_nudged = generation
            QTimer.singleShot(0, self, partial(self._start_rest, generation))  # after this paint

    def _start_rest(self, generation: int) -> None:
        if generation != self._query_gen or self._rest_started == generation:
            return
        self._rest_started, self._rest_waiting = generation, None
        self._handle = self._tasks.run(
            self._fetch_ids,
            self._query,
            self._sort,
            on_done=partial(self._rest_ready, generation),
            on_error=self._failed,
            owner=self,
        )

    def _rest_ready(self, generation: int, ids: Sequence[int]) -> None:
        if generation != self._query_gen:
            return
        shown = len(self._ids)
        if list(ids[:shown]) == self._ids:
            self._ids = list(ids)  # rows on screen keep their places; more can be fetched
        else:  # the data changed between the two queries
            self._reset(list(ids), [], exposed=self._exposed)
        self._finished()

    def _refresh_ready(self, generation: int, result: IdsResult[_Entry[RowT]]) -> None:
        if generation != self._query_gen:
            return
        old, new = self._ids, result.ids
        self._data_gen += 1
        self._store(result.first_rows, new[: self._page_size])
        added = len(new) - len(old)
        if new == old:
            self._changed_all()
        elif added > 0 and new[added:] == old:
            self._insert_front(new, added)
        else:
            self._reset(new, [], exposed=self._exposed)
        self._finished()

    def _finished(self) -> None:
        self.query_finished.emit(len(self._ids))
        if self._refresh_again and not self.is_loading:
            self.refresh()

    def _failed(self, error: TaskError) -> None:
        self.load_failed.emit(error.message)

    # ------------------------------------------------------------------ layout changes

    def _reset(self, ids: list[int], rows: Sequence[_Entry[RowT]], exposed: int = 0) -> None:
        self.beginResetModel()
        self._drop_page_loads()
        self._ids = ids
        self._exposed = min(len(ids), max(self._page_size, exposed))
        self._store(rows, ids[: self._page_size])
        self._loaded_once = True
        self.endResetModel()

    def _insert_front(self, ids: list[int], added: int) -> None:
        self.beginInsertRows(QModelIndex(), 0, added - 1)
        self._drop_page_loads()
        self._ids = ids
        self._exposed += added
        self.endInsertRows()
        self._changed_all()

    def _changed_all(self) -> None:
        if self._exposed:
            last = self.index(self._exposed - 1, len(self._columns) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def _drop_page_loads(self) -> None:
        self._layout_gen += 1  # page numbers of loads in flight no longer point at their rows
        for handle in self._loading.values():
            handle.cancel()
        self._loading.clear()

    def _expose(self, count: int) -> None:
        count = min(count, len(self._ids) - self._exposed)
        if count <= 0:
            return
        first = self._exposed
        self.beginInsertRows(QModelIndex(), first, first + count - 1)
        self._exposed += count
        self.endInsertRows()

    # ------------------------------------------------------------------ row cache

    def _cached(self, row: int) -> _Entry[RowT] | _Gone | None:
        record_id = self._ids[row]
        cached = self._rows.get(record_id)
        if cached is None or self._row_gen.get(record_id, -1) < self._data_gen:
            page_no = row // self._page_size
            self._wanted_page = page_no
            self._request_page(page_no)
            if cached is None:  # scrolling into unknown rows: read the next page ahead too
                self._prefetch(page_no + 1)
        if cached is not None:
            self._rows.move_to_end(record_id)
        return cached

    def _prefetch(self, page_no: int) -> None:
        first = page_no * self._page_size
        if first < len(self._ids) and self._ids[first] not in self._rows:
            self._request_page(page_no)

    def _request_page(self, page_no: int) -> None:
        if page_no in self._loading:
            return
        start = page_no * self._page_size
        ids = self._ids[start : start + self._page_size]
        self._loading[page_no] = self._tasks.run(
            self._load_page,
            page_no,
            ids,
            on_done=partial(self._page_ready, self._layout_gen, self._data_gen, page_no, ids),
            on_error=partial(self._page_failed, self._layout_gen, self._data_gen, page_no, ids),
            owner=self,
        )

    def _page_ready(
        self,
        layout: int,
        data: int,
        page_no: int,
        ids: list[int],
        rows: Sequence[_Entry[RowT]] | None,
    ) -> None:
        if layout == self._layout_gen:
            self._loading.pop(page_no, None)
        if rows is None:  # skipped: out of sight by the time a worker got to it
            return
        self._store(rows, ids, data)
        self._changed_all()

    def _page_failed(
        self, layout: int, data: int, page_no: int, ids: list[int], error: TaskError
    ) -> None:
        self._page_ready(layout, data, page_no, ids, [])  # shown empty; no retry loop
        self.load_failed.emit(error.message)

    def _load_page(self, page_no: int, ids: Sequence[int]) -> list[_Entry[RowT]] | None:
        """Runs in the worker: the page's rows, or None when the view has moved on.

        A fast scroll asks for every page it passes; loading those would keep the workers
        (and the interpreter lock the painting needs) busy with rows nobody sees any more.
        A skipped page is asked for again if it is painted again.
        """
        if abs(page_no - self._wanted_page) > 1:
            return None
        return self._load_rows(ids)

    def _load_rows(self, ids: Sequence[int]) -> list[_Entry[RowT]]:
        """Runs in the worker: the rows with their display texts and colours."""
        columns = self._columns
        coloured = any(column.color is not None for column in columns)
        return [
            _Entry(
                row,
                tuple(column.display(row) for column in columns),
                tuple(_color_name(column, row) for column in columns) if coloured else None,
            )
            for row in self._fetch_rows(ids)
        ]

    def _store(
        self, entries: Sequence[_Entry[RowT]], ids: Sequence[int], data: int | None = None
    ) -> None:
        generation = self._data_gen if data is None else data
        by_id = {self._row_id(entry.row): entry for entry in entries}
        for record_id in ids:
            self._rows[record_id] = by_id.get(record_id, _GONE)
            self._rows.move_to_end(record_id)
            self._row_gen[record_id] = generation
        while len(self._rows) > self._max_rows:
            evicted, _ = self._rows.popitem(last=False)
            self._row_gen.pop(evicted, None)
