"""Background certificate generation: once per registration, then the signed result goes out."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from gateway.applications import documents
from gateway.applications.outcomes import issue_notice, registration_facts
from gateway.certificates.models import IssuedCertificate
from gateway.certificates.service import CERTIFYING, issue_certificate
from gateway.persistence.db import lock_for_update, transaction
from gateway.persistence.models import Application
from gateway.persistence.types import utcnow
from gateway.register.models import RegistrationEntry
from gateway.tasks.registry import periodic, task

if TYPE_CHECKING:
    from gateway.runtime import Runtime

GRACE = timedelta(seconds=30)


@task("certificates.generate")
def generate_certificate(runtime: Runtime, entry_id: int) -> None:
    """Make, seal and store the certificate of a registration entry and send the result; idempotent."""
    with transaction(runtime.sessions) as session:
        entry = session.scalar(lock_for_update(select(RegistrationEntry).where(RegistrationEntry.id == entry_id), session))
        if entry is None or entry.registration_type not in CERTIFYING:
            return
        if session.scalar(select(IssuedCertificate.id).where(IssuedCertificate.registration_entry_id == entry.id)):
            return  # done by an earlier run: same number, same stored bytes
        now = utcnow()
        certificate = issue_certificate(session, runtime.settings, entry, at=now)
        files = documents.CertificateFiles(
            certificate.pdf_sha256, certificate.xml_sha256, certificate.verification_code,
            f"{runtime.settings.public_base_url.rstrip('/')}/verify/{certificate.verification_code}",
        )
        application = session.get(Application, entry.application_id)
        issue_notice(session, runtime, application, decision="APPROVED", at=now,
                     registration=registration_facts(session, entry), certificate=files)


@periodic("certificates.sweep")
def sweep_missing_certificates(runtime: Runtime) -> None:
    """Re-drive generation for registrations left without a certificate (a lost task, a crash)."""
    with transaction(runtime.sessions) as session:
        ids = session.scalars(
            select(RegistrationEntry.id)
            .outerjoin(IssuedCertificate, IssuedCertificate.registration_entry_id == RegistrationEntry.id)
            .where(IssuedCertificate.id.is_(None), RegistrationEntry.application_id.is_not(None),
                   RegistrationEntry.registration_type.in_(CERTIFYING),
                   RegistrationEntry.registered_at < utcnow() - GRACE)
            .limit(100)
        ).all()
    for entry_id in ids:
        runtime.dispatcher.runner.submit("certificates.generate", [entry_id])
