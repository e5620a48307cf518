"""The quarantine table: one lazy row per entry, its reasons in the UI language."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db import queries_admin
from westgear_desk.db.queries_admin import QuarantineQuery, QuarantineRow
from westgear_desk.ui.formatting import format_age, format_datetime
from westgear_desk.ui.i18n import language, register, tr
from westgear_desk.ui.models.lazy_table import Column, LazyTableModel, SortSpec
from westgear_desk.ui.tasks import TaskRunner

register(
    {
        "quarantine.col.record": ("Post", "Record"),
        "quarantine.col.type": ("Typ", "Type"),
        "quarantine.col.label": ("Artikelnr / namn", "SKU / name"),
        "quarantine.col.reasons": ("Anledningar", "Reasons"),
        "quarantine.col.status": ("Status", "Status"),
        "quarantine.col.first_seen": ("Först sedd", "First seen"),
        "quarantine.col.last_seen": ("Senast sedd", "Last seen"),
        "quarantine.status.open": ("öppen", "open"),
        "quarantine.status.released": ("frisläppt", "released"),
        "quarantine.status.ignored": ("ignorerad", "ignored"),
        "quarantine.type.product": ("produkt", "product"),
        "quarantine.type.variant": ("variant", "variant"),
        "quarantine.type.price": ("pris", "price"),
        "quarantine.type.stock": ("lager", "stock"),
        "quarantine.type.customer": ("kund", "customer"),
        "quarantine.type.order": ("order", "order"),
    }
)


def reasons_text(row: QuarantineRow) -> str:
    """The open reasons in the UI language, joined; overridden ones are left out."""
    lang = language()
    return "; ".join(reason.message(lang) for reason in row.open_reasons) or "–"


def _t(key: str) -> Any:
    return lambda: tr(key)


def quarantine_columns() -> list[Column[QuarantineRow]]:
    return [
        Column("record", _t("quarantine.col.record"),
               lambda r: f"{r.source_system} {r.external_id}", sortable=False),
        Column("label", _t("quarantine.col.label"), lambda r: r.label or "–", sortable=False),
        Column("type", _t("quarantine.col.type"), lambda r: tr(f"quarantine.type.{r.record_type}"),
               sortable=False),
        Column("reasons", _t("quarantine.col.reasons"), reasons_text, sortable=False,
               tooltip=reasons_text),
        Column("status", _t("quarantine.col.status"), lambda r: tr(f"quarantine.status.{r.status}"),
               sortable=False, color=lambda r: "#b26a00" if r.status == "open" else None),
        Column("first_seen", _t("quarantine.col.first_seen"),
               lambda r: format_datetime(r.first_seen_at), sortable=False),
        Column("last_seen", _t("quarantine.col.last_seen"),
               lambda r: format_datetime(r.last_seen_at), sortable=False,
               tooltip=lambda r: format_age(r.last_seen_at)),
    ]  # fmt: skip


class QuarantineModel(LazyTableModel[QuarantineRow]):
    """Entry ids for a `QuarantineQuery` (most recently seen first), rows a page at a time."""

    def __init__(self, tasks: TaskRunner, factory: sessionmaker[Session], parent: Any = None):
        self._factory = factory
        super().__init__(
            tasks,
            quarantine_columns(),
            fetch_ids=self._select_ids,
            fetch_rows=self._select_rows,
            parent=parent,
        )

    def _select_ids(self, query: QuarantineQuery | None, sort: SortSpec) -> list[int]:
        del sort  # one order only: most recently seen first
        with self._factory() as session:
            return queries_admin.quarantine_ids(session, query or QuarantineQuery())

    def _select_rows(self, ids: Sequence[int]) -> list[QuarantineRow]:
        with self._factory() as session:
            return queries_admin.quarantine_rows(session, ids)


def with_search(query: QuarantineQuery, text: str) -> QuarantineQuery:
    return dataclasses.replace(query, search=text)
