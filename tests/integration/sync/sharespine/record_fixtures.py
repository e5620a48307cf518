"""What the customer and order sync tests share: a client on the sandbox, its state, row counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.helpers.sandboxes import RunningSandbox
from westgear_desk.db.enums import RecordType
from westgear_desk.db.models import QuarantineEntry
from westgear_desk.integrations.sharespine.client import SharespineClient, SharespineCredentials
from westgear_desk.sandbox.sharespine.state import SharespineState


@pytest.fixture
def client(sharespine_sandbox: RunningSandbox) -> Iterator[SharespineClient]:
    """A Sharespine client on the (reset) sandbox, with the sandbox's credentials."""
    c = sharespine_sandbox.credentials
    creds = SharespineCredentials(c["tenant"], c["connection_id"], c["username"], c["password"])
    with SharespineClient(sharespine_sandbox.url, creds) as made:
        yield made


def state_of(sandbox: RunningSandbox) -> SharespineState:
    """The sandbox's in-memory Sharespine data (tests edit it as a shop user would)."""
    state = sandbox.system.app.state.sharespine
    assert isinstance(state, SharespineState)
    return state


def count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def quarantine_entries(
    factory: sessionmaker[Session], record_type: RecordType
) -> list[QuarantineEntry]:
    with factory() as session:
        return list(
            session.scalars(
                select(QuarantineEntry).where(QuarantineEntry.record_type == record_type)
            )
        )
