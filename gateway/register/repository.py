"""Reading the register: the RegisterView the pre-review rules see, and lookups by certificate."""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, exists, false, func, select
from sqlalchemy.orm import Session, joinedload

from bank_adapters.canonical import CanonicalApplication, IdType, RegistrationType
from gateway.department_records.facts import department_facts
from gateway.persistence.models import Application, Institution
from gateway.protection import blind_index
from gateway.register.combined import combined_group
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
# A mortgage filed after its group's ownership transfer is given by the buyers (转移 + 抵押 合并办理).
_OWNERS_TO_BE = frozenset({RegistrationType.MORTGAGE_FIRST, RegistrationType.MORTGAGE_FIRST_MAXIMUM})


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
    """What the register says about the application's unit, and what the authority already holds.

    Four statements whatever the application: the unit with its owners, the unit's mortgages
    (each marked when the application's certificate number is one of its registrations), the
    unit's encumbrances, and one row of counts (earlier pending applications, identities on file,
    an onboarded transferee); a fifth for a type whose rules read department records (deed-tax
    records for a transfer, filed contracts for a pre-notice); and for a linked application its
    group's members received so far (gateway.register.combined: a buyers' mortgage filed after its
    group's ownership transfer sees the transfer's buyers as the owners). The statements are built
    once per shape and reused.
    """
    unit_code = application.unit_code
    unit = session.scalars(_unit_statement(), {"unit_code": unit_code}).unique().one_or_none()
    mortgages, referenced = _mortgages_and_referenced(session, application)
    records = [_mortgage_record(m) for m in mortgages]
    # A certificate named by the application may belong to a mortgage whose latest number differs.
    # One of another unit is not looked at: the rules report it as not found on this unit.
    if referenced is not None and referenced.certificate_no != application.referenced_certificate_no:
        records.append(_referenced_alias(referenced, application.referenced_certificate_no))
    encumbrances = session.scalars(_encumbrances_statement(), {"unit_code": unit_code})
    facts = _facts(session, application, received_before, exclude_application_id)
    tax_records, filed_contracts = department_facts(session, application.registration_type, unit_code)
    combined = combined_group(session, application, exclude_application_id=exclude_application_id)
    owners = tuple(OwnerRecord(o.name, IdType(o.id_type), o.id_number, o.share) for o in unit.owners) if unit else ()
    if combined.transfer_mortgagee_code is not None and application.registration_type in _OWNERS_TO_BE:
        owners = combined.transfer_buyers  # the group's earlier transfer makes the buyers the owners first
    return RegisterView(
        unit=_unit_record(unit),
        owners=owners,
        mortgages=tuple(records),
        encumbrances=tuple(
            EncumbranceRecord(EncumbranceKind(e.kind), e.reference, e.active, e.registered_on,
                              e.holder_name, e.holder_id_number)
            for e in encumbrances
        ),
        held_materials=frozenset(_held_materials(application, unit, referenced, facts)),
        earlier_pending=facts.earlier_pending,
        tax_records=tax_records,
        filed_contracts=filed_contracts,
        combined=combined,
    )


def _referenced_alias(mortgage: RegisteredMortgage, certificate_no: str) -> MortgageRecord:
    return replace(_mortgage_record(mortgage), certificate_no=certificate_no)


def _unit_record(unit: PropertyUnit | None) -> UnitRecord | None:
    if unit is None:
        return None
    return UnitRecord(unit.unit_code, unit.location, UnitUse(unit.use), UnitState(unit.state), unit.needs_survey)


@dataclass(frozen=True)
class _Facts:
    earlier_pending: int
    identities_on_file: int  # how many of the mortgagors' distinct ID numbers
    transferee_onboarded: bool


