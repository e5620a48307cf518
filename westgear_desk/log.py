"""Structured, redacted logging with a correlation id: every call traceable, no secret leaked.

Redaction trade-offs (documented because they are deliberate):

- Keys are judged after lower-casing and dropping ``_``/``-``: ``Email``, ``given_name`` and
  ``DeliveryAddress1`` all name personal data; ``ProductName`` or ``ArticleNumber`` do not.
- Free text is scrubbed by pattern. Names in free text cannot be recognised and stay.
- A 10- or 12-digit number (optionally with ``-``/``+``/space before the last four digits) whose
  date part is plausible and whose last ten digits pass the Luhn check is treated as a
  personnummer/samordningsnummer and redacted, even if it was an order number. Company
  organisation numbers (month part >= 20) stay readable.
- A number starting with ``0`` or ``+``/``00`` that has 7–12 (national) or 8–15 (international)
  digits, optionally grouped by single spaces or hyphens, is treated as a phone number. Valid
  EAN-13 codes stay readable even when they start with ``00`` (padded UPCs), except ``0046…``
  which is always taken for a Swedish phone number; an 8-digit number starting with ``0`` is
  taken for a phone number even if it is a valid EAN-8. SKUs with a letter prefix, amounts and
  postal codes stay readable.
- A run of 24+ token characters that mixes upper case, lower case and digits, or is hex with a
  digit, is treated as a secret. Canonical UUIDs stay readable (they are request ids); a long
  mixed-case URL path may be redacted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import logging.handlers
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from stdnum import ean

SECRET: Final = "[secret]"  # noqa: S105 - the placeholder, not a password
PERSONAL: Final = "[personal]"
LOG_FILE_NAME: Final = "westgear-desk.jsonl"

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def new_correlation_id() -> str:
    """Return a fresh short correlation id (12 hex characters of a uuid4)."""
    return uuid.uuid4().hex[:12]


def current_correlation_id() -> str | None:
    """Return the correlation id of the running context, or None outside any scope."""
    return correlation_id.get()


@contextlib.contextmanager
def correlation_scope(cid: str | None = None) -> Iterator[str]:
    """Set a correlation id (a new one if None) for the block and restore the previous after."""
    value = cid or new_correlation_id()
    token = correlation_id.set(value)
    try:
        yield value
    finally:
        correlation_id.reset(token)


# --- redaction of keys ---------------------------------------------------------------------

_SECRET_KEY_PARTS: Final = (
    "password", "passwd", "pwd", "secret", "token", "apikey", "authorization", "cookie",
    "signature", "credential", "privatekey", "sessionid",
)  # fmt: skip
_PERSONAL_KEY_PARTS: Final = ("email", "phone", "mobile", "address", "street")
_PERSONAL_KEYS: Final = frozenset(
    {
        "name", "firstname", "lastname", "givenname", "familyname", "fullname", "middlename",
        "customername", "deliveryname", "contactname", "invoicename", "yourreference",
        "careof", "co", "personalnumber", "personnummer", "personalidentitynumber",
        "nationalid", "nationalidentificationnumber", "ssn", "dateofbirth", "birthdate",
        "fax", "cellphone", "title", "socialsecuritynumber",
    }
)  # fmt: skip


def _normalize_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def key_kind(key: object) -> str | None:
    """Return SECRET or PERSONAL when a mapping key names such data, else None."""
    if not isinstance(key, str):
        return None
    norm = _normalize_key(key)
    if any(part in norm for part in _SECRET_KEY_PARTS):
        return SECRET
    if norm in _PERSONAL_KEYS or any(part in norm for part in _PERSONAL_KEY_PARTS):
        return PERSONAL
    return None


# --- redaction of free text ----------------------------------------------------------------

_EMAIL_RE: Final = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_CREDENTIAL_CHARSET: Final = r"[A-Za-z0-9._~+/=-]+"
# "Bearer x" anywhere; other schemes (Basic, Digest, Token…) only after an Authorization
# header name, so ordinary words such as "basic validation" stay readable.
_BEARER_RE: Final = re.compile(rf"(?i)\b(bearer)(\s+){_CREDENTIAL_CHARSET}")
_AUTH_HEADER_RE: Final = re.compile(
    r"""(?i)\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?"""
    rf"(?:(?:basic|digest|token|negotiate|bearer)\s+)?){_CREDENTIAL_CHARSET}"
)
_JWT_RE: Final = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_KEYVAL_RE: Final = re.compile(
    r"(?i)\b([\w-]*(?:api[_-]?key|apikey|password|passwd|secret|token|signature|"
    r"cookie)[\w-]*)"
    r"""(["']?\s*[:=]\s*["']?)(?!\[secret\])([^\s"'&,;}]+)"""
)
_PNR_RE: Final = re.compile(r"(?<![\d+])((?:19|20)?\d{6})([-+ ]?)(\d{4})(?!\d)")
_PHONE_INTL_RE: Final = re.compile(
    r"(?<![\w+])(?:\+|00)[ ]?[1-9]\d{0,2}(?:[ -]?\(0\))?(?:[ -]?(?:\(\d{1,4}\)|\d{1,4})){1,7}(?!\w)"
)
_PHONE_NATIONAL_RE: Final = re.compile(
    r"(?<![\w+])(?:\(0\d{1,3}\)|0\d{1,3})(?:[ /-]?\d{1,4}){1,5}(?!\w)"
)
_LONG_TOKEN_RE: Final = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}")
_UUID_SPLIT_RE: Final = re.compile(
    r"(?<![\w-])([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})(?![\w-])"
)
_HEX_RE: Final = re.compile(r"[0-9a-fA-F]+")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _plausible_pnr(date_part: str, tail: str) -> bool:
    short = date_part[-6:]
    month, day = int(short[2:4]), int(short[4:6])
    day_ok = 1 <= day <= 31 or 61 <= day <= 91  # samordningsnummer adds 60 to the day
    return 1 <= month <= 12 and day_ok and _luhn_ok(short + tail)


def _pnr_sub(match: re.Match[str]) -> str:
    return "[personnummer]" if _plausible_pnr(match[1], match[3]) else match[0]


_GROUP_BREAK_RE: Final = re.compile(r"[ /-](?=\(?\d)")


def _digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _is_ean13(text: str) -> bool:
    """A valid EAN-13 such as 0012345678905 (a padded UPC), but never a Swedish 0046 number."""
    return len(text) == 13 and text.isdigit() and not text.startswith("0046") and ean.is_valid(text)


def _phone_sub(pattern: re.Pattern[str], low: int, high: int) -> Callable[[re.Match[str]], str]:
    def sub(match: re.Match[str]) -> str:
        text = match[0]
        if _is_ean13(text):
            return text
        if low <= _digit_count(text) <= high:
            return "[phone]"
        # Too many digits: a phone number next to another number. Redact the longest grouped
        # prefix that is a phone number on its own, or keep the first group; scan the rest again.
        breaks = [found.start() for found in _GROUP_BREAK_RE.finditer(text)]
        for cut in reversed(breaks):
            if low <= _digit_count(text[:cut]) <= high:
                return "[phone]" + pattern.sub(sub, text[cut:])
        if breaks:
            return text[: breaks[0] + 1] + pattern.sub(sub, text[breaks[0] + 1 :])
        return text

    return sub


def _looks_secret(candidate: str) -> bool:
    has_digit = any(char.isdigit() for char in candidate)
    if _HEX_RE.fullmatch(candidate):
        return has_digit
    has_upper = any(char.isupper() for char in candidate)
    has_lower = any(char.islower() for char in candidate)
    return has_digit and has_upper and has_lower


def _long_token_sub(match: re.Match[str]) -> str:
    return SECRET if _looks_secret(match[0]) else match[0]


def redact_text(s: str) -> str:
    """Return `s` with e-mails, phone numbers, personnummer, tokens and keys replaced."""
    s = _EMAIL_RE.sub("[email]", s)
    s = _JWT_RE.sub(SECRET, s)
    s = _AUTH_HEADER_RE.sub(lambda m: f"{m[1]}{SECRET}", s)
    s = _BEARER_RE.sub(lambda m: f"{m[1]}{m[2]}{SECRET}", s)
    s = _KEYVAL_RE.sub(lambda m: f"{m[1]}{m[2]}{SECRET}", s)
    # UUIDs (request ids) stay readable; only the text between them is scanned further.
    parts = _UUID_SPLIT_RE.split(s)
    return "".join(part if i % 2 else _redact_numbers(part) for i, part in enumerate(parts))


def _redact_numbers(s: str) -> str:
    s = _LONG_TOKEN_RE.sub(_long_token_sub, s)
    s = _PNR_RE.sub(_pnr_sub, s)
    s = _PHONE_INTL_RE.sub(_phone_sub(_PHONE_INTL_RE, 8, 15), s)
    return _PHONE_NATIONAL_RE.sub(_phone_sub(_PHONE_NATIONAL_RE, 7, 12), s)


def redact(value: object) -> object:
    """Return a redacted deep copy of dicts, lists, tuples and strings (other values as is)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {_redact_key(key): _redact_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = [redact(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", errors="replace"))
    if hasattr(value, "model_dump"):  # pydantic models: keep their field names for key rules
        return redact(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return redact(dataclasses.asdict(value))
    return value


def _redact_key(key: object) -> object:
    return redact_text(key) if isinstance(key, str) else key


def _redact_item(key: object, item: object) -> object:
    kind = key_kind(key)
    if kind is None or item is None or item == "":
        return redact(item)
    return kind


def summarize_payload(payload: object, limit: int = 512) -> str:
    """Return a redacted, compact JSON rendering of a payload, cut to `limit` characters."""
    data = payload
    if isinstance(data, bytes | bytearray):
        data = bytes(data).decode("utf-8", errors="replace")
    if isinstance(data, str):
        with contextlib.suppress(ValueError):
            data = json.loads(data)
    cleaned = redact(data)
    if isinstance(cleaned, str):
        text = cleaned
    else:
        text = json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"), default=str)
        text = redact_text(text)  # values that only became text through default=str
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text)} chars total]"


# --- logging -------------------------------------------------------------------------------

_STANDARD_ATTRS: Final = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "correlation_id",
    "_westgear_redacted",
}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}


