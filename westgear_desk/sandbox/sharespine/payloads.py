"""Generated records rendered as Sharespine (Plugboard) JSON, in the shape `contract.py` assumes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from westgear_desk.sandbox.seed import SeedCustomer, SeedOrder, SeedProduct
from westgear_desk.sandbox.seed.records import SeedAddress, SeedVariant

Json = dict[str, Any]


def stamp(value: datetime) -> str:
    """Plugboard timestamps: UTC, whole seconds, `Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(value: Decimal | int) -> str:
    return str(value)


def _variant(variant: SeedVariant, product: SeedProduct, pos: int, modified: str) -> Json:
    length, width, height = variant.dims_cm
    return {
        "localId": hashlib.blake2b(
            f"{product.local_id}/{pos}".encode(), digest_size=16
        ).hexdigest(),
        "remoteId": f"{product.remote_id}-v{pos + 1}",
        "parentRemoteId": variant.parent_remote_id,
        "sku": variant.sku,
        "gtin": variant.gtin,
        "options": dict(variant.attributes),
        "stock": _num(sum(s.quantity for s in variant.stock)),
        "stockType": "stocked",
        "stockPerLocation": [
            {"locationId": s.location, "stock": _num(s.quantity)} for s in variant.stock
        ],
        "prices": [
            {
                "priceList": p.price_list,
                "currency": p.currency,
                "priceInclVat": _num(p.incl_vat),
                "priceExclVat": _num(p.excl_vat),
                "validFrom": stamp(p.valid_from) if p.valid_from else None,
                "validTo": stamp(p.valid_to) if p.valid_to else None,
            }
            for p in variant.prices
        ],
        "weight": _num(variant.weight_kg),
        "length": length,
        "width": width,
        "height": height,
        "lastModified": modified,
    }


def product_json(product: SeedProduct, modified: datetime | None = None) -> Json:
    """Render a product; `modified` overrides the seeded modification time."""
    last = stamp(modified or product.modified)
    body: Json = {
        "href": f"/api/product/{product.local_id}",
        "localId": product.local_id,
        "remoteId": product.remote_id,
        "remoteIdMap": {},
        "remoteRefMap": {},
        "created": stamp(product.created),
        "lastModified": last,
        "sku": product.sku,
        "title": dict(product.names),
        "description": dict(product.descriptions),
        "brand": product.brand,
        "category": product.category,
        "stockType": "stocked",
        "shippingClass": "freight" if product.freight else "parcel",
        "dangerousGoods": {
            "unNumber": product.dangerous_goods.un_number,
            "class": product.dangerous_goods.dg_class,
        }
        if product.dangerous_goods
        else None,
        "attributes": [{"name": n, "value": v} for n, v in product.specifications],
        "media": [{"url": url, "position": i + 1} for i, url in enumerate(product.media)],
        "variantAttributeNames": list(product.variant_attribute_names),
        "variants": [_variant(v, product, i, last) for i, v in enumerate(product.variants)],
    }
    if product.vat_rate is not None:
        body["vatRatePercent"] = _num(product.vat_rate)
    body.update(product.extra_fields)
    return body


def _address(address: SeedAddress) -> Json:
    return {
        "name": address.name,
        "street": address.street,
        "postalCode": address.postal_code,
        "city": address.city,
        "countryCode": address.country,
    }


def customer_json(customer: SeedCustomer) -> Json:
    """Render a customer."""
    return {
        "href": f"/api/customer/{customer.local_id}",
        "localId": customer.local_id,
        "remoteId": customer.remote_id,
        "remoteIdMap": {},
        "remoteRefMap": {},
        "created": stamp(customer.created),
        "lastModified": stamp(customer.modified),
        "customerType": "company" if customer.kind == "b2b" else "person",
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "companyName": customer.company_name,
        "orgNo": customer.org_number,
        "vatNo": customer.vat_number,
        "email": customer.email,
        "phone": customer.phone,
        "language": customer.language,
        "priceList": customer.price_list,
        "address": _address(customer.address),
    }


def order_json(order: SeedOrder, modified: datetime | None = None) -> Json:
    """Render an order; `modified` overrides the seeded modification time."""
    buyer = order.customer
    return {
        "href": f"/api/order/{order.local_id}",
        "localId": order.local_id,
        "remoteId": order.remote_id,
        "remoteIdMap": {},
        "remoteRefMap": {},
        "created": stamp(order.created),
        "lastModified": stamp(modified or order.modified),
        "remoteOrderNo": order.remote_order_no,
        "orderStatus": order.order_status,
        "shippingStatus": order.shipping_status,
        "paymentStatus": order.payment_status,
        "paymentMethod": order.payment_method,
        "salesChannel": order.channel,
        "currency": order.currency,
        "customer": {
            "remoteId": buyer.remote_id,
            "customerType": "company" if buyer.kind == "b2b" else "person",
            "name": buyer.company_name or f"{buyer.first_name} {buyer.last_name}",
            "orgNo": buyer.org_number,
            "vatNo": buyer.vat_number,
            "email": buyer.email,
            "phone": buyer.phone,
        },
        "billingAddress": _address(order.billing_address),
        "shippingAddress": _address(order.shipping_address),
        "rows": [
            {
                "sku": line.sku,
                "title": line.name,
                "quantity": line.quantity,
                "pricePerUnitExclVat": _num(line.price_per_unit_excl_vat),
                "vatRatePercent": _num(line.vat_rate),
                "discountExclVat": _num(line.discount_excl_vat),
            }
            for line in order.lines
        ],
        "shippingCostExclVat": _num(order.shipping_excl_vat),
    }
