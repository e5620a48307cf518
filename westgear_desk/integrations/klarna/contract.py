"""The Klarna data contract: Payments sessions and orders, Order Management, captures, refunds.

Amounts are integers in minor units; order lines and their invariants are in lines.py. The
Order Management GET model checks each line but not the order sums, because Klarna's own
documented example is inconsistent there (see tests/contract/klarna/recorded/SOURCES.md).
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import AliasChoices, AwareDatetime, Field, model_validator

from westgear_desk.integrations.drift import ContractModel
from westgear_desk.integrations.klarna.lines import (
    MinorUnits,
    OrderLine,
    ProductIdentifiers,
    order_totals_problem,
)

__all__ = [
    "Address",
    "AuthorizedPaymentMethod",
    "Capture",
    "CaptureRequest",
    "CreateOrderRequest",
    "CreateOrderResponse",
    "KlarnaErrorBody",
    "KlarnaOrder",
    "OrderLine",
    "OrderStatus",
    "PaymentSession",
    "ProductIdentifiers",
    "Refund",
    "RefundRequest",
    "SessionCreateRequest",
    "SessionCreateResponse",
    "ShippingInfo",
]

OrderStatus = Literal["AUTHORIZED", "PART_CAPTURED", "CAPTURED", "CANCELLED", "EXPIRED", "CLOSED"]
FraudStatus = Literal["ACCEPTED", "PENDING", "REJECTED"]


class Address(ContractModel):
    """A billing or shipping address."""

    given_name: str | None = None
    family_name: str | None = None
    organization_name: str | None = None
    title: str | None = None
    street_address: str | None = None
    street_address2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    attention: str | None = None
    care_of: str | None = None


class CustomerInfo(ContractModel):
    """The customer block of an order."""

    date_of_birth: str | None = None
    national_identification_number: str | None = None
    title: str | None = None
    gender: str | None = None
    type: str | None = None
    vat_id: str | None = None
    organization_registration_id: str | None = None
    organization_entity_type: str | None = None


class MerchantUrls(ContractModel):
    """Where Klarna sends the customer and its callbacks."""

    confirmation: str | None = None
    notification: str | None = None
    push: str | None = None
    authorization: str | None = None


class PaymentOrderBody(ContractModel):
    """What a Payments session and a Payments order are created from; sums must match lines."""

    purchase_country: str = Field(min_length=2, max_length=2)
    purchase_currency: str = Field(min_length=3, max_length=3)
    locale: str | None = None
    order_amount: MinorUnits = Field(ge=0)
    order_tax_amount: MinorUnits | None = None
    order_lines: list[OrderLine] = Field(min_length=1, max_length=1000)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    customer: CustomerInfo | None = None
    merchant_reference1: str | None = Field(default=None, max_length=255)
    merchant_reference2: str | None = Field(default=None, max_length=255)
    merchant_urls: MerchantUrls | None = None
    merchant_data: str | None = None
    options: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _sums_match_lines(self) -> Self:
        problem = order_totals_problem(self.order_amount, self.order_tax_amount, self.order_lines)
        if problem:
            raise ValueError(problem)
        return self


class SessionCreateRequest(PaymentOrderBody):
    """`POST /payments/v1/sessions`."""


class AssetUrls(ContractModel):
    """Badge images of a payment method category."""

    descriptive: str | None = None
    standard: str | None = None


class PaymentMethodCategory(ContractModel):
    """One way to pay offered in the session."""

    identifier: str
    name: str | None = None
    asset_urls: AssetUrls | None = None


class SessionCreateResponse(ContractModel):
    """Answer to session creation (recorded real)."""

    session_id: str = Field(min_length=1)
    client_token: str = Field(min_length=1)
    payment_method_categories: list[PaymentMethodCategory] = Field(default_factory=list)


class PaymentSession(PaymentOrderBody):
    """`GET /payments/v1/sessions/{id}`: the request fields plus status [U: exact field set]."""

    status: Literal["complete", "incomplete"] | None = None
    client_token: str | None = None
    expires_at: AwareDatetime | None = None
    authorization_token: str | None = None
    payment_method_categories: list[PaymentMethodCategory] | None = None


class CreateOrderRequest(PaymentOrderBody):
    """`POST /payments/v1/authorizations/{authorization_token}/order`."""

    auto_capture: bool | None = None


class AuthorizedPaymentMethod(ContractModel):
    """The payment method the customer chose."""

    type: str
    number_of_days: int | None = None
    number_of_installments: int | None = None


class CreateOrderResponse(ContractModel):
    """Answer to order creation (recorded real)."""

    order_id: str = Field(min_length=1)
    redirect_url: str | None = None
    fraud_status: FraudStatus
    authorized_payment_method: AuthorizedPaymentMethod | None = None


class ShippingInfo(ContractModel):
    """Tracking of a capture."""

    shipping_company: str | None = None
    shipping_method: str | None = None
    tracking_number: str | None = None
    tracking_uri: str | None = None
    return_shipping_company: str | None = None
    return_tracking_number: str | None = None
    return_tracking_uri: str | None = None


def _lines_match(amount: int, lines: list[OrderLine] | None, field: str) -> None:
    # [U] Klarna documents that lines describe the captured/refunded amount; we require equality.
    if lines and amount != sum(line.total_amount for line in lines):
        total = sum(line.total_amount for line in lines)
        raise ValueError(f"{field} {amount} must equal the sum of order_lines.total_amount {total}")


class CaptureRequest(ContractModel):
    """`POST /ordermanagement/v1/orders/{order_id}/captures`."""

    captured_amount: MinorUnits = Field(gt=0)
    description: str | None = Field(default=None, max_length=255)
    reference: str | None = Field(default=None, max_length=255)
    order_lines: list[OrderLine] | None = Field(default=None, max_length=1000)
    shipping_info: list[ShippingInfo] | None = Field(default=None, max_length=500)
    shipping_delay: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _amount_matches_lines(self) -> Self:
        _lines_match(self.captured_amount, self.order_lines, "captured_amount")
        return self


class RefundRequest(ContractModel):
    """`POST /ordermanagement/v1/orders/{order_id}/refunds`."""

    refunded_amount: MinorUnits = Field(gt=0)
    description: str | None = Field(default=None, max_length=255)
    reference: str | None = Field(default=None, max_length=255)
    order_lines: list[OrderLine] | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _amount_matches_lines(self) -> Self:
        _lines_match(self.refunded_amount, self.order_lines, "refunded_amount")
        return self


class Capture(ContractModel):
    """A capture inside an order (or `GET …/captures/{id}`)."""

    capture_id: str
    klarna_reference: str | None = None
    captured_amount: MinorUnits
    captured_at: AwareDatetime | None = None
    description: str | None = None
    reference: str | None = None
    order_lines: list[OrderLine] | None = None
    refunded_amount: MinorUnits | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    shipping_info: list[ShippingInfo] | None = None


class Refund(ContractModel):
    """A refund inside an order (or `GET …/refunds/{id}`)."""

    refund_id: str
    refunded_amount: MinorUnits
    refunded_at: AwareDatetime | None = None
    description: str | None = None
    reference: str | None = None
    order_lines: list[OrderLine] | None = None


class InitialPaymentMethod(ContractModel):
    """How the customer first chose to pay."""

    type: str | None = None
    description: str | None = None
    number_of_installments: int | None = None


class ShippingLocationAddress(ContractModel):
    """Address of a pick-up location (the doc example spells `street_address__2`)."""

    street_address: str | None = None
    street_address2: str | None = Field(
        default=None, validation_alias=AliasChoices("street_address2", "street_address__2")
    )
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


class ShippingLocation(ContractModel):
    """A pick-up location of the selected shipping option."""

    id: str | None = None
    name: str | None = None
    price: int | None = None
    address: ShippingLocationAddress | None = None


class ShippingTimeslot(ContractModel):
    """A delivery window."""

    id: str | None = None
    start: str | None = None
    end: str | None = None
    cutoff: str | None = None
    price: int | None = None


class CarrierProduct(ContractModel):
    """The carrier's product."""

    name: str | None = None
    identifier: str | None = None


