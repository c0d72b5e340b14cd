"""What the register says, for a department's query: a family's homes, or a unit's extract.

Each function returns the full result a query can give; the purpose's field set
(:func:`gateway.departments.purposes.minimise`) decides what of it is sent. Owners are found by the
blind index of their ID number (``unit_owners.id_number_index``); a number is never searched in clear.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.errors import GatewayError
from gateway.protection import blind_index
from gateway.register.models import Encumbrance, PropertyUnit, RegisteredMortgage, UnitOwner
from gateway.register.view import EncumbranceKind, MortgageStatus, UnitUse


class UnitNotFound(GatewayError):
    code = "query.unit_not_found"
    title = "No unit with this code is in the register"
    kind = "not_found"


@dataclass(frozen=True)
class Member:
    """A family member as the query names them: position from 1, APPLICANT | SPOUSE | CHILD."""

    position: int
    role: str
    id_type: str
    id_number: str

    @property
    def index(self) -> str:
        return blind_index(self.id_number)


def family_housing(session: Session, members: list[Member]) -> dict[str, Any]:
    """The residential units of which a member is a recorded owner, each once, by unit code."""
    by_index: dict[str, list[Member]] = {}
    for member in members:
        by_index.setdefault(member.index, []).append(member)
    rows = session.execute(
        select(UnitOwner.id_number_index, UnitOwner.share, PropertyUnit)
        .join(PropertyUnit, PropertyUnit.id == UnitOwner.unit_id)
        .where(UnitOwner.id_number_index.in_(list(by_index)), PropertyUnit.use == UnitUse.RESIDENTIAL.value)
        .order_by(PropertyUnit.unit_code, UnitOwner.id)
    ).all()
    units: dict[str, dict[str, Any]] = {}
    for index, share, unit in rows:
        entry = units.setdefault(unit.unit_code, {"unit_code": unit.unit_code, "location": unit.location,
                                                  "in_force_mortgages": 0, "owners": []})
        entry["owners"] += [{"position": m.position, "role": m.role, "share": share} for m in by_index[index]]
    for unit_code, count in _in_force_counts(session, list(units)):
        units[unit_code]["in_force_mortgages"] = count
    for entry in units.values():
        entry["owners"].sort(key=lambda owner: owner["position"])
    return {"unit_count": len(units), "units": list(units.values())}


def _in_force_counts(session: Session, unit_codes: list[str]) -> list[tuple[str, int]]:
    if not unit_codes:
        return []
    return list(session.execute(
        select(RegisteredMortgage.unit_code, func.count())
        .where(RegisteredMortgage.unit_code.in_(unit_codes), RegisteredMortgage.status == MortgageStatus.IN_FORCE.value)
        .group_by(RegisteredMortgage.unit_code)
    ).all())


def unit_extract(session: Session, unit_code: str) -> dict[str, Any]:
    """The unit, its owners, in-force mortgages by priority, and active seizures, objections and pre-notices."""
    unit = session.scalar(select(PropertyUnit).where(PropertyUnit.unit_code == unit_code))
    if unit is None:
        raise UnitNotFound("no unit with this code is in the register")
    mortgages = session.scalars(select(RegisteredMortgage).where(
        RegisteredMortgage.unit_code == unit_code, RegisteredMortgage.status == MortgageStatus.IN_FORCE.value)
        .order_by(RegisteredMortgage.priority))
    encumbrances = list(session.scalars(select(Encumbrance).where(Encumbrance.unit_code == unit_code,
                                                                  Encumbrance.active.is_(True))
                                        .order_by(Encumbrance.registered_on, Encumbrance.id)))
    return {
        "unit": {"unit_code": unit.unit_code, "location": unit.location, "use": unit.use, "state": unit.state},
        "owners": [{"name": o.name, "id_type": o.id_type, "id_number": o.id_number, "share": o.share}
                   for o in unit.owners],
        "mortgages": [_mortgage(m) for m in mortgages],
        "seizures": _encumbrances(encumbrances, EncumbranceKind.SEIZURE),
        "objections": _encumbrances(encumbrances, EncumbranceKind.OBJECTION),
        "pre_notices": _encumbrances(encumbrances, EncumbranceKind.PURCHASE_PRE_NOTICE),
    }


def _mortgage(mortgage: RegisteredMortgage) -> dict[str, Any]:
    return {"kind": mortgage.kind, "priority": mortgage.priority, "mortgagee_code": mortgage.mortgagee_code,
            "mortgagee_name": mortgage.mortgagee_name, "certificate_no": mortgage.certificate_no,
            "secured_amount": _amount(mortgage.secured_amount),
            "maximum_claim_amount": _amount(mortgage.maximum_claim_amount),
            "debt_start": _day(mortgage.debt_start), "debt_end": _day(mortgage.debt_end),
            "registered_at": utc_text(mortgage.registered_at)}


def _encumbrances(encumbrances: list[Encumbrance], kind: EncumbranceKind) -> list[dict[str, Any]]:
    return [{"reference": e.reference, "registered_on": _day(e.registered_on)} for e in encumbrances
            if e.kind == kind.value]


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def utc_text(moment: datetime) -> str:
    """A time as answers carry it: UTC, ISO 8601 with microseconds and ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
