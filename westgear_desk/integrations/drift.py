"""Contract models that keep and report unknown fields, so schema drift is seen, never lost."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import pydantic
from pydantic import ConfigDict

from westgear_desk.errors import DataError

M = TypeVar("M", bound=pydantic.BaseModel)

MAX_ERRORS_IN_MESSAGE = 5


class ContractModel(pydantic.BaseModel):
    """Base for contract models: extra="allow" so unknown fields are KEPT, and reported."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def unknown_fields(self) -> list[str]:
        """Dotted paths (API field names, list indices as numbers) of every unknown field.

        Walks nested models, lists/tuples of models and dicts of models; an unknown field is
        reported at its own key and not descended into.
        """
        return list(_walk_model(self, ""))


def _join(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _walk_model(model: pydantic.BaseModel, prefix: str) -> Iterator[str]:
    for key in model.model_extra or {}:
        yield _join(prefix, key)
    for name, field in type(model).model_fields.items():
        value = getattr(model, name, None)
        yield from _walk_value(value, _join(prefix, field.alias or name))


def _walk_value(value: object, path: str) -> Iterator[str]:
    if isinstance(value, pydantic.BaseModel):
        yield from _walk_model(value, path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk_value(item, _join(path, index))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk_value(item, _join(path, key))


def describe_validation_error(error: pydantic.ValidationError) -> str:
    """A one-line text naming each failing field by dotted path, e.g. ``OrderRows.0.Price: …``."""
    parts = []
    for item in error.errors()[:MAX_ERRORS_IN_MESSAGE]:
        location = ".".join(str(part) for part in item["loc"]) or "<root>"
        parts.append(f"{location}: {item['msg']}")
    more = error.error_count() - MAX_ERRORS_IN_MESSAGE
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def parse_contract(model: type[M], data: Any, *, system: str = "") -> M:
    """Validate `data` (decoded JSON) against `model`.

    Raises DataError (error_code "contract_violation") whose message names every failing
    field; never lets a pydantic ValidationError escape.
    """
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise DataError(
            f"{system or 'payload'}: {model.__name__} does not match the contract: "
            f"{describe_validation_error(exc)}",
            system=system,
            error_code="contract_violation",
        ) from exc