class ShippingAddon(ContractModel):
    """An add-on to the shipping option."""

    type: str | None = None
    price: int | None = None
    external_id: str | None = None
    user_input: str | None = None


class SelectedShippingOption(ContractModel):
    """The shipping option chosen in a Klarna-hosted checkout."""

    id: str | None = None
    name: str | None = None
    tms_reference: str | None = None
    carrier: str | None = None
    type: str | None = None
    method: str | None = None
    price: int | None = None
    tax_amount: int | None = None
    tax_rate: int | None = None
    location: ShippingLocation | None = None
    timeslot: ShippingTimeslot | None = None
    carrier_product: CarrierProduct | None = None
    selected_addons: list[ShippingAddon] | None = None
    class_: str | None = Field(default=None, alias="class")


class KlarnaOrder(ContractModel):
    """`GET /ordermanagement/v1/orders/{order_id}`."""

    order_id: str
    status: OrderStatus
    fraud_status: FraudStatus | None = None
    order_amount: MinorUnits
    original_order_amount: MinorUnits | None = None
    captured_amount: MinorUnits
    refunded_amount: MinorUnits
    remaining_authorized_amount: MinorUnits
    purchase_currency: str
    purchase_country: str | None = None
    locale: str | None = None
    order_lines: list[OrderLine] = Field(default_factory=list)
    merchant_reference1: str | None = None
    merchant_reference2: str | None = None
    klarna_reference: str | None = None
    customer: CustomerInfo | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    created_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None
    captures: list[Capture] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)
    merchant_data: str | None = None
    initial_payment_method: InitialPaymentMethod | None = None
    selected_shipping_option: SelectedShippingOption | None = None


class KlarnaErrorBody(ContractModel):
    """The JSON error body of Payments and Order Management (4xx/5xx except the gateway 401)."""

    error_code: str
    error_messages: list[str] = Field(default_factory=list)
    correlation_id: str | None = None
    service_version: str | None = None
