"""Entering an approved mortgage in the register, in the caller's transaction."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.persistence.counters import next_value
from gateway.persistence.models import Application, RegisteredMortgage
from gateway.settings import Settings
from gateway.timezone import LOCAL_TZ


def certificate_number(settings: Settings, year: int, serial: int) -> str:
    """宁(2026)平罗县不动产证明第0000001号 — the official numbering of 不动产登记证明."""
    return (
        f"{settings.certificate_province}({year}){settings.certificate_county}"
        f"不动产证明第{serial:07d}号"
    )


def allocate_certificate_number(session: Session, settings: Settings, *, at: datetime) -> str:
    """The next number of the year's series; gapless because it rolls back with the transaction."""
    year = at.astimezone(LOCAL_TZ).year
    serial = next_value(session, f"certificate:{year}")
    return certificate_number(settings, year, serial)


def register_mortgage(
    session: Session, settings: Settings, application: Application, *, at: datetime
) -> RegisteredMortgage:
    """Record the mortgage with the next priority (顺位) on its unit and a certificate number."""
    canonical = application.canonical
    # The counter row serialises concurrent registrations, so the priority read below is safe.
    certificate_no = allocate_certificate_number(session, settings, at=at)
    highest = session.scalar(
        select(func.max(RegisteredMortgage.priority)).where(
            RegisteredMortgage.unit_code == application.unit_code
        )
    )
    mortgage = RegisteredMortgage(
        unit_code=application.unit_code,
        priority=(highest or 0) + 1,
        application_id=application.id,
        mortgagee_id=application.institution_id,
        secured_amount=Decimal(canonical["secured_amount"]),
        currency=canonical["currency"],
        debt_start=date.fromisoformat(canonical["debt_start"]),
        debt_end=date.fromisoformat(canonical["debt_end"]),
        certificate_no=certificate_no,
        registered_at=at,
    )
    session.add(mortgage)
    session.flush()
    return mortgage
