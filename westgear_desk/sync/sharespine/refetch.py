"""Re-fetch one quarantined product from Sharespine now ("re-fetch now" on the Quarantine page).

The product goes through the same page pipeline as a sync, so a fixed product is published and
its quarantine entry released (audited as the system does), and a still-broken one stays
quarantined with its current reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from westgear_desk.db.models import QuarantineEntry
from westgear_desk.errors import DataError

if TYPE_CHECKING:
    from westgear_desk.sync.flows import FlowEnvironment


class QuarantinedRecord(Protocol):
    """What the caller knows of the entry (the services layer's QuarantineRef fits)."""

    entry_id: int
    external_id: str


def _local_id(payload: Any) -> str | None:
    value = payload.get("localId") if isinstance(payload, dict) else None
    return str(value) if value else None


def refetch_product(env: FlowEnvironment, ref: QuarantinedRecord) -> str:
    """Fetch the product again and apply it; return a short outcome for the audit log.

    Raises IntegrationError subclasses when Sharespine cannot be reached (the caller reports
    them); a product Sharespine no longer has is an outcome, not an error.
    """
    from westgear_desk.sync.sharespine import catalog_sync
    from westgear_desk.sync.sharespine.catalog_pages import apply_page
    from westgear_desk.sync.sharespine.notifications import fetch_record

    with env.session_factory() as session:
        entry = session.get(QuarantineEntry, ref.entry_id)
        local_id = _local_id(entry.raw_payload) if entry is not None else None
    if local_id is None:
        return f"{ref.external_id}: no Sharespine localId stored; the next sync brings it"
    sync = catalog_sync(env)
    try:
        record = fetch_record(sync.client, local_id)
        counts = apply_page(sync, [record], None)
    except DataError as exc:
        if exc.status_code == 404:
            return f"{ref.external_id}: no longer in Sharespine"
        raise
    finally:
        sync.client.close()
    return f"{ref.external_id}: {counts.summary()}"
