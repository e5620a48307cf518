"""Property tests: no generated e-mail, phone, personnummer, token or key survives redaction.

Each kind of personal data or secret is embedded at a random position in surrounding text, in
nested dicts and lists under arbitrary keys, passed through `summarize_payload`, and written
by a real log record to the JSON-lines file, which is read back.
"""

from __future__ import annotations

import json
import logging
import re
import string
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from westgear_desk.log import (
    configure_logging,
    redact,
    redact_text,
    reset_logging,
    summarize_payload,
)

# --- generators of what must never leak ----------------------------------------------------

digit = st.sampled_from(string.digits)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=string.digits, min_size=n, max_size=n)


@st.composite
def personnummer(draw: st.DrawFn) -> str:
    """A valid personnummer or samordningsnummer (day + 60) in one of the usual spellings."""
    year = draw(st.integers(1900, 2025))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 60]))
    serial = draw(digits(3))
    body = f"{year % 100:02d}{month:02d}{day:02d}{serial}"
    check = luhn.calc_check_digit(body)
    short, tail = body[:6], body[6:] + check
    century = f"{year // 100}"
    spelling = draw(st.sampled_from(["short-", "short+", "short", "long-", "long"]))
    return {
        "short-": f"{short}-{tail}",
        "short+": f"{short}+{tail}",
        "short": f"{short}{tail}",
        "long-": f"{century}{short}-{tail}",
        "long": f"{century}{short}{tail}",
    }[spelling]


@st.composite
def phone_number(draw: st.DrawFn) -> str:
    """Swedish mobile and landline numbers and foreign numbers in common spellings."""
    a = draw(st.sampled_from(["70", "72", "73", "76", "79"]))
    b, c, d, e = draw(digits(3)), draw(digits(2)), draw(digits(2)), draw(digits(3))
    f4, g4 = draw(digits(4)), draw(digits(4))
    return draw(
        st.sampled_from(
            [
                f"0{a}-{b} {c} {d}",
                f"0{a} {b} {c} {d}",
                f"0{a}{b}{c}{d}",
                f"0{a}-{b}{c}{d}",
                f"+46 {a} {b} {c} {d}",
                f"+46{a}{b}{c}{d}",
                f"0046{a}{b}{c}{d}",
                f"08{b}{e}",
                f"08{b}{c}{d}",
                f"0046 {a} {b} {c} {d}",
                f"+46 (0){a}-{b} {c} {d}",
                f"(08) {b} {e}",
                f"08-{b} {c} {d}",
                f"031-{c} {d} {c}",
                f"+44 20 {f4} {g4}",
                f"+1 ({b}) {e}-{f4}",
                f"+49 30 {f4}{g4}",
            ]
        )
    )


TOKEN_ALPHABET = string.ascii_letters + string.digits + "._~+/-"
token = st.text(alphabet=TOKEN_ALPHABET, min_size=8, max_size=80)
api_key_value = st.text(
    alphabet=string.ascii_letters + string.digits + "_-", min_size=8, max_size=64
)


@st.composite
def long_secret(draw: st.DrawFn) -> str:
    """A bare 24+ character key mixing upper case, lower case and digits (as real keys do)."""
    core = draw(st.text(alphabet=string.ascii_letters + string.digits, min_size=21, max_size=61))
    mixed = list(core + draw(st.sampled_from("ABCXYZ")) + draw(st.sampled_from("abcxyz")))
    mixed.insert(draw(st.integers(0, len(mixed))), draw(digit))
    return "".join(mixed)


@st.composite
def hex_secret(draw: st.DrawFn) -> str:
    text = draw(st.text(alphabet="0123456789abcdef", min_size=23, max_size=64))
    return text + draw(digit)


emails = st.emails()

# A secret and how it is presented in text: (the secret, the text that carries it).
Carried = tuple[str, str]


def _bearer(tok: str) -> Carried:
    return tok, f"Authorization: Bearer {tok}"


def _apikey(key: str) -> Carried:
    return key, f"GET https://api.example.com/v1/parcels?apikey={key}&page=2"


SECRET_CASES: dict[str, st.SearchStrategy[Carried]] = {
    "email": emails.map(lambda e: (e, e)),
    "phone": phone_number().map(lambda p: (p, p)),
    "personnummer": personnummer().map(lambda p: (p, p)),
    "bearer": token.map(_bearer),
    "apikey": api_key_value.map(_apikey),
    "basic": token.map(lambda t: (t, f"authorization: Basic {t}")),
    "long_key": long_secret().map(lambda k: (k, k)),
    "hex_key": hex_secret().map(lambda k: (k, k)),
}
PLACEHOLDER_TEXT = "[secret] [email] [phone] [personnummer] [personal]"


