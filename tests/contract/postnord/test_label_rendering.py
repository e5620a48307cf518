"""The carrier label renderer shared by the PostNord and DHL sandboxes, read back for real."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm

from westgear_desk.domain.sscc import InvalidSsccError, make_sscc
from westgear_desk.sandbox.labels import (
    LABEL_100x150_MM,
    LabelData,
    gs1_128_value,
    render_pdf,
    render_zpl,
)

START_C, FNC1 = 105, 102


def label(serial: int = 1, **changes: object) -> LabelData:
    sscc = make_sscc(3, "7350045", serial)
    base = LabelData(
        carrier="PostNord",
        service_name="PostNord MyPack Home",
        sscc=sscc,
        shipment_id="00" + sscc,
        consignee_name="Åsa Öberg",
        consignee_street="Ängsvägen 3",
        consignee_postal_code="97231",
        consignee_city="Luleå",
        consignee_country="SE",
        sender_name="WestGear AB",
        sender_address="Lagervägen 12, 55303 Jönköping",
        tracking_url=f"https://tracking.postnord.com/se/?id=00{sscc}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_one_page_per_label_with_its_own_sscc_and_swedish_text() -> None:
    labels = [label(1), label(2, consignee_postal_code="11122", consignee_city="Stockholm")]
    reader = PdfReader(io.BytesIO(render_pdf(labels, LABEL_100x150_MM)))
    assert len(reader.pages) == 2
    for page, item in zip(reader.pages, labels, strict=True):
        text = page.extract_text()
        assert f"(00) {item.sscc}" in text
        assert f"{item.consignee_postal_code} {item.consignee_city}" in text
        assert "Åsa Öberg" in text
        assert float(page.mediabox.width) == pytest.approx(100 * mm, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(150 * mm, abs=0.5)


def test_barcode_is_gs1_128_start_c_fnc1_ai_00() -> None:
    sscc = make_sscc(3, "7350045", 42)
    barcode = Code128(gs1_128_value("00" + sscc))
    barcode.validate()
    barcode.encode()
    assert barcode.encoded[:3] == [START_C, FNC1, 0]  # Start C, FNC1, then the digits "00"
    assert len(barcode.encoded) == 3 + 9 + 2  # 9 more digit pairs, check symbol, stop


def test_zpl_escapes_command_characters_in_user_text() -> None:
    zpl = render_zpl([label(consignee_name="Evil ^XZ^XA~JA Name_1")])
    assert zpl.count("^XA") == 1
    assert zpl.count("^XZ") == 1
    assert "Evil _5EXZ_5EXA_7EJA Name_5F1" in zpl


def test_zpl_label_size_in_dots() -> None:
    zpl = render_zpl([label()], (105.0, 190.0))
    assert "^PW840" in zpl
    assert "^LL1520" in zpl


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="at least one label"):
        render_pdf([])
    with pytest.raises(ValueError, match="at least one label"):
        render_zpl([])
    with pytest.raises(InvalidSsccError):
        render_pdf([label(sscc="373500450000000011")])
