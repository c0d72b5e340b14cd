"""Onboarding institutions and their signing certificates; looking them up."""
from __future__ import annotations

import functools
import ipaddress
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import InstitutionDisabled, InvalidRequest, NotFound
from gateway.institutions.certificate_checks import (
    CertificateConflict, check_signing_certificate, normalized_fingerprint, read_certificate,
)
from gateway.persistence.models import Institution, InstitutionCertificate
from gateway.prereview.identifiers import credit_code_problem
from gateway.persistence.types import utcnow
from signing.trust import TrustStore, certificate_fingerprint

KINDS = ("bank", "housing_fund", "department")
REVOCATION_REASON_MAX = 200  # institution_certificates.revocation_reason
ACTIVE, DISABLED = "active", "disabled"
NAME_MAX = 200
CALLBACK_URL_MAX = 500


def add_institution(
    session: Session, *, code: str, name: str, kind: str, cert_pem: bytes, callback_url: str | None = None,
    parent_code: str | None = None, trust: TrustStore, department_role: str | None = None,
) -> Institution:
    """Register an institution (a branch when ``parent_code`` is given) with its first signing certificate;
    a department with its role (gateway.departments.roles)."""
    from gateway.departments.roles import checked_role

    if kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(KINDS)}", code="institution.invalid_kind")
    department_role = checked_role(kind, department_role)
    if credit_code_problem(code) is not None:
        raise InvalidRequest("the code is not a valid unified social credit code (GB 32100)",
                             code="institution.invalid_code")
    name = checked_name(name)
    callback_url = checked_callback_url(callback_url)
    parent = _parent(session, parent_code) if parent_code else None
    if session.scalar(select(Institution).where(Institution.code == code)):
        raise InvalidRequest("an institution with this code exists", code="institution.exists")
    institution = Institution(code=code, name=name, kind=kind, callback_url=callback_url,
                              parent_id=parent.id if parent else None, department_role=department_role)
    session.add(institution)
    session.flush()
    add_certificate(session, institution=institution, cert_pem=cert_pem, trust=trust)
    return institution


def _parent(session: Session, parent_code: str) -> Institution:
    """The parent of a new branch: registered, and not itself a branch (one level keeps the
    disabled check to one lookup and the hierarchy readable)."""
    parent = find_by_code(session, parent_code)
    if parent is None:
        raise InvalidRequest("no institution has the parent code", code="institution.unknown_parent")
    if parent.parent_id is not None:
        raise InvalidRequest("the parent is itself a branch; register the branch under its head institution",
                             code="institution.parent_is_branch")
    return parent


def checked_name(name: str | None) -> str:
    """An institution's name as stored: trimmed, not empty, at most 200 characters, no control characters."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or any(unicodedata.category(c) == "Cc" for c in name):
        raise InvalidRequest(f"the name must be 1 to {NAME_MAX} characters without control characters",
                             code="institution.invalid_name")
    return name


def checked_callback_url(url: str | None) -> str | None:
    """The callback URL as stored (None or empty: no callback, results by pull only).

    HTTPS is required; plain http only to a loopback host (127.0.0.0/8, ::1, localhost), for a
    bank's adapter running next to the gateway. A URL with user information (credentials in
    the URL would be stored and logged), without a host, or of any other scheme is refused.
    """
    if url is None or not url.strip():
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        raise _bad_url("the callback URL cannot be parsed") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if len(url) > CALLBACK_URL_MAX or any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        raise _bad_url(f"the callback URL must be at most {CALLBACK_URL_MAX} characters without spaces")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _bad_url("the callback URL must not contain user information")
    if not host:
        raise _bad_url("the callback URL has no host")
    if scheme == "https" or (scheme == "http" and _is_loopback(host)):
        return url
    if scheme == "http":
        raise _bad_url("the callback URL must use https (plain http only to a loopback host)")
    raise _bad_url("the callback URL must use https")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bad_url(detail: str) -> InvalidRequest:
    return InvalidRequest(detail, code="institution.invalid_callback_url")


def refuse_if_disabled(session: Session, institution: Institution) -> None:
    """Refuse anything an institution sends while it, or the head institution of a branch, is disabled.

    Called after the signature is verified, so only the institution itself learns it is disabled.
    What the centre does with its applications (review, delivery) is not affected.
    """
    if institution.status == DISABLED:
        raise InstitutionDisabled("the institution is disabled")
    if institution.parent_id is not None:
        parent = session.get(Institution, institution.parent_id)
        if parent is not None and parent.status == DISABLED:
            raise InstitutionDisabled("the institution's head institution is disabled")


def add_certificate(
    session: Session, *, institution: Institution, cert_pem: bytes, trust: TrustStore, at: datetime | None = None
) -> InstitutionCertificate:
    """Register another certificate (key rotation: old and new are both current until revoked).

    It must be a signing certificate valid at ``at`` (now by default) that chains to ``trust``
    (:mod:`gateway.institutions.certificate_checks`); one already registered, to any institution,
    is refused."""
    certificate = read_certificate(cert_pem)
    check_signing_certificate(certificate, trust=trust, at=at or utcnow())
    fingerprint = certificate_fingerprint(certificate)
    if session.scalar(select(InstitutionCertificate.id).where(InstitutionCertificate.fingerprint == fingerprint)):
        raise CertificateConflict(f"certificate {fingerprint} is already registered")
    record = certificate_record(institution, certificate)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # registered meanwhile by a concurrent request; the caller rolls back
        raise CertificateConflict(f"certificate {fingerprint} is already registered") from None
    return record


def certificate_record(institution: Institution, certificate: x509.Certificate) -> InstitutionCertificate:
    """The row of ``certificate`` registered to ``institution``, unchecked (see :func:`add_certificate`)."""
    return InstitutionCertificate(
        institution=institution,
        fingerprint=certificate_fingerprint(certificate),
        pem=certificate.public_bytes(encoding=_pem()).decode(),
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


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


def revoke_certificate(
    session: Session, *, fingerprint: str, at: datetime, reason: str, revoked_by: str
) -> InstitutionCertificate:
    """Revoke a registered certificate from ``at``: the next request signed with it is refused
    (registration and revocation are read on every request, never cached)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("give the reason for the revocation", code="certificate.reason_required")
    if len(reason) > REVOCATION_REASON_MAX:
        raise InvalidRequest(f"the reason is over {REVOCATION_REASON_MAX} characters",
                             code="certificate.reason_too_long")
    record = session.scalar(select(InstitutionCertificate).where(
        InstitutionCertificate.fingerprint == normalized_fingerprint(fingerprint)).with_for_update())
    if record is None:
        raise NotFound("no registered certificate has this fingerprint", code="certificate.unknown")
    if record.revoked_at is not None:
        raise CertificateConflict(f"certificate {record.fingerprint} was already revoked at "
                                  f"{record.revoked_at.isoformat()}", code="certificate.already_revoked")
    record.revoked_at, record.revocation_reason, record.revoked_by = at, reason, revoked_by[:64]
    session.flush()
    return record


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()
