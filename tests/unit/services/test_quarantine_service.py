"""The quarantine service without a database: role refusals first, reasons, re-fetch look-up."""

from __future__ import annotations

from typing import Any

import pytest

from westgear_desk.db.enums import UserRole
from westgear_desk.errors import PermissionDeniedError
from westgear_desk.services import quarantine
from westgear_desk.services.auth import CurrentUser
from westgear_desk.services.quarantine import QuarantineRef, RefetchRegistry

WAREHOUSE = CurrentUser("lars", "Lars", UserRole.WAREHOUSE)
SALES = CurrentUser("sara", "Sara", UserRole.SALES)
ADMIN = CurrentUser("anna", "Anna", UserRole.ADMIN)


def no_database() -> Any:
    raise AssertionError("must not open a session")


@pytest.mark.parametrize(
    "call",
    [
        lambda: quarantine.release(no_database, WAREHOUSE, 1, "why"),
        lambda: quarantine.ignore(no_database, WAREHOUSE, 1, "why"),
        lambda: quarantine.override_reason(no_database, SALES, 1, "code", "why"),
        lambda: quarantine.release_many(no_database, SALES, [1, 2], "why"),
        lambda: quarantine.refetch(no_database, RefetchRegistry(), WAREHOUSE, 1),
    ],
)
def test_roles_are_refused_before_any_database_work(call: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        call()


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_an_admin_action_needs_a_reason(reason: str) -> None:
    with pytest.raises(quarantine.QuarantineActionError, match="reason"):
        quarantine.release(no_database, ADMIN, 1, reason)
    with pytest.raises(quarantine.QuarantineActionError, match="reason"):
        quarantine.ignore_many(no_database, ADMIN, [1], reason)


def test_refetch_registry_prefers_the_record_type_then_the_system() -> None:
    def any_type(_ref: QuarantineRef) -> str:
        return "any"

    def stock_only(_ref: QuarantineRef) -> str:
        return "stock"

    registry = RefetchRegistry()
    assert not registry
    registry.register("sharespine", any_type)
    registry.register("sharespine", stock_only, record_type="stock")
    assert registry
    assert registry.find("sharespine", "stock") is stock_only
    assert registry.find("sharespine", "product") is any_type
    assert registry.find("fortnox", "customer") is None


def test_engine_modules_contribute_refetchers_through_their_hook() -> None:
    import types

    from westgear_desk.sync.flows import FlowEnvironment

    module = types.ModuleType("fake_engine_module")

    def register_refetch(registry: RefetchRegistry, env: FlowEnvironment) -> None:
        registry.register("sharespine", lambda ref: f"fetched {ref.external_id}")

    module.register_refetch = register_refetch  # type: ignore[attr-defined]
    env = FlowEnvironment(settings=None, schedules={}, session_factory=no_database)  # type: ignore[arg-type]
    registry = quarantine.build_refetch_registry(env, [module])
    callback = registry.find("sharespine", "product")
    assert callback is not None
    assert callback(QuarantineRef(1, "sharespine", "product", "P-1")) == "fetched P-1"
