"""Shared test fixtures and fakes (databases, sandboxes), imported by tests/conftest.py."""
