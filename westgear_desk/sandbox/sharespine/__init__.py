"""Sharespine (Plugboard) sandbox: the real paths, auth, paging and filters over seeded data."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from westgear_desk.sandbox.common import (
    SandboxConfig,
    SandboxSystem,
    WebhookSender,
    build_sandbox_app,
    current_faults,
)
from westgear_desk.sandbox.sharespine.admin import SharespineAdmin, sign
from westgear_desk.sandbox.sharespine.api import SharespineApi, product_bytes
from westgear_desk.sandbox.sharespine.state import SharespineState

__all__ = ["CREDENTIALS", "DRIFT_NEW_FIELD", "DRIFT_RENAMES", "build", "drift", "sign"]

CREDENTIALS = {
    "tenant": "westgear-sandbox",
    "connection_id": "4f1c2a9e8b7d4c3a9e1f0b2c3d4e5f60",
    "username": "api-westgear",
    "password": "sandbox-password",
    "webhook_secret": "sandbox-webhook-secret",
}
DRIFT_NEW_FIELD = ("carbonFootprintKg", "1.7")
# renamed_field: a known field comes under a new name (the old one disappears)
DRIFT_RENAMES = {"sku": "articleNumber", "customerType": "type", "orderStatus": "status"}


def _drift_record(record: Any, mode: str) -> Any:
    if not isinstance(record, dict):
        return record
    if mode == "new_field":
        return {**record, DRIFT_NEW_FIELD[0]: DRIFT_NEW_FIELD[1]}
    if mode == "renamed_field":
        return {DRIFT_RENAMES.get(key, key): value for key, value in record.items()}
    return record


def drift(body: Any, mode: str) -> Any:
    """Rewrite a response body for the schema-drift fault (each record of a list)."""
    if isinstance(body, list):
        return [_drift_record(item, mode) for item in body]
    return _drift_record(body, mode)


def build(
    config: SandboxConfig, *, variants_per_product: int | None = None, prerender: bool = False
) -> SandboxSystem:
    """The Sharespine sandbox app seeded from `config` (products, broken share, seed).

    `prerender` renders every product's JSON up front (a few KB each), so that pages cost
    the sandbox next to no CPU; benchmarks use it so the stand-in server does not take the
    cores the sync is measured on.
    """
    state = SharespineState(config.seed, config.products, config.broken_share, variants_per_product)
    if prerender:
        state.prerender(product_bytes)
    credentials = dict(CREDENTIALS)
    api = SharespineApi(state, credentials)
    holder: dict[str, Starlette] = {}
    sender: list[WebhookSender] = []

    def webhook_sender() -> WebhookSender:
        if not sender:
            sender.append(WebhookSender(lambda: current_faults(holder["app"])))
        return sender[0]

    admin = SharespineAdmin(
        state, credentials["webhook_secret"], config.webhook_url, webhook_sender
    )
    app = build_sandbox_app(
        "sharespine",
        api.routes(),
        faults=config.faults,
        reset=state.reset,
        admin_routes=admin.routes(),
        drift=drift,
    )
    holder["app"] = app
    app.state.sharespine = state
    return SandboxSystem(name="sharespine", app=app, credentials=credentials)
