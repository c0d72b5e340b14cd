"""Register fixtures: the test unit owned by the two test mortgagors, and other units on demand."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy.orm import Session

from gateway.register.models import Encumbrance, PropertyUnit, RegisteredMortgage, RegistrationEntry, UnitOwner
from tests.support import factories


def add_unit(session: Session, unit_code: str = factories.UNIT_CODE, *, owners=None, use: str = "RESIDENTIAL",
             state: str = "TITLED", needs_survey: bool = False) -> PropertyUnit:
    unit = PropertyUnit(unit_code=unit_code, location="平罗县城关镇测试路1号1单元101室", use=use, state=state,
                        needs_survey=needs_survey)
    session.add(unit)
    session.flush()
    for party, share in owners if owners is not None else [(p, "1/2") for p in factories.application().mortgagors]:
        session.add(UnitOwner(unit_id=unit.id, name=party.name, id_type=party.id_type.value,
                              id_number=party.id_number, share=share))
    session.flush()
    return unit


def add_mortgage(session: Session, *, certificate_no: str, mortgagee_code: str = factories.BANK_CODE,
                 unit_code: str = factories.UNIT_CODE, kind: str = "GENERAL", priority: int = 1,
                 amount: Decimal = Decimal("500000.00"), maximum: Decimal | None = None) -> RegisteredMortgage:
    at = datetime(2025, 3, 3, 2, 0, tzinfo=timezone.utc)
    mortgage = RegisteredMortgage(
        unit_code=unit_code, kind=kind, priority=priority, status="IN_FORCE", mortgagee_code=mortgagee_code,
        mortgagee_name="测试抵押权人", certificate_no=certificate_no,
        secured_amount=None if maximum else amount, maximum_claim_amount=maximum, currency="CNY",
        debt_start=date(2025, 3, 1), debt_end=date(2035, 2, 28),
        claim_period_start=date(2025, 3, 1) if maximum else None, claim_period_end=date(2030, 2, 28) if maximum else None,
        mortgagor_id_numbers=[p.id_number for p in factories.application().mortgagors],
        received_at=at, registered_at=at,
    )
    session.add(mortgage)
    session.flush()
    session.add(RegistrationEntry(mortgage_id=mortgage.id, registration_type="IMPORTED",
                                  certificate_no=certificate_no, registered_at=at))
    session.flush()
    return mortgage


def add_encumbrance(session: Session, kind: str, *, unit_code: str = factories.UNIT_CODE, reference: str = "(2026)宁0221执保1号",
                    holder=None) -> Encumbrance:
    encumbrance = Encumbrance(unit_code=unit_code, kind=kind, reference=reference, registered_on=date(2026, 8, 3),
                              active=True, holder_name=holder.name if holder else None,
                              holder_id_number=holder.id_number if holder else None)
    session.add(encumbrance)
    session.flush()
    return encumbrance
