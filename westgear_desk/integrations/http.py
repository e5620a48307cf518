"""The HTTP boundary every system client shares: timeouts, auth hook, error mapping, call log."""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import quote

import httpx

from westgear_desk import __version__
from westgear_desk.errors import (
    AuthenticationError,
    ConnectionFailure,
    DataError,
    IntegrationError,
    PermanentError,
    RateLimitedError,
    ServerError,
    TimeoutFailure,
)
from westgear_desk.integrations.calllog import NULL_RECORDER, CallRecord, CallRecorder
from westgear_desk.log import current_correlation_id, summarize_payload

log = logging.getLogger(__name__)

USER_AGENT = f"WestGearDesk/{__version__}"
CONNECT_TIMEOUT_S = 5.0
REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Amzn-RequestId", "Trace-Id")
MALFORMED_JSON = "malformed_json"

_DATA_STATUSES = frozenset({400, 404, 409, 422})

# records one finished call: (status code, provider request id, error code)
_Record = Callable[[int | None, str | None, str | None], None]


def fill_template(endpoint: str, path_params: Mapping[str, str | int] | None) -> str:
    """Return `endpoint` with each ``{name}`` replaced by its url-quoted value.

    Raises KeyError when the template names a parameter that was not given.
    """
    if not path_params:
        return endpoint
    quoted = {key: quote(str(value), safe="") for key, value in path_params.items()}
    return endpoint.format_map(quoted)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_for_status(
    system: str,
    response: httpx.Response,
    *,
    message: str | None = None,
    error_code: str | None = None,
    request_id: str | None = None,
) -> IntegrationError:
    """Build the exception that a non-2xx `response` stands for, classified by its status.

    401/403 AuthenticationError; 408 and 5xx ServerError; 429 RateLimitedError with its
    Retry-After; 400/404/409/422 DataError; any other status PermanentError.
    """
    status = response.status_code
    request = response.request
    text = message or f"{system} answered HTTP {status} to {request.method} {request.url.path}"
    kwargs: dict[str, Any] = {
        "system": system,
        "status_code": status,
        "request_id": request_id,
        "error_code": error_code,
    }
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimitedError(text, retry_after=retry_after, **kwargs)
    if status in (401, 403):
        return AuthenticationError(text, **kwargs)
    if status == 408 or status >= 500:
        return ServerError(text, **kwargs)
    if status in _DATA_STATUSES:
        return DataError(text, **kwargs)
    return PermanentError(text, **kwargs)


