"""Swedish OCR references: the worked examples of the reference sheet and Luhn properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.domain.ocr import InvalidOcrError, is_valid_ocr, make_ocr, validate_ocr


def test_reference_sheet_examples() -> None:
    assert make_ocr("12345", with_length_digit=False) == "123455"
    assert make_ocr("12345") == "1234574"
    assert make_ocr("1000235") == "100023597"


def test_fortnox_recorded_ocr_is_luhn_valid_with_length_digit() -> None:
    # "426523791" is the OCR of the recorded Fortnox invoice: 9 digits, length digit 9.
    assert is_valid_ocr("426523791")


def test_long_reference_uses_units_digit_of_length() -> None:
    ref = make_ocr("12345678901")  # 13 digits in total
    assert len(ref) == 13
    assert ref[-2] == "3"
    assert is_valid_ocr(ref)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("1234575", "check digit"),
        ("1234566", "length digit"),
        ("12a45", "digits"),
        ("", "digits"),
        ("12", "allowed"),
        ("1" * 26, "allowed"),
    ],
)
def test_invalid_references_say_which_rule_failed(reference: str, message: str) -> None:
    with pytest.raises(InvalidOcrError, match=message):
        validate_ocr(reference)
    assert not is_valid_ocr(reference)


def test_payload_too_long_is_refused() -> None:
    with pytest.raises(InvalidOcrError, match="25"):
        make_ocr("1" * 24)


@given(st.text(alphabet="0123456789", min_size=1, max_size=23), st.booleans())
def test_made_references_validate(payload: str, with_length: bool) -> None:
    ref = make_ocr(payload, with_length_digit=with_length)
    assert ref.startswith(payload)
    assert validate_ocr(ref, with_length_digit=with_length) == ref


@given(st.text(alphabet="0123456789", min_size=1, max_size=23), st.integers(0, 24))
def test_any_single_digit_change_is_detected(payload: str, position: int) -> None:
    ref = make_ocr(payload, with_length_digit=False)
    index = position % len(ref)
    changed = str((int(ref[index]) + 1) % 10)
    tampered = ref[:index] + changed + ref[index + 1 :]
    assert not is_valid_ocr(tampered, with_length_digit=False)
