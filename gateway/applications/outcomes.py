"""Signed notices to the institution, and entering approved applications in the register.

Linked applications (e.g. a 组合贷's two mortgages, or a discharge and a new mortgage) are
entered all-or-nothing: nothing is registered until every member is approved, then all are
registered in one transaction in position order; if one is refused, all are. Just before a group
with an ownership transfer is entered, the transfer's deed-tax record is checked again; a transfer
whose record no longer fits goes back to the reviewers' queue and the group waits.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.actors import Actor
from gateway.applications import documents
from gateway.applications.canonical_json import from_json
from gateway.applications.lifecycle import transition
from gateway.applications.records import store_document
from gateway.applications.states import FINAL, Action, Status
from gateway.inbox.service import publish
from gateway.outputs import output_format_of, sign_output
from gateway.persistence.db import lock_for_update
from gateway.persistence.models import Application, SignedDocument
from gateway.register.models import RegisteredMortgage
from gateway.certificates.service import CERTIFYING, cancel_for_discharge
from gateway.persistence.counters import next_value
from gateway.tasks.registry import enqueue
from gateway.register.service import earlier_open_applications, enter_in_register
from gateway.register.combined_registration import OWNERSHIP_TRANSFER, check_combined_group, transfer_facts
from gateway.register.ownership import enter_transfer
from gateway.department_records.checks import require_tax_record
from gateway.department_records.errors import TaxRecordMismatch, TaxRecordMissing

REGISTRAR = Actor.system("register")


def issue_notice(
    session: Session, runtime, application: Application, *, decision: str, at: datetime,
    registration: documents.RegistrationFacts | None = None, reason: str | None = None,
    supplement: tuple[documents.SupplementItem, ...] = (), certificate: documents.CertificateFiles | None = None,
    supplement_respond_by: date | None = None,
) -> SignedDocument:
    """Sign a result (or supplement request), keep it as evidence and queue its delivery.

    An approval's result is often issued later than the decision (after the whole group is approved,
    or once the certificate is made): its ``Reason`` is the one the reviewer recorded on the application."""
    if decision == "APPROVED" and reason is None:
        reason = application.decision_reason
    facts = documents.ResultFacts(
        application_no=application.application_no, request_id=application.request_id,
        mortgagee_code=application.canonical["mortgagee"]["code"], request_sha256=application.request_sha256,
        decision=decision, decided_at=at, registration=registration, reason=reason, supplement=supplement,
        certificate=certificate, supplement_respond_by=supplement_respond_by,
    )
    kind = "supplement_request" if decision == "SUPPLEMENT_REQUESTED" else "result"
    signed, media_type = sign_output(runtime, documents.build_result(facts, issued_at=at), fmt=output_format_of(application))
    document = store_document(session, application, kind, signed, media_type=media_type)
    publish(session, institution_id=application.institution_id, kind=kind, content=signed, media_type=media_type,
            application_id=application.id, document=document, deliver=True, at=at)
    return document


def group_members(session: Session, application: Application, *, lock: bool = False) -> list[Application]:
    """The application's linked group in position order (just itself when not linked)."""
    if not application.link_group:
        return [application]
    stmt = select(Application).where(Application.link_group == application.link_group).order_by(Application.id)
    members = list(session.scalars(lock_for_update(stmt, session) if lock else stmt))
    return sorted(members, key=lambda m: m.link_position or 0)


def lock_units(session: Session, unit_codes: set[str]) -> None:
    """Serialise registration decisions per unit (a counter row per unit serves as the lock)."""
    for unit_code in sorted(unit_codes):
        next_value(session, f"unit-lock:{unit_code}")


def register_when_ready(session: Session, runtime, application: Application, *, at: datetime) -> list[SignedDocument]:
    """Enter the approved application — with its whole group, once every member is approved —
    as soon as every earlier application on the same units is decided; then anything waiting behind it."""
    members = group_members(session, application)
    units = {m.unit_code for m in members}
    lock_units(session, units)
    notices = _register_group(session, runtime, members, at=at)
    return notices + register_waiting(session, runtime, units, at=at)


