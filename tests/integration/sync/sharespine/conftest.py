"""Fixtures of the Sharespine sync tests."""

from tests.integration.sync.sharespine.catalog_fixtures import catalog, hub, hub_server
from tests.integration.sync.sharespine.record_fixtures import client

__all__ = ["catalog", "client", "hub", "hub_server"]
