"""Fortnox sandbox: OAuth token endpoint beside the /3/ REST API, with Fortnox's real limits.

Models: client-credentials and single-use refresh-token grants, the gateway's 401, 25
requests per 5 s per tenant (429 past it, regardless of fault injection), customers,
articles, invoices (credit notes, cancel, bookkeep), orders (to invoice) and vouchers with
`page`/`limit`/`MetaInformation`, `lastmodified`, `filter` and substring search, and the
real error bodies in both casings. Admin: POST /_sandbox/fortnox/tokens/expire,
POST /_sandbox/fortnox/invoices/{n}/pay.
"""

from __future__ import annotations

import hashlib
from typing import Any

from westgear_desk.sandbox.common import SandboxConfig, SandboxSystem, build_sandbox_app
from westgear_desk.sandbox.fortnox.oauth import TokenIssuer
from westgear_desk.sandbox.fortnox.routes import FortnoxRoutes
from westgear_desk.sandbox.fortnox.store import FortnoxStore

__all__ = ["build", "sandbox_credentials"]

NEW_FIELD = "SustainabilityReport"  # drift "new_field": a key Fortnox might add one day
RENAMES = {  # drift "renamed_field": the first of these present is renamed
    "DocumentNumber": "DocumentNo",
    "CustomerNumber": "CustomerNo",
    "ArticleNumber": "ArticleNo",
    "Description": "Descr",
}


def sandbox_credentials(seed: int) -> dict[str, str]:
    """The credentials the sandbox accepts, named as Fortnox names them; stable per seed."""

    def derive(kind: str) -> str:
        return hashlib.sha256(f"fortnox-sandbox:{seed}:{kind}".encode()).hexdigest()[:32]

    return {
        "client_id": f"wg-sandbox-{derive('client')[:12]}",
        "client_secret": derive("secret"),
        "tenant_id": str(int(derive("tenant")[:6], 16) % 900_000 + 100_000),
        "refresh_token": derive("refresh"),
    }


def _drift_resource(resource: dict[str, Any], mode: str) -> None:
    if mode == "new_field":
        resource[NEW_FIELD] = {"Score": "A", "Version": 2}
        return
    for old, new in RENAMES.items():
        if old in resource:
            resource[new] = resource.pop(old)
            return


def drift(document: Any, mode: str) -> Any:
    """Rewrite each resource of an answer (not MetaInformation) for schema-drift faults."""
    if not isinstance(document, dict):
        return document
    for key, value in document.items():
        if key == "MetaInformation":
            continue
        for resource in value if isinstance(value, list) else [value]:
            if isinstance(resource, dict):
                _drift_resource(resource, mode)
    return document


def build(config: SandboxConfig) -> SandboxSystem:
    """The Fortnox sandbox app and the credentials it accepts."""
    credentials = sandbox_credentials(config.seed)
    store = FortnoxStore(seed=config.seed)
    issuer = TokenIssuer(credentials)
    store.reset()

    def reset() -> None:
        store.reset()
        issuer.reset()

    routes = FortnoxRoutes(store, issuer)
    app = build_sandbox_app(
        "fortnox",
        routes.routes(),
        faults=config.faults,
        reset=reset,
        admin_routes=routes.admin_routes(),
        drift=drift,
    )
    return SandboxSystem(name="fortnox", app=app, credentials=credentials)
