"""Why a record is held back: a stable reason code plus a plain-language Swedish/English text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reason:
    """One broken rule of one record.

    `code` is stable (screens, docs and Sharespine's event log key on it); `field` names the
    offending field as a dotted path (``variants.0.gtin``), or "" for the whole record.
    """

    code: str
    field: str
    message_sv: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        """The JSON form stored in `quarantine.reasons`."""
        return {
            "code": self.code,
            "field": self.field,
            "message_sv": self.message_sv,
            "message_en": self.message_en,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        """Rebuild a reason from its stored JSON (missing keys become empty text)."""
        return cls(
            code=str(data.get("code", "")),
            field=str(data.get("field", "")),
            message_sv=str(data.get("message_sv", "")),
            message_en=str(data.get("message_en", "")),
        )

    def message(self, language: str) -> str:
        """The message in `language` ("sv" or anything else for English)."""
        return self.message_sv if language == "sv" else self.message_en


def codes_of(reasons: Iterable[Reason]) -> list[str]:
    """The distinct reason codes, sorted (what overrides and idempotency keys compare)."""
    return sorted({reason.code for reason in reasons})


def without_overridden(reasons: Iterable[Reason], overridden: Iterable[str]) -> list[Reason]:
    """The reasons an admin has not accepted (overriding a code accepts all its occurrences)."""
    accepted = frozenset(overridden)
    return [reason for reason in reasons if reason.code not in accepted]