def _register_group(session: Session, runtime, members: list[Application], *, at: datetime) -> list[SignedDocument]:
    first = members[0]
    if first.link_group and len(members) < (first.link_size or 0):
        return []
    for member in members:
        session.refresh(member)
    if any(m.status != Status.APPROVED for m in members):
        return []
    if any(earlier_open_applications(session, m) for m in members):
        return []  # 顺位 follows the time of receipt: wait for the earlier ones
    check_combined_group(members)
    if not _tax_records_still_fit(session, runtime, members, at=at):
        return []  # a transfer went back to the reviewers: the group waits for it again
    notices = []
    for member in members:
        transition(session, runtime.settings, member, Action.REGISTER, REGISTRAR, at=at)
        if member.registration_type == OWNERSHIP_TRANSFER:  # 转移 + 抵押 合并办理: owners, not a mortgage
            member.decided_at = at
            transfer = enter_transfer(session, runtime.settings, member, from_json(member.canonical), at=at)
            notices.append(issue_notice(session, runtime, member, decision="APPROVED", at=at,
                                        registration=transfer_facts(transfer)))
            continue
        entry = enter_in_register(session, runtime.settings, member, from_json(member.canonical), at=at)
        member.decided_at = at
        if member.registration_type in CERTIFYING:
            # The certificate is made in the background; its task then sends the signed result.
            enqueue(session, "certificates.generate", entry.id)
            continue
        cancel_for_discharge(session, entry, at=at)
        notices.append(issue_notice(session, runtime, member, decision="APPROVED", at=at,
                                    registration=registration_facts(session, entry)))
    return notices


def _tax_records_still_fit(session: Session, runtime, members: list[Application], *, at: datetime) -> bool:
    """The deed-tax record of each ownership transfer in the group, checked once more just before the
    group is entered (the check at its approval; docs/interface/departments.md §8): a transfer whose
    record has since gone missing or become conflicting goes back to the reviewers' queue, and the
    group registers only once it is approved again — or is rejected, with the whole group."""
    fit = True
    for member in (m for m in members if m.registration_type == OWNERSHIP_TRANSFER):
        try:
            require_tax_record(session, member)
        except (TaxRecordMissing, TaxRecordMismatch) as refusal:
            transition(session, runtime.settings, member, Action.RETURN_TO_REVIEW, REGISTRAR, at=at,
                       note={"reason": _RETURNED_REASON, "code": refusal.code, "finding": refusal.extra.get("finding")})
            member.claimed_by_id = None
            fit = False
    return fit


_RETURNED_REASON = "登簿前复核：税务机关推送的契税信息已缺失或与申请不符，退回审核；待税务机关更正后重新审核通过，或不予登记"


def registration_facts(session: Session, entry) -> documents.RegistrationFacts:
    mortgage = session.get(RegisteredMortgage, entry.mortgage_id)
    return documents.RegistrationFacts(entry.certificate_no, mortgage.unit_code, mortgage.priority, entry.registered_at)


def register_waiting(session: Session, runtime, unit_codes: set[str], *, at: datetime) -> list[SignedDocument]:
    """Enter approved applications on these units whose earlier applications are now decided."""
    notices: list[SignedDocument] = []
    progressed = True
    while progressed:
        progressed = False
        waiting = session.scalars(
            select(Application).where(Application.unit_code.in_(unit_codes), Application.status == Status.APPROVED)
            .order_by(Application.received_at, Application.id)
        ).all()
        for application in waiting:
            entered = _register_group(session, runtime, group_members(session, application), at=at)
            if entered:
                notices += entered
                progressed = True
                break
    return notices


def reject_linked(session: Session, runtime, application: Application, *, at: datetime) -> None:
    """All-or-nothing: when one member is refused, every other open member is refused too."""
    reason = f"关联申请（组号 {application.link_group}）中的申请 {application.application_no} 不予登记，本组申请均不予登记"
    for member in group_members(session, application):
        if member.id == application.id or Status(member.status) in FINAL:
            continue
        transition(session, runtime.settings, member, Action.LINKED_REJECTION, REGISTRAR, at=at,
                   note={"reason": reason})
        member.decided_at, member.decision_reason, member.claimed_by_id = at, reason, None
        issue_notice(session, runtime, member, decision="REJECTED", at=at, reason=reason)


def after_rejection(session: Session, runtime, application: Application, *, at: datetime) -> None:
    """A refused application no longer holds back later ones on its unit (nor does its group)."""
    reject_linked(session, runtime, application, at=at)
    units = {m.unit_code for m in group_members(session, application)}
    lock_units(session, units)
    register_waiting(session, runtime, units, at=at)
