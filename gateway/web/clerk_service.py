"""What a housing-fund clerk does, over the same services as the bank channel.

A web submission is sealed into the signed XML request a bank would send, with the key the
gateway holds for the clerk's institution, and goes through ``submit_application`` unchanged;
only afterwards is the application marked as coming from the web and from which clerk.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank_adapters.canonical import Mortgagee
from bank_adapters.xml_v1 import XmlApplicationAdapter
from gateway.applications.assessment import Assessment
from gateway.applications.intake import Channel, IntakeOutcome, dry_run, submit_application
from gateway.applications.supplements import SuppliedMaterial, supply
from gateway.certificates.models import IssuedCertificate
from gateway.errors import InvalidRequest, NotFound
from gateway.institutions.custody import load_custody_key
from gateway.institutions.service import refuse_if_disabled
from gateway.materials.service import store_material
from gateway.persistence.models import Application, Institution, Material, SignedDocument, StaffUser
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime
from gateway.timezone import LOCAL_TZ
from gateway.web.clerk_form import ApplicationForm, MaterialRow, to_canonical

ADAPTER = XmlApplicationAdapter()
# Materials are scans: PDF or images, recognised by their first bytes, never by what the browser says.
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
DOWNLOADABLE = ("receipt", "supplement_request", "result")


@dataclass(frozen=True)
class Applicant:
    """The institution a clerk acts for, and the clerk, as plain values usable outside a session."""

    institution_id: int
    code: str
    name: str
    username: str


def applicant_of(session: Session, clerk: StaffUser) -> Applicant:
    institution = session.get(Institution, clerk.institution_id)
    return Applicant(institution.id, institution.code, institution.name, clerk.username)


def seal(runtime: Runtime, form: ApplicationForm, applicant: Applicant) -> bytes:
    """The signed request for a checked form, signed with the institution's key held in custody."""
    custody = load_custody_key(runtime.settings, applicant.code)
    created_at = utcnow().astimezone(LOCAL_TZ).replace(microsecond=0)
    application = to_canonical(form, mortgagee=Mortgagee(applicant.code, applicant.name), created_at=created_at)
    return custody.seal(ADAPTER.from_canonical(application))


def submit(runtime: Runtime, form: ApplicationForm, applicant: Applicant) -> IntakeOutcome:
    """Submit through the bank channel's intake; call it outside any open transaction."""
    return submit_application(runtime, seal(runtime, form, applicant),
                              channel=Channel("web", submitted_by=applicant.username))


def precheck(runtime: Runtime, form: ApplicationForm, applicant: Applicant) -> Assessment:
    """Intake's checks and pre-review without submitting (预审检查)."""
    _, assessment = dry_run(runtime, seal(runtime, form, applicant))
    return assessment


def media_type_of(content: bytes) -> str | None:
    return next((media for magic, media in SIGNATURES if content.startswith(magic)), None)


def store_upload(session: Session, runtime: Runtime, *, institution_id: int, content: bytes) -> Material:
    """Keep an uploaded file for the institution, under the SHA-256 of its bytes."""
    refuse_if_disabled(session, session.get(Institution, institution_id))
    media_type = media_type_of(content)
    if media_type is None:
        raise InvalidRequest("only PDF, PNG and JPEG files are accepted")
    material, _ = store_material(session, institution_id=institution_id, sha256=hashlib.sha256(content).hexdigest(),
                                 content=content, media_type=media_type,
                                 max_bytes=runtime.settings.max_material_bytes)
    return material


def own_application(session: Session, institution_id: int, application_no: str) -> Application:
    """The institution's application; another institution's is answered exactly like a missing one."""
    application = session.scalar(select(Application).where(Application.application_no == application_no))
    if application is None or application.institution_id != institution_id:
        raise NotFound("no such application")
    return application


def applications_of(session: Session, institution_id: int, *, status: str | None, before: int | None,
                    limit: int = 50) -> tuple[list[Application], int | None]:
    """The institution's applications, newest first, a page at a time (keyset on id)."""
    stmt = select(Application).where(Application.institution_id == institution_id)
    if status:
        stmt = stmt.where(Application.status == status)
    if before:
        stmt = stmt.where(Application.id < before)
    rows = list(session.scalars(stmt.order_by(Application.id.desc()).limit(limit + 1)))
    more = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], more


def supply_materials(session: Session, runtime: Runtime, *, application: Application, applicant: Applicant,
                     materials: list[MaterialRow], note: str | None, at: datetime) -> None:
    """Answer a supplement request (补正); the evidence is the form submission as received."""
    evidence = json.dumps({
        "channel": "web", "submitted_by": applicant.username, "institution": applicant.code,
        "application_no": application.application_no, "at": at.isoformat(),
        "materials": [vars(m) for m in materials], "note": note,
    }, ensure_ascii=False, sort_keys=True).encode()
    institution = session.get(Institution, applicant.institution_id)
    refuse_if_disabled(session, institution)
    supply(session, runtime.settings, application=application, institution=institution,
           materials=[SuppliedMaterial(m.type_code, m.file_name, m.sha256) for m in materials],
           note=note, evidence=evidence, at=at)


def documents_of(session: Session, application: Application) -> list[SignedDocument]:
    """The signed outputs the institution may download (the request is its own)."""
    return list(session.scalars(select(SignedDocument).where(
        SignedDocument.application_id == application.id, SignedDocument.kind.in_(DOWNLOADABLE))
        .order_by(SignedDocument.id)))


def latest_document(session: Session, application: Application, kind: str) -> SignedDocument:
    matching = [d for d in documents_of(session, application) if d.kind == kind]
    if not matching:
        raise NotFound("no such document yet")
    return matching[-1]


def certificate_of(session: Session, application: Application) -> IssuedCertificate | None:
    return session.scalars(select(IssuedCertificate).where(IssuedCertificate.application_id == application.id)
                           .order_by(IssuedCertificate.id.desc())).first()
