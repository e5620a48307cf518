"""The catalog table: one lazy row per variant with prices by kind and stock per location.

Columns are built for the stock locations the database has (one stock column each), so the
page asks for the locations first and then builds this model.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from westgear_desk.db import queries_catalog
from westgear_desk.db.enums import PriceListKind
from westgear_desk.db.queries_catalog import CatalogQuery, CatalogRow, CatalogSort, LocationView
from westgear_desk.ui.formatting import format_money, format_quantity
from westgear_desk.ui.i18n import register, tr
from westgear_desk.ui.models.lazy_table import Column, LazyTableModel, SortSpec
from westgear_desk.ui.tasks import TaskRunner

register(
    {
        "catalog.col.sku": ("Artikelnr", "SKU"),
        "catalog.col.ean": ("EAN", "EAN"),
        "catalog.col.name": ("Namn", "Name"),
        "catalog.col.brand": ("Varumärke", "Brand"),
        "catalog.col.state": ("Publicering", "Publish state"),
        "catalog.col.list": ("Listpris", "List price"),
        "catalog.col.campaign": ("Kampanjpris", "Campaign price"),
        "catalog.col.b2b": ("B2B-pris", "B2B price"),
        "catalog.col.stock_total": ("Lager totalt", "Total stock"),
        "catalog.col.stock_at": ("Lager {code}", "Stock {code}"),
        "catalog.state.published": ("publicerad", "published"),
        "catalog.state.unpublished": ("ej publicerad", "unpublished"),
        "catalog.state.quarantined": ("i karantän", "quarantined"),
        "catalog.state.inactive": ("inaktiv", "inactive"),
        "catalog.vat.incl": ("inkl. moms", "incl. VAT"),
        "catalog.vat.excl": ("exkl. moms", "excl. VAT"),
    }
)
STATE_COLORS = {"quarantined": "#b26a00", "inactive": "#757575", "published": "#1b5e20"}
_SORTS = {"sku": CatalogSort.SKU, "name": CatalogSort.NAME, "ean": CatalogSort.EAN}


def state_text(state: str) -> str:
    return tr(f"catalog.state.{state}")


def display_name(row: CatalogRow) -> str:
    if row.variant_name and row.variant_name != row.product_name:
        return row.variant_name
    extra = " ".join(str(v) for v in row.attributes.values())
    return f"{row.product_name} {extra}".strip()


def _price(kind: PriceListKind) -> Any:
    def show(row: CatalogRow) -> str:
        price = row.prices.get(kind)
        return "–" if price is None else format_money(price.amount, price.currency)

    def tip(row: CatalogRow) -> str | None:
        price = row.prices.get(kind)
        if price is None:
            return None
        vat = tr("catalog.vat.incl") if price.includes_vat else tr("catalog.vat.excl")
        return f"{price.price_list} ({vat})"

    return show, tip


def _stock_at(code: str) -> Any:
    def show(row: CatalogRow) -> str:
        level = row.stock.get(code)
        return "–" if level is None else format_quantity(level.quantity)

    def tip(row: CatalogRow) -> str | None:
        level = row.stock.get(code)
        if level is None or level.reserved == Decimal(0):
            return None
        return f"{format_quantity(level.reserved)} reserverat / reserved"

    return show, tip


def catalog_columns(locations: Sequence[LocationView]) -> list[Column[CatalogRow]]:
    def t(key: str) -> Any:
        return lambda: tr(key)

    columns: list[Column[CatalogRow]] = [
        Column("sku", t("catalog.col.sku"), lambda r: r.sku),
        Column("ean", t("catalog.col.ean"), lambda r: r.ean or "–"),
        Column("name", t("catalog.col.name"), display_name, tooltip=lambda r: r.product_name),
        Column("brand", t("catalog.col.brand"), lambda r: r.brand or "–", sortable=False),
        Column("state", t("catalog.col.state"), lambda r: state_text(r.state), sortable=False,
               color=lambda r: STATE_COLORS.get(r.state)),
    ]  # fmt: skip
    for kind, key in (
        (PriceListKind.LIST, "catalog.col.list"),
        (PriceListKind.CAMPAIGN, "catalog.col.campaign"),
        (PriceListKind.B2B, "catalog.col.b2b"),
    ):
        show, tip = _price(kind)
        columns.append(Column(kind.value, t(key), show, False, True, tip))
    columns.append(
        Column("stock_total", t("catalog.col.stock_total"),
               lambda r: format_quantity(r.total_stock), False, True)
    )  # fmt: skip
    for location in locations:
        show, tip = _stock_at(location.code)
        title = functools.partial(tr, "catalog.col.stock_at", code=location.code)
        columns.append(Column(f"stock:{location.code}", title, show, False, True, tip))
    return columns


class CatalogModel(LazyTableModel[CatalogRow]):
    """Variant ids for a `CatalogQuery` in SQL (sorted there), rows a page at a time."""

    def __init__(
        self,
        tasks: TaskRunner,
        factory: sessionmaker[Session],
        locations: Sequence[LocationView],
        parent: Any = None,
    ) -> None:
        self._factory = factory
        super().__init__(
            tasks,
            catalog_columns(locations),
            fetch_ids=self._select_ids,
            fetch_rows=self._select_rows,
            row_id=lambda row: row.variant_id,
            parent=parent,
        )

    def _select_ids(self, query: CatalogQuery | None, sort: SortSpec) -> list[int]:
        query = query or CatalogQuery()
        if sort.key in _SORTS:
            query = dataclasses.replace(query, sort=_SORTS[sort.key], descending=sort.descending)
        with self._factory() as session:
            return queries_catalog.variant_ids(session, query)

    def _select_rows(self, ids: Sequence[int]) -> list[CatalogRow]:
        with self._factory() as session:
            return queries_catalog.variant_rows(session, ids)
