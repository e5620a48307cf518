"""EAN/GTIN and Swedish organisation/VAT number checks, shared by the data generator and validation.

Pure functions over python-stdnum so every layer agrees on what a valid identifier is.
"""

from __future__ import annotations

from stdnum import ean, luhn
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.se import orgnr, vat

_GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def gtin_check_digit(body: str) -> str:
    """Return the GS1 check digit for `body` (the GTIN without its last digit)."""
    if not body.isascii() or not body.isdigit():
        raise ValueError("a GTIN body holds digits only")
    reversed_body = body[::-1]  # weights 3,1,3,... from the right
    total = 3 * sum(map(int, reversed_body[0::2])) + sum(map(int, reversed_body[1::2]))
    return str(-total % 10)


def make_ean13(body12: str) -> str:
    """Return a full EAN-13 from its first 12 digits."""
    if len(body12) != 12:
        raise ValueError("an EAN-13 body has 12 digits")
    return body12 + gtin_check_digit(body12)


def is_valid_gtin(value: str | None) -> bool:
    """True when `value` is a GTIN-8/12/13/14 with a correct check digit."""
    if value is None:
        return False
    compact = value.strip()
    if not compact.isdigit() or len(compact) not in _GTIN_LENGTHS:
        return False
    try:
        ean.validate(compact)
    except StdnumValidationError:
        return False
    return True


def orgnr_check_digit(body9: str) -> str:
    """Return the Luhn check digit of a Swedish organisation number's first nine digits."""
    if len(body9) != 9 or not body9.isdigit():
        raise ValueError("an organisation number body has 9 digits")
    return str(luhn.calc_check_digit(body9))


def make_orgnr(body9: str) -> str:
    """Return a full 10-digit Swedish organisation number from its first nine digits."""
    return body9 + orgnr_check_digit(body9)


def normalize_orgnr(value: str) -> str | None:
    """Return the compact 10-digit organisation number, or None when it is invalid."""
    try:
        return str(orgnr.validate(value))
    except StdnumValidationError:
        return None


def is_valid_orgnr(value: str | None) -> bool:
    """True when `value` is a Swedish organisation number (with or without the dash)."""
    return value is not None and normalize_orgnr(value) is not None


def format_orgnr(value: str) -> str:
    """Return the organisation number as NNNNNN-NNNN; raises ValueError when invalid."""
    compact = normalize_orgnr(value)
    if compact is None:
        raise ValueError("invalid Swedish organisation number")
    return str(orgnr.format(compact))


def vat_number_for_orgnr(value: str) -> str:
    """Return the Swedish VAT number SE{orgnr}01 of an organisation number."""
    compact = normalize_orgnr(value)
    if compact is None:
        raise ValueError("invalid Swedish organisation number")
    return f"SE{compact}01"


def is_valid_se_vat(value: str | None) -> bool:
    """True when `value` is a valid Swedish VAT number (SE + orgnr + 01)."""
    if value is None:
        return False
    try:
        vat.validate(value)
    except StdnumValidationError:
        return False
    return True
