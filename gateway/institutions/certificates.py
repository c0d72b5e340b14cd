"""Institutions' signing certificates, day to day: register, list, revoke, watch expiry, trust anchors.

The admin API, the admin web page and the CLI all call these functions, so each rule and each
record of who did what lives in one place. Every change is recorded with
:func:`gateway.admin.actions.record` in the caller's transaction (subject kind ``certificate``,
subject the SHA-256 fingerprint); details hold dates, codes and the operator's reason, never the
certificate's subject (it may name a person).

Rotation with overlap needs nothing special: an institution may have several current
certificates, each request is checked against the one its signature names, and a revocation is
read on the next request (``gateway.institutions.auth`` caches only the parsing and chain check).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from gateway.admin.actions import record
from gateway.errors import InvalidRequest, NotFound
from gateway.institutions.administration import institution_by_code
from gateway.institutions.certificate_checks import STATUSES, normalized_fingerprint, status_of
from gateway.institutions.service import add_certificate, revoke_certificate
from gateway.persistence.models import Institution, InstitutionCertificate
from gateway.persistence.types import utcnow
from signing.trust import TrustStore, certificate_fingerprint

log = logging.getLogger(__name__)
SUBJECT = "certificate"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class CertificateRow:
    """A registered certificate as operators see it."""

    institution_code: str
    institution_name: str
    fingerprint: str
    subject: str
    not_before: datetime
    not_after: datetime
    registered_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    revoked_by: str | None
    status: str  # current | not_yet_valid | expired | revoked
    expires_in_days: float  # negative once expired

    @classmethod
    def of(cls, certificate: InstitutionCertificate, now: datetime) -> CertificateRow:
        institution = certificate.institution
        return cls(institution.code, institution.name, certificate.fingerprint, certificate.subject,
                   certificate.not_before, certificate.not_after, certificate.registered_at, certificate.revoked_at,
                   certificate.revocation_reason, certificate.revoked_by,
                   status_of(not_before=certificate.not_before, not_after=certificate.not_after,
                             revoked_at=certificate.revoked_at, now=now),
                   round((certificate.not_after - now) / DAY, 2))

    def expires_within(self, days: int) -> bool:
        """Still to be used (current or not yet valid) and ending within ``days``."""
        return self.status in ("current", "not_yet_valid") and self.expires_in_days <= days


@dataclass(frozen=True)
class AnchorRow:
    """A configured trust anchor."""

    fingerprint: str
    subject: str
    not_before: datetime
    not_after: datetime
    status: str  # current | not_yet_valid | expired


def register_certificate(
    session: Session, *, code: str, cert_pem: bytes, trust: TrustStore, actor: str, request_id: str | None,
    at: datetime | None = None,
) -> InstitutionCertificate:
    """Register another signing certificate of the institution ``code`` (key rotation), checked
    as :func:`gateway.institutions.service.add_certificate` says, and record it."""
    at = at or utcnow()
    institution = institution_by_code(session, code)
    certificate = add_certificate(session, institution=institution, cert_pem=cert_pem, trust=trust, at=at)
    record(session, actor=actor, action="certificate.add", subject_kind=SUBJECT, subject=certificate.fingerprint,
           request_id=request_id, at=at, details={"institution": code, "not_before": certificate.not_before.isoformat(),
                                                  "not_after": certificate.not_after.isoformat()})
    log.info("certificate %s registered to institution %s by %s", certificate.fingerprint, code, actor)
    return certificate


def revoke(
    session: Session, *, fingerprint: str, reason: str, actor: str, request_id: str | None,
    at: datetime | None = None, action: str = "certificate.revoke",
) -> InstitutionCertificate:
    """Revoke a certificate from ``at`` (now): refused on the next request, in every process."""
    at = at or utcnow()
    certificate = revoke_certificate(session, fingerprint=fingerprint, at=at, reason=reason, revoked_by=actor)
    record(session, actor=actor, action=action, subject_kind=SUBJECT, subject=certificate.fingerprint,
           request_id=request_id, at=at,
           details={"institution": certificate.institution.code, "reason": certificate.revocation_reason})
    log.info("certificate %s of institution %s revoked by %s (%s)", certificate.fingerprint,
             certificate.institution.code, actor, action)
    return certificate


def list_certificates(
    session: Session, *, now: datetime, institution_code: str | None = None, status: str | None = None,
    expiring_within_days: int | None = None,
) -> list[CertificateRow]:
    """Registered certificates, soonest to expire first, optionally of one institution, in one
    status, or still to be used and expiring within some days."""
    if status is not None and status not in STATUSES:
        raise InvalidRequest(f"status must be one of {', '.join(STATUSES)}", code="certificate.bad_status")
    if expiring_within_days is not None and expiring_within_days < 0:
        raise InvalidRequest("the period must be 0 days or more", code="certificate.bad_period")
    statement = (select(InstitutionCertificate).join(Institution)
                 .options(joinedload(InstitutionCertificate.institution))
                 .order_by(InstitutionCertificate.not_after, InstitutionCertificate.fingerprint))
    if institution_code is not None:
        statement = statement.where(Institution.id == institution_by_code(session, institution_code).id)
    rows = [CertificateRow.of(certificate, now) for certificate in session.scalars(statement)]
    return [row for row in rows if (status is None or row.status == status)
            and (expiring_within_days is None or row.expires_within(expiring_within_days))]


def certificate_row(session: Session, fingerprint: str, *, now: datetime) -> CertificateRow:
    """One registered certificate, or ``certificate.unknown``."""
    found = session.scalar(select(InstitutionCertificate).options(joinedload(InstitutionCertificate.institution))
                           .where(InstitutionCertificate.fingerprint == normalized_fingerprint(fingerprint)))
    if found is None:
        raise NotFound("no registered certificate has this fingerprint", code="certificate.unknown")
    return CertificateRow.of(found, now)


def trust_anchors(trust: TrustStore, *, now: datetime) -> list[AnchorRow]:
    """The configured trust anchors (re-read from their file when it changes), by expiry."""
    rows = [AnchorRow(certificate_fingerprint(anchor), anchor.subject.rfc4514_string(), anchor.not_valid_before_utc,
                      anchor.not_valid_after_utc,
                      status_of(not_before=anchor.not_valid_before_utc, not_after=anchor.not_valid_after_utc,
                                revoked_at=None, now=now))
            for anchor in trust.anchors]
    return sorted(rows, key=lambda row: (row.not_after, row.fingerprint))


def expiry_metrics(session: Session, *, now: datetime, within_days: int) -> list[str]:
    """Prometheus lines: days left for every registered certificate still to be used, and how
    many of them expire within ``within_days``."""
    rows = [row for row in list_certificates(session, now=now) if row.status in ("current", "not_yet_valid")]
    lines = ["# HELP gateway_institution_certificate_expires_in_days Days until each unrevoked, unexpired "
             "institution signing certificate expires.",
             "# TYPE gateway_institution_certificate_expires_in_days gauge"]
    lines += [f'gateway_institution_certificate_expires_in_days{{institution="{_label(row.institution_code)}",'
              f'fingerprint="{row.fingerprint}"}} {row.expires_in_days}' for row in rows]
    expiring = sum(1 for row in rows if row.expires_within(within_days))
    lines += [f"# HELP gateway_institution_certificates_expiring Unrevoked institution signing certificates "
              f"expiring within within_days days.",
              "# TYPE gateway_institution_certificates_expiring gauge",
              f'gateway_institution_certificates_expiring{{within_days="{within_days}"}} {expiring}']
    return lines


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
