"""The generic lazy table model over a plain in-memory store: paging, staleness, quiet refresh."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from westgear_desk.errors import ConfigurationError
from westgear_desk.ui.models.lazy_table import Column, LazyTableModel, SortSpec
from westgear_desk.ui.tasks import TaskRunner


@dataclass(frozen=True)
class Item:
    id: int
    name: str


class Store:
    """A fake table: ids filtered by a prefix, sorted by name; counts the calls made."""

    def __init__(self, count: int) -> None:
        self.items = {i: Item(i, f"item {i:05d}") for i in range(1, count + 1)}
        self.row_calls = 0
        self.gate: dict[str, threading.Event] = {}
        self.read = threading.Event()

    def ids(self, query: str, sort: SortSpec) -> list[int]:
        found = [i for i, item in list(self.items.items()) if query in item.name]
        if query in self.gate:  # answer as of the moment the query ran, but late
            self.read.set()
            self.gate[query].wait(10)
        return sorted(found, key=lambda i: self.items[i].name, reverse=sort.descending)

    def first(self, query: str, sort: SortSpec, limit: int) -> list[int]:
        return self.ids(query, sort)[:limit]

    def rows(self, ids: Sequence[int]) -> list[Item]:
        self.row_calls += 1
        return [self.items[i] for i in ids if i in self.items]


COLUMNS = [
    Column[Item]("id", lambda: "Id", lambda r: str(r.id), align_right=True),
    Column[Item]("name", lambda: "Namn", lambda r: r.name),
]


def _model(tasks: TaskRunner, store: Store, *, two_phase: bool = True) -> LazyTableModel[Item]:
    return LazyTableModel(
        tasks,
        COLUMNS,
        fetch_ids=store.ids,
        fetch_rows=store.rows,
        fetch_first=store.first if two_phase else None,
        page_size=50,
    )


def _ready(qtbot: QtBot, model: LazyTableModel[Item]) -> None:
    qtbot.waitUntil(lambda: model.loaded_once and not model.is_loading)


@pytest.mark.parametrize("two_phase", [True, False])
def test_pages_are_exposed_and_loaded_lazily(
    qtbot: QtBot, tasks: TaskRunner, qtmodeltester, two_phase: bool
):
    store = Store(500)
    model = _model(tasks, store, two_phase=two_phase)
    model.set_query("item")
    _ready(qtbot, model)
    assert (model.total(), model.rowCount()) == (500, 50)
    assert model.index(0, 1).data() == "item 00001"
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 100
    assert model.index(60, 1).data() == "Laddar…"  # not loaded yet: asks for its page
    qtbot.waitUntil(lambda: model.row_at(60) is not None)
    assert model.index(60, 1).data() == "item 00061"
    assert model.index(60, 0).data(Qt.ItemDataRole.TextAlignmentRole) & int(
        Qt.AlignmentFlag.AlignRight
    )
    qtmodeltester.check(model)


def test_a_stale_result_is_dropped(qtbot: QtBot, tasks: TaskRunner):
    store = Store(300)
    store.gate["item 001"] = threading.Event()
    model = _model(tasks, store)
    finished: list[int] = []
    model.query_finished.connect(finished.append)
    model.set_query("item 001")  # slow: blocks until released
    model.set_query("item 0002")
    qtbot.waitUntil(lambda: finished == [10])
    store.gate["item 001"].set()
    tasks.wait_for_done()
    qtbot.wait(20)
    assert finished == [10]
    assert model.query == "item 0002"
    assert [model.row_at(r).name for r in range(3)] == [  # type: ignore[union-attr]
        "item 00020",
        "item 00021",
        "item 00022",
    ]


def test_sort_runs_a_new_query(qtbot: QtBot, tasks: TaskRunner):
    store = Store(120)
    model = _model(tasks, store)
    model.set_query("item")
    _ready(qtbot, model)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.sort_spec.descending and not model.is_loading)
    assert model.index(0, 1).data() == "item 00120"


def test_refresh_inserts_new_rows_on_top_without_reset(qtbot: QtBot, tasks: TaskRunner):
    store = Store(100)
    model = _model(tasks, store)
    model.set_query("item")
    model.set_sort("name", descending=True)
    model.set_query("item")
    _ready(qtbot, model)
    resets: list[int] = []
    inserted: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    store.items[101] = Item(101, "item 00101")
    store.items[102] = Item(102, "item 00102")
    store.items[5] = Item(5, "item 00005 changed")
    model.refresh()
    qtbot.waitUntil(lambda: model.total() == 102)
    assert resets == []
    assert inserted == [(0, 1)]
    assert model.index(0, 1).data() == "item 00102"
    row = model.row_of(5)
    assert row is not None
    model.index(row, 1).data()  # displaying a stale row re-reads its page
    qtbot.waitUntil(lambda: model.index(row, 1).data() == "item 00005 changed")


def test_refresh_with_same_ids_keeps_old_values_until_reread(qtbot: QtBot, tasks: TaskRunner):
    store = Store(30)
    model = _model(tasks, store)
    model.set_query("item")
    _ready(qtbot, model)
    store.items[3] = Item(3, "item 00003 renamed")
    changed: list[int] = []
    model.dataChanged.connect(lambda *_: changed.append(1))
    model.refresh()
    qtbot.waitUntil(lambda: bool(changed))
    assert model.index(2, 1).data() == "item 00003 renamed"


def test_a_failing_page_is_reported_once(qtbot: QtBot, tasks: TaskRunner):
    store = Store(200)
    model = _model(tasks, store)
    model.set_query("item")
    _ready(qtbot, model)

    def broken(ids: Sequence[int]) -> list[Item]:
        store.row_calls += 1
        raise ConfigurationError("databasen svarar inte")

    model._fetch_rows = broken  # the next page load fails
    model.fetchMore(QModelIndex())
    with qtbot.waitSignal(model.load_failed) as failed:
        model.index(80, 1).data()
    assert failed.args == ["databasen svarar inte"]
    tasks.wait_for_done()
    qtbot.wait(20)
    calls_after_failure = store.row_calls
    for _ in range(5):
        model.index(80, 1).data()
    tasks.wait_for_done()
    assert store.row_calls == calls_after_failure  # no retry loop while painting
    assert model.index(80, 1).data() == ""


def test_cache_is_bounded(qtbot: QtBot, tasks: TaskRunner):
    store = Store(2000)
    model = LazyTableModel(
        tasks,
        COLUMNS,
        fetch_ids=store.ids,
        fetch_rows=store.rows,
        page_size=50,
        max_cached_rows=200,
    )
    model.set_query("item")
    _ready(qtbot, model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    for row in range(0, 2000, 50):
        model.index(row, 1).data()
        qtbot.waitUntil(lambda r=row: model.row_at(r) is not None)
    assert len(model._rows) <= 200


def test_refresh_during_a_query_runs_after_it(qtbot: QtBot, tasks: TaskRunner):
    store = Store(20)
    store.gate["item"] = threading.Event()
    model = _model(tasks, store, two_phase=False)
    finished: list[int] = []
    model.query_finished.connect(finished.append)
    model.set_query("item")  # blocked in the worker
    assert store.read.wait(10)
    store.items[21] = Item(21, "item 00021")  # arrives after the query read the table
    model.refresh()  # must not be lost
    store.gate["item"].set()
    qtbot.waitUntil(lambda: len(finished) == 2)
    assert finished == [20, 21]


class _StyleProbe(QStyledItemDelegate):
    """The view's own delegate step that reads a cell's roles before painting it."""

    def option_for(self, index: QModelIndex) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        self.initStyleOption(option, index)
        return option


def test_a_painted_view_shows_what_data_answers(qtbot: QtBot, tasks: TaskRunner):
    # Views paint through multiData (one call per cell); it must agree with data().
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QTableView

    store = Store(120)
    coloured = [
        *COLUMNS,
        Column[Item](
            "odd", lambda: "Udda", lambda r: "x", color=lambda r: "#b71c1c" if r.id % 2 else None
        ),
    ]
    model = LazyTableModel(
        tasks, coloured, fetch_ids=store.ids, fetch_rows=store.rows, page_size=50
    )
    model.set_query("item")
    _ready(qtbot, model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    probe = _StyleProbe()
    for row, column in [(0, 0), (0, 1), (0, 2), (1, 2), (7, 1)]:
        index = model.index(row, column)
        option = probe.option_for(index)  # what the view paints with, from multiData
        assert option.text == index.data(), (row, column)
        assert int(option.displayAlignment) == index.data(Qt.ItemDataRole.TextAlignmentRole)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        if foreground is not None:
            assert option.palette.color(QPalette.ColorRole.Text) == foreground
    assert model.index(0, 2).data(Qt.ItemDataRole.ForegroundRole) == QColor("#b71c1c")
    assert model.index(1, 2).data(Qt.ItemDataRole.ForegroundRole) is None
    image = view.grab().toImage()  # paints every visible cell through multiData
    assert not image.isNull()


def test_pages_scrolled_past_before_loading_are_not_read(qtbot: QtBot, tasks: TaskRunner):
    store = Store(1000)
    release = threading.Event()
    release.set()
    read_pages: list[int] = []

    def rows(ids: Sequence[int]) -> list[Item]:
        release.wait(10)
        read_pages.append(ids[0])
        return store.rows(ids)

    model = LazyTableModel(tasks, COLUMNS, fetch_ids=store.ids, fetch_rows=rows, page_size=50)
    model.set_query("item")
    _ready(qtbot, model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    tasks.wait_for_done()
    read_pages.clear()
    release.clear()  # the workers are slow: a fast scroll asks for pages faster than they load
    for row in range(100, 1000, 50):
        assert model.index(row, 1).data() == "Laddar…"
    release.set()
    qtbot.waitUntil(lambda: model.row_at(999) is not None)
    tasks.wait_for_done()
    # The pages the workers had begun, plus the ones in sight at the end: not all 18.
    assert len(read_pages) <= 6, read_pages
    assert model.row_at(500) is None
    assert model.index(500, 1).data() == "Laddar…"  # scrolling back asks for it again
    qtbot.waitUntil(lambda: model.row_at(500) is not None)
    assert model.index(500, 1).data() == "item 00501"
