"""Signing secrets of the webhook sources, read once from the credential store at start-up.

The receiver runs headless (a server without a desktop keyring is the normal case), so when
the keyring is not usable the secrets come from the environment alone
(`WESTGEAR_SECRET_SHARESPINE_WEBHOOK_SECRET`, `WESTGEAR_SECRET_KLARNA_SIGNING_KEY`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from westgear_desk.credentials import CredentialStore, env_var_for
from westgear_desk.webhooks.app import SecretLookup
from westgear_desk.webhooks.sources import SECRET_CREDENTIALS

_log = logging.getLogger(__name__)


def load_secrets(store: CredentialStore, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each source's signing secret that is configured; missing ones are left out."""
    environment = os.environ if env is None else env
    usable, reason = store.check_usable()
    if not usable:
        _log.warning("%s; webhook secrets are read from the environment only", reason)
    found: dict[str, str] = {}
    for source, credential in SECRET_CREDENTIALS.items():
        if usable:
            value = store.get_optional(credential)
        else:
            value = environment.get(env_var_for(credential))
        if value:
            found[source] = value
    return found


def lookup(secrets: Mapping[str, str]) -> SecretLookup:
    """A `SecretLookup` over a fixed mapping (None for a source without a secret)."""
    frozen = dict(secrets)
    return frozen.get
