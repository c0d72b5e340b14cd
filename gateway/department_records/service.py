"""Receiving a department's record: check, keep verbatim, flag a conflicting version, refresh findings.

Concurrency. The unit's row is locked first (``FOR UPDATE``; SQLite's writers are serial anyway),
then the open applications whose findings the record may change, in id order, and only then is
anything written or audited (the audit chain's head is locked by every audited write, so taking it
last keeps the lock order of a reviewer's approval: application, then chain). Two pushes for one
unit therefore run one after the other and the second sees the first. Two pushes of one record
number for different units meet on the unique ``(kind, institution, record_no, sequence)``: the
loser's insert is undone to a savepoint and tried again, now seeing the winner's version.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import audit
from gateway.department_records import findings as refreshed
from gateway.department_records.errors import RecordCorrectionUnknown, RecordRoleNotAllowed, RecordUnitUnknown
from gateway.department_records.models import DepartmentRecord
from gateway.department_records.schemas import body_object, parse
from gateway.departments.roles import HOUSING_BUREAU, TAX_BUREAU, department_role, refuse_other_signer
from gateway.persistence.db import lock_for_update
from gateway.persistence.models import Institution
from gateway.protection import blind_index
from gateway.register.models import PropertyUnit

log = logging.getLogger(__name__)

ROLE_FOR_KIND = {"tax": TAX_BUREAU, "contract": HOUSING_BUREAU}
CONFLICT_FLAG = "record.duplicate_conflict"
SUPERSEDED_FLAG = "record.superseded"  # replaced by an explicit correction: kept as evidence, no longer read
SIGNATURE_HEADERS = ("signature-input", "signature", "content-digest", "content-type")
INSERT_ATTEMPTS = 5


@dataclass(frozen=True)
class Received:
    record: DepartmentRecord
    created: bool  # False: the same content was sent before (the idempotent answer)
    conflicts_with: tuple[str, ...]  # record ids of the other versions of the record number
    corrects: str | None = None  # the record id of the version this correction names


def flags_of(record: DepartmentRecord) -> list[str]:
    """What the receipt and the reviewer are told about a version: conflicting, superseded."""
    return [flag for flag, on in ((CONFLICT_FLAG, record.conflicting), (SUPERSEDED_FLAG, record.superseded)) if on]


def require_role(institution: Institution, kind: str) -> None:
    if department_role(institution) != ROLE_FOR_KIND[kind]:
        raise RecordRoleNotAllowed(f"only the {ROLE_FOR_KIND[kind].replace('_', ' ')} sends {kind} records")


def receive(session: Session, *, kind: str, institution: Institution, body: bytes, method: str, url: str,
            headers: dict[str, str], at: datetime, request_id: str | None) -> Received:
    """Keep the record in ``body`` (kind ``tax`` or ``contract``) from ``institution``, which signed it."""
    require_role(institution, kind)
    data = body_object(body)
    refuse_other_signer(institution, data.get("department"))
    record_in = parse(kind, data)
    unit = session.scalar(lock_for_update(select(PropertyUnit.id).where(PropertyUnit.unit_code == record_in.unit_code),
                                          session))
    if unit is None:
        raise RecordUnitUnknown("the register has no unit with this code")
    applications = refreshed.lock_open_applications(session, kind=kind, unit_code=record_in.unit_code)
    evidence = {"body": body, "at": at, "request_id": request_id,
                "headers": {"@method": method, "@target-uri": url, **_signature_headers(headers)}}
    received = _store(session, kind, institution, record_in, evidence)
    if received.created:
        record = received.record
        _audit(session, record, institution)
        refreshed.refresh(session, applications, kind=kind, unit_code=record.unit_code, record_id=record.record_id,
                          at=at)
    return received


def _store(session: Session, kind: str, institution: Institution, record_in, evidence: dict) -> Received:
    """The stored record of this content, or a new version of the number: a correction (``corrects``)
    supersedes the earlier versions; any other version with other content flags them all conflicting."""
    content_sha256 = record_in.content_sha256()
    for _ in range(INSERT_ATTEMPTS):
        versions = _versions(session, kind, institution, record_in.number)
        corrected = _corrected(versions, record_in.corrects)
        same = _same(versions, content_sha256, correction=corrected is not None)
        if same is not None:
            log.info("department record %s received again with the same content", same.record_id)
            return Received(same, False, tuple(v.record_id for v in versions if v.id != same.id and v.conflicting),
                            corrected.record_id if corrected is not None else None)
        record = _new_record(kind, institution, record_in, versions, content_sha256=content_sha256,
                             corrected=corrected, **evidence)
        try:
            with session.begin_nested():
                session.add(record)
                for version in versions:
                    if corrected is not None:
                        version.superseded = True
                    else:
                        version.conflicting = True
        except IntegrityError:
            session.expire_all()  # another transaction took the sequence number: look again
            continue
        if corrected is not None:
            log.info("department record %s corrects %s and supersedes %d version(s)", record.record_id,
                     corrected.record_id, len(versions))
            return Received(record, True, (), corrected.record_id)
        if versions:
            log.info("department record %s conflicts with %d earlier version(s)", record.record_id, len(versions))
        return Received(record, True, tuple(v.record_id for v in versions))
    raise RuntimeError("could not store the department record")  # pragma: no cover - a storm of one number


def _corrected(versions: list[DepartmentRecord], corrects: str | None) -> DepartmentRecord | None:
    """The version ``corrects`` names: one this department sent under this number, or a refusal."""
    if corrects is None:
        return None
    found = next((v for v in versions if v.record_id == corrects), None)
    if found is None:
        raise RecordCorrectionUnknown("corrects: no version of this record number was received from this department "
                                      "under this record id", extra={"field": "corrects"})
    return found


def _same(versions: list[DepartmentRecord], content_sha256: str, *, correction: bool) -> DepartmentRecord | None:
    """The version that makes this push a repetition: any with this content — for a correction, only the
    standing latest version (a correction back to an older, superseded content is a new version)."""
    if correction:
        latest = versions[-1] if versions else None
        standing = latest is not None and not latest.superseded and latest.corrects_id is not None
        return latest if standing and latest.content_sha256 == content_sha256 else None
    return next((v for v in versions if v.content_sha256 == content_sha256), None)


def _versions(session: Session, kind: str, institution: Institution, number: str) -> list[DepartmentRecord]:
    return list(session.scalars(select(DepartmentRecord).where(
        DepartmentRecord.kind == kind, DepartmentRecord.institution_id == institution.id,
        DepartmentRecord.record_no == number).order_by(DepartmentRecord.sequence)))


def _new_record(kind, institution, record_in, versions, *, body, content_sha256, headers, at, request_id,
                corrected: DepartmentRecord | None = None):
    content = record_in.content()
    parties = [party for group in record_in.parties.values() for party in group]
    return DepartmentRecord(
        record_id="DR" + uuid.uuid4().hex, kind=kind, institution_id=institution.id, record_no=record_in.number,
        sequence=(max((v.sequence for v in versions), default=0) + 1), unit_code=record_in.unit_code,
        status=record_in.status, content_sha256=content_sha256, request_sha256=hashlib.sha256(body).hexdigest(),
        body=body, signature_headers=headers, facts=content,
        id_number_indexes=sorted({blind_index(p.id_number) for p in parties}),
        conflicting=bool(versions) and corrected is None,
        conflicts_with_id=versions[0].id if versions and corrected is None else None,
        corrects_id=corrected.id if corrected is not None else None,
        received_at=at, request_id=request_id,
    )


def _signature_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in SIGNATURE_HEADERS if name in headers}


def _audit(session: Session, record: DepartmentRecord, institution: Institution) -> None:
    audit.record(session, actor=institution.code, actor_role="department", action=f"department_record.{record.kind}",
                 subject_kind="department_record", subject=record.record_id, units=[record.unit_code],
                 person_indexes=record.id_number_indexes,
                 details={"record_no": record.record_no, "conflicting": record.conflicting})


def records_on(session: Session, unit_code: str) -> list[DepartmentRecord]:
    """Every record on the unit, oldest first (the reviewer's view)."""
    return list(session.scalars(select(DepartmentRecord).where(DepartmentRecord.unit_code == unit_code)
                                .order_by(DepartmentRecord.id)))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DepartmentRecord))
