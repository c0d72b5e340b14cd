"""Onboarding institutions and their signing certificates; looking them up."""
from __future__ import annotations

import functools
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import and_, bindparam, select
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
    return session.scalar(_by_code_statement(), {"code": code})


def current_certificate(session: Session, fingerprint: str) -> InstitutionCertificate | None:
    """The registered, unrevoked certificate with this fingerprint, if any (never cached)."""
    return session.scalar(_current_certificate_statement(), {"fingerprint": fingerprint})


def find_signer(
    session: Session, code: str, fingerprint: str
) -> tuple[Institution | None, InstitutionCertificate | None]:
    """The institution with ``code`` and, in the same statement, its current certificate with ``fingerprint``.

    The certificate is None when no certificate has that fingerprint, when it is revoked, or when
    it is another institution's: a signer must use a current certificate of the institution it
    names, so intake refuses all three alike. Nothing is cached: a revocation counts from the
    next request, in every process.
    """
    row = session.execute(_signer_statement(), {"code": code, "fingerprint": fingerprint}).first()
    return (None, None) if row is None else (row[0], row[1])


# Lookups run on every bank request: their statements are built once, with bound parameters.
@functools.cache
def _by_code_statement():
    return select(Institution).where(Institution.code == bindparam("code"))


@functools.cache
def _current_certificate_statement():
    return select(InstitutionCertificate).where(
        InstitutionCertificate.fingerprint == bindparam("fingerprint"),
        InstitutionCertificate.revoked_at.is_(None),
    )


@functools.cache
def _signer_statement():
    current = and_(
        InstitutionCertificate.institution_id == Institution.id,
        InstitutionCertificate.fingerprint == bindparam("fingerprint"),
        InstitutionCertificate.revoked_at.is_(None),
    )
    return (select(Institution, InstitutionCertificate).outerjoin(InstitutionCertificate, current)
            .where(Institution.code == bindparam("code")))


def revoke_certificate(session: Session, *, fingerprint: str, at: datetime) -> None:
    record = current_certificate(session, fingerprint)
    if record is None:
        raise InvalidRequest("no current certificate with this fingerprint", code="certificate.unknown")
    record.revoked_at = at


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()
