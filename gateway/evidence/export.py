"""A ZIP of everything signed about one application, with a manifest of SHA-256 digests.

With it, the departments' records pre-review used (docs/interface/departments.md §7): each exactly as
the department sent it (body bytes, HTTP signature headers) and the certificate its signature names."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import http_sf

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.certificates.models import IssuedCertificate
from gateway.department_records import views as department_records
from gateway.department_records.models import DepartmentRecord
from gateway.errors import NotFound
from gateway.persistence.models import Application, InstitutionCertificate, SignedDocument


_EXTENSIONS = {"application/xml": "xml", "application/jose": "jws", "application/jose+json": "json"}
RECORDS_FOLDER = "department-records"


def export_evidence(session: Session, application_no: str) -> bytes:
    """request.xml, every signed output, the materials, the event history and a manifest."""
    application = session.scalar(select(Application).where(Application.application_no == application_no))
    if application is None:
        raise NotFound("no such application")
    files: dict[str, bytes] = {}
    documents = session.scalars(
        select(SignedDocument).where(SignedDocument.application_id == application.id).order_by(SignedDocument.id)
    )
    for number, document in enumerate(documents, start=1):
        # Supplements and transferee confirmations are HTTP-signed JSON, kept verbatim.
        extension = _EXTENSIONS.get(document.media_type, "xml")
        if document.kind in ("supplement", "transferee_confirmation"):
            extension = "json"
        files[f"{number:02d}-{document.kind}.{extension}"] = document.content
    for link in application.materials:
        files[f"materials/{link.position + 1:02d}-{link.material.sha256}"] = link.material.content
    history = [
        {"action": e.action, "from": e.from_status, "to": e.to_status, "actor_kind": e.actor_kind,
         "actor": e.actor, "at": e.at.isoformat(), "note": e.note}
        for e in application.events
    ]
    for certificate in session.scalars(select(IssuedCertificate).where(IssuedCertificate.application_id == application.id)):
        files[f"certificates/{certificate.verification_code}.pdf"] = certificate.pdf
        files[f"certificates/{certificate.verification_code}.xml"] = certificate.xml
    files["events.json"] = json.dumps(history, ensure_ascii=False, indent=2).encode()
    records = _department_records(session, application, files)
    manifest = {
        "application_no": application.application_no,
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
        "department_records": records,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return buffer.getvalue()


def _department_records(session: Session, application: Application, files: dict[str, bytes]) -> list[dict]:
    """Add the records shown to the reviewer with the application (those its pre-review reads) to ``files``:
    ``department-records/NN-<kind>-<record id>.json`` the body bytes as received, ``….signature.json`` the
    HTTP signature headers with the method and URL they cover, ``….cert.pem`` the certificate the
    signature's keyid names; return the manifest's index of them, with what the reviewer sees."""
    rows = department_records.record_rows(session, registration_type=application.registration_type,
                                          unit_code=application.unit_code)
    ids = {record.id: record.record_id for record, _, _ in rows}
    missing = {r.conflicts_with_id for r, _, _ in rows if r.conflicts_with_id and r.conflicts_with_id not in ids}
    if missing:  # an earlier version of the number on another unit
        ids.update(session.execute(select(DepartmentRecord.id, DepartmentRecord.record_id)
                                   .where(DepartmentRecord.id.in_(missing))).tuples())
    index = []
    for number, (record, code, name) in enumerate(rows, start=1):
        stem = f"{RECORDS_FOLDER}/{number:02d}-{record.kind}-{record.record_id}"
        entry = {key: value for key, value in department_records.view_of(record, code, name, ids).items()
                 if key != "body"}
        files[f"{stem}.json"] = record.body
        files[f"{stem}.signature.json"] = json.dumps(record.signature_headers, ensure_ascii=False,
                                                     indent=2).encode()
        entry.update(request_sha256=record.request_sha256, body=f"{stem}.json",
                     signature_headers=f"{stem}.signature.json", certificate=None)
        keyid = _key_id(record.signature_headers)
        certificate = keyid and session.scalar(select(InstitutionCertificate.pem)
                                               .where(InstitutionCertificate.fingerprint == keyid))
        if certificate:
            files[f"{stem}.cert.pem"] = certificate.encode()
            entry["certificate"] = f"{stem}.cert.pem"
        index.append(entry)
    return index


def _key_id(headers: dict[str, str]) -> str | None:
    """The keyid the (one, verified at receipt) signature of a stored request names."""
    try:
        [(_, params)] = http_sf.parse(headers.get("signature-input", "").encode("ascii"),
                                      tltype="dictionary").values()
    except (ValueError, TypeError, UnicodeEncodeError):
        return None
    key_id = params.get("keyid")
    return key_id if isinstance(key_id, str) else None


def evidence_read(session: Session, application_no: str, *, actor: str, actor_role: str):
    """The audit entry of an evidence export (a read of everything personal about the application)."""
    from gateway import audit

    application = session.scalar(select(Application).where(Application.application_no == application_no))
    return audit.read_of(application, actor=actor, actor_role=actor_role, what="evidence.export")
