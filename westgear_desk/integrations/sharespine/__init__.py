"""Sharespine (Plugboard) integration: contract models and the API client."""
