"""Reading the register: the RegisterView the pre-review rules see, and lookups by certificate."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank_adapters.canonical import CanonicalApplication, IdType
from gateway.persistence.models import Application, Institution
from gateway.register.models import (
    Encumbrance,
    IdentityOnFile,
    PropertyUnit,
    RegisteredMortgage,
    RegistrationEntry,
)
from gateway.register.view import (
    EncumbranceKind,
    EncumbranceRecord,
    MortgageKind,
    MortgageRecord,
    MortgageStatus,
    OwnerRecord,
    RegisterView,
    UnitRecord,
    UnitState,
    UnitUse,
)

OPEN_STATUSES = ("QUEUED", "IN_REVIEW", "SUPPLEMENT_REQUESTED", "ANNOUNCING", "APPROVED")


def find_unit(session: Session, unit_code: str) -> PropertyUnit | None:
    return session.scalar(select(PropertyUnit).where(PropertyUnit.unit_code == unit_code))


def mortgages_on(session: Session, unit_code: str) -> list[RegisteredMortgage]:
    return list(session.scalars(
        select(RegisteredMortgage).where(RegisteredMortgage.unit_code == unit_code).order_by(RegisteredMortgage.priority)
    ))


def normalise_certificate_no(certificate_no: str) -> str:
    """Certificates printed before may use full-width brackets; the register writes ASCII ones."""
    return certificate_no.replace("（", "(").replace("）", ")").strip()


def mortgage_by_certificate(session: Session, certificate_no: str) -> RegisteredMortgage | None:
    """The mortgage a certificate number was issued for (any of its registrations)."""
    return session.scalar(
        select(RegisteredMortgage).join(RegistrationEntry)
        .where(RegistrationEntry.certificate_no == normalise_certificate_no(certificate_no))
    )


def _mortgage_record(mortgage: RegisteredMortgage) -> MortgageRecord:
    return MortgageRecord(
        certificate_no=mortgage.certificate_no, mortgagee_code=mortgage.mortgagee_code,
        kind=MortgageKind(mortgage.kind), priority=mortgage.priority, status=MortgageStatus(mortgage.status),
        received_at=mortgage.received_at, secured_amount=mortgage.secured_amount,
        maximum_claim_amount=mortgage.maximum_claim_amount, debt_start=mortgage.debt_start,
        debt_end=mortgage.debt_end, claim_period_start=mortgage.claim_period_start,
        claim_period_end=mortgage.claim_period_end, mortgagor_id_numbers=tuple(mortgage.mortgagor_id_numbers or ()),
    )


def register_view(
    session: Session, application: CanonicalApplication, *, received_before=None, exclude_application_id=None
) -> RegisterView:
    """What the register says about the application's unit, and what the authority already holds."""
    unit = find_unit(session, application.unit_code)
    mortgages = mortgages_on(session, application.unit_code)
    records = [_mortgage_record(m) for m in mortgages]
    # A certificate named by the application may belong to a mortgage whose latest number differs.
    referenced = mortgage_by_certificate(session, application.referenced_certificate_no or "")
    if referenced is not None and referenced.unit_code != application.unit_code:
        referenced = None  # a certificate of another unit: the rules report it as not found on this unit
    if referenced is not None and referenced.certificate_no != application.referenced_certificate_no:
        records.append(_referenced_alias(referenced, application.referenced_certificate_no))
    encumbrances = session.scalars(select(Encumbrance).where(Encumbrance.unit_code == application.unit_code))
    return RegisterView(
        unit=_unit_record(unit),
        owners=tuple(OwnerRecord(o.name, IdType(o.id_type), o.id_number, o.share) for o in unit.owners) if unit else (),
        mortgages=tuple(records),
        encumbrances=tuple(
            EncumbranceRecord(EncumbranceKind(e.kind), e.reference, e.active, e.registered_on,
                              e.holder_name, e.holder_id_number)
            for e in encumbrances
        ),
        held_materials=frozenset(_held_materials(session, application, referenced)),
        earlier_pending=_earlier_pending(session, application, received_before, exclude_application_id),
    )


def _referenced_alias(mortgage: RegisteredMortgage, certificate_no: str) -> MortgageRecord:
    record = _mortgage_record(mortgage)
    from dataclasses import replace

    return replace(record, certificate_no=certificate_no)


def _unit_record(unit: PropertyUnit | None) -> UnitRecord | None:
    if unit is None:
        return None
    return UnitRecord(unit.unit_code, unit.location, UnitUse(unit.use), UnitState(unit.state), unit.needs_survey)


def _held_materials(session: Session, application: CanonicalApplication, referenced) -> set[str]:
    """Materials not asked for again: produced by the register, or supplied in earlier registrations."""
    held: set[str] = set()
    if find_unit(session, application.unit_code) is not None:
        held.add("TITLE_CERTIFICATE")  # the title is in the register itself
    if referenced is not None:
        held.update({"MORTGAGE_CERTIFICATE", "PRE_NOTICE_MORTGAGE_CERTIFICATE"})
    if application.mortgagors and all(_identity_on_file(session, p.id_number) for p in application.mortgagors):
        held.add("ID_DOCUMENT")
    if application.transferee is not None and session.scalar(
        select(Institution.id).where(Institution.code == application.transferee.code)
    ):
        held.add("TRANSFEREE_ID")  # an onboarded institution's identity was checked at onboarding
    return held


def _identity_on_file(session: Session, id_number: str) -> bool:
    """Whether this person's identity document came with an earlier, registered application."""
    return session.get(IdentityOnFile, id_number) is not None


def _earlier_pending(session: Session, application: CanonicalApplication, received_before, exclude_id) -> int:
    stmt = select(Application.id).where(
        Application.unit_code == application.unit_code, Application.status.in_(OPEN_STATUSES)
    )
    if application.link is not None:  # members of the same group are entered together
        stmt = stmt.where(Application.link_group.is_(None) | (Application.link_group != application.link.group_id))
    if received_before is not None:
        stmt = stmt.where(Application.received_at < received_before)
    if exclude_id is not None:
        stmt = stmt.where(Application.id != exclude_id)
    return len(session.scalars(stmt).all())
