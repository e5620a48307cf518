"""Lenient field types for Fortnox, whose API sends numbers as strings and "" or null for empty.

The recorded real bodies (shared/reference/recorded/fortnox) show: `Credit` as "false",
quantities as "1", references as "0" (a field that was number 0 in an older build), and
``null`` and ``""`` both meaning "no value". Every lenient conversion lives here, explicit and
tested, so the models in contract.py read like the API documentation.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, PlainSerializer

from westgear_desk.integrations.drift import ContractModel

_ACRONYMS = {
    "vat": "VAT",
    "ocr": "OCR",
    "ean": "EAN",
    "eu": "EU",
    "edi": "EDI",
    "gln": "GLN",
    "www": "WWW",
    "cc": "CC",
    "bcc": "BCC",
}


def fortnox_alias(name: str) -> str:
    """Python snake_case name -> Fortnox PascalCase key (``total_vat`` -> ``TotalVAT``)."""
    return "".join(_ACRONYMS.get(part, part.capitalize()) for part in name.split("_"))


class FortnoxModel(ContractModel):
    """Base of Fortnox models: PascalCase keys on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=fortnox_alias, serialize_by_alias=True)


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_str(value: Any) -> Any:
    """ "" / null -> None; numbers (a field that changed from 0 to "0") -> their text."""
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        return value  # let pydantic reject a boolean where text is expected
    if isinstance(value, int | float | Decimal):
        return str(value)
    return value


def _to_decimal(value: Any) -> Any:
    """ "" / null -> None; "1", 1, 1.5 -> Decimal (floats through their shortest text)."""
    if _is_empty(value):
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            return value  # pydantic names the field in its error
    return value


def _to_int(value: Any) -> Any:
    """ "" / null -> None; "79" -> 79; 25.0 -> 25 (whole floats only)."""
    if _is_empty(value):
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _to_bool(value: Any) -> Any:
    """ "" / null -> None; "true"/"false" (any case) -> bool."""
    if _is_empty(value):
        return None
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _decimal_to_json(value: Decimal | None) -> float | None:
    # JSON has only one number type; the shortest float text of an amount with at most two
    # decimals below 2**53 öre is exactly the decimal text, so no money value changes here.
    return None if value is None else float(value)


Text = Annotated[str | None, BeforeValidator(_to_str)]
Number = Annotated[
    Decimal | None,
    BeforeValidator(_to_decimal),
    PlainSerializer(_decimal_to_json, return_type=float | None, when_used="json"),
]
# Quantities are documented as string-typed decimals: sent and received as text.
Quantity = Annotated[
    Decimal | None,
    BeforeValidator(_to_decimal),
    PlainSerializer(
        lambda v: None if v is None else str(v), return_type=str | None, when_used="json"
    ),
]
Integer = Annotated[int | None, BeforeValidator(_to_int)]
Flag = Annotated[bool | None, BeforeValidator(_to_bool)]
Day = Annotated[date | None, BeforeValidator(lambda v: None if _is_empty(v) else v)]
