"""Register events a watching institution is told about: what happened on a unit, without personal data.

An event is identified by what the register itself identifies it by (a ruling number and date, a
certificate number), so the same fact arriving twice — a register file imported again — is the same
event, and :func:`RegisterEvent.key` is stable.
"""
from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gateway.timezone import LOCAL_TZ


class EventKind(enum.StrEnum):
    SEIZURE = "SEIZURE"  # 查封
    SEIZURE_LIFTED = "SEIZURE_LIFTED"  # 解除查封
    OBJECTION = "OBJECTION"  # 异议登记
    OBJECTION_LIFTED = "OBJECTION_LIFTED"  # 异议登记注销
    PURCHASE_PRE_NOTICE = "PURCHASE_PRE_NOTICE"  # 预购商品房预告登记（买受人）
    MORTGAGE = "MORTGAGE"  # another mortgage or mortgage pre-notice (抵押权 / 抵押预告登记)
    MORTGAGE_DISCHARGE = "MORTGAGE_DISCHARGE"  # another mortgage discharged (抵押权注销)
    OWNERSHIP_TRANSFER = "OWNERSHIP_TRANSFER"  # the owners changed by a sale the gateway entered (所有权转移登记)


class Source(enum.StrEnum):
    REGISTER_IMPORT = "register_import"
    GATEWAY = "gateway"


@dataclass(frozen=True)
class RegisterEvent:
    """One change of a unit's register entries.

    ``actor_code``: the mortgagee whose own registration this is (it is not told about it);
    ``facts``: register facts as (name, value) pairs, never a person's name or ID number.
    """

    unit_code: str
    kind: EventKind
    reference: str
    registered_on: date
    source: Source
    registered_at: datetime | None = None
    actor_code: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """SHA-256 hex of what identifies the event in the register (the same for the same fact)."""
        if self.kind in (EventKind.MORTGAGE, EventKind.MORTGAGE_DISCHARGE):
            # A certificate number is unique in the register; a mortgage is discharged once.
            identity = f"{self.kind}|{self.facts['certificate_no']}"
        else:
            identity = f"{self.kind}|{self.unit_code}|{self.reference}|{self.registered_on.isoformat()}"
        return hashlib.sha256(identity.encode()).hexdigest()


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


# --- from the register import (gateway/register/import_rows.py records) ------------------------------

def from_import(kind: str, data: dict[str, Any], *, mortgage=None) -> RegisterEvent | None:
    """The event an imported row makes, if any (units and owners make none).

    ``mortgage``: for a DISCHARGE row, the mortgage it ended."""
    day = data.get("registered_on")
    common = dict(unit_code=data["unit_code"], source=Source.REGISTER_IMPORT)
    if kind in ("SEIZURE", "OBJECTION", "PURCHASE_PRE_NOTICE"):
        return RegisterEvent(kind=EventKind(kind), reference=data["reference"], registered_on=day, **common)
    if kind in ("SEIZURE_LIFTED", "OBJECTION_LIFTED"):
        return RegisterEvent(kind=EventKind(kind), reference=data["reference"], registered_on=day, **common,
                             facts={"lifts": kind.removesuffix("_LIFTED")})
    if kind == "MORTGAGE":
        return RegisterEvent(kind=EventKind.MORTGAGE, reference=data["certificate_no"],
                             registered_on=local_day(data["registered_at"]), actor_code=data["mortgagee_code"],
                             facts=mortgage_facts(data["certificate_no"], data["kind"], data["priority"],
                                                  data["mortgagee_code"], data["mortgagee_name"]), **common)
    if kind == "DISCHARGE" and mortgage is not None:
        return discharge_event(mortgage, reference=mortgage.certificate_no, registered_on=day,
                               source=Source.REGISTER_IMPORT)
    return None


# --- from registrations the gateway enters (gateway/register/service.py) ----------------------------------

def mortgage_facts(certificate_no: str, kind: str, priority: int, mortgagee_code: str, mortgagee_name: str,
                   **more: Any) -> dict[str, Any]:
    return {"certificate_no": certificate_no, "mortgage_kind": kind, "priority": priority,
            "mortgagee_code": mortgagee_code, "mortgagee_name": mortgagee_name, **more}


def new_mortgage_event(mortgage, *, at: datetime, converted_from: str | None = None) -> RegisterEvent:
    """A mortgage (or mortgage pre-notice) the gateway entered; ``converted_from``: the pre-notice it replaced."""
    more = {"converted_from": converted_from} if converted_from else {}
    return RegisterEvent(
        unit_code=mortgage.unit_code, kind=EventKind.MORTGAGE, reference=mortgage.certificate_no,
        registered_on=local_day(at), registered_at=at, source=Source.GATEWAY, actor_code=mortgage.mortgagee_code,
        facts=mortgage_facts(mortgage.certificate_no, mortgage.kind, mortgage.priority, mortgage.mortgagee_code,
                             mortgage.mortgagee_name, **more),
    )


def discharge_event(mortgage, *, reference: str, registered_on: date, source: Source,
                    registered_at: datetime | None = None) -> RegisterEvent:
    """``mortgage`` was discharged; ``reference``: the discharge's own certificate number, when it has one."""
    return RegisterEvent(
        unit_code=mortgage.unit_code, kind=EventKind.MORTGAGE_DISCHARGE, reference=reference,
        registered_on=registered_on, registered_at=registered_at, source=source, actor_code=mortgage.mortgagee_code,
        facts=mortgage_facts(mortgage.certificate_no, mortgage.kind, mortgage.priority, mortgage.mortgagee_code,
                             mortgage.mortgagee_name),
    )


def transfer_event(transfer, *, actor_code: str, owner_count: int,
                   carried_over: list[tuple[str, int]]) -> RegisterEvent:
    """An ownership transfer the gateway entered (``transfer``: its ``OwnershipTransfer`` row), told without
    the sellers or buyers: how many owners there now are, and the mortgages (certificate no., priority)
    carried over to them. ``actor_code``: the institution that filed the transfer (the buyers' bank)."""
    return RegisterEvent(
        unit_code=transfer.unit_code, kind=EventKind.OWNERSHIP_TRANSFER, reference=transfer.certificate_no,
        registered_on=local_day(transfer.registered_at), registered_at=transfer.registered_at, source=Source.GATEWAY,
        actor_code=actor_code,
        facts={"certificate_no": transfer.certificate_no, "owner_count": owner_count,
               "carried_over": [{"certificate_no": number, "priority": priority} for number, priority in carried_over]},
    )