def _mortgages_and_referenced(
    session: Session, application: CanonicalApplication
) -> tuple[list[RegisteredMortgage], RegisteredMortgage | None]:
    """The unit's mortgages by priority, and the one of them the application's certificate number names."""
    number = application.referenced_certificate_no
    parameters = {"unit_code": application.unit_code}
    if number:
        parameters["certificate_no"] = normalise_certificate_no(number)
    rows = session.execute(_mortgages_statement(bool(number)), parameters).all()
    referenced = next((mortgage for mortgage, is_named in rows if is_named), None)
    return [mortgage for mortgage, _ in rows], referenced


def _facts(session: Session, application: CanonicalApplication, received_before, exclude_id) -> _Facts:
    """The counts the view needs, in one statement of scalar subqueries."""
    link, transferee = application.link, application.transferee
    statement = _facts_statement(link is not None, received_before is not None, exclude_id is not None,
                                 transferee is not None)
    parameters = {
        "unit_code": application.unit_code, "id_number_indexes": sorted(_identity_indexes(application)),
        "group_id": link and link.group_id, "received_before": received_before, "exclude_id": exclude_id,
        "transferee_code": transferee and transferee.code,
    }
    row = session.execute(statement, parameters).one()
    return _Facts(earlier_pending=row[0], identities_on_file=row[1], transferee_onboarded=bool(row[2]))


@functools.cache
def _unit_statement():
    return select(PropertyUnit).options(joinedload(PropertyUnit.owners)).where(
        PropertyUnit.unit_code == bindparam("unit_code"))


@functools.cache
def _encumbrances_statement():
    return select(Encumbrance).where(Encumbrance.unit_code == bindparam("unit_code"))


@functools.cache
def _mortgages_statement(with_certificate_no: bool):
    named = exists().where(
        RegistrationEntry.mortgage_id == RegisteredMortgage.id,
        RegistrationEntry.certificate_no == bindparam("certificate_no"),
    ) if with_certificate_no else false()
    return (select(RegisteredMortgage, named).where(RegisteredMortgage.unit_code == bindparam("unit_code"))
            .order_by(RegisteredMortgage.priority, RegisteredMortgage.id))


@functools.cache
def _facts_statement(linked: bool, received_before: bool, excluded: bool, transferee: bool):
    pending = select(func.count()).select_from(Application).where(
        Application.unit_code == bindparam("unit_code"), Application.status.in_(OPEN_STATUSES))
    if linked:  # members of the same group are entered together
        pending = pending.where(Application.link_group.is_(None) | (Application.link_group != bindparam("group_id")))
    if received_before:
        pending = pending.where(Application.received_at < bindparam("received_before"))
    if excluded:
        pending = pending.where(Application.id != bindparam("exclude_id"))
    on_file = select(func.count()).select_from(IdentityOnFile).where(
        IdentityOnFile.id_number_index.in_(bindparam("id_number_indexes", expanding=True)))
    onboarded = exists().where(Institution.code == bindparam("transferee_code")) if transferee else false()
    return select(pending.scalar_subquery(), on_file.scalar_subquery(), onboarded)


def _identity_indexes(application: CanonicalApplication) -> set[str]:
    """The mortgagors' distinct ID numbers as identities_on_file keeps them: blind indexes."""
    return {blind_index(party.id_number) for party in application.mortgagors}


def _held_materials(application: CanonicalApplication, unit, referenced, facts: _Facts) -> set[str]:
    """Materials not asked for again: produced by the register, or supplied in earlier registrations."""
    held: set[str] = set()
    if unit is not None:
        held.add("TITLE_CERTIFICATE")  # the title is in the register itself
    if referenced is not None:
        held.update({"MORTGAGE_CERTIFICATE", "PRE_NOTICE_MORTGAGE_CERTIFICATE"})
    distinct_ids = _identity_indexes(application)
    if distinct_ids and facts.identities_on_file == len(distinct_ids):
        held.add("ID_DOCUMENT")  # every mortgagor's identity document came with an earlier registration
    if facts.transferee_onboarded:
        held.add("TRANSFEREE_ID")  # an onboarded institution's identity was checked at onboarding
    return held