class ApiClient:
    """Base of every system client: one httpx.Client, timeouts, auth hook, error mapping, call log.

    Safe to share between threads: the only mutable state is inside httpx.Client, which is
    thread-safe. Subclasses set `system` and override `_prepare` (authentication),
    `_request_id` and `_error_for` (the provider's error body).
    """

    system: ClassVar[str] = "external"

    def __init__(
        self,
        base_url: str,
        *,
        recorder: CallRecorder = NULL_RECORDER,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._recorder = recorder
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_S, timeout)),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
        )

    # ----------------------------------------------------------------- public calls

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        path_params: Mapping[str, str | int] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request and return its 2xx response.

        Raises TimeoutFailure, ConnectionFailure, or whatever `_error_for` maps a non-2xx
        answer to. Every call, failed or not, is reported to the recorder.
        """
        response, _ = self._call(
            method,
            endpoint,
            path_params=path_params,
            params=params,
            json=json,
            content=content,
            headers=headers,
            parse=False,
        )
        return response

    def request_json(
        self,
        method: str,
        endpoint: str,
        *,
        path_params: Mapping[str, str | int] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Like `request`, and return the decoded JSON body (None for an empty body).

        A body that is not valid JSON raises ServerError with error_code "malformed_json":
        a truncated or garbled answer is the provider's failure and worth retrying.
        """
        _, body = self._call(
            method,
            endpoint,
            path_params=path_params,
            params=params,
            json=json,
            content=content,
            headers=headers,
            parse=True,
        )
        return body

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- hooks

    def _prepare(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        """Add authentication to the outgoing headers/params (default: none)."""
        del headers, params

    def _request_id(self, response: httpx.Response) -> str | None:
        """The provider's id of this request, from the first known header present."""
        for name in REQUEST_ID_HEADERS:
            value: str | None = response.headers.get(name)
            if value:
                return value
        return None

    def _error_for(self, response: httpx.Response) -> IntegrationError:
        """Map a non-2xx response to an exception; override to read the provider's error body."""
        return error_for_status(self.system, response, request_id=self._request_id(response))

    # ----------------------------------------------------------------- internals

    def _call(
        self,
        method: str,
        endpoint: str,
        *,
        path_params: Mapping[str, str | int] | None,
        params: Mapping[str, Any] | None,
        json: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        parse: bool,
    ) -> tuple[httpx.Response, Any]:
        path = fill_template(endpoint, path_params)
        correlation_id = current_correlation_id()
        send_headers = dict(headers or {})
        if correlation_id:
            send_headers["X-Correlation-Id"] = correlation_id
        send_params = dict(params or {})
        self._prepare(send_headers, send_params)
        payload = json if json is not None else content
        summary = None if payload is None else summarize_payload(payload)
        started = time.perf_counter()
        method = method.upper()

        def record(status: int | None, request_id: str | None, error_code: str | None) -> None:
            self._report(
                CallRecord(
                    system=self.system,
                    method=method,
                    endpoint=endpoint,
                    status_code=status,
                    latency_ms=(time.perf_counter() - started) * 1000.0,
                    correlation_id=correlation_id,
                    request_id=request_id,
                    error_code=error_code,
                    payload_summary=summary,
                )
            )

        try:
            response = self._http.request(
                method,
                path,
                params=send_params or None,
                json=json,
                content=content,
                headers=send_headers,
            )
        except httpx.TimeoutException as exc:
            record(None, None, type(exc).__name__)
            raise TimeoutFailure(
                f"{self.system}: {method} {endpoint} timed out", system=self.system
            ) from exc
        except httpx.TransportError as exc:
            record(None, None, type(exc).__name__)
            raise ConnectionFailure(
                f"{self.system}: {method} {endpoint} failed: {type(exc).__name__}",
                system=self.system,
            ) from exc
        detach_stream(response)
        return self._finish(response, method, endpoint, record, parse=parse)

    def _report(self, record: CallRecord) -> None:
        """Hand one record to the recorder; its failure is logged, never turned into ours.

        The call itself already happened (a capture may have been taken): raising here would
        misreport the outcome and invite a second attempt.
        """
        try:
            self._recorder(record)
        except Exception:
            log.exception("call recorder failed for %s %s", record.method, record.endpoint)

    def _finish(
        self,
        response: httpx.Response,
        method: str,
        endpoint: str,
        record: _Record,
        *,
        parse: bool,
    ) -> tuple[httpx.Response, Any]:
        request_id = self._request_id(response)
        if not response.is_success:
            error = self._error_for(response)
            record(response.status_code, request_id, error.error_code or type(error).__name__)
            raise error
        body: Any = None
        if parse and response.content.strip():
            try:
                body = jsonlib.loads(response.content)
            except ValueError as exc:
                record(response.status_code, request_id, MALFORMED_JSON)
                raise ServerError(
                    f"{self.system}: {method} {endpoint} answered invalid JSON",
                    system=self.system,
                    status_code=response.status_code,
                    request_id=request_id,
                    error_code=MALFORMED_JSON,
                ) from exc
        record(response.status_code, request_id, None)
        return response, body


def detach_stream(response: httpx.Response) -> None:
    """Free a read response by reference counting instead of a full garbage collection.

    httpx binds each response's stream back to the response (to time it), so every
    response is a reference cycle, and its body (2 MB for a page of products) lives until
    the cyclic collector finds it; during bulk runs that is rarely (see `gc_policy`). Once
    the body is read the stream has nothing left to give: a plain byte stream over the same
    body takes its place. Streaming responses (not read yet) are left alone.
    """
    if response.is_closed and response.is_stream_consumed:
        response.stream = httpx.ByteStream(response.content)
