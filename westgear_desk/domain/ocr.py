"""Swedish OCR payment references (Bankgiro "OCR-referens") so invoices can be matched to payments.

Rules (reference sheet nshift-gs1-ocr.md §3): the last digit is a Luhn ("10-modulen") check
digit over all digits; an optional length digit (second to last) holds the total number of
digits including the length and check digits, units digit only when the length is 10 or more.
The 2–25 digit bounds are unverified [U] and kept here as constants.
"""

from __future__ import annotations

from stdnum import luhn

MIN_LENGTH = 2  # [U] Bankgirot minimum, total digits including check digit(s)
MAX_LENGTH = 25  # [U] Bankgirot maximum


class InvalidOcrError(ValueError):
    """An OCR reference (or the payload to build one from) is malformed."""


def _require_digits(text: str, what: str) -> None:
    if not text or not text.isascii() or not text.isdigit():
        raise InvalidOcrError(f"{what} must be a non-empty string of digits 0-9, got {text!r}")


def make_ocr(payload: str, *, with_length_digit: bool = True) -> str:
    """Return the OCR reference for `payload` (digits) with length digit (optional) and check digit.

    Raises InvalidOcrError when the payload is not digits or the result would be outside
    MIN_LENGTH..MAX_LENGTH digits.
    """
    _require_digits(payload, "OCR payload")
    total = len(payload) + (2 if with_length_digit else 1)
    if not MIN_LENGTH <= total <= MAX_LENGTH:
        raise InvalidOcrError(
            f"OCR reference would be {total} digits; allowed {MIN_LENGTH}-{MAX_LENGTH}"
        )
    body = payload + (str(total % 10) if with_length_digit else "")
    return body + str(luhn.calc_check_digit(body))


def is_valid_ocr(reference: str, *, with_length_digit: bool = True) -> bool:
    """True when `reference` is digits, in bounds, Luhn-valid and (optionally) length-consistent."""
    try:
        validate_ocr(reference, with_length_digit=with_length_digit)
    except InvalidOcrError:
        return False
    return True


def validate_ocr(reference: str, *, with_length_digit: bool = True) -> str:
    """Return `reference` if valid, else raise InvalidOcrError naming the rule that failed."""
    _require_digits(reference, "OCR reference")
    minimum = 3 if with_length_digit else MIN_LENGTH
    if not minimum <= len(reference) <= MAX_LENGTH:
        raise InvalidOcrError(
            f"OCR reference has {len(reference)} digits; allowed {minimum}-{MAX_LENGTH}"
        )
    if not luhn.is_valid(reference):
        raise InvalidOcrError(f"OCR reference {reference!r} has a wrong check digit")
    if with_length_digit and int(reference[-2]) != len(reference) % 10:
        raise InvalidOcrError(f"OCR reference {reference!r} has a wrong length digit")
    return reference
