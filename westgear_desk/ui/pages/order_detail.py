"""The order detail pane: header, customer, addresses, payment, lines and the timeline.

It only shows what it is given (`show_order(detail, timeline)`); the page loads both in the
TaskRunner when the selection changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from westgear_desk.db.queries_timeline import OrderDetail, PaymentRow, TimelineEntry
from westgear_desk.ui.formatting import (
    format_datetime,
    format_money,
    format_number,
    format_quantity,
)
from westgear_desk.ui.i18n import register, tr
from westgear_desk.ui.models.orders_model import payment_text, status_text
from westgear_desk.ui.pages.timeline_view import TimelineView

register(
    {
        "detail.empty": ("Välj en order för att se detaljer.", "Select an order to see details."),
        "detail.missing": ("Ordern finns inte längre.", "The order no longer exists."),
        "detail.customer": ("Kund", "Customer"),
        "detail.billing": ("Fakturaadress", "Billing address"),
        "detail.shipping": ("Leveransadress", "Delivery address"),
        "detail.payment": ("Betalning", "Payment"),
        "detail.lines": ("Rader ({count})", "Lines ({count})"),
        "detail.timeline": ("Tidslinje ({count})", "Timeline ({count})"),
        "detail.header": (
            "<b>{number}</b> · {status} · lagd {placed} · {total} · {channel}",
            "<b>{number}</b> · {status} · placed {placed} · {total} · {channel}",
        ),
        "detail.no_payment": ("Ingen betalning registrerad", "No payment recorded"),
        "detail.payment_line": (
            "{provider}: {state} · reserverat {authorized} · draget {captured} · "
            "återbetalt {refunded}",
            "{provider}: {state} · authorized {authorized} · captured {captured} · "
            "refunded {refunded}",
        ),
        "detail.expires": ("Reservationen går ut {at}", "Authorization expires {at}"),
        "detail.method": ("Betalsätt: {method}", "Payment method: {method}"),
        "lines.col.sku": ("Artikelnr", "SKU"),
        "lines.col.name": ("Benämning", "Name"),
        "lines.col.qty": ("Antal", "Qty"),
        "lines.col.shipped": ("Skickat", "Shipped"),
        "lines.col.price": ("À-pris exkl. moms", "Unit price excl. VAT"),
        "lines.col.vat": ("Moms %", "VAT %"),
        "lines.col.total": ("Summa exkl. moms", "Total excl. VAT"),
    }
)
_LINE_COLUMNS = ("sku", "name", "qty", "shipped", "price", "vat", "total")


def _box(title: str, parent: QWidget) -> tuple[QGroupBox, QLabel]:
    box = QGroupBox(title, parent)
    label = QLabel(box)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    layout = QVBoxLayout(box)
    layout.addWidget(label)
    return box, label


class OrderDetailPanel(QWidget):
    """Read-only detail of one order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("order_detail")
        self.header = QLabel(tr("detail.empty"), self)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        boxes = self._boxes = QWidget(self)
        grid = QGridLayout(boxes)
        grid.setContentsMargins(0, 0, 0, 0)
        customer_box, self.customer = _box(tr("detail.customer"), boxes)
        billing_box, self.billing = _box(tr("detail.billing"), boxes)
        shipping_box, self.shipping = _box(tr("detail.shipping"), boxes)
        payment_box, self.payment = _box(tr("detail.payment"), boxes)
        for column, box in enumerate((customer_box, billing_box, shipping_box, payment_box)):
            grid.addWidget(box, 0, column)
        self.lines = self._lines_table()
        self.timeline = TimelineView(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.timeline, tr("detail.timeline", count=0))
        self.tabs.addTab(self.lines, tr("detail.lines", count=0))
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(boxes)
        layout.addWidget(self.tabs, 1)
        self.order_id: int | None = None
        self._set_parts_visible(False)

    def _lines_table(self) -> QTableWidget:
        table = QTableWidget(0, len(_LINE_COLUMNS), self)
        table.setObjectName("order_lines")
        table.setHorizontalHeaderLabels([tr(f"lines.col.{key}") for key in _LINE_COLUMNS])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setColumnWidth(1, 220)
        return table

    def _set_parts_visible(self, visible: bool) -> None:
        self._boxes.setVisible(visible)
        self.tabs.setVisible(visible)

    def clear(self, message: str | None = None) -> None:
        self.order_id = None
        self.header.setText(message or tr("detail.empty"))
        self._set_parts_visible(False)

    def show_loading(self) -> None:
        self.header.setText(tr("common.loading"))

    def show_order(self, detail: OrderDetail | None, timeline: list[TimelineEntry]) -> None:
        if detail is None:
            self.clear(tr("detail.missing"))
            return
        self.order_id = detail.id
        self.header.setText(
            tr(
                "detail.header",
                number=detail.order_number,
                status=status_text(detail.status.value),
                placed=format_datetime(detail.placed_at),
                total=format_money(detail.total_incl_vat, detail.currency),
                channel=detail.channel or detail.source_system,
            )
        )
        self.customer.setText(self._customer_text(detail))
        self.billing.setText("\n".join(detail.billing_address) or "–")
        self.shipping.setText("\n".join(detail.shipping_address) or "–")
        self.payment.setText(self._payment_text(detail))
        self._fill_lines(detail)
        self.timeline.timeline.set_entries(timeline)
        self.tabs.setTabText(0, tr("detail.timeline", count=len(timeline)))
        self.tabs.setTabText(1, tr("detail.lines", count=len(detail.lines)))
        self._set_parts_visible(True)

    @staticmethod
    def _customer_text(detail: OrderDetail) -> str:
        customer = detail.customer
        parts = [customer.name] if customer else []
        if customer and customer.org_number:
            parts.append(customer.org_number)
        parts.extend(p for p in (detail.email, detail.phone) if p)
        return "\n".join(parts) or "–"

    @staticmethod
    def _payment_text(detail: OrderDetail) -> str:
        lines = [tr("detail.method", method=detail.payment_method)] if detail.payment_method else []
        if not detail.payments:
            lines.append(tr("detail.no_payment"))
        lines.extend(_payment_line(payment) for payment in detail.payments)
        return "\n".join(lines)

    def _fill_lines(self, detail: OrderDetail) -> None:
        self.lines.setRowCount(len(detail.lines))
        for row, line in enumerate(detail.lines):
            values = (
                line.sku,
                line.name,
                format_quantity(line.quantity),
                format_quantity(line.quantity_shipped),
                format_money(line.unit_price_excl_vat, detail.currency),
                format_number(line.vat_rate * 100, decimals=0),
                format_money(line.line_total_excl_vat, detail.currency),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.lines.setItem(row, column, item)


def _payment_line(payment: PaymentRow) -> str:
    text = tr(
        "detail.payment_line",
        provider=payment.provider.title(),
        state=payment_text(payment.status),
        authorized=format_money(payment.authorized, payment.currency),
        captured=format_money(payment.captured, payment.currency),
        refunded=format_money(payment.refunded, payment.currency),
    )
    if payment.authorization_expires_at and payment.status == "authorized":
        text += "\n" + tr("detail.expires", at=format_datetime(payment.authorization_expires_at))
    return text
