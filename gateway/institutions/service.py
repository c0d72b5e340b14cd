"""Onboarding institutions and their signing certificates; looking them up."""
from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.errors import InvalidRequest
from gateway.persistence.models import Institution, InstitutionCertificate
from signing.trust import certificate_fingerprint, load_pem_certificates

KINDS = ("bank", "housing_fund")


def add_institution(
    session: Session, *, code: str, name: str, kind: str, cert_pem: bytes, callback_url: str | None = None
) -> Institution:
    """Register an institution with its first signing certificate."""
    if kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(KINDS)}", code="institution.invalid_kind")
    if session.scalar(select(Institution).where(Institution.code == code)):
        raise InvalidRequest("an institution with this code exists", code="institution.exists")
    institution = Institution(code=code, name=name, kind=kind, callback_url=callback_url)
    session.add(institution)
    session.flush()
    add_certificate(session, institution=institution, cert_pem=cert_pem)
    return institution


def add_certificate(session: Session, *, institution: Institution, cert_pem: bytes) -> InstitutionCertificate:
    """Register another certificate (key rotation: old and new are both current until revoked)."""
    try:
        certificate = load_pem_certificates(cert_pem)[0]
    except (ValueError, IndexError):
        raise InvalidRequest("not a PEM certificate", code="certificate.unreadable") from None
    fingerprint = certificate_fingerprint(certificate)
    if session.scalar(select(InstitutionCertificate).where(InstitutionCertificate.fingerprint == fingerprint)):
        raise InvalidRequest("this certificate is already registered", code="certificate.exists")
    record = InstitutionCertificate(
        institution=institution,
        fingerprint=fingerprint,
        pem=certificate.public_bytes(encoding=_pem()).decode(),
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
    session.add(record)
    session.flush()
    return record


def _pem():
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.PEM


def find_by_code(session: Session, code: str) -> Institution | None:
    return session.scalar(select(Institution).where(Institution.code == code))


def current_certificate(session: Session, fingerprint: str) -> InstitutionCertificate | None:
    """The registered, unrevoked certificate with this fingerprint, if any."""
    return session.scalar(
        select(InstitutionCertificate).where(
            InstitutionCertificate.fingerprint == fingerprint,
            InstitutionCertificate.revoked_at.is_(None),
        )
    )


def revoke_certificate(session: Session, *, fingerprint: str, at: datetime) -> None:
    record = current_certificate(session, fingerprint)
    if record is None:
        raise InvalidRequest("no current certificate with this fingerprint", code="certificate.unknown")
    record.revoked_at = at


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()
