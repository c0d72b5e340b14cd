"""What a registration event says: its stable id and its payload (docs/interface/departments.md).

Mortgage events carry the register's facts about the mortgage and what changed, never a person's
name or ID number; an ownership transfer carries the details its registration passes (the tax
bureau needs the parties, the contract number and the price).
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from bank_adapters.canonical import CanonicalApplication, ChangeField, RegistrationType

DOCUMENT = "RegistrationEvent"
JWS_TYPE = "registration_event+jws"

MORTGAGE_EVENT_TYPES = frozenset({
    RegistrationType.MORTGAGE_FIRST, RegistrationType.MORTGAGE_FIRST_MAXIMUM,
    RegistrationType.CONSTRUCTION_MORTGAGE, RegistrationType.PRE_NOTICE_MORTGAGE,
    RegistrationType.PRE_NOTICE_CONVERSION, RegistrationType.MORTGAGE_CHANGE,
    RegistrationType.MORTGAGE_TRANSFER, RegistrationType.MORTGAGE_DISCHARGE,
})
# A change's new value that is a person's name: the field is told, the value is not.
PERSONAL_CHANGE_FIELDS = frozenset({ChangeField.MORTGAGOR_NAME.value})


def event_id_of(certificate_no: str) -> str:
    """``RE`` + 30 hex: the same for one registration however often it is recorded or published."""
    return "RE" + hashlib.sha256(f"registration-event:{certificate_no}".encode()).hexdigest()[:30]


def utc_iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def event_payload(*, event_id: str, event_type: str, unit_code: str, certificate_no: str, registered_at: datetime,
                  application_no: str | None, details: dict[str, Any]) -> dict[str, Any]:
    """The JSON object the gateway signs (every value JSON-native: decimals and dates as strings)."""
    return {
        "document": DOCUMENT, "event_id": event_id, "event_type": event_type,
        "registered_at": utc_iso(registered_at), "unit_code": unit_code, "certificate_no": certificate_no,
        "application_no": application_no, "details": _json_native(details),
    }


def payload_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def mortgage_details(mortgage, canonical: CanonicalApplication, summary: dict | None) -> dict[str, Any]:
    """``details`` of a mortgage registration: the mortgage after it, and which mortgage / what changed."""
    kind = canonical.registration_type
    details: dict[str, Any] = {
        "mortgage": {
            "certificate_no": mortgage.certificate_no, "kind": mortgage.kind, "status": mortgage.status,
            "priority": mortgage.priority, "mortgagee_code": mortgage.mortgagee_code,
            "mortgagee_name": mortgage.mortgagee_name, "secured_amount": _amount(mortgage.secured_amount),
            "maximum_claim_amount": _amount(mortgage.maximum_claim_amount), "currency": mortgage.currency,
            "debt_start": mortgage.debt_start, "debt_end": mortgage.debt_end,
            "claim_period_start": mortgage.claim_period_start, "claim_period_end": mortgage.claim_period_end,
        },
        "referenced_certificate_no": canonical.referenced_certificate_no,
    }
    summary = summary or {}
    if kind == RegistrationType.MORTGAGE_CHANGE:
        details["changes"] = [
            {"field": c["field"], "new_value": None if c["field"] in PERSONAL_CHANGE_FIELDS else c["new_value"]}
            for c in summary.get("changes", [])]
    elif kind == RegistrationType.MORTGAGE_TRANSFER:
        details["transfer"] = {"from_mortgagee_code": summary.get("from"), "to_mortgagee_code": summary.get("to")}
    elif kind == RegistrationType.MORTGAGE_DISCHARGE:
        details["discharge_reason"] = summary.get("discharged")
    elif kind == RegistrationType.PRE_NOTICE_CONVERSION:
        details["converted_from"] = summary.get("converted_from")
    return details


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value).quantize(Decimal('0.01')):f}"


def _json_native(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_native(v) for v in value]
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value"), str):  # an enum member
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "__dataclass_fields__"):  # a Party as D may pass it
        return {name: _json_native(getattr(value, name)) for name in value.__dataclass_fields__}
    raise TypeError(f"a registration event cannot carry a {type(value).__name__}")
