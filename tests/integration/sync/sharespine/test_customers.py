"""Customer sync from the Sharespine sandbox over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers.sandboxes import RunningSandbox
from tests.integration.sync.sharespine.record_fixtures import count, quarantine_entries, state_of
from westgear_desk.credentials import env_var_for
from westgear_desk.db.enums import (
    CustomerKind,
    InboxStatus,
    QuarantineStatus,
    RecordType,
    SourceSystem,
)
from westgear_desk.db.models import (
    Customer,
    CustomerAddress,
    CustomerExternalId,
    InboxEvent,
    QuarantineEntry,
    SyncCursor,
)
from westgear_desk.domain import customer_rules
from westgear_desk.domain.identifiers import make_orgnr, vat_number_for_orgnr
from westgear_desk.integrations.drift import describe_validation_error
from westgear_desk.integrations.sharespine.client import (
    RecordResult,
    SharespineClient,
    SharespineCredentials,
)
from westgear_desk.integrations.sharespine.contract import Customer as ContractCustomer
from westgear_desk.sandbox.seed import SeedCustomer
from westgear_desk.settings import load_settings
from westgear_desk.sync import inbox
from westgear_desk.sync.flows import FlowEnvironment, standard_schedules
from westgear_desk.sync.inbox import InboxProcessor, InboxRegistry
from westgear_desk.sync.retry import PolicyResolver
from westgear_desk.sync.sharespine.customers import store_customers, sync_customers
from westgear_desk.sync.sharespine.orders import register_inbox


def edit_customer(sandbox: RunningSandbox, index: int, **changes: object) -> SeedCustomer:
    """Change a customer in the sandbox as a person would in Sharespine (stamped now).

    The sandbox lists customers by modification time, so the changed one moves to the end.
    """
    state = state_of(sandbox)
    changed = dataclasses.replace(
        state.customers[index],
        modified=state.clock.tick(),
        **changes,  # type: ignore[arg-type]
    )
    del state.customers[index]
    state.customers.append(changed)
    return changed


def b2b_indices(sandbox: RunningSandbox) -> list[int]:
    return [i for i, c in enumerate(state_of(sandbox).customers) if c.kind == "b2b"]


def stored(factory: sessionmaker[Session], remote_id: str) -> Customer | None:
    with factory() as session:
        return session.scalars(
            select(Customer)
            .join(CustomerExternalId)
            .where(
                CustomerExternalId.source_system == SourceSystem.SHARESPINE,
                CustomerExternalId.external_id == remote_id,
            )
        ).one_or_none()


def quarantined(factory: sessionmaker[Session]) -> list[QuarantineEntry]:
    return quarantine_entries(factory, RecordType.CUSTOMER)


def test_full_sync_stores_b2c_and_b2b_customers(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    seeded = state_of(sharespine_sandbox).customers
    counts = sync_customers(session_factory, client)

    assert counts.fetched == len(seeded)
    assert counts.created == len(seeded)
    assert counts.quarantined == 0
    assert count(session_factory, Customer) == len(seeded)
    company = seeded[b2b_indices(sharespine_sandbox)[0]]
    row = stored(session_factory, company.remote_id)
    assert row is not None
    assert row.kind == CustomerKind.B2B
    assert row.name == company.company_name
    assert row.org_number == company.org_number
    assert row.vat_number == company.vat_number
    assert row.owner_system == SourceSystem.SHARESPINE
    person = next(c for c in seeded if c.kind == "b2c")
    consumer = stored(session_factory, person.remote_id)
    assert consumer is not None
    assert consumer.kind == CustomerKind.B2C
    assert consumer.email == person.email
    assert consumer.phone is None  # a consumer's phone travels on the order only
    assert count(session_factory, CustomerAddress) == len(seeded)


def test_invalid_org_number_is_quarantined_with_its_code(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    index = b2b_indices(sharespine_sandbox)[0]
    good = state_of(sharespine_sandbox).customers[index].org_number
    assert good is not None
    broken = good[:-1] + str((int(good[-1]) + 1) % 10)
    bad = edit_customer(sharespine_sandbox, index, org_number=broken, vat_number=None)

    counts = sync_customers(session_factory, client)

    assert counts.quarantined == 1
    assert stored(session_factory, bad.remote_id) is None
    [entry] = quarantined(session_factory)
    assert entry.external_id == bad.remote_id
    assert entry.status == QuarantineStatus.OPEN
    assert [r["code"] for r in entry.reasons] == [customer_rules.INVALID_ORG_NUMBER]
    assert entry.reasons[0]["message_sv"]
    assert entry.reasons[0]["message_en"]
    assert entry.raw_payload["orgNo"] == broken
    assert entry.raw_payload["email"] == "[personal]"  # personal data not kept in quarantine

    fixed = edit_customer(
        sharespine_sandbox,
        len(state_of(sharespine_sandbox).customers) - 1,
        org_number=good,
        vat_number=vat_number_for_orgnr(good),
    )
    again = sync_customers(session_factory, client)
    assert again.released == 1
    assert stored(session_factory, fixed.remote_id) is not None
    [entry] = quarantined(session_factory)
    assert entry.status == QuarantineStatus.RELEASED


def test_wrong_vat_number_is_quarantined(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    index = b2b_indices(sharespine_sandbox)[1]
    other = vat_number_for_orgnr(make_orgnr("559000001"))
    edit_customer(sharespine_sandbox, index, vat_number=other)

    sync_customers(session_factory, client)

    [entry] = quarantined(session_factory)
    assert [r["code"] for r in entry.reasons] == [customer_rules.VAT_ORG_MISMATCH]


def test_incremental_run_fetches_only_changed_and_rerun_is_idempotent(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    sync_customers(session_factory, client)
    index = b2b_indices(sharespine_sandbox)[0]
    changed = edit_customer(sharespine_sandbox, index, company_name="Nytt Namn AB")

    counts = sync_customers(session_factory, client)

    assert counts.fetched == 1
    assert counts.updated == 1
    row = stored(session_factory, changed.remote_id)
    assert row is not None
    assert row.name == "Nytt Namn AB"
    rerun = sync_customers(session_factory, client)
    assert rerun.written == 0
    assert rerun.unchanged == rerun.fetched
    with session_factory() as session:
        cursor = session.scalars(select(SyncCursor).where(SyncCursor.resource == "customers")).one()
    assert datetime.fromisoformat(cursor.value) <= datetime.now(UTC)


def test_full_rerun_writes_nothing(
    session_factory: sessionmaker[Session], client: SharespineClient
) -> None:
    first = sync_customers(session_factory, client, full=True, page_size=7)
    second = sync_customers(session_factory, client, full=True, page_size=7)

    assert second.fetched == first.fetched
    assert second.written == 0
    assert second.unchanged == first.fetched
    assert count(session_factory, CustomerExternalId) == first.created


def test_fortnox_owned_b2b_master_fields_are_not_overwritten(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    sync_customers(session_factory, client, b2b_owner="fortnox")
    index = b2b_indices(sharespine_sandbox)[0]
    company = state_of(sharespine_sandbox).customers[index]
    first = stored(session_factory, company.remote_id)
    assert first is not None
    assert first.owner_system == SourceSystem.FORTNOX
    person = next(c for c in state_of(sharespine_sandbox).customers if c.kind == "b2c")
    person_index = state_of(sharespine_sandbox).customers.index(person)

    edit_customer(sharespine_sandbox, index, company_name="Sharespine Namn AB", email="x@y.example")
    edit_customer(sharespine_sandbox, person_index, first_name="Ändrad")
    counts = sync_customers(session_factory, client, b2b_owner="fortnox")

    assert counts.updated == 2
    after = stored(session_factory, company.remote_id)
    assert after is not None
    assert after.name == first.name
    assert after.email == first.email
    assert after.source_modified_at is not None
    assert first.source_modified_at is not None
    assert after.source_modified_at > first.source_modified_at
    consumer = stored(session_factory, person.remote_id)
    assert consumer is not None
    assert consumer.name.startswith("Ändrad ")


def test_b2b_customer_created_in_fortnox_is_linked_by_org_number(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    company = state_of(sharespine_sandbox).customers[b2b_indices(sharespine_sandbox)[0]]
    with session_factory() as session, session.begin():
        session.add(
            Customer(
                kind=CustomerKind.B2B,
                name="Fortnox Namn AB",
                org_number=company.org_number,
                owner_system=SourceSystem.FORTNOX,
            )
        )

    sync_customers(session_factory, client, b2b_owner="fortnox")

    row = stored(session_factory, company.remote_id)
    assert row is not None
    assert row.name == "Fortnox Namn AB"
    with session_factory() as session:
        same_org = session.scalar(
            select(func.count()).where(Customer.org_number == company.org_number)
        )
    assert same_org == 1


def test_out_of_order_older_version_never_overwrites(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    index = b2b_indices(sharespine_sandbox)[0]
    newer = edit_customer(sharespine_sandbox, index, company_name="Nyare AB")
    sync_customers(session_factory, client)
    state = state_of(sharespine_sandbox)
    position = state.customers.index(newer)
    state.customers[position] = dataclasses.replace(
        newer, company_name="Äldre AB", modified=newer.modified.replace(year=2020)
    )

    counts = sync_customers(session_factory, client, full=True)

    assert counts.written == 0
    row = stored(session_factory, newer.remote_id)
    assert row is not None
    assert row.name == "Nyare AB"


def test_schema_drift_quarantines_with_drift_reasons_and_the_run_goes_on(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
) -> None:
    sharespine_sandbox.set_faults(drift="renamed_field", only_paths=["/api/customer"])

    counts = sync_customers(session_factory, client)

    seeded = state_of(sharespine_sandbox).customers
    assert counts.quarantined == len(seeded)
    assert count(session_factory, Customer) == 0
    entry = quarantined(session_factory)[0]
    codes = {r["code"] for r in entry.reasons}
    assert {"schema_unknown_field", "schema_missing_field"} <= codes
    assert {r["field"] for r in entry.reasons if r["code"] == "schema_unknown_field"} == {"type"}

    sharespine_sandbox.set_faults()
    healed = sync_customers(session_factory, client, full=True)
    assert healed.released == len(seeded)
    assert count(session_factory, Customer) == len(seeded)


_text = st.one_of(st.none(), st.text(max_size=40), st.text(min_size=250, max_size=300))


@st.composite
def customer_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """Customer bodies as Sharespine could send them, valid or broken in any field."""
    org = draw(st.one_of(_text, st.sampled_from([make_orgnr("556677889"), "5566778899"])))
    return {
        "localId": draw(st.text(min_size=1, max_size=30)),
        "remoteId": draw(_text),
        "lastModified": draw(st.sampled_from(["2026-01-01T12:00:00Z", "yesterday", 5])),
        "customerType": draw(st.sampled_from(["company", "person", "robot", None])),
        "firstName": draw(_text),
        "lastName": draw(_text),
        "companyName": draw(_text),
        "orgNo": org,
        "vatNo": draw(st.one_of(_text, st.just(vat_number_for_orgnr(make_orgnr("556677889"))))),
        "email": draw(_text),
        "phone": draw(_text),
        "language": draw(_text),
        "priceList": draw(_text),
        "address": draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {"street": _text, "postalCode": _text, "city": _text, "countryCode": _text}
                ),
            )
        ),
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payloads=st.lists(customer_payloads(), min_size=1, max_size=4))
def test_any_customer_payload_is_stored_or_quarantined_never_a_crash(
    session_factory: sessionmaker[Session], payloads: list[dict[str, Any]]
) -> None:
    results: list[RecordResult[ContractCustomer]] = []
    for raw in payloads:
        try:
            results.append(RecordResult(ContractCustomer.model_validate(raw), raw))
        except pydantic.ValidationError as exc:
            results.append(RecordResult(None, raw, describe_validation_error(exc)))

    with session_factory() as session, session.begin():
        counts = store_customers(session, results, run_id=None, b2b_owner="sharespine")
        session.rollback()

    assert counts.fetched == len(payloads)
    assert counts.written + counts.unchanged + counts.quarantined == len(payloads)


def test_customer_notification_updates_just_that_customer(
    session_factory: sessionmaker[Session],
    client: SharespineClient,
    sharespine_sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("tenant", "connection_id", "username", "password"):
        monkeypatch.setenv(env_var_for(f"sharespine.{name}"), sharespine_sandbox.credentials[name])
    settings = load_settings(
        integrations={"sharespine": {"base_url": f"{sharespine_sandbox.url}/api"}}
    )
    env = FlowEnvironment(settings, standard_schedules(settings.schedules), session_factory)
    sync_customers(session_factory, client)
    changed = edit_customer(sharespine_sandbox, b2b_indices(sharespine_sandbox)[0],
                            company_name="Notifierad AB")  # fmt: skip
    body = json.dumps(
        {
            "eventId": "evt-customer-1",
            "recordType": "customer",
            "localId": changed.local_id,
            "remoteId": changed.remote_id,
            "changes": ["companyName"],
            "lastModified": changed.modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ).encode()
    inbox.record(session_factory, "sharespine", "evt-customer-1", {}, body, True,
                 event_type="customer_changed")  # fmt: skip
    registry = InboxRegistry()
    register_inbox(registry, env)
    processor = InboxProcessor(
        session_factory, registry, desk_id="t", policies=PolicyResolver(), rng=random.Random(4)
    )

    assert processor.run_once() == 1

    row = stored(session_factory, changed.remote_id)
    assert row is not None
    assert row.name == "Notifierad AB"
    with session_factory() as session:
        assert session.scalar(select(InboxEvent.status)) == InboxStatus.PROCESSED


class Together:
    """Clients whose runs wait for each other after fetching, so their writes overlap."""

    def __init__(self, client: SharespineClient, barrier: threading.Barrier) -> None:
        self.client, self.barrier = client, barrier

    def iter_customers(self, **kwargs: Any) -> Iterator[Any]:
        records = list(self.client.iter_customers(**kwargs))
        self.barrier.wait(timeout=30)
        yield from records


def test_two_overlapping_runs_create_each_customer_once(
    session_factory: sessionmaker[Session], sharespine_sandbox: RunningSandbox
) -> None:
    c = sharespine_sandbox.credentials
    creds = SharespineCredentials(c["tenant"], c["connection_id"], c["username"], c["password"])
    barrier = threading.Barrier(2)

    def run(_: int) -> int:
        with SharespineClient(sharespine_sandbox.url, creds) as own:
            together = Together(own, barrier)
            return sync_customers(session_factory, together, full=True).created  # type: ignore[arg-type]

    with ThreadPoolExecutor(2) as pool:
        created = sum(pool.map(run, range(2)))

    seeded = len(state_of(sharespine_sandbox).customers)
    assert created == seeded
    assert count(session_factory, Customer) == seeded
    assert count(session_factory, CustomerExternalId) == seeded
