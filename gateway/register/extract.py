"""The register extract (登记簿信息) of a unit, as reviewers see it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.register.models import Encumbrance
from gateway.register.repository import find_unit, mortgages_on


def register_extract(session: Session, unit_code: str) -> dict[str, Any]:
    """Current owners, mortgages (in force first) and encumbrances of the unit."""
    unit = find_unit(session, unit_code)
    mortgages = sorted(mortgages_on(session, unit_code), key=lambda m: (m.status != "IN_FORCE", m.priority))
    return {
        "unit_code": unit_code,
        "found": unit is not None,
        "location": unit.location if unit else None,
        "use": unit.use if unit else None,
        "state": unit.state if unit else None,
        "owners": [{"name": o.name, "id_type": o.id_type, "id_number": o.id_number, "share": o.share}
                   for o in (unit.owners if unit else [])],
        "mortgages": [
            {"certificate_no": m.certificate_no, "kind": m.kind, "priority": m.priority, "status": m.status,
             "mortgagee_code": m.mortgagee_code, "mortgagee_name": m.mortgagee_name,
             "secured_amount": f"{m.secured_amount:.2f}" if m.secured_amount is not None else None,
             "maximum_claim_amount": f"{m.maximum_claim_amount:.2f}" if m.maximum_claim_amount is not None else None,
             "debt_end": m.debt_end.isoformat() if m.debt_end else None}
            for m in mortgages
        ],
        "encumbrances": [
            {"kind": e.kind, "reference": e.reference, "active": e.active, "registered_on": e.registered_on.isoformat()}
            for e in session.scalars(select(Encumbrance).where(Encumbrance.unit_code == unit_code))
        ],
    }
