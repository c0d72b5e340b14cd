"""Checking and storing one CSV row of a register import. Reasons never echo personal data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from bank_adapters.canonical import IdType
from gateway.register.models import Encumbrance, PropertyUnit, RegisteredMortgage, RegistrationEntry, UnitOwner
from gateway.prereview.identifiers import is_valid_credit_code
from gateway.prereview.unit_code import UNIT_CODE_LENGTH, malformed_segments
from gateway.register.repository import normalise_certificate_no
from gateway.register.view import EncumbranceKind, MortgageKind, UnitState, UnitUse
from gateway.timezone import LOCAL_TZ

RECORD_TYPES = ("UNIT", "OWNER", "MORTGAGE", "SEIZURE", "OBJECTION", "PURCHASE_PRE_NOTICE", "DISCHARGE",
                "SEIZURE_LIFTED", "OBJECTION_LIFTED")


class BadRow(ValueError):
    """A row that cannot be imported; the message says which column and why."""


@dataclass
class Context:
    existing_units: set[str]
    existing_certificates: set[str]
    existing_priorities: set[tuple[str, int]]
    new_units: dict[str, Any] = field(default_factory=dict)
    # Mortgages in force by certificate number: (unit code, priority); and active (unit, kind, reference)
    # seizures and objections. Both as the register has them, then as the file's rows so far change them.
    in_force: dict[str, tuple[str, int]] = field(default_factory=dict)
    active_encumbrances: set[tuple[str, str, str]] = field(default_factory=set)

    def has_unit(self, code: str) -> bool:
        return code in self.existing_units or code in self.new_units


@dataclass(frozen=True)
class Record:
    kind: str
    data: dict[str, Any]


def _require(row: dict[str, str], *columns: str) -> None:
    missing = [c for c in columns if not row.get(c)]
    if missing:
        raise BadRow(f"missing value in column(s) {', '.join(missing)}")


def _enum(row, column, enum_type):
    try:
        return enum_type(row[column])
    except ValueError:
        raise BadRow(f"{column} must be one of {', '.join(e.value for e in enum_type)}") from None


def _date(row, column) -> date | None:
    if not row.get(column):
        return None
    try:
        return date.fromisoformat(row[column])
    except ValueError:
        raise BadRow(f"{column} must be a date YYYY-MM-DD") from None


def _amount(row, column) -> Decimal | None:
    if not row.get(column):
        return None
    try:
        value = Decimal(row[column])
    except InvalidOperation:
        raise BadRow(f"{column} must be a decimal amount in yuan") from None
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise BadRow(f"{column} must be positive with at most 2 decimals")
    return value


def _unit_code(row, context: Context, *, must_exist: bool) -> str:
    code = row["unit_code"]
    segments = malformed_segments(code)
    if segments is None:
        raise BadRow(f"unit_code must be {UNIT_CODE_LENGTH} characters, not {len(code)}")
    if segments:
        raise BadRow("unit_code: " + "；".join(s.describe_zh() for s in segments))
    if must_exist and not context.has_unit(code):
        raise BadRow("unit_code is neither in the register nor in an earlier UNIT row")
    return code


def _identity(row) -> tuple[IdType, str]:
    id_type = _enum(row, "id_type", IdType)
    number = row["id_number"]
    if id_type == IdType.RESIDENT_ID and not ric.is_valid(number):
        raise BadRow("id_number is not a valid resident ID number (check digit or structure)")
    if id_type == IdType.USCC and not is_valid_credit_code(number):
        raise BadRow("id_number is not a valid unified social credit code")
    return id_type, number


def check_row(row: dict[str, str], context: Context) -> Record:
    """Validate one row against the file so far and the register; raises BadRow."""
    record_type = row.get("record_type", "")
    if record_type not in RECORD_TYPES:
        raise BadRow(f"record_type must be one of {', '.join(RECORD_TYPES)}")
    _require(row, "unit_code")
    return {"UNIT": _unit, "OWNER": _owner, "MORTGAGE": _mortgage, "DISCHARGE": _discharge,
            "SEIZURE_LIFTED": _lifting, "OBJECTION_LIFTED": _lifting}.get(record_type, _encumbrance)(row, context)


def _unit(row, context: Context) -> Record:
    _require(row, "location", "use", "state")
    code = _unit_code(row, context, must_exist=False)
    if context.has_unit(code):
        raise BadRow("unit_code is already in the register or earlier in the file")
    survey = row.get("needs_survey", "").lower()
    if survey not in ("", "true", "false", "1", "0", "yes", "no"):
        raise BadRow("needs_survey must be true or false")
    data = {"unit_code": code, "location": row["location"], "use": _enum(row, "use", UnitUse).value,
            "state": _enum(row, "state", UnitState).value, "needs_survey": survey in ("true", "1", "yes")}
    context.new_units[code] = data
    return Record("UNIT", data)


def _owner(row, context: Context) -> Record:
    _require(row, "name", "id_type", "id_number", "share")
    code = _unit_code(row, context, must_exist=True)
    id_type, number = _identity(row)
    return Record("OWNER", {"unit_code": code, "name": row["name"], "id_type": id_type.value,
                            "id_number": number, "share": row["share"]})


def _mortgage(row, context: Context) -> Record:
    _require(row, "certificate_no", "mortgagee_code", "mortgagee_name", "kind", "priority", "registered_on")
    # Stored as the register writes numbers (ASCII brackets), which is how lookups search for them.
    row = {**row, "certificate_no": normalise_certificate_no(row["certificate_no"])}
    code = _unit_code(row, context, must_exist=True)
    if not is_valid_credit_code(row["mortgagee_code"]):
        raise BadRow("mortgagee_code is not a valid unified social credit code")
    if row["certificate_no"] in context.existing_certificates:
        raise BadRow("certificate_no is already in the register or earlier in the file")
    kind = _enum(row, "kind", MortgageKind)
    if not row["priority"].isdigit() or int(row["priority"]) < 1:
        raise BadRow("priority must be a positive integer")
    priority = int(row["priority"])
    if (code, priority) in context.existing_priorities:
        raise BadRow("priority is already taken on this unit")
    data = _mortgage_amounts(row, kind)
    registered_on = _date(row, "registered_on")
    received = _date(row, "received_at") or registered_on
    ids = [i for i in row.get("mortgagor_id_numbers", "").split(";") if i]
    if any(not ric.is_valid(i) and not is_valid_credit_code(i) for i in ids):
        raise BadRow("mortgagor_id_numbers holds an invalid ID number or credit code")
    context.existing_certificates.add(row["certificate_no"])
    context.existing_priorities.add((code, priority))
    context.in_force[row["certificate_no"]] = (code, priority)
    data.update(unit_code=code, certificate_no=row["certificate_no"], mortgagee_code=row["mortgagee_code"],
                mortgagee_name=row["mortgagee_name"], kind=kind.value, priority=priority,
                mortgagor_id_numbers=ids, received_at=_midnight(received), registered_at=_midnight(registered_on))
    return Record("MORTGAGE", data)


def _mortgage_amounts(row, kind: MortgageKind) -> dict[str, Any]:
    data = {"secured_amount": _amount(row, "secured_amount"),
            "maximum_claim_amount": _amount(row, "maximum_claim_amount"),
            "debt_start": _date(row, "debt_start"), "debt_end": _date(row, "debt_end"),
            "claim_period_start": _date(row, "claim_period_start"), "claim_period_end": _date(row, "claim_period_end")}
    if kind == MortgageKind.MAXIMUM and data["maximum_claim_amount"] is None:
        raise BadRow("a MAXIMUM mortgage needs maximum_claim_amount")
    if kind != MortgageKind.MAXIMUM and data["secured_amount"] is None:
        raise BadRow(f"a {kind.value} mortgage needs secured_amount")
    for start, end in (("debt_start", "debt_end"), ("claim_period_start", "claim_period_end")):
        if data[start] and data[end] and data[end] < data[start]:
            raise BadRow(f"{end} is before {start}")
    return data


def _encumbrance(row, context: Context) -> Record:
    _require(row, "reference", "registered_on")
    code = _unit_code(row, context, must_exist=True)
    kind = EncumbranceKind(row["record_type"] if row["record_type"] != "PURCHASE_PRE_NOTICE" else "PURCHASE_PRE_NOTICE")
    holder_name = holder_id = None
    if kind == EncumbranceKind.PURCHASE_PRE_NOTICE:
        _require(row, "name", "id_type", "id_number")
        _, holder_id = _identity(row)
        holder_name = row["name"]
    context.active_encumbrances.add((code, kind.value, row["reference"]))
    return Record(kind.value, {"unit_code": code, "kind": kind.value, "reference": row["reference"],
                               "holder_name": holder_name, "holder_id_number": holder_id,
                               "registered_on": _date(row, "registered_on")})


def _discharge(row, context: Context) -> Record:
    """A mortgage in force discharged (注销) on ``registered_on``, named by its current certificate number."""
    _require(row, "certificate_no", "registered_on")
    row = {**row, "certificate_no": normalise_certificate_no(row["certificate_no"])}
    code = _unit_code(row, context, must_exist=True)
    if context.in_force.get(row["certificate_no"], ("",))[0] != code:
        raise BadRow("certificate_no is not a mortgage in force on this unit (in the register or earlier in the file)")
    _, priority = context.in_force.pop(row["certificate_no"])
    context.existing_priorities.discard((code, priority))
    return Record("DISCHARGE", {"unit_code": code, "certificate_no": row["certificate_no"],
                                "registered_on": _date(row, "registered_on")})


def _lifting(row, context: Context) -> Record:
    """A seizure lifted (解封) or an objection cancelled on ``registered_on``, named by its reference."""
    _require(row, "reference", "registered_on")
    code = _unit_code(row, context, must_exist=True)
    kind = row["record_type"].removesuffix("_LIFTED")
    if (code, kind, row["reference"]) not in context.active_encumbrances:
        raise BadRow(f"reference is not an active {kind.lower()} on this unit (in the register or earlier in the file)")
    context.active_encumbrances.discard((code, kind, row["reference"]))
    return Record(row["record_type"], {"unit_code": code, "kind": kind, "reference": row["reference"],
                                       "registered_on": _date(row, "registered_on")})


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ)


def store(session: Session, record: Record) -> Any:
    """Store one checked row; returns the mortgage a DISCHARGE row ended (else None)."""
    data = dict(record.data)
    if record.kind == "UNIT":
        session.add(PropertyUnit(**data))
        session.flush()
    elif record.kind == "OWNER":
        unit = session.query(PropertyUnit).filter_by(unit_code=data.pop("unit_code")).one()
        session.add(UnitOwner(unit_id=unit.id, **data))
    elif record.kind == "MORTGAGE":
        mortgage = RegisteredMortgage(status="IN_FORCE", currency="CNY", **data)
        session.add(mortgage)
        session.flush()
        session.add(RegistrationEntry(mortgage_id=mortgage.id, registration_type="IMPORTED",
                                      certificate_no=data["certificate_no"], registered_at=data["registered_at"]))
    elif record.kind == "DISCHARGE":
        mortgage = session.scalars(select(RegisteredMortgage).where(
            RegisteredMortgage.certificate_no == data["certificate_no"], RegisteredMortgage.status == "IN_FORCE")).one()
        mortgage.status, mortgage.ended_at = "DISCHARGED", _midnight(data["registered_on"])
        session.flush()
        return mortgage
    elif record.kind.endswith("_LIFTED"):
        for encumbrance in session.scalars(select(Encumbrance).where(
                Encumbrance.unit_code == data["unit_code"], Encumbrance.kind == data["kind"],
                Encumbrance.reference == data["reference"], Encumbrance.active.is_(True))):
            encumbrance.active, encumbrance.lifted_on = False, data["registered_on"]
    elif record.kind == "PURCHASE_PRE_NOTICE" or session.scalar(select(Encumbrance.id).where(
            Encumbrance.unit_code == data["unit_code"], Encumbrance.kind == data["kind"],
            Encumbrance.reference == data["reference"], Encumbrance.active.is_(True))) is None:
        # A seizure or objection imported again is kept once; a pre-notice has a row per buyer.
        session.add(Encumbrance(**data))
    return None
