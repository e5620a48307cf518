"""SSCC-18 check digits against real carrier numbers and generated ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from westgear_desk.domain.sscc import (
    InvalidSsccError,
    gs1_check_digit,
    human_readable,
    is_valid_sscc,
    make_sscc,
    normalize_sscc,
    with_ai,
)

REAL_SSCCS = ["373500454541020957", "373500489530470000", "340434292135100179"]


@pytest.mark.parametrize("sscc", REAL_SSCCS)
def test_real_carrier_ssccs_are_valid(sscc: str) -> None:
    assert is_valid_sscc(sscc)


def test_reference_worked_example() -> None:
    assert make_sscc(3, "7350053850", 1) == "373500538500000010"


def test_single_digit_error_is_detected() -> None:
    assert not is_valid_sscc("373500454541020958")
    assert not is_valid_sscc("373500454541020967")


@pytest.mark.parametrize(
    "bad", ["", "37350045454102095", "3735004545410209570", "37350045454102095x", "３７３５"]
)
def test_malformed_strings_are_not_valid(bad: str) -> None:
    assert not is_valid_sscc(bad)


def test_ai_forms_normalize() -> None:
    assert normalize_sscc("00373500454541020957") == "373500454541020957"
    assert normalize_sscc("(00) 373500454541020957") == "373500454541020957"
    assert with_ai("373500454541020957") == "00373500454541020957"
    assert human_readable("00373500454541020957") == "(00) 373500454541020957"
    with pytest.raises(InvalidSsccError):
        normalize_sscc("00373500454541020958")


@pytest.mark.parametrize(
    ("ext", "prefix", "serial"),
    [
        (10, "7350053", 1),
        (-1, "7350053", 1),
        (3, "735005", 1),
        (3, "73500538501", 1),
        (3, "735005385x", 1),
        (3, "7350053850", 1_000_000),
        (3, "7350053850", -1),
    ],
)
def test_make_sscc_rejects_bad_parts(ext: int, prefix: str, serial: int) -> None:
    with pytest.raises(InvalidSsccError):
        make_sscc(ext, prefix, serial)


def test_check_digit_rejects_non_digits() -> None:
    with pytest.raises(InvalidSsccError):
        gs1_check_digit("12a")


@st.composite
def sscc_parts(draw: st.DrawFn) -> tuple[int, str, int]:
    ext = draw(st.integers(0, 9))
    prefix = draw(st.text("0123456789", min_size=7, max_size=10))
    serial = draw(st.integers(0, 10 ** (16 - len(prefix)) - 1))
    return ext, prefix, serial


@given(sscc_parts())
def test_made_ssccs_are_valid_and_keep_their_parts(parts: tuple[int, str, int]) -> None:
    ext, prefix, serial = parts
    sscc = make_sscc(ext, prefix, serial)
    assert len(sscc) == 18
    assert is_valid_sscc(sscc)
    assert sscc.startswith(f"{ext}{prefix}")
    assert int(sscc[1 + len(prefix) : 17]) == serial


@given(sscc_parts(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_detected(
    parts: tuple[int, str, int], position: int, delta: int
) -> None:
    sscc = make_sscc(*parts)
    changed = (int(sscc[position]) + delta) % 10
    mutated = sscc[:position] + str(changed) + sscc[position + 1 :]
    assert not is_valid_sscc(mutated)


@given(st.text(max_size=25))
def test_is_valid_never_raises(s: str) -> None:
    assert isinstance(is_valid_sscc(s), bool)
