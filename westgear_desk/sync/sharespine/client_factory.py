"""Builds the Sharespine client from settings and credentials, for every flow and processor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from westgear_desk.credentials import CredentialStore
from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecorder
from westgear_desk.integrations.sharespine.client import SharespineClient, SharespineCredentials

if TYPE_CHECKING:
    from westgear_desk.settings import Settings


def api_host(base_url: str) -> str:
    """The host part the client wants: settings name the API root (".../api"), paths add it."""
    url = base_url.rstrip("/")
    return url.removesuffix("/api")


def sharespine_credentials(store: CredentialStore) -> SharespineCredentials:
    """Read the four Sharespine credentials; raises MissingCredentialError naming the first gap."""
    return SharespineCredentials(
        tenant=store.get("sharespine.tenant"),
        connection_id=store.get("sharespine.connection_id"),
        username=store.get("sharespine.username"),
        password=store.get("sharespine.password"),
    )


def build_client(
    settings: Settings,
    *,
    credentials: CredentialStore | None = None,
    recorder: CallRecorder = NULL_RECORDER,
    **kwargs: Any,
) -> SharespineClient:
    """A client for the configured Sharespine endpoint, reporting calls to `recorder`.

    Extra keyword arguments (e.g. `transport`) go to the client. Raises
    MissingCredentialError when a credential is not set.
    """
    endpoint = settings.integrations.sharespine
    return SharespineClient(
        api_host(endpoint.base_url),
        sharespine_credentials(credentials or CredentialStore()),
        recorder=recorder,
        timeout=endpoint.timeout_s,
        **kwargs,
    )
