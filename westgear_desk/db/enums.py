"""The closed value sets stored in the database, as StrEnums other layers reuse.

Each is stored by value as VARCHAR with a CHECK constraint (see `types.str_enum`), so adding
a member needs a migration that widens the constraint.
"""

from __future__ import annotations

import enum


class SourceSystem(enum.StrEnum):
    """The system an external id comes from (``local`` for records made in the desk)."""

    LOCAL = "local"
    SHARESPINE = "sharespine"
    FORTNOX = "fortnox"
    KLARNA = "klarna"
    POSTNORD = "postnord"
    DHL = "dhl"


class UserRole(enum.StrEnum):
    WAREHOUSE = "warehouse"
    SALES = "sales"
    ADMIN = "admin"


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"
    DISCARDED = "discarded"


class JobAttemptOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    DEAD = "dead"
    LEASE_LOST = "lease_lost"


class InboxStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    FAILED = "failed"
    DEAD = "dead"
    IGNORED = "ignored"


class InboxAttemptOutcome(enum.StrEnum):
    PROCESSED = "processed"
    RETRY = "retry"
    DEAD = "dead"
    IGNORED = "ignored"
    LEASE_LOST = "lease_lost"


class SyncRunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class RecordType(enum.StrEnum):
    """What kind of record a quarantine entry holds."""

    PRODUCT = "product"
    VARIANT = "variant"
    PRICE = "price"
    STOCK = "stock"
    CUSTOMER = "customer"
    ORDER = "order"


class QuarantineStatus(enum.StrEnum):
    OPEN = "open"
    RELEASED = "released"
    IGNORED = "ignored"


class PriceListKind(enum.StrEnum):
    LIST = "list"
    CAMPAIGN = "campaign"
    B2B = "b2b"


class CustomerKind(enum.StrEnum):
    B2C = "b2c"
    B2B = "b2b"


class AddressKind(enum.StrEnum):
    BILLING = "billing"
    DELIVERY = "delivery"


class OrderStatus(enum.StrEnum):
    """Our own order lifecycle; the source system's raw status is kept beside it."""

    NEW = "new"
    CONFIRMED = "confirmed"
    ON_HOLD = "on_hold"
    PICKING = "picking"
    PACKED = "packed"
    PART_SHIPPED = "part_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class Carrier(enum.StrEnum):
    POSTNORD = "postnord"
    DHL = "dhl"


class ShipmentStatus(enum.StrEnum):
    DRAFT = "draft"
    BOOKED = "booked"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class LabelFormat(enum.StrEnum):
    PDF = "pdf"
    ZPL = "zpl"


class PaymentProvider(enum.StrEnum):
    KLARNA = "klarna"
    MANUAL = "manual"


class PaymentStatus(enum.StrEnum):
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PART_CAPTURED = "part_captured"
    REFUNDED = "refunded"
    PART_REFUNDED = "part_refunded"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PaymentTransactionKind(enum.StrEnum):
    CAPTURE = "capture"
    REFUND = "refund"


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(enum.StrEnum):
    """Local lifecycle of an invoice or credit note; ``pending`` = not yet in Fortnox."""

    PENDING = "pending"
    CREATED = "created"
    BOOKED = "booked"
    SENT = "sent"
    PAID = "paid"
    CANCELLED = "cancelled"
    CREDITED = "credited"


class QuoteStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CONVERTED = "converted"
