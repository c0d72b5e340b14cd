"""A ZIP of everything signed about one application, with a manifest of SHA-256 digests."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.certificates.models import IssuedCertificate
from gateway.errors import NotFound
from gateway.persistence.models import Application, SignedDocument


_EXTENSIONS = {"application/xml": "xml", "application/jose": "jws", "application/jose+json": "json"}


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
    manifest = {
        "application_no": application.application_no,
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return buffer.getvalue()


def evidence_read(session: Session, application_no: str, *, actor: str, actor_role: str):
    """The audit entry of an evidence export (a read of everything personal about the application)."""
    from gateway import audit

    application = session.scalar(select(Application).where(Application.application_no == application_no))
    return audit.read_of(application, actor=actor, actor_role=actor_role, what="evidence.export")
