"""EAN/GTIN and Swedish organisation/VAT number helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.domain import identifiers as ids


def test_known_ean13_is_valid() -> None:
    assert ids.make_ean13("735000000001") == "7350000000016"
    assert ids.is_valid_gtin("7350000000016")


def test_wrong_check_digit_is_invalid() -> None:
    assert not ids.is_valid_gtin("7350000000017")


@pytest.mark.parametrize("value", [None, "", "abc", "73500000000", "735000000001x", " "])
def test_garbage_is_not_a_gtin(value: str | None) -> None:
    assert not ids.is_valid_gtin(value)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_generated_ean13_validates_and_any_other_digit_does_not(body: str) -> None:
    full = ids.make_ean13(body)
    assert ids.is_valid_gtin(full)
    wrong = str((int(full[-1]) + 1) % 10)
    assert not ids.is_valid_gtin(full[:-1] + wrong)


def test_gtin_body_must_be_digits() -> None:
    with pytest.raises(ValueError, match="digits"):
        ids.gtin_check_digit("12a")


def test_orgnr_and_vat_number() -> None:
    assert ids.make_orgnr("556036079") == "5560360793"
    assert ids.is_valid_orgnr("556036-0793")
    assert ids.format_orgnr("5560360793") == "556036-0793"
    assert ids.vat_number_for_orgnr("556036-0793") == "SE556036079301"
    assert ids.is_valid_se_vat("SE556036079301")
    assert not ids.is_valid_se_vat("SE556036079401")
    assert not ids.is_valid_orgnr("5560360794")
    assert not ids.is_valid_orgnr(None)


def test_invalid_orgnr_raises_clear_error() -> None:
    with pytest.raises(ValueError, match="organisation number"):
        ids.vat_number_for_orgnr("123")
    with pytest.raises(ValueError, match="organisation number"):
        ids.format_orgnr("123")


@given(st.integers(min_value=200000000, max_value=999999999))
def test_generated_orgnr_round_trips(body: int) -> None:
    full = ids.make_orgnr(str(body))
    assert ids.is_valid_orgnr(full)
    assert ids.is_valid_se_vat(ids.vat_number_for_orgnr(full))
