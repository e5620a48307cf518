"""All ORM models, imported here so `Base.metadata` knows every table."""

from westgear_desk.db.models.admin import ApiCall, AuditEntry, User
from westgear_desk.db.models.catalog import Brand, Media, Product, ProductText, Variant
from westgear_desk.db.models.customers import Customer, CustomerAddress, CustomerExternalId
from westgear_desk.db.models.engine import InboxAttempt, InboxEvent, Job, JobAttempt
from westgear_desk.db.models.fulfilment import Label, Parcel, Shipment
from westgear_desk.db.models.invoicing import Invoice
from westgear_desk.db.models.orders import Order, OrderLine
from westgear_desk.db.models.payments import Payment, PaymentTransaction
from westgear_desk.db.models.pricing import Price, PriceList
from westgear_desk.db.models.quotes import Quote, QuoteLine
from westgear_desk.db.models.runs import QuarantineEntry, SyncCursor, SyncRun
from westgear_desk.db.models.stock import StockLevel, StockLocation

__all__ = [
    "ApiCall",
    "AuditEntry",
    "Brand",
    "Customer",
    "CustomerAddress",
    "CustomerExternalId",
    "InboxAttempt",
    "InboxEvent",
    "Invoice",
    "Job",
    "JobAttempt",
    "Label",
    "Media",
    "Order",
    "OrderLine",
    "Parcel",
    "Payment",
    "PaymentTransaction",
    "Price",
    "PriceList",
    "Product",
    "ProductText",
    "QuarantineEntry",
    "Quote",
    "QuoteLine",
    "Shipment",
    "StockLevel",
    "StockLocation",
    "SyncCursor",
    "SyncRun",
    "User",
    "Variant",
]
