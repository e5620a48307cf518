"""Fortnox list paging (`page`, `limit`, `MetaInformation`) and the list query parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from westgear_desk.integrations.fortnox.contract import MetaInformation

T = TypeVar("T")

DEFAULT_LIMIT = 100  # [C] Fortnox default page size
MAX_LIMIT = 500  # [C] Fortnox maximum page size
# [U] `lastmodified` is read in Swedish local time; minutes precision as in the docs' example,
# so an incremental sync may see a record twice (never miss one).
FORTNOX_ZONE = ZoneInfo("Europe/Stockholm")
LASTMODIFIED_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a Fortnox list."""

    items: list[T]
    page: int
    total_pages: int
    total_resources: int

    @classmethod
    def of(cls, items: list[T], meta: MetaInformation) -> Page[T]:
        """A page from a list envelope's items and its MetaInformation."""
        return cls(items, meta.current_page, meta.total_pages, meta.total_resources)

    @property
    def has_next(self) -> bool:
        """True when a later page exists."""
        return self.page < self.total_pages


def iter_pages(fetch: Callable[[int], Page[T]]) -> Iterator[T]:
    """Every item of every page, fetching page 1, 2, … until the last one."""
    page = fetch(1)
    last = page.total_pages
    yield from page.items
    number = 1
    while page.has_next and number < last:
        number += 1
        page = fetch(number)
        yield from page.items


def format_lastmodified(when: datetime) -> str:
    """An aware datetime as Fortnox's `lastmodified` value (Swedish local time)."""
    if when.tzinfo is None:
        raise ValueError("lastmodified needs a timezone-aware datetime")
    return when.astimezone(FORTNOX_ZONE).strftime(LASTMODIFIED_FORMAT)


def list_params(
    *,
    page: int,
    limit: int,
    last_modified: datetime | None = None,
    filter_: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    search: Mapping[str, str] | None = None,
) -> dict[str, str | int]:
    """Query parameters of a list call; Fortnox wants them lower-case [V]."""
    if page < 1 or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"page must be >= 1 and limit 1..{MAX_LIMIT}")
    params: dict[str, str | int] = {"page": page, "limit": limit}
    if last_modified is not None:
        params["lastmodified"] = format_lastmodified(last_modified)
    if filter_:
        params["filter"] = filter_
    if from_date:
        params["fromdate"] = from_date.isoformat()
    if to_date:
        params["todate"] = to_date.isoformat()
    for key, value in (search or {}).items():
        params[key.lower()] = value
    return params
