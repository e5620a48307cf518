"""Alembic environment and revisions, shipped in the package so a wheel can migrate."""
