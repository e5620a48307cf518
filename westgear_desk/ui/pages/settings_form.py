"""Forms generated from the settings' pydantic sections, so every setting has exactly one field.

A `SectionForm` shows one section (company, schedules, an endpoint …) as label/field rows
built from the model's fields: booleans as check boxes, lists as comma-separated text, the
rest as text. It hands back plain values; the pydantic model validates them on save, so no
rule lives in the widgets.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QWidget

from westgear_desk.ui.i18n import pick


def _is_bool(annotation: Any) -> bool:
    return annotation is bool


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return origin is list


def _optional(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(annotation)


LABELS: dict[str, tuple[str, str]] = {
    "base_url": ("Adress (URL)", "Base URL"),
    "auth_url": ("Inloggningsadress (OAuth)", "OAuth URL"),
    "tracking_base_url": ("Spårningsadress", "Tracking URL"),
    "timeout_s": ("Tidsgräns (s)", "Timeout (s)"),
    "enabled": ("Aktiv", "Enabled"),
    "host": ("Server", "Host"),
    "port": ("Port", "Port"),
    "sender_address": ("Avsändaradress", "Sender address"),
    "sender_name": ("Avsändarnamn", "Sender name"),
    "starttls": ("STARTTLS", "STARTTLS"),
    "username": ("Användarnamn", "Username"),
    "timezone": ("Tidszon", "Time zone"),
    "job_tick_s": ("Jobbkö, intervall (s)", "Job queue interval (s)"),
    "inbox_tick_s": ("Inkorg, intervall (s)", "Inbox interval (s)"),
    "stock_price_interval_s": ("Lager och pris, intervall (s)", "Stock and price interval (s)"),
    "catalog_interval_s": ("Katalog, intervall (s)", "Catalog interval (s)"),
    "customers_orders_interval_s": ("Kunder och ordrar, intervall (s)", "Customers and orders (s)"),
    "full_refresh_cron": ("Full uppdatering (cron)", "Full refresh (cron)"),
    "tracking_interval_s": ("Spårning, intervall (s)", "Tracking interval (s)"),
    "misfire_grace_s": ("Tillåten försening (s)", "Misfire grace (s)"),
    "schedule_s": ("Väntetider före nytt försök (s)", "Delays before each retry (s)"),
    "jitter": ("Slumpspridning (0–1)", "Jitter (0–1)"),
    "lease_s": ("Låstid per jobb (s)", "Job lease (s)"),
    "name": ("Företagsnamn", "Company name"),
    "org_number": ("Organisationsnummer", "Organisation number"),
    "vat_number": ("Momsregistreringsnummer", "VAT number"),
    "address_line1": ("Adress", "Address"),
    "address_line2": ("Adress 2", "Address 2"),
    "postal_code": ("Postnummer", "Postal code"),
    "city": ("Ort", "City"),
    "country": ("Land (ISO)", "Country (ISO)"),
    "email": ("E-post", "E-mail"),
    "phone": ("Telefon", "Phone"),
    "website": ("Webbplats", "Website"),
    "bankgiro": ("Bankgiro", "Bankgiro"),
    "plusgiro": ("Plusgiro", "Plusgiro"),
    "trigger": (
        "Fakturera vid (on_capture, on_shipment, manual)",
        "Invoice on (on_capture, on_shipment, manual)",
    ),
    "b2b_payment_terms_days": ("Betalningsvillkor B2B (dagar)", "B2B payment terms (days)"),
}


def _label(name: str) -> str:
    if name in LABELS:
        return pick(*LABELS[name])
    return name.replace("_", " ").capitalize()


class SectionForm(QWidget):
    """Label/field rows for the scalar fields of one settings model (nested models skipped)."""

    def __init__(self, model: BaseModel, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"form_{name}")
        self._model_type = type(model)
        self._fields: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        for field_name, info in type(model).model_fields.items():
            annotation = info.annotation
            value = getattr(model, field_name)
            if isinstance(value, BaseModel | dict):
                continue
            widget = self._widget(field_name, annotation, value)
            widget.setObjectName(f"{name}.{field_name}")
            layout.addRow(_label(field_name), widget)
            self._fields[field_name] = widget

    def _widget(self, name: str, annotation: Any, value: Any) -> QWidget:
        if _is_bool(annotation):
            box = QCheckBox(self)
            box.setChecked(bool(value))
            return box
        edit = QLineEdit(self)
        if _is_list(annotation) or (_optional(annotation) and isinstance(value, list)):
            edit.setText(", ".join(_number(v) for v in value or []))
            edit.setPlaceholderText(pick("kommaseparerad lista", "comma-separated list"))
        else:
            edit.setText("" if value is None else str(getattr(value, "value", value)))
        del name
        return edit

    def field(self, name: str) -> QWidget:
        return self._fields[name]

    def values(self) -> dict[str, Any]:
        """The entered values: "" is None for optional fields, lists split at commas."""
        result: dict[str, Any] = {}
        for name, widget in self._fields.items():
            annotation = self._model_type.model_fields[name].annotation
            if isinstance(widget, QCheckBox):
                result[name] = widget.isChecked()
                continue
            assert isinstance(widget, QLineEdit)
            text = widget.text().strip()
            if _is_list(annotation):
                result[name] = [part.strip() for part in text.split(",") if part.strip()]
            elif not text and _optional(annotation):
                result[name] = None
            else:
                result[name] = text
        return result

    def set_read_only(self, read_only: bool) -> None:
        for widget in self._fields.values():
            if isinstance(widget, QLineEdit):
                widget.setReadOnly(read_only)
            else:
                widget.setEnabled(not read_only)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