def _distinct(case: Carried) -> bool:
    """The secret occurs once in its carrier and is not part of a placeholder."""
    secret, carried = case
    return carried.count(secret) == 1 and secret not in PLACEHOLDER_TEXT


any_secret = (
    st.sampled_from(sorted(SECRET_CASES)).flatmap(lambda kind: SECRET_CASES[kind]).filter(_distinct)
)

# Filler with no ASCII letters or digits and no "@": anything left of a secret is visible.
FILLER_ALPHABET = "åäöÅÄÖéü ,.;:!?()–…"
clean_filler = st.text(alphabet=FILLER_ALPHABET, max_size=30)
PLACEHOLDERS = re.compile(
    r"\[(secret|email|phone|personnummer|personal)\]|Authorization: Bearer|authorization: Basic"
    r"|GET https://api\.example\.com/v1/parcels\?apikey=|&page=2"
)


def residue(text: str) -> str:
    """The ASCII letters and digits left once placeholders and known context are removed."""
    return re.sub(r"[^A-Za-z0-9@]", "", PLACEHOLDERS.sub("", text))


# --- redact_text ---------------------------------------------------------------------------


@given(case=any_secret, before=clean_filler, after=clean_filler)
def test_nothing_survives_in_clean_surroundings(case: Carried, before: str, after: str) -> None:
    secret, carried = case
    out = redact_text(f"{before} {carried} {after}")
    assert secret not in out
    assert residue(out) == ""


@given(case=any_secret, before=st.text(max_size=40), after=st.text(max_size=40))
def test_nothing_survives_in_arbitrary_surroundings(case: Carried, before: str, after: str) -> None:
    secret, carried = case
    assume(secret not in before and secret not in after)
    assert secret not in redact_text(f"{before} {carried} {after}")


@given(number=personnummer(), before=clean_filler)
def test_personnummer_leaves_no_digit(number: str, before: str) -> None:
    assert not any(char.isdigit() for char in redact_text(f"{before} {number}."))


@given(number=phone_number(), after=clean_filler)
def test_phone_number_leaves_no_digit(number: str, after: str) -> None:
    assert not any(char.isdigit() for char in redact_text(f"Ring {number} {after}"))


@given(number=phone_number(), trailing=digits(4))
def test_phone_followed_by_another_number_is_still_redacted(number: str, trailing: str) -> None:
    assert number not in redact_text(f"{number} {trailing}")


# --- nested structures ---------------------------------------------------------------------

json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def nested_with(draw: st.DrawFn, text: str) -> Any:
    """`text` buried under 0–4 random levels of lists and dicts with arbitrary keys."""
    value: Any = text
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            others = draw(st.lists(json_value, max_size=3))
            others.insert(draw(st.integers(0, len(others))), value)
            value = others
        else:
            others_map = draw(st.dictionaries(st.text(max_size=8), json_value, max_size=3))
            others_map[draw(st.text(max_size=12))] = value
            value = others_map
    return value


@st.composite
def buried_secret(draw: st.DrawFn) -> tuple[str, Any]:
    secret, carried = draw(any_secret)
    before, after = draw(st.text(max_size=20)), draw(st.text(max_size=20))
    assume(secret not in before and secret not in after)
    text = f"{before} {carried} {after}"
    payload = draw(nested_with(text))
    assume(sum(secret in found for found in strings_in(payload)) == 1)  # only where we put it
    return secret, payload


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


@given(case=buried_secret())
def test_nothing_survives_in_nested_structures(case: tuple[str, Any]) -> None:
    secret, payload = case
    original = json.dumps(payload)
    cleaned = redact(payload)
    assert all(secret not in text for text in strings_in(cleaned))
    assert json.dumps(payload) == original  # the input is not modified


@given(case=buried_secret(), as_bytes=st.booleans())
def test_nothing_survives_summarize_payload(case: tuple[str, Any], as_bytes: bool) -> None:
    secret, payload = case
    raw: object = json.dumps(payload).encode() if as_bytes else payload
    assert secret not in summarize_payload(raw, limit=1_000_000)
    assert secret not in summarize_payload(raw, limit=40)


@given(case=any_secret, key=st.text(max_size=10))
def test_nothing_survives_summarize_of_plain_text(case: Carried, key: str) -> None:
    secret, carried = case
    assume(secret not in key)
    assert secret not in summarize_payload(f"{key} {carried}")
    assert secret not in summarize_payload(f"{key} {carried}".encode())


# --- a real log record written to the JSON file ---------------------------------------------


