"""Department records as the pre-review rules see them (RegisterView.tax_records / filed_contracts)."""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bank_adapters.canonical import RegistrationType
from gateway.department_records.models import DepartmentRecord
from gateway.register.view import ContractFact, TaxRecordFact

TAX, CONTRACT = "tax", "contract"
#: Which kind of record each registration type's rules read; other types load none (one statement saved).
KIND_FOR_TYPE: dict[RegistrationType, str] = {
    RegistrationType.OWNERSHIP_TRANSFER: TAX,
    RegistrationType.PRE_NOTICE_MORTGAGE: CONTRACT,
}
TYPES_OF_KIND: dict[str, tuple[str, ...]] = {
    kind: tuple(t.value for t, k in KIND_FOR_TYPE.items() if k == kind) for kind in (TAX, CONTRACT)
}


def id_numbers(parties: list[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(party["id_number"] for party in parties or ())


def tax_fact(record_id: str, record_no: str, facts: dict[str, Any], conflicting: bool) -> TaxRecordFact:
    return TaxRecordFact(record_id=record_id, record_no=record_no, status=facts["status"],
                         sale_contract_no=facts["sale_contract_no"],
                         taxpayer_id_numbers=id_numbers(facts.get("taxpayers")), conflicting=conflicting)


def contract_fact(record_id: str, record_no: str, facts: dict[str, Any], conflicting: bool) -> ContractFact:
    return ContractFact(record_id=record_id, contract_no=record_no, status=facts["status"],
                        buyer_id_numbers=id_numbers(facts.get("buyers")), conflicting=conflicting)


@functools.cache
def _statement():
    return (select(DepartmentRecord.record_id, DepartmentRecord.record_no, DepartmentRecord.facts,
                   DepartmentRecord.conflicting)
            .where(DepartmentRecord.unit_code == bindparam("unit_code"), DepartmentRecord.kind == bindparam("kind"),
                   DepartmentRecord.superseded.is_(False))
            .order_by(DepartmentRecord.id))


def department_facts(
    session: Session, registration_type: RegistrationType, unit_code: str
) -> tuple[tuple[TaxRecordFact, ...], tuple[ContractFact, ...]]:
    """(tax records, filed contracts) on the unit, oldest first — only the kind the type's rules read,
    in one statement (none for other types)."""
    kind = KIND_FOR_TYPE.get(registration_type)
    if kind is None:
        return (), ()
    rows = session.execute(_statement(), {"unit_code": unit_code, "kind": kind}).all()
    if kind == TAX:
        return tuple(tax_fact(*row) for row in rows), ()
    return (), tuple(contract_fact(*row) for row in rows)
