"""The canonical application as JSON for storage and for the reviewer API."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from bank_adapters.canonical import (
    CanonicalApplication,
    ChangeField,
    ChangeItem,
    DischargeReason,
    IdType,
    LinkRef,
    MaterialRef,
    Mortgagee,
    Party,
    RegistrationType,
    SpecialCircumstance,
)

T = TypeVar("T")


def to_json(application: CanonicalApplication) -> dict[str, Any]:
    """A JSON-safe dict: decimals exactly as given, dates ISO, enums as their codes."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format(value, "f")
        return value

    return convert(asdict(application))


def _opt(value: Any, parse: Callable[[Any], T]) -> T | None:
    return None if value is None else parse(value)


def _party(data: dict[str, Any]) -> Party:
    return Party(name=data["name"], id_type=IdType(data["id_type"]), id_number=data["id_number"])


def _day(text: str) -> date:
    return date.fromisoformat(text)


def from_json(data: dict[str, Any]) -> CanonicalApplication:
    """Back to the frozen model (rows stored before a field existed read it as absent)."""
    return CanonicalApplication(
        request_id=data["request_id"],
        created_at=datetime.fromisoformat(data["created_at"]),
        registration_type=RegistrationType(data["registration_type"]),
        mortgagee=Mortgagee(**data["mortgagee"]),
        mortgagors=tuple(_party(p) for p in data["mortgagors"]),
        debtor=_opt(data.get("debtor"), _party),
        unit_code=data["unit_code"],
        secured_amount=_opt(data.get("secured_amount"), Decimal),
        currency=data.get("currency", "CNY"),
        debt_start=_opt(data.get("debt_start"), _day),
        debt_end=_opt(data.get("debt_end"), _day),
        loan_contract_no=data.get("loan_contract_no"),
        mortgage_contract_no=data.get("mortgage_contract_no"),
        materials=tuple(MaterialRef(**m) for m in data.get("materials", ())),
        maximum_claim_amount=_opt(data.get("maximum_claim_amount"), Decimal),
        claim_period_start=_opt(data.get("claim_period_start"), _day),
        claim_period_end=_opt(data.get("claim_period_end"), _day),
        referenced_certificate_no=data.get("referenced_certificate_no"),
        changes=tuple(ChangeItem(ChangeField(c["field"]), c["new_value"]) for c in data.get("changes", ())),
        transferee=_opt(data.get("transferee"), lambda t: Mortgagee(**t)),
        discharge_reason=_opt(data.get("discharge_reason"), DischargeReason),
        construction_permit_no=data.get("construction_permit_no"),
        special_circumstances=tuple(SpecialCircumstance(s) for s in data.get("special_circumstances", ())),
        link=_opt(data.get("link"), lambda l: LinkRef(l["group_id"], int(l["position"]), int(l["size"]))),
        sellers=tuple(_party(p) for p in data.get("sellers", ())),
        buyers=tuple(_party(p) for p in data.get("buyers", ())),
        sale_contract_no=data.get("sale_contract_no"),
        sale_price=_opt(data.get("sale_price"), Decimal),
    )
