"""Seed data for the desk's admin screens: catalog, quarantine, dead jobs, inbox, calls, runs.

Shared by the service tests and the page tests (tests/ui); every function takes an open
session, adds rows and flushes, so the caller decides when to commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from westgear_desk.db.enums import (
    InboxStatus,
    JobAttemptOutcome,
    JobStatus,
    PriceListKind,
    QuarantineStatus,
    RecordType,
    SourceSystem,
    SyncRunStatus,
)
from westgear_desk.db.models import (
    ApiCall,
    Brand,
    InboxEvent,
    Job,
    JobAttempt,
    Price,
    PriceList,
    Product,
    QuarantineEntry,
    StockLevel,
    StockLocation,
    SyncRun,
    Variant,
)
from westgear_desk.errors import ErrorCategory

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
SHARESPINE = SourceSystem.SHARESPINE


@dataclass
class CatalogIds:
    published: int
    quarantined: int
    inactive: int
    ean: str


def seed_catalog(session: Session) -> CatalogIds:
    """Three products: a published jacket (2 sizes), a quarantined kayak, an inactive tent."""
    brand = Brand(name="Fjällräv")
    main, store = (
        StockLocation(code="HUV", name="Huvudlager"),
        StockLocation(code="BUT", name="Butik Göteborg"),
    )
    lists = {
        PriceListKind.LIST: PriceList(
            code="SEK-LIST", name="Ordinarie", kind=PriceListKind.LIST, currency="SEK",
            includes_vat=True,
        ),
        PriceListKind.CAMPAIGN: PriceList(
            code="SEK-KAMP", name="Kampanj", kind=PriceListKind.CAMPAIGN, currency="SEK",
            includes_vat=True,
        ),
        PriceListKind.B2B: PriceList(
            code="SEK-B2B", name="Återförsäljare", kind=PriceListKind.B2B, currency="SEK",
            includes_vat=False, b2b_level="A",
        ),
    }  # fmt: skip
    session.add_all([brand, main, store, *lists.values()])
    jacket = Product(
        source_system=SHARESPINE, external_id="P-100", name="Skaljacka Abisko", brand=brand,
        published=True,
    )  # fmt: skip
    kayak = Product(source_system=SHARESPINE, external_id="P-200", name="Havskajak Sälen")
    tent = Product(source_system=SHARESPINE, external_id="P-300", name="Tält Kebne 2", active=False)
    jacket_m = Variant(
        product=jacket, source_system=SHARESPINE, external_id="V-101", sku="JKT-ABI-M",
        ean="7350000000019", name="Skaljacka Abisko M", attributes={"size": "M"}, published=True,
    )  # fmt: skip
    jacket_l = Variant(
        product=jacket, source_system=SHARESPINE, external_id="V-102", sku="JKT-ABI-L",
        ean="7350000000026", name="Skaljacka Abisko L", attributes={"size": "L"}, published=True,
    )  # fmt: skip
    kayak_v = Variant(
        product=kayak, source_system=SHARESPINE, external_id="V-201", sku="KAY-SAL-1",
        ean="7350000000033", attributes={},
    )  # fmt: skip
    tent_v = Variant(
        product=tent, source_system=SHARESPINE, external_id="V-301", sku="TNT-KEB-2",
        attributes={}, active=False,
    )  # fmt: skip
    session.add_all([jacket, kayak, tent, jacket_m, jacket_l, kayak_v, tent_v])
    session.flush()
    for variant, amount in ((jacket_m, "2499.00"), (jacket_l, "2499.00"), (kayak_v, "12900.50")):
        session.add(_price(lists[PriceListKind.LIST], variant, amount))
        session.add(
            _price(lists[PriceListKind.B2B], variant, str(Decimal(amount) * Decimal("0.6") // 1))
        )
    campaign = _price(lists[PriceListKind.CAMPAIGN], jacket_m, "1999.00")
    campaign.valid_from, campaign.valid_to = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=6)
    expired = _price(lists[PriceListKind.CAMPAIGN], jacket_l, "1499.00")
    expired.valid_from, expired.valid_to = NOW - dt.timedelta(days=9), NOW - dt.timedelta(days=2)
    session.add_all([campaign, expired])
    session.add_all(
        [
            StockLevel(variant=jacket_m, location=main, quantity=Decimal(12), reserved=Decimal(2)),
            StockLevel(variant=jacket_m, location=store, quantity=Decimal(3)),
            StockLevel(variant=jacket_l, location=main, quantity=Decimal(0)),
            StockLevel(variant=kayak_v, location=main, quantity=Decimal(1)),
        ]
    )
    session.add(
        QuarantineEntry(
            source_system=SHARESPINE, record_type=RecordType.PRODUCT, external_id="P-200",
            reasons=[_reason("negative_price", "prices.0.amount")], raw_payload={"id": "P-200"},
        )
    )  # fmt: skip
    session.flush()
    return CatalogIds(jacket_m.id, kayak_v.id, tent_v.id, "7350000000019")


def _price(price_list: PriceList, variant: Variant, amount: str) -> Price:
    return Price(
        price_list=price_list,
        variant=variant,
        amount=Decimal(amount).quantize(Decimal("0.01")),
        currency="SEK",
        vat_rate=Decimal("0.25"),
        includes_vat=price_list.includes_vat,
    )


REASON_TEXTS = {
    "negative_price": ("Priset är negativt", "The price is negative"),
    "missing_ean": ("EAN saknas", "The EAN is missing"),
    "bad_vat": ("Momssatsen är okänd", "The VAT rate is unknown"),
}


def _reason(code: str, field: str) -> dict[str, str]:
    sv, en = REASON_TEXTS[code]
    return {"code": code, "field": field, "message_sv": sv, "message_en": en}


def seed_quarantine(session: Session, count: int = 3) -> list[int]:
    """`count` open entries with one or two reasons each and a nested raw payload."""
    entries = []
    for n in range(count):
        reasons = [_reason("negative_price", "prices.0.amount")]
        if n % 2 == 0:
            reasons.append(_reason("missing_ean", "variants.0.ean"))
        entries.append(
            QuarantineEntry(
                source_system=SHARESPINE,
                record_type=RecordType.PRODUCT,
                external_id=f"Q-{n + 1}",
                reasons=reasons,
                raw_payload={
                    "id": f"Q-{n + 1}",
                    "name": f"Trasig produkt {n + 1}",
                    "prices": [{"amount": -10 - n, "currency": "SEK"}],
                    "variants": [{"sku": f"Q-SKU-{n + 1}", "ean": None}],
                },
                first_seen_at=NOW - dt.timedelta(hours=5 + n),
                last_seen_at=NOW - dt.timedelta(minutes=10 * n),
            )
        )
    entries.append(
        QuarantineEntry(
            source_system=SHARESPINE, record_type=RecordType.PRODUCT, external_id="Q-OLD",
            reasons=[_reason("bad_vat", "vat")], raw_payload={"vat": 7},
            status=QuarantineStatus.IGNORED,
        )
    )  # fmt: skip
    session.add_all(entries)
    session.flush()
    return [e.id for e in entries[:count]]


def seed_dead_jobs(session: Session, count: int = 2) -> list[int]:
    """Dead Klarna captures with three failed attempts each (HTTP status, request id)."""
    ids = []
    for n in range(count):
        job = Job(
            kind="klarna.capture",
            payload={"order_id": f"KL-{n}", "amount": 24990},
            idempotency_key=f"capture-{n}",
            correlation_id=f"corr-{n}",
            status=JobStatus.DEAD,
            attempts=3,
            last_error="klarna answered HTTP 503",
            last_error_class="westgear_desk.errors.ServerError",
            last_http_status=503,
        )
        session.add(job)
        session.flush()
        for attempt in range(1, 4):
            session.add(
                JobAttempt(
                    job_id=job.id,
                    attempt_no=attempt,
                    desk="desk-1",
                    started_at=NOW - dt.timedelta(minutes=30 - attempt),
                    finished_at=NOW - dt.timedelta(minutes=30 - attempt),
                    outcome=JobAttemptOutcome.DEAD if attempt == 3 else JobAttemptOutcome.RETRY,
                    error_class="westgear_desk.errors.ServerError",
                    error_category=ErrorCategory.TRANSIENT,
                    message="klarna answered HTTP 503",
                    http_status=503,
                    request_id=f"req-{n}-{attempt}",
                    latency_ms=120 * attempt,
                )
            )
        ids.append(job.id)
    session.add(
        Job(kind="fortnox.invoice", payload={}, idempotency_key="done-1", status=JobStatus.DONE)
    )
    session.flush()
    return ids


def seed_inbox(session: Session) -> list[int]:
    """A processed and a dead Klarna notification."""
    events = [
        InboxEvent(
            source="klarna", event_type="order.captured", dedupe_key=f"evt-{n}", headers={},
            raw_body=b'{"n": %d}' % n, signature_ok=True, status=status, attempts=1,
            last_error=None if status == InboxStatus.PROCESSED else "boom",
        )
        for n, status in enumerate((InboxStatus.PROCESSED, InboxStatus.DEAD))
    ]  # fmt: skip
    session.add_all(events)
    session.flush()
    return [e.id for e in events]


def seed_api_calls(session: Session) -> None:
    """Calls over the last 24 h: Klarna mostly fine, some 503s, one slow Fortnox call."""
    calls = []
    for hour in range(0, 24, 2):
        at = NOW - dt.timedelta(hours=hour, minutes=5)
        ok = ApiCall(at=at, system="klarna", method="GET", endpoint="/orders/{id}",
                     status_code=200, latency_ms=80 + hour, request_id=f"r{hour}")  # fmt: skip
        calls.append(ok)
        if hour % 6 == 0:
            failed = ApiCall(at=at, system="klarna", method="POST", endpoint="/captures",
                             status_code=503, latency_ms=400, error_code="unavailable")  # fmt: skip
            calls.append(failed)
    calls.append(ApiCall(at=NOW - dt.timedelta(minutes=1), system="fortnox", method="GET",
                         endpoint="/3/articles", status_code=200, latency_ms=4200))  # fmt: skip
    session.add_all(calls)
    session.flush()


def seed_runs(session: Session) -> None:
    """Two catalog runs (one failed) and a stock run."""
    for n, (schedule, status) in enumerate(
        (
            ("catalog", SyncRunStatus.SUCCEEDED),
            ("catalog", SyncRunStatus.FAILED),
            ("stock_price", SyncRunStatus.SUCCEEDED),
        )
    ):
        started = NOW - dt.timedelta(minutes=20 * (n + 1))
        session.add(
            SyncRun(
                schedule=schedule, run_key=f"{schedule}:{n}", desk="desk-1", status=status,
                started_at=started, finished_at=started + dt.timedelta(seconds=42),
                counts={"fetched": 120, "written": 7, "quarantined": 2},
                error_summary="ServerError: 503" if status == SyncRunStatus.FAILED else None,
            )
        )  # fmt: skip
    session.flush()
