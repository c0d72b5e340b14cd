"""Generating the certificate of a registration, exactly once, and changing certificate status."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.applications.canonical_json import from_json
from gateway.applications.deadline import local_date
from gateway.certificates.facts import CertificateFacts, format_amount, format_period
from gateway.certificates.models import IssuedCertificate
from gateway.certificates.render import render_certificate_pdf
from gateway.certificates.twin import build_certificate_xml
from gateway.errors import IllegalTransition, NotFound
from gateway.keys import load_seal
from gateway.persistence.models import Application
from gateway.register.models import RegisteredMortgage, RegistrationEntry
from gateway.register.repository import find_unit
from gateway.settings import Settings

RIGHT_OR_MATTER = {
    "GENERAL": "抵押权",
    "MAXIMUM": "抵押权（最高额抵押）",
    "CONSTRUCTION": "在建建筑物抵押权",
    "PRE_NOTICE": "预购商品房抵押权预告登记",
}
NOTE_BY_TYPE = {
    "MORTGAGE_CHANGE": "抵押权变更登记",
    "MORTGAGE_TRANSFER": "抵押权转移登记",
    "PRE_NOTICE_CONVERSION": "预告登记转为抵押权首次登记",
}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand
# Registrations that yield a certificate; a discharge ends one instead.
CERTIFYING = frozenset({"MORTGAGE_FIRST", "MORTGAGE_FIRST_MAXIMUM", "MORTGAGE_CHANGE", "MORTGAGE_TRANSFER",
                        "CONSTRUCTION_MORTGAGE", "PRE_NOTICE_MORTGAGE", "PRE_NOTICE_CONVERSION"})


def new_verification_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
        if session.scalar(select(IssuedCertificate.id).where(IssuedCertificate.verification_code == code)) is None:
            return code


def certificate_facts(session: Session, settings: Settings, entry: RegistrationEntry, code: str) -> CertificateFacts:
    """The printed fields, from the register entry and the application behind it."""
    mortgage: RegisteredMortgage = entry.mortgage
    application = session.get(Application, entry.application_id)
    canonical = from_json(application.canonical)
    unit = find_unit(session, mortgage.unit_code)
    other: list[tuple[str, str]] = []
    if mortgage.kind == "MAXIMUM":
        other.append(("最高债权额", format_amount(mortgage.maximum_claim_amount)))
        if mortgage.claim_period_start and mortgage.claim_period_end:
            other.append(("债权确定期间", format_period(mortgage.claim_period_start, mortgage.claim_period_end)))
    else:
        other.append(("被担保主债权数额", format_amount(mortgage.secured_amount)))
        if mortgage.debt_start and mortgage.debt_end:
            other.append(("债务履行期限", format_period(mortgage.debt_start, mortgage.debt_end)))
    other.append(("抵押顺位", f"第{mortgage.priority}顺位"))
    notes = [NOTE_BY_TYPE[entry.registration_type]] if entry.registration_type in NOTE_BY_TYPE else []
    notes.append(f"申请编号：{application.application_no}")
    return CertificateFacts(
        certificate_no=entry.certificate_no, right_or_matter=RIGHT_OR_MATTER[mortgage.kind],
        rights_holder=mortgage.mortgagee_name, obligors=tuple(p.name for p in canonical.mortgagors),
        location=unit.location if unit else "—", unit_code=mortgage.unit_code, other=tuple(other),
        notes="；".join(notes), authority=settings.authority_name,
        registered_on=local_date(entry.registered_at), verification_code=code,
        verify_url=f"{settings.public_base_url.rstrip('/')}/verify/{code}",
    )


@dataclass(frozen=True)
class SealedCertificate:
    """A certificate rendered and sealed (PDF and XML twin) but not yet stored."""

    facts: CertificateFacts
    pdf: bytes
    xml: bytes


def seal_certificate(session: Session, settings: Settings, entry: RegistrationEntry, *,
                     at: datetime) -> SealedCertificate:
    """Render and seal the certificate of ``entry``, signed at ``at``; only reads the register.

    This is most of a certificate's cost, so the task runs it before its write transaction.
    """
    seal = load_seal(settings)
    facts = certificate_facts(session, settings, entry, new_verification_code(session))
    pdf = seal.seal_pdf(render_certificate_pdf(facts), location=settings.authority_name,
                        timestamp_url=settings.timestamp_url, signed_at=at)
    xml = seal.sign_xml(build_certificate_xml(facts, pdf_sha256=hashlib.sha256(pdf).hexdigest()))
    return SealedCertificate(facts, pdf, xml)


def store_certificate(session: Session, entry: RegistrationEntry, sealed: SealedCertificate, *,
                      at: datetime) -> IssuedCertificate:
    """Store ``sealed`` as the certificate of ``entry`` and supersede earlier ones; an existing
    certificate of ``entry`` is returned unchanged (``sealed`` is then dropped)."""
    existing = session.scalar(select(IssuedCertificate).where(IssuedCertificate.registration_entry_id == entry.id))
    if existing is not None:
        return existing
    certificate = IssuedCertificate(
        registration_entry_id=entry.id, application_id=entry.application_id, certificate_no=entry.certificate_no,
        verification_code=sealed.facts.verification_code, pdf=sealed.pdf, xml=sealed.xml,
        pdf_sha256=hashlib.sha256(sealed.pdf).hexdigest(), xml_sha256=hashlib.sha256(sealed.xml).hexdigest(),
        status="IN_FORCE", generated_at=at,
    )
    _apply_later_registration(certificate, entry)
    session.add(certificate)
    _supersede_earlier(session, entry, certificate_no=entry.certificate_no, at=at)
    session.flush()
    return certificate


def _apply_later_registration(certificate: IssuedCertificate, entry: RegistrationEntry) -> None:
    """A certificate made late (its task delayed or re-driven by the sweep) after the mortgage was
    already changed, transferred or discharged is issued superseded or cancelled, as it would be
    had it been made on time: the later registration found no certificate to update then."""
    later = [e for e in entry.mortgage.entries if e.id > entry.id]
    if not later:
        return
    status = "CANCELLED" if later[0].registration_type == "MORTGAGE_DISCHARGE" else "SUPERSEDED"
    certificate.status, certificate.status_reference, certificate.status_changed_at = (
        status, later[0].certificate_no, later[0].registered_at)


def _earlier_certificates(session: Session, entry: RegistrationEntry) -> list[IssuedCertificate]:
    entries = [e.id for e in entry.mortgage.entries if e.id < entry.id]  # never a later registration's
    if entry.registration_type == "PRE_NOTICE_CONVERSION" and entry.summary:
        converted = session.scalar(select(RegisteredMortgage).join(RegistrationEntry).where(
            RegistrationEntry.certificate_no == entry.summary.get("converted_from")))
        entries += [e.id for e in converted.entries] if converted else []
    if not entries:
        return []
    return list(session.scalars(select(IssuedCertificate).where(
        IssuedCertificate.registration_entry_id.in_(entries), IssuedCertificate.status == "IN_FORCE")))


def _supersede_earlier(session: Session, entry: RegistrationEntry, *, certificate_no: str, at: datetime) -> None:
    for earlier in _earlier_certificates(session, entry):
        earlier.status, earlier.status_reference, earlier.status_changed_at = "SUPERSEDED", certificate_no, at


def cancel_for_discharge(session: Session, entry: RegistrationEntry, *, at: datetime) -> int:
    """A discharge (注销) cancels the mortgage's certificates; returns how many."""
    cancelled = _earlier_certificates(session, entry)
    for certificate in cancelled:
        certificate.status, certificate.status_reference, certificate.status_changed_at = (
            "CANCELLED", entry.certificate_no, at)
    return len(cancelled)


def revoke(session: Session, certificate_no: str, *, reason: str, at: datetime) -> IssuedCertificate:
    """An error corrected by the registration authority: the certificate is revoked, with reason."""
    certificate = session.scalar(select(IssuedCertificate).where(IssuedCertificate.certificate_no == certificate_no))
    if certificate is None:
        raise NotFound("no such certificate")
    if certificate.status == "REVOKED":
        raise IllegalTransition("the certificate is already revoked")
    certificate.status, certificate.revoke_reason, certificate.status_changed_at = "REVOKED", reason[:500], at
    return certificate
