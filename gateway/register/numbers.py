"""Certificate numbers (不动产登记证明号): one gapless series per year, allocated in the caller's transaction."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.persistence.counters import next_value
from gateway.persistence.models import Counter
from gateway.register.models import RegistrationEntry
from gateway.settings import Settings
from gateway.timezone import LOCAL_TZ


def certificate_number(settings: Settings, year: int, serial: int) -> str:
    """宁(2026)平罗县不动产证明第0000001号 — the official numbering of 不动产登记证明."""
    return (
        f"{settings.certificate_province}({year}){settings.certificate_county}"
        f"不动产证明第{serial:07d}号"
    )


def allocate_certificate_number(session: Session, settings: Settings, *, at: datetime) -> str:
    """The next number of the year's series; gapless because it rolls back with the transaction.

    When the register already holds numbers of the series (imported from the system the gateway
    replaced), the series continues after the highest of them instead of issuing one twice.
    """
    year = at.astimezone(LOCAL_TZ).year
    series = f"certificate:{year}"
    number = certificate_number(settings, year, next_value(session, series))
    if session.scalar(select(RegistrationEntry.id).where(RegistrationEntry.certificate_no == number)) is not None:
        # The counter row is locked by next_value until the transaction ends.
        session.execute(update(Counter).where(Counter.name == series)
                        .values(value=_highest_in_register(session, settings, year)))
        number = certificate_number(settings, year, next_value(session, series))
    return number


def _highest_in_register(session: Session, settings: Settings, year: int) -> int:
    prefix = certificate_number(settings, year, 0).split("第", 1)[0] + "第"
    numbers = session.scalars(select(RegistrationEntry.certificate_no)
                              .where(RegistrationEntry.certificate_no.startswith(prefix, autoescape=True)))
    serials = [int(match.group(1)) for n in numbers if (match := re.fullmatch(r"(\d+)号", n[len(prefix):]))]
    return max(serials, default=0)
