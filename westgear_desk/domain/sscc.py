"""GS1 SSCC-18 numbers with their mod-10 check digit, as carriers print them on parcel labels.

An SSCC is 18 digits: an extension digit (0-9), a GS1 company prefix (7-10 digits), a serial
reference (prefix + serial = 16 digits) and a check digit. In GS1-128 barcodes and in carrier
tracking it carries the Application Identifier ``(00)`` in front (20 characters).
"""

from __future__ import annotations

SSCC_LENGTH = 18
SSCC_AI = "00"
_DATA_LENGTH = SSCC_LENGTH - 1
_PREFIX_PLUS_SERIAL = 16


class InvalidSsccError(ValueError):
    """The parts given cannot form an SSCC (wrong lengths, non-digits, serial too large)."""


def gs1_check_digit(data: str) -> int:
    """Return the GS1 mod-10 check digit of a digit string (weights 3,1,3,… from the right).

    Raises InvalidSsccError if `data` is empty or holds anything but ASCII digits.
    """
    if not data or not _is_ascii_digits(data):
        raise InvalidSsccError(f"GS1 data must be ASCII digits, got {data!r}")
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(data)))
    return (10 - total % 10) % 10


def make_sscc(extension_digit: int, company_prefix: str, serial: int) -> str:
    """Return the 18-digit SSCC for an extension digit, a GS1 company prefix and a serial.

    The serial is zero-padded to fill the 16 digits left after the prefix. Raises
    InvalidSsccError when the extension digit is not 0-9, the prefix is not 7-10 digits or the
    serial is negative or does not fit.
    """
    if not 0 <= extension_digit <= 9:
        raise InvalidSsccError(f"extension digit must be 0-9, got {extension_digit}")
    if not (7 <= len(company_prefix) <= 10 and _is_ascii_digits(company_prefix)):
        raise InvalidSsccError(f"company prefix must be 7-10 digits, got {company_prefix!r}")
    serial_width = _PREFIX_PLUS_SERIAL - len(company_prefix)
    if serial < 0 or serial >= 10**serial_width:
        raise InvalidSsccError(f"serial {serial} does not fit in {serial_width} digits")
    data = f"{extension_digit}{company_prefix}{serial:0{serial_width}d}"
    return data + str(gs1_check_digit(data))


def is_valid_sscc(s: str) -> bool:
    """True when `s` is exactly 18 ASCII digits whose last digit is the GS1 check digit."""
    if len(s) != SSCC_LENGTH or not _is_ascii_digits(s):
        return False
    return gs1_check_digit(s[:_DATA_LENGTH]) == int(s[-1])


def normalize_sscc(s: str) -> str:
    """Return the bare 18-digit SSCC from ``00``+SSCC, ``(00) …`` or the bare form.

    Raises InvalidSsccError if what remains is not a valid SSCC.
    """
    compact = s.replace(" ", "").replace("(00)", "", 1)
    if len(compact) == SSCC_LENGTH + len(SSCC_AI) and compact.startswith(SSCC_AI):
        compact = compact[len(SSCC_AI) :]
    if not is_valid_sscc(compact):
        raise InvalidSsccError(f"not a valid SSCC: {s!r}")
    return compact


def with_ai(sscc: str) -> str:
    """Return the SSCC with its Application Identifier, as carriers track it (20 chars)."""
    return SSCC_AI + normalize_sscc(sscc)


def human_readable(sscc: str) -> str:
    """Return the label text form ``(00) 373500454541020957``."""
    return f"({SSCC_AI}) {normalize_sscc(sscc)}"


def _is_ascii_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()
