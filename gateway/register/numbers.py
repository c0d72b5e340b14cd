"""Certificate numbers (不动产登记证明号): one gapless series per year, allocated in the caller's transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway.persistence.counters import next_value
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
