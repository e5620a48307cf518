"""Klarna Payments v1 and Order Management v1 client and contract models."""
