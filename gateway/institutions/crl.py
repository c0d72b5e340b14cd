"""Importing a certificate revocation list (CRL) published by a trusted CA.

The gateway does not fetch CRLs or ask OCSP responders by itself (a bank's request must not wait on
a CA's server); an operator imports the CA's CRL file instead. The CRL must be signed by one of the
configured trust anchors — a CRL anyone could have made would let them switch banks off. Every
registered, unrevoked certificate issued by that anchor whose serial number the CRL lists is
revoked, with the CRL's reason code (``CRL: keyCompromise``) or just ``CRL``, all in one
transaction, each recorded like a revocation by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.admin.actions import record
from gateway.errors import InvalidRequest
from gateway.institutions.certificates import revoke
from gateway.persistence.models import InstitutionCertificate
from gateway.persistence.types import utcnow
from signing.trust import TrustStore, certificate_fingerprint


@dataclass
class CrlImport:
    """What an import did."""

    issuer_fingerprint: str  # the trust anchor that signed the CRL
    listed: int  # serial numbers on the CRL
    next_update: datetime | None
    stale: bool  # nextUpdate has passed: a newer CRL exists; revocations listed here still hold
    revoked: list[str] = field(default_factory=list)  # fingerprints revoked by this import
    already_revoked: list[str] = field(default_factory=list)  # listed, but revoked before


def read_crl(data: bytes) -> x509.CertificateRevocationList:
    """The CRL in ``data`` (PEM or DER)."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except (ValueError, TypeError):
        raise InvalidRequest("the file is not a certificate revocation list (PEM or DER)",
                             code="crl.unreadable") from None


def signing_anchor(crl: x509.CertificateRevocationList, trust: TrustStore) -> x509.Certificate:
    """The trust anchor that issued and signed ``crl``; refused when none did."""
    for anchor in trust.anchors:
        if anchor.subject != crl.issuer or not _may_sign_crls(anchor):
            continue
        try:
            if crl.is_signature_valid(anchor.public_key()):
                return anchor
        except (TypeError, UnsupportedAlgorithm):
            continue
    raise InvalidRequest("the CRL is not signed by a configured trust anchor", code="crl.untrusted")


def import_crl(
    session: Session, *, data: bytes, trust: TrustStore, actor: str, request_id: str | None,
    at: datetime | None = None,
) -> CrlImport:
    """Revoke every registered certificate the CRL lists (see the module doc)."""
    at = at or utcnow()
    crl = read_crl(data)
    anchor = signing_anchor(crl, trust)
    next_update = crl.next_update_utc
    report = CrlImport(certificate_fingerprint(anchor), len(crl), next_update,
                       stale=next_update is not None and next_update < at)
    for certificate, parsed in _issued_by(session, crl.issuer):
        entry = crl.get_revoked_certificate_by_serial_number(parsed.serial_number)
        if entry is None:
            continue
        if certificate.revoked_at is not None:
            report.already_revoked.append(certificate.fingerprint)
            continue
        revoke(session, fingerprint=certificate.fingerprint, reason=_reason(entry), actor=actor,
               request_id=request_id, at=at, action="certificate.revoke_by_crl")
        report.revoked.append(certificate.fingerprint)
    record(session, actor=actor, action="crl.import", subject_kind="crl", subject=report.issuer_fingerprint,
           request_id=request_id, at=at, details={
               "listed": report.listed, "revoked": report.revoked, "already_revoked": report.already_revoked,
               "next_update": next_update.isoformat() if next_update else None, "stale": report.stale})
    return report


def _issued_by(session: Session, issuer: x509.Name):
    for certificate in session.scalars(select(InstitutionCertificate).order_by(InstitutionCertificate.id)):
        parsed = x509.load_pem_x509_certificate(certificate.pem.encode())
        if parsed.issuer == issuer:
            yield certificate, parsed


def _may_sign_crls(anchor: x509.Certificate) -> bool:
    try:
        return anchor.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign
    except x509.ExtensionNotFound:
        return True  # a v1 or unconstrained anchor: no KeyUsage means any use


def _reason(entry: x509.RevokedCertificate) -> str:
    try:
        flag = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return "CRL"
    return f"CRL: {flag.value}"
