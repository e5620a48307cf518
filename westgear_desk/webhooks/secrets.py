"""Signing secrets of the webhook sources, read once from the credential store at start-up."""

from __future__ import annotations

from collections.abc import Mapping

from westgear_desk.credentials import CredentialStore
from westgear_desk.webhooks.app import SecretLookup
from westgear_desk.webhooks.sources import SECRET_CREDENTIALS


def load_secrets(store: CredentialStore) -> dict[str, str]:
    """Each source's signing secret that is configured (env or keyring); missing ones left out."""
    found: dict[str, str] = {}
    for source, credential in SECRET_CREDENTIALS.items():
        value = store.get_optional(credential)
        if value:
            found[source] = value
    return found


def lookup(secrets: Mapping[str, str]) -> SecretLookup:
    """A `SecretLookup` over a fixed mapping (None for a source without a secret)."""
    frozen = dict(secrets)
    return frozen.get