class RedactingFilter(logging.Filter):
    """Renders the message with redacted args, scrubs it and the extras, adds the correlation id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_westgear_redacted", False):
            return True
        record.msg = redact_text(_render(record))
        record.args = None
        for key, value in _extras(record).items():
            setattr(record, key, _redact_item(key, value))
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = current_correlation_id()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        record._westgear_redacted = True
        return True


def _render(record: logging.LogRecord) -> str:
    msg: object = record.msg
    if not isinstance(msg, str):
        msg = str(redact(msg))
    if not record.args:
        return str(msg)
    try:
        return str(msg) % redact(record.args)
    except (TypeError, ValueError, KeyError):
        return f"{msg} {redact(record.args)!r}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC ISO), level, logger, message, correlation_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None),
        }
        for key, value in _extras(record).items():
            entry.setdefault(key, value)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


_CONSOLE_FORMAT: Final = "%(asctime)s %(levelname)-7s %(name)s [%(correlation_id)s] %(message)s"


def _mark(handler: logging.Handler) -> logging.Handler:
    handler.addFilter(RedactingFilter())
    handler._westgear = True  # type: ignore[attr-defined]
    return handler


def reset_logging() -> None:
    """Remove and close the handlers `configure_logging` installed on the root logger."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_westgear", False):
            root.removeHandler(handler)
            handler.close()


def configure_logging(
    log_dir: Path | None = None,
    *,
    level: str | int = "INFO",
    console: bool = True,
    json_file: bool = True,
) -> Path | None:
    """Install redacting console and JSON-lines file handlers; return the log file path.

    Calling it again replaces the handlers it installed before, so they never duplicate.
    """
    reset_logging()
    root = logging.getLogger()
    root.setLevel(level)
    log_file: Path | None = None
    if json_file:
        if log_dir is None:
            from westgear_desk.paths import log_dir as default_log_dir

            log_dir = default_log_dir()
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / LOG_FILE_NAME
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
        )
        file_handler.setFormatter(JsonFormatter())
        root.addHandler(_mark(file_handler))
    if console:
        console_handler = logging.StreamHandler()
        console_handler.setFormatter(logging.Formatter(_CONSOLE_FORMAT))
        root.addHandler(_mark(console_handler))
    return log_file
