"""What a client reports about each external call, and the hook it reports through.

Integrations must not import the sync engine (imports point downward), so a client only
knows the `CallRecorder` protocol; the engine supplies an implementation that writes
`api_calls` and the structured log. `NULL_RECORDER` is the default for tests and tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One finished (or failed) HTTP call to an external system.

    `endpoint` is the path template (``/3/customers/{id}``), never the filled-in path, so
    records group well and carry no identifiers. `payload_summary` is already redacted.
    """

    system: str
    method: str
    endpoint: str
    status_code: int | None
    latency_ms: float
    correlation_id: str | None
    request_id: str | None
    error_code: str | None
    payload_summary: str | None


class CallRecorder(Protocol):
    """Receives every call a client makes."""

    def __call__(self, record: CallRecord) -> None: ...


def _ignore(record: CallRecord) -> None:
    del record


NULL_RECORDER: CallRecorder = _ignore
