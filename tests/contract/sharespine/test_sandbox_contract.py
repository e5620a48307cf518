"""Every Sharespine sandbox answer validates against the model the client uses; hypothesis too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from westgear_desk.errors import DataError
from westgear_desk.integrations.drift import parse_contract
from westgear_desk.integrations.sharespine.contract import (
    CUSTOMER_PAGE,
    ORDER_PAGE,
    PRODUCT_PAGE,
    ChangeNotification,
    ConnectionInfo,
    ErrorBody,
    Product,
)
from westgear_desk.sandbox.seed import generate_catalog
from westgear_desk.sandbox.sharespine.admin import sign
from westgear_desk.sandbox.sharespine.payloads import product_json


def test_every_list_answer_validates_without_drift(
    sharespine_url: str, auth_headers: dict[str, str]
) -> None:
    for path, adapter in (
        ("/api/product", PRODUCT_PAGE),
        ("/api/customer", CUSTOMER_PAGE),
        ("/api/order", ORDER_PAGE),
    ):
        response = httpx.get(sharespine_url + path, headers=auth_headers, params={"limit": 1000})
        assert response.status_code == 200
        records = adapter.validate_json(response.content)
        assert len(records) == int(response.headers["X-Total-Count"])
        drifted = [r for r in records if r.unknown_fields()]
        # only products deliberately broken with a new field drift
        assert all(r.unknown_fields() == ["sustainabilityScore"] for r in drifted)


def test_info_single_product_and_errors_validate(
    sharespine_url: str, auth_headers: dict[str, str]
) -> None:
    info = httpx.get(sharespine_url + "/api/", headers=auth_headers)
    assert not ConnectionInfo.model_validate_json(info.content).unknown_fields()
    one = httpx.get(
        sharespine_url + "/api/product/by-remote-id",
        params={"remoteId": "art-100001"},
        headers=auth_headers,
    )
    assert Product.model_validate_json(one.content).remote_id == "art-100001"
    for response in (
        httpx.get(sharespine_url + "/api/product", headers={**auth_headers, "X-Tenant": "x"}),
        httpx.get(sharespine_url + "/api/product/" + "0" * 32, headers=auth_headers),
        httpx.get(sharespine_url + "/api/product", params={"limit": "x"}, headers=auth_headers),
        httpx.post(
            sharespine_url + "/api/log/event", json={"severity": "Oops"}, headers=auth_headers
        ),
    ):
        assert response.status_code in {400, 401, 404, 422}
        body = ErrorBody.model_validate_json(response.content)
        assert body.name
        assert body.category
        assert not body.unknown_fields()


def test_change_notification_is_signed_and_validates(sharespine_url: str) -> None:
    from westgear_desk.sandbox.sharespine import CREDENTIALS

    body = (
        b'{"eventId":"e1","recordType":"product","localId":"ab","remoteId":"art-100001",'
        b'"changes":["stock"],"lastModified":"2026-01-01T00:00:00Z"}'
    )
    note = ChangeNotification.model_validate_json(body)
    assert note.changes == ["stock"]
    assert len(sign(body, CREDENTIALS["webhook_secret"])) == 64


SAMPLE = [product_json(p) for p in generate_catalog(2, 40, 0.5)]


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLE))
def test_generated_payloads_round_trip(payload: dict[str, Any]) -> None:
    model = Product.model_validate(payload)
    again = Product.model_validate(model.model_dump(mode="json", by_alias=True))
    assert again == model


_NOT_TEXT = st.one_of(st.integers(), st.none(), st.lists(st.integers(), max_size=2))
_NOT_LIST = st.one_of(
    st.integers(),
    st.text(max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_INVALID = {
    "localId": _NOT_TEXT,
    "lastModified": st.one_of(st.text(alphabet="xyz", max_size=8), _NOT_TEXT),
    "variants": _NOT_LIST,
    "vatRatePercent": st.one_of(
        st.text(alphabet="abc", min_size=1, max_size=4),
        _NOT_LIST.filter(lambda v: not isinstance(v, int | str)),
    ),
    "prices": _NOT_LIST,
    "stockPerLocation": _NOT_LIST,
}
_NESTED = {"prices", "stockPerLocation"}


@st.composite
def _broken_payload(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    payload = dict(draw(st.sampled_from(SAMPLE)))
    field = draw(st.sampled_from(sorted(_INVALID)))
    bad = draw(_INVALID[field])
    if field in _NESTED:
        variant = dict(payload["variants"][0])
        variant[field] = bad
        payload["variants"] = [variant]
    else:
        payload[field] = bad
    return payload, field


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_broken_payload())
def test_invalid_payloads_are_rejected_naming_the_field(case: tuple[dict[str, Any], str]) -> None:
    payload, field = case
    with pytest.raises(DataError) as caught:
        parse_contract(Product, payload, system="sharespine")
    assert field in str(caught.value)
    assert caught.value.error_code == "contract_violation"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200)
@given(_JSON)
def test_any_json_is_either_a_product_or_a_clear_data_error(data: object) -> None:
    try:
        product = parse_contract(Product, data, system="sharespine")
    except DataError as exc:
        message = str(exc)
    else:
        assert isinstance(product, Product)
        return
    assert message.startswith("sharespine: Product does not match the contract")


_TEXT = st.text(min_size=1, max_size=12)
_MONEY = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False).map(str)
_WHEN = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
_PRICE = st.fixed_dictionaries(
    {"priceList": st.sampled_from(["LIST", "CAMPAIGN", "B2B-A"]), "currency": _TEXT},
    optional={"priceInclVat": _MONEY, "priceExclVat": _MONEY, "validFrom": _WHEN, "validTo": _WHEN},
)
_VARIANT = st.fixed_dictionaries(
    {},
    optional={
        "sku": _TEXT,
        "gtin": st.text(alphabet="0123456789", max_size=14),
        "options": st.dictionaries(_TEXT, _TEXT, max_size=3),
        "stock": _MONEY,
        "stockPerLocation": st.lists(
            st.fixed_dictionaries({"locationId": _TEXT, "stock": _MONEY}), max_size=2
        ),
        "prices": st.lists(_PRICE, max_size=3),
        "parentRemoteId": _TEXT,
    },
)
_PRODUCT = st.fixed_dictionaries(
    {
        "localId": st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
        "lastModified": _WHEN,
    },
    optional={
        "remoteId": _TEXT,
        "sku": _TEXT,
        "title": st.dictionaries(st.sampled_from(["sv", "en"]), _TEXT),
        "brand": _TEXT,
        "vatRatePercent": st.sampled_from(["25", "12", "6", "0"]),
        "attributes": st.lists(st.fixed_dictionaries({"name": _TEXT, "value": _TEXT}), max_size=2),
        "variants": st.lists(_VARIANT, max_size=3),
        "created": _WHEN,
    },
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_PRODUCT)
def test_contract_shaped_payloads_round_trip_without_drift(payload: dict[str, Any]) -> None:
    model = Product.model_validate(payload)
    assert model.unknown_fields() == []
    dumped = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert Product.model_validate(dumped) == model
    assert set(dumped) == set(payload)