@pytest.fixture
def log_file() -> Iterator[Callable[[], Path]]:
    root = logging.getLogger()
    level = root.level
    with tempfile.TemporaryDirectory() as tmp:

        def fresh() -> Path:
            for old in Path(tmp).glob("*"):
                old.unlink()
            path = configure_logging(Path(tmp), console=False)
            assert path is not None
            return path

        yield fresh
    reset_logging()
    root.setLevel(level)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=buried_secret(), prefix=st.text(max_size=20))
def test_nothing_survives_a_real_log_record(
    log_file: Callable[[], Path], case: tuple[str, Any], prefix: str
) -> None:
    secret, payload = case
    assume(secret not in prefix)
    path = log_file()
    text = next(strings_in(payload), "")
    logger = logging.getLogger("westgear_desk.test.redaction")
    logger.warning("%s %s", prefix, text)
    logger.warning(f"{prefix} {text}")  # noqa: G004 - an f-string message must be safe too
    logger.warning("payload", extra={"detail": payload, "raw_text": text})
    try:
        raise ValueError(text)
    except ValueError:
        logger.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    content = path.read_text(encoding="utf-8")
    records = [json.loads(line) for line in content.rstrip("\n").split("\n")]
    assert len(records) == 4
    assert all(secret not in value for record in records for value in strings_in(record))
    assert secret not in content


# --- what must stay readable, and the key rules -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "EAN 7350012345678 och 0012345678905",
        "SKU WG-10234-BLK, order 100234",
        "Summa 1 234,50 kr (moms 246,90)",
        "Postnummer 412 63 Göteborg",
        "Org.nr 556677-8899",
        "request 3f2a1b4c-1234-4abc-8def-0123456789ab",
        "2026-11-29 21:45:00+01:00",
        "GET /3/invoices?page=2&limit=100",
        "Fortnox token refreshed; basic validation passed",
    ],
)
def test_business_identifiers_stay_readable(text: str) -> None:
    assert redact_text(text) == text


@pytest.mark.parametrize(
    "key",
    [
        "Email", "EmailInvoice", "Phone1", "Phone2", "Name", "Address1", "Address2",
        "DeliveryAddress1", "DeliveryName", "given_name", "family_name", "street_address",
        "care_of", "date_of_birth", "national_identification_number", "personal_number",
        "firstName", "lastName", "mobile-phone", "ssn", "full_name",
    ],
)  # fmt: skip
def test_personal_keys_are_replaced(key: str) -> None:
    assert redact({key: "Kalle Anka", "ArticleNumber": "WG-1"}) == {
        key: "[personal]",
        "ArticleNumber": "WG-1",
    }


@pytest.mark.parametrize(
    "key",
    [
        "Authorization", "password", "Passwd", "client_secret", "ClientSecret", "access_token",
        "refresh_token", "api_key", "apikey", "X-Api-Key", "cookie", "Set-Cookie", "signature",
        "Klarna-Signature", "webhook_secret",
    ],
)  # fmt: skip
def test_secret_keys_are_replaced(key: str) -> None:
    assert redact({key: {"nested": "x"}}) == {key: "[secret]"}


def test_redact_keeps_shape_types_and_missing_values() -> None:
    payload = {"OrderNumber": 1001, "lines": [("WG-1", 2)], "Email": None, "Total": 99.5}
    assert redact(payload) == {
        "OrderNumber": 1001,
        "lines": [("WG-1", 2)],
        "Email": None,
        "Total": 99.5,
    }


def test_summarize_payload_truncates_and_notes_the_size() -> None:
    summary = summarize_payload({"items": ["WG-1"] * 200}, limit=50)
    assert len(summary) < 90
    assert summary.startswith('{"items":["WG-1"')
    assert summary.endswith("chars total]")
    full = summarize_payload({"items": ["WG-1"] * 200}, limit=100_000)
    assert f"[{len(full)} chars total]" in summary


def test_summarize_payload_handles_bytes_that_are_not_json() -> None:
    assert summarize_payload(b"\xff\xfe ring 070-123 45 67") == "\ufffd\ufffd ring [phone]"
    assert summarize_payload(b'{"Email":"a@b.se","Sku":"WG-1"}') == (
        '{"Email":"[personal]","Sku":"WG-1"}'
    )


def test_models_and_dataclasses_are_redacted_by_field_name() -> None:
    from dataclasses import dataclass

    from pydantic import BaseModel

    class Customer(BaseModel):
        Name: str
        CustomerNumber: str

    @dataclass
    class Contact:
        email: str
        note: str

    assert redact(Customer(Name="Kalle Anka", CustomerNumber="C-17")) == {
        "Name": "[personal]",
        "CustomerNumber": "C-17",
    }
    assert summarize_payload([Contact("k@a.se", "ring 070-123 45 67")]) == (
        '[{"email":"[personal]","note":"ring [phone]"}]'
    )
