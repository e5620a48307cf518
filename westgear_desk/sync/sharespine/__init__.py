"""Sharespine in the engine: catalog flows, change-notification processors, log-event jobs.

Listed in `sync.flows.ENGINE_MODULES`, so the worker command, the GUI and the demo all
schedule these flows and run these handlers. Each hook builds its Sharespine client from
the environment's settings and credentials, reporting calls to the environment's recorder.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, cast

from westgear_desk.sync import flows
from westgear_desk.sync.flows import Flow, FlowEnvironment, FlowRegistry, RunContext

if TYPE_CHECKING:
    from westgear_desk.integrations.calllog import CallRecorder
    from westgear_desk.settings import Settings
    from westgear_desk.sync.inbox_worker import InboxRegistry
    from westgear_desk.sync.jobs import JobRegistry
    from westgear_desk.sync.runs import RunCounts
    from westgear_desk.sync.sharespine.catalog_pages import CatalogSync

FULL_REFRESH: Final = "full_refresh"
CATALOG: Final = "catalog"
STOCK_PRICE: Final = "stock_price"
NOTIFICATION_SOURCE: Final = "sharespine"
STOCK_CHANGED: Final = "stock_changed"
PRICE_CHANGED: Final = "price_changed"
#: A product notification naming both stock and price (or other fields): stock and prices are
#: applied at once; other fields arrive with the next incremental catalog sync.
PRODUCT_CHANGED: Final = "product_changed"
#: Sibling modules (customers and orders) whose hooks this package's hooks include.
SIBLINGS: Final = ("westgear_desk.sync.sharespine.orders",)


def _siblings() -> list[ModuleType]:
    """Sibling hook modules not already listed in ENGINE_MODULES themselves."""
    return [importlib.import_module(n) for n in SIBLINGS if n not in flows.ENGINE_MODULES]


def catalog_sync(env: FlowEnvironment, recorder: CallRecorder | None = None) -> CatalogSync:
    """A CatalogSync over the environment's database and a client built from its settings."""
    from westgear_desk.sync.sharespine.catalog_pages import CatalogSync
    from westgear_desk.sync.sharespine.client_factory import build_client

    settings = cast("Settings", env.settings)
    client = build_client(settings, recorder=recorder or env.call_recorder)
    return CatalogSync(env.session_factory, client)


def make_flow(env: FlowEnvironment, kind: str) -> Flow:
    """The catalog flow `kind` (full_refresh, catalog or stock_price) for `env`."""
    from westgear_desk.sync.sharespine import catalog, stock_price

    def run(ctx: RunContext) -> RunCounts:
        sync = catalog_sync(env, ctx.call_recorder)
        try:
            if kind == FULL_REFRESH:
                return catalog.full_refresh(sync, ctx.run_id)
            if kind == STOCK_PRICE:
                return stock_price.stock_price_sync(sync, ctx.run_id)
            return catalog.incremental_sync(sync, ctx.run_id)
        finally:
            sync.client.close()

    descriptions = {
        FULL_REFRESH: "Sharespine: whole catalog, marks vanished products inactive",
        CATALOG: "Sharespine: products changed since the last run",
        STOCK_PRICE: "Sharespine: stock and prices changed since the last run",
    }
    return Flow(kind, env.schedules[kind], run, descriptions[kind])


def register_flows(registry: FlowRegistry, env: FlowEnvironment) -> None:
    """The three catalog flows on the standard schedules of the same names (and siblings')."""
    for kind in (FULL_REFRESH, CATALOG, STOCK_PRICE):
        registry.register(make_flow(env, kind))
    flows.contribute("register_flows", registry, env, _siblings())


def register_jobs(registry: JobRegistry, env: FlowEnvironment) -> None:
    """`sharespine.log_event`: report quarantine reasons to Sharespine's event log."""
    from westgear_desk.sync.sharespine.notifications import log_event_handler

    registry.register("sharespine.log_event", log_event_handler(env))
    flows.contribute("register_jobs", registry, env, _siblings())


def register_inbox(registry: InboxRegistry, env: FlowEnvironment) -> None:
    """Stock and price change notifications update just that product's stock or prices."""
    from westgear_desk.sync.sharespine.notifications import change_processor

    for event_type in (STOCK_CHANGED, PRICE_CHANGED, PRODUCT_CHANGED):
        registry.register(NOTIFICATION_SOURCE, event_type, change_processor(env))
    flows.contribute("register_inbox", registry, env, _siblings())


def register_refetch(registry: Any, env: FlowEnvironment) -> None:
    """The Quarantine page's "re-fetch now" for Sharespine products."""
    from westgear_desk.sync.sharespine.refetch import QuarantinedRecord, refetch_product

    def refetch(ref: QuarantinedRecord) -> str:
        return refetch_product(env, ref)

    registry.register(NOTIFICATION_SOURCE, refetch, record_type="product")
