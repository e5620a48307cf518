"""Fortnox REST API v3 client, contract models and mapping."""
