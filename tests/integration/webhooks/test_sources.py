"""Signature checks and body parsing of each source: any bytes give a verdict, never a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.webhooks.app import ReceiverConfig
from westgear_desk.webhooks.secrets import lookup
from westgear_desk.webhooks.sources import (
    SOURCES,
    MalformedPayloadError,
    hmac_sha256_hex,
    verify_hex_hmac,
)


@given(body=st.binary(max_size=300), secret=st.text(min_size=1, max_size=20))
def test_signature_verifies_only_for_the_exact_body_and_secret(body: bytes, secret: str) -> None:
    signature = hmac_sha256_hex(body, secret)
    assert verify_hex_hmac(body, signature, secret)
    assert verify_hex_hmac(body, signature.upper(), secret)
    assert verify_hex_hmac(body, f"sha256={signature}", secret)
    assert not verify_hex_hmac(body + b"x", signature, secret)
    assert not verify_hex_hmac(body, signature, secret + "x")
    assert not verify_hex_hmac(body, None, secret)
    assert not verify_hex_hmac(body, signature, None)
    assert not verify_hex_hmac(body, "ö" * 64, secret)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.parametrize("source", sorted(SOURCES))
@given(body=st.one_of(st.binary(max_size=200), _json_values.map(lambda v: json.dumps(v).encode())))
def test_any_body_parses_or_is_malformed(source: str, body: bytes) -> None:
    try:
        parsed = SOURCES[source].parse(body)
    except MalformedPayloadError:
        return
    assert 0 < len(parsed.event_type) <= 100


def test_receiver_refuses_a_cap_above_the_inbox_cap() -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        ReceiverConfig(None, lookup({}), max_body_bytes=10 * 1024 * 1024)  # type: ignore[arg-type]
