"""Real carrier label bytes for the PostNord and DHL sandboxes: a PDF (reportlab) and ZPL text.

Each label carries the consignee, the service, the SSCC as text and as a GS1-128 barcode
(Code 128 with FNC1 and AI 00), and a QR code with the tracking link. The QR code is drawn
with a fixed size so reportlab encodes it only once (computing its bounds encodes it twice,
see shared/MEASURED.md).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from westgear_desk.domain.sscc import SSCC_AI, human_readable, normalize_sscc

LABEL_100x150_MM = (100.0, 150.0)
LABEL_105x190_MM = (105.0, 190.0)  # PostNord's thermal "LABEL" size [V: booking API docs]
FNC1 = "\xf1"
ZPL_DOTS_PER_MM = 8  # 203 dpi, the only resolution PostNord offers [V]


@dataclass(frozen=True)
class LabelData:
    """What one parcel label shows."""

    carrier: str
    service_name: str
    sscc: str
    shipment_id: str
    consignee_name: str
    consignee_street: str
    consignee_postal_code: str
    consignee_city: str
    consignee_country: str
    sender_name: str
    sender_address: str
    tracking_url: str
    reference: str | None = None
    weight_kg: float | None = None
    piece_number: int = 1
    piece_count: int = 1
    routing_code: str | None = None
    delivery_point: str | None = None


def gs1_128_value(sscc: str) -> str:
    """The Code 128 input for an SSCC as GS1-128: FNC1, AI 00, then the 18 digits."""
    return f"{FNC1}{SSCC_AI}{normalize_sscc(sscc)}"


def render_pdf(
    labels: Sequence[LabelData], size_mm: tuple[float, float] = LABEL_100x150_MM
) -> bytes:
    """One PDF page per label, `size_mm` (width, height) each. Raises ValueError if empty."""
    if not labels:
        raise ValueError("at least one label is needed")
    buffer = io.BytesIO()
    width, height = size_mm[0] * mm, size_mm[1] * mm
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True)
    canvas.setTitle(f"{labels[0].carrier} labels")
    canvas.setAuthor("WestGear Desk sandbox")
    for label in labels:
        _draw_label(canvas, label, width, height)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_label(canvas: Canvas, label: LabelData, width: float, height: float) -> None:
    margin = 5 * mm
    top = height - margin
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(margin, top - 14, label.carrier)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(margin, top - 28, label.service_name)
    canvas.drawRightString(width - margin, top - 14, f"{label.piece_number}/{label.piece_count}")
    canvas.line(margin, top - 34, width - margin, top - 34)
    y = _draw_block(
        canvas, margin, top - 46, "Från / From", [label.sender_name, label.sender_address]
    )
    consignee = [
        label.consignee_name,
        label.consignee_street,
        f"{label.consignee_postal_code} {label.consignee_city}",
        label.consignee_country,
    ]
    y = _draw_block(canvas, margin, y - 8, "Till / To", consignee, big=True)
    if label.delivery_point:
        y = _draw_block(
            canvas, margin, y - 4, "Utlämningsställe / Pickup point", [label.delivery_point]
        )
    details = [f"Sändnings-id / Shipment: {label.shipment_id}"]
    if label.reference:
        details.append(f"Referens / Reference: {label.reference}")
    if label.weight_kg is not None:
        details.append(f"Vikt / Weight: {label.weight_kg:.2f} kg")
    y = _draw_block(canvas, margin, y - 4, "", details)
    if label.routing_code:
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawString(margin, y - 16, label.routing_code)
    qr_size = 28 * mm
    qr = QrCode(label.tracking_url, width=qr_size, height=qr_size, qrLevel="M")
    qr.drawOn(canvas, width - margin - qr_size, top - 40 - qr_size)
    _draw_sscc(canvas, label.sscc, width, margin)


def _draw_block(
    canvas: Canvas, x: float, y: float, title: str, lines: list[str], *, big: bool = False
) -> float:
    if title:
        canvas.setFont("Helvetica-Bold", 7)
        canvas.drawString(x, y, title.upper())
        y -= 12 if big else 10
    for index, line in enumerate(lines):
        size = 12 if big and index in (0, 2) else 9
        canvas.setFont("Helvetica-Bold" if size == 12 else "Helvetica", size)
        canvas.drawString(x, y, line)
        y -= size + 3
    return y


def _draw_sscc(canvas: Canvas, sscc: str, width: float, margin: float) -> None:
    bar_width = 0.42 * mm
    barcode = Code128(
        gs1_128_value(sscc),
        barWidth=bar_width,
        barHeight=22 * mm,
        quiet=1,
        lquiet=10 * bar_width,
        rquiet=10 * bar_width,
    )
    x = max(0.0, (width - barcode.width) / 2)
    barcode.drawOn(canvas, x, margin + 9 * mm)
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawCentredString(width / 2, margin + 3 * mm, human_readable(sscc))
    canvas.setFont("Helvetica", 6)
    canvas.drawString(margin, margin + 33 * mm, "SSCC")


def render_zpl(labels: Sequence[LabelData], size_mm: tuple[float, float] = LABEL_100x150_MM) -> str:
    """ZPL II for a 203-dpi printer, one ``^XA…^XZ`` block per label. Raises ValueError if empty."""
    if not labels:
        raise ValueError("at least one label is needed")
    return "\n".join(_zpl_label(label, size_mm) for label in labels) + "\n"


def _zpl_text(value: str) -> str:
    # ^ and ~ start ZPL commands; with ^FH they are written as hex escapes
    return value.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def _zpl_label(label: LabelData, size_mm: tuple[float, float]) -> str:
    dots_w = round(size_mm[0] * ZPL_DOTS_PER_MM)
    dots_h = round(size_mm[1] * ZPL_DOTS_PER_MM)

    def text(x: int, y: int, size: int, value: str) -> str:
        return f"^FO{x},{y}^A0N,{size},{size}^FH^FD{_zpl_text(value)}^FS"

    sscc = normalize_sscc(label.sscc)
    lines = [
        "^XA",
        "^CI28",
        f"^PW{dots_w}",
        f"^LL{dots_h}",
        text(40, 40, 50, label.carrier),
        text(40, 100, 30, label.service_name),
        text(dots_w - 160, 40, 40, f"{label.piece_number}/{label.piece_count}"),
        text(40, 160, 22, f"FRAN / FROM: {label.sender_name}, {label.sender_address}"),
        text(40, 220, 24, "TILL / TO"),
        text(40, 255, 40, label.consignee_name),
        text(40, 305, 30, label.consignee_street),
        text(40, 345, 45, f"{label.consignee_postal_code} {label.consignee_city}"),
        text(40, 400, 30, label.consignee_country),
        text(40, 460, 24, f"Shipment: {label.shipment_id}"),
        text(40, 495, 24, f"Ref: {label.reference or '-'}"),
        f"^FO{dots_w - 260},140^BQN,2,5^FH^FDMA,{_zpl_text(label.tracking_url)}^FS",
        f"^FO60,{dots_h - 330}^BY3^BCN,200,N,N,N^FD>;>8{SSCC_AI}{sscc}^FS",
        text(120, dots_h - 110, 36, human_readable(sscc)),
        "^XZ",
    ]
    if label.routing_code:
        lines.insert(-1, text(40, 540, 40, label.routing_code))
    return "\n".join(lines)
