"""Fixtures of the Sharespine sync tests."""

from tests.integration.sync.sharespine.catalog_fixtures import catalog, hub, hub_server

__all__ = ["catalog", "hub", "hub_server"]
