"""The canonical application as JSON for storage and for the reviewer API."""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bank_adapters.canonical import (
    CanonicalApplication,
    IdType,
    MaterialRef,
    Mortgagee,
    Party,
    RegistrationType,
)


def to_json(application: CanonicalApplication) -> dict[str, Any]:
    """A JSON-safe dict: decimals and dates as strings."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return value

    return convert(asdict(application))


def _party(data: dict[str, Any]) -> Party:
    return Party(name=data["name"], id_type=IdType(data["id_type"]), id_number=data["id_number"])


def from_json(data: dict[str, Any]) -> CanonicalApplication:
    return CanonicalApplication(
        request_id=data["request_id"],
        created_at=datetime.fromisoformat(data["created_at"]),
        registration_type=RegistrationType(data["registration_type"]),
        mortgagee=Mortgagee(**data["mortgagee"]),
        mortgagors=tuple(_party(p) for p in data["mortgagors"]),
        debtor=_party(data["debtor"]),
        unit_code=data["unit_code"],
        secured_amount=Decimal(data["secured_amount"]),
        currency=data["currency"],
        debt_start=date.fromisoformat(data["debt_start"]),
        debt_end=date.fromisoformat(data["debt_end"]),
        loan_contract_no=data["loan_contract_no"],
        mortgage_contract_no=data["mortgage_contract_no"],
        materials=tuple(MaterialRef(**m) for m in data["materials"]),
    )
