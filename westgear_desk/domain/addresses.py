"""What counts as a complete postal address: one answer for the customer and the order rules."""

from __future__ import annotations

from typing import Protocol


class PostalAddress(Protocol):
    """The address fields a completeness check reads."""

    @property
    def street(self) -> str | None: ...

    @property
    def postal_code(self) -> str | None: ...

    @property
    def city(self) -> str | None: ...


def blank(value: str | None) -> bool:
    """True for None, "" and whitespace only."""
    return value is None or not value.strip()


def is_complete(address: PostalAddress | None) -> bool:
    """True when there is an address with street, postal code and city all filled in."""
    return address is not None and not any(
        blank(part) for part in (address.street, address.postal_code, address.city)
    )
