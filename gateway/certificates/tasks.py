"""Background certificate generation: once per registration, then the signed result goes out."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.applications import documents
from gateway.applications.outcomes import issue_notice, registration_facts
from gateway.certificates.models import IssuedCertificate
from gateway.certificates.service import CERTIFYING, seal_certificate, store_certificate
from gateway.inbox.service import publish
from gateway.outputs import XML_MEDIA_TYPE
from gateway.persistence.db import lock_for_update, read_only, transaction
from gateway.persistence.models import Application
from gateway.persistence.types import utcnow
from gateway.register.models import RegistrationEntry
from gateway.tasks import leases
from gateway.tasks.registry import periodic, task
from gateway.tasks.runners import fan_out

if TYPE_CHECKING:
    from gateway.runtime import Runtime

GRACE = timedelta(seconds=30)


@task("certificates.generate")
def generate_certificate(runtime: Runtime, entry_id: int) -> None:
    """Make, seal and store the certificate of a registration entry and send the result; idempotent.

    Rendering and sealing, most of the work, run in a read-only unit of work: no write lock is
    held meanwhile (in the embedded mode that would stall every intake). The write unit of work
    then re-checks, under the entry's lock, that no other run stored a certificate first.
    """
    now = utcnow()
    with read_only(runtime.read_sessions) as session:
        entry = session.get(RegistrationEntry, entry_id)
        if entry is None or entry.registration_type not in CERTIFYING or _has_certificate(session, entry_id):
            return  # done by an earlier run: same number, same stored bytes
        sealed = seal_certificate(session, runtime.settings, entry, at=now)
    with transaction(runtime.sessions) as session:
        entry = session.scalar(lock_for_update(select(RegistrationEntry).where(RegistrationEntry.id == entry_id), session))
        if _has_certificate(session, entry_id):
            return  # a concurrent run stored its own first; this one is dropped
        certificate = store_certificate(session, entry, sealed, at=now)
        files = documents.CertificateFiles(
            certificate.pdf_sha256, certificate.xml_sha256, certificate.verification_code,
            f"{runtime.settings.public_base_url.rstrip('/')}/verify/{certificate.verification_code}",
        )
        application = session.get(Application, entry.application_id)
        issue_notice(session, runtime, application, decision="APPROVED", at=now,
                     registration=registration_facts(session, entry), certificate=files)
        # The result announces the certificate (its hashes, verification code and URL); the sealed
        # XML twin itself follows it in the inbox and by callback.
        publish(session, institution_id=application.institution_id, kind="certificate", content=certificate.xml,
                media_type=XML_MEDIA_TYPE, application_id=application.id, deliver=True, at=now)


def _has_certificate(session: Session, entry_id: int) -> bool:
    stmt = select(IssuedCertificate.id).where(IssuedCertificate.registration_entry_id == entry_id)
    return session.scalar(stmt) is not None


@periodic("certificates.sweep")
def sweep_missing_certificates(runtime: Runtime) -> None:
    """Re-drive generation for registrations left without a certificate (a lost task, a crash),
    at most one outstanding message per registration."""
    now = utcnow()
    with transaction(runtime.sessions) as session:
        ids = session.scalars(
            select(RegistrationEntry.id)
            .outerjoin(IssuedCertificate, IssuedCertificate.registration_entry_id == RegistrationEntry.id)
            .where(IssuedCertificate.id.is_(None), RegistrationEntry.application_id.is_not(None),
                   RegistrationEntry.registration_type.in_(CERTIFYING),
                   RegistrationEntry.registered_at < now - GRACE,
                   leases.unmarked("certificates.generate", RegistrationEntry.id, now))
            .limit(100)
        ).all()
        leases.mark_sent(session, "certificates.generate", ids, now=now)
    unsent = fan_out(runtime.dispatcher.runner, "certificates.generate", ids, expires=leases.MESSAGE_LIFETIME)
    if unsent:
        with transaction(runtime.sessions) as session:
            leases.unmark(session, "certificates.generate", unsent)
