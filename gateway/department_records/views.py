"""The records a reviewer sees with an application: verbatim, with department, time received and flags."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api.times import utc_text
from gateway.department_records.models import DepartmentRecord
from gateway.department_records.service import flags_of
from gateway.persistence.models import Institution

# Which records concern an application of a type (data minimisation: no other type sees them).
KINDS_SHOWN: dict[str, tuple[str, ...]] = {
    "OWNERSHIP_TRANSFER": ("tax", "contract"),
    "PRE_NOTICE_MORTGAGE": ("contract",),
    "PRE_NOTICE_CONVERSION": ("contract",),
}
KIND_ZH = {"tax": "契税信息（税务局）", "contract": "网签备案合同（住建部门）"}


def records_for(session: Session, *, registration_type: str, unit_code: str) -> list[dict[str, Any]]:
    """The records on the unit of the kinds the type concerns, oldest first, in one statement."""
    rows = record_rows(session, registration_type=registration_type, unit_code=unit_code)
    ids = {record.id: record.record_id for record, _, _ in rows}
    return [_view(record, code, name, ids) for record, code, name in rows]


def record_rows(session: Session, *, registration_type: str,
                unit_code: str) -> list[tuple[DepartmentRecord, str, str]]:
    """(record, department code, department name) of what :func:`records_for` shows (the evidence export's)."""
    kinds = KINDS_SHOWN.get(registration_type)
    if not kinds:
        return []
    return [tuple(row) for row in session.execute(
        select(DepartmentRecord, Institution.code, Institution.name)
        .join(Institution, Institution.id == DepartmentRecord.institution_id)
        .where(DepartmentRecord.unit_code == unit_code, DepartmentRecord.kind.in_(kinds))
        .order_by(DepartmentRecord.id)).all()]


def view_of(record: DepartmentRecord, code: str, name: str, ids: dict[int, str]) -> dict[str, Any]:
    """What the reviewer sees of one record (``ids``: record ids by row id, for ``conflicts_with``)."""
    return _view(record, code, name, ids)


def _view(record: DepartmentRecord, code: str, name: str, ids: dict[int, str]) -> dict[str, Any]:
    return {
        "record_id": record.record_id, "kind": record.kind, "kind_zh": KIND_ZH[record.kind],
        "record_no": record.record_no, "status": record.status, "department_code": code, "department_name": name,
        "received_at": utc_text(record.received_at), "flags": flags_of(record),
        "conflicts_with": ids.get(record.conflicts_with_id) if record.conflicts_with_id else None,
        "corrects": ids.get(record.corrects_id) if record.corrects_id else None,
        "content_sha256": record.content_sha256, "body": record.body.decode("utf-8", errors="replace"),
    }
