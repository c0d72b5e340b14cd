"""Entering an approved registration in the register, in the caller's transaction.

A new mortgage takes the next priority (顺位) on its unit, a change amends the mortgage, a
transfer changes its mortgagee, a discharge ends it, a pre-notice conversion replaces the
pre-notice with a mortgage of the same priority. Every registration gets its own certificate
number. Priorities follow the time of receipt: an approved application waits (APPROVED) until
every application on its unit received earlier is decided, then is entered automatically.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank_adapters.canonical import CanonicalApplication, ChangeField, RegistrationType
from gateway.errors import GatewayError
from gateway.persistence.models import Application
from gateway.protection import blind_index
from gateway.register.models import IdentityOnFile, RegisteredMortgage, RegistrationEntry
from gateway.register.numbers import allocate_certificate_number
from gateway.register.repository import OPEN_STATUSES, mortgage_by_certificate
from gateway.registration_events import payloads as event_payloads, service as registration_events
from gateway.settings import Settings
from gateway.watch import events as watch_events, service as watch

NEW_MORTGAGE_KIND = {
    RegistrationType.MORTGAGE_FIRST: "GENERAL",
    RegistrationType.MORTGAGE_FIRST_MAXIMUM: "MAXIMUM",
    RegistrationType.CONSTRUCTION_MORTGAGE: "CONSTRUCTION",
    RegistrationType.PRE_NOTICE_MORTGAGE: "PRE_NOTICE",
}


class RegisterConflict(GatewayError):
    code = "register.conflict"
    title = "The register no longer allows this registration"
    kind = "conflict"


def enter_in_register(
    session: Session, settings: Settings, application: Application, canonical: CanonicalApplication, *, at: datetime
) -> RegistrationEntry:
    """Apply the registration; returns the entry with its new certificate number."""
    # The counter row lock serialises registrations, so the priority reads below are safe.
    certificate_no = allocate_certificate_number(session, settings, at=at)
    kind = canonical.registration_type
    if kind in NEW_MORTGAGE_KIND:
        mortgage, summary = _new_mortgage(session, application, canonical, certificate_no, at=at), None
    elif kind == RegistrationType.PRE_NOTICE_CONVERSION:
        mortgage, summary = _convert(session, application, canonical, certificate_no, at=at)
    else:
        mortgage = _referenced(session, canonical)
        summary = _amend(session, mortgage, canonical, certificate_no, at=at)
    entry = RegistrationEntry(
        mortgage_id=mortgage.id, application_id=application.id, registration_type=kind.value,
        certificate_no=certificate_no, registered_at=at, summary=summary,
    )
    session.add(entry)
    _record_identities(session, application, canonical)
    session.flush()
    _tell_watchers(session, kind, mortgage, summary, certificate_no, at=at)
    if kind in event_payloads.MORTGAGE_EVENT_TYPES:  # departments subscribed to registration events are told
        registration_events.record_registration(
            session, event_type=kind.value, unit_code=mortgage.unit_code, certificate_no=certificate_no,
            registered_at=at, application_no=application.application_no,
            details=event_payloads.mortgage_details(mortgage, canonical, summary))
    return entry


def _tell_watchers(session: Session, kind: RegistrationType, mortgage: RegisteredMortgage, summary: dict | None,
                   certificate_no: str, *, at: datetime) -> None:
    """Title watch: a new mortgage (or conversion) and a discharge are news to the unit's other watchers."""
    if kind in NEW_MORTGAGE_KIND or kind == RegistrationType.PRE_NOTICE_CONVERSION:
        event = watch_events.new_mortgage_event(mortgage, at=at, converted_from=(summary or {}).get("converted_from"))
    elif kind == RegistrationType.MORTGAGE_DISCHARGE:
        event = watch_events.discharge_event(mortgage, reference=certificate_no, registered_on=watch_events.local_day(at),
                                             registered_at=at, source=watch_events.Source.GATEWAY)
    else:
        return  # a change or transfer of a mortgage: not a watch event (docs/interface/watch.md)
    watch.record_event(session, event)


def earlier_open_applications(session: Session, application: Application) -> int:
    """Open applications on the same unit received earlier (outside the application's own group).

    A linked group takes its place in the order of receipt with its first member: otherwise an
    application received between two members would wait for the group while the group waits for it.
    """
    received = application.received_at
    if application.link_group:
        received = session.scalar(select(func.min(Application.received_at))
                                  .where(Application.link_group == application.link_group)) or received
    stmt = select(func.count(Application.id)).where(
        Application.unit_code == application.unit_code,
        Application.status.in_(OPEN_STATUSES),
        Application.received_at < received,
        Application.id != application.id,
    )
    if application.link_group:
        stmt = stmt.where(Application.link_group.is_(None) | (Application.link_group != application.link_group))
    return session.scalar(stmt) or 0


def _next_priority(session: Session, unit_code: str) -> int:
    highest = session.scalar(
        select(func.max(RegisteredMortgage.priority)).where(
            RegisteredMortgage.unit_code == unit_code, RegisteredMortgage.status == "IN_FORCE"
        )
    )
    return (highest or 0) + 1


def _new_mortgage(session, application, canonical: CanonicalApplication, certificate_no, *, at,
                  kind: str | None = None) -> RegisteredMortgage:
    mortgage = RegisteredMortgage(
        unit_code=canonical.unit_code, kind=kind or NEW_MORTGAGE_KIND[canonical.registration_type],
        priority=_next_priority(session, canonical.unit_code), status="IN_FORCE",
        mortgagee_code=canonical.mortgagee.code, mortgagee_name=canonical.mortgagee.name,
        application_id=application.id, certificate_no=certificate_no,
        secured_amount=canonical.secured_amount, maximum_claim_amount=canonical.maximum_claim_amount,
        currency=canonical.currency, debt_start=canonical.debt_start, debt_end=canonical.debt_end,
        claim_period_start=canonical.claim_period_start, claim_period_end=canonical.claim_period_end,
        mortgagor_id_numbers=[p.id_number for p in canonical.mortgagors],
        received_at=application.received_at, registered_at=at,
    )
    session.add(mortgage)
    session.flush()
    return mortgage


def _referenced(session: Session, canonical: CanonicalApplication) -> RegisteredMortgage:
    mortgage = mortgage_by_certificate(session, canonical.referenced_certificate_no or "")
    if mortgage is None or mortgage.status != "IN_FORCE":
        raise RegisterConflict("the referenced mortgage is not in force in the register")
    if mortgage.mortgagee_code != canonical.mortgagee.code:
        raise RegisterConflict("the referenced mortgage belongs to another mortgagee")
    return mortgage


def _convert(session, application, canonical, certificate_no, *, at) -> tuple[RegisteredMortgage, dict]:
    pre_notice = _referenced(session, canonical)
    if pre_notice.kind != "PRE_NOTICE":
        raise RegisterConflict("the referenced registration is not a mortgage pre-notice")
    pre_notice.status, pre_notice.ended_at = "CONVERTED", at
    session.flush()
    # The pre-notice becomes a general mortgage (抵押权首次登记, 细则第78条第2款).
    mortgage = _new_mortgage(session, application, canonical, certificate_no, at=at, kind="GENERAL")
    # The mortgage keeps the pre-notice's place: its priority and time of receipt.
    mortgage.priority, mortgage.received_at = pre_notice.priority, pre_notice.received_at
    return mortgage, {"converted_from": pre_notice.certificate_no}


def _amend(session, mortgage: RegisteredMortgage, canonical: CanonicalApplication, certificate_no, *, at) -> dict:
    kind = canonical.registration_type
    if kind == RegistrationType.MORTGAGE_DISCHARGE:
        mortgage.status, mortgage.ended_at = "DISCHARGED", at
        return {"discharged": canonical.discharge_reason.value if canonical.discharge_reason else None}
    if kind == RegistrationType.MORTGAGE_TRANSFER:
        summary = {"from": mortgage.mortgagee_code, "to": canonical.transferee.code}
        mortgage.mortgagee_code, mortgage.mortgagee_name = canonical.transferee.code, canonical.transferee.name
    elif kind == RegistrationType.MORTGAGE_CHANGE:
        summary = {"changes": [{"field": c.field.value, "new_value": c.new_value} for c in canonical.changes]}
        for change in canonical.changes:
            _apply_change(session, mortgage, change.field, change.new_value)
    else:
        raise RegisterConflict(f"{kind.value} cannot amend a mortgage")
    mortgage.certificate_no = certificate_no
    return summary


def _apply_change(session: Session, mortgage: RegisteredMortgage, field: ChangeField, value: str) -> None:
    if field == ChangeField.SECURED_AMOUNT:
        mortgage.secured_amount = Decimal(value)
    elif field == ChangeField.MAXIMUM_CLAIM_AMOUNT:
        mortgage.maximum_claim_amount = Decimal(value)
    elif field == ChangeField.DEBT_END:
        mortgage.debt_end = date.fromisoformat(value)
    elif field == ChangeField.CLAIM_PERIOD_END:
        mortgage.claim_period_end = date.fromisoformat(value)
    elif field == ChangeField.MORTGAGEE_NAME:
        mortgage.mortgagee_name = value
    elif field == ChangeField.PRIORITY:
        _move_priority(session, mortgage, int(value))
    # MORTGAGOR_NAME: the register's owners carry names; the mortgage records ID numbers only.


def _move_priority(session: Session, mortgage: RegisteredMortgage, target: int) -> None:
    """Move one in-force mortgage to ``target``; those in between shift by one."""
    in_force = [m for m in session.scalars(
        select(RegisteredMortgage).where(RegisteredMortgage.unit_code == mortgage.unit_code,
                                         RegisteredMortgage.status == "IN_FORCE").order_by(RegisteredMortgage.priority)
    )]
    if not 1 <= target <= len(in_force):
        raise RegisterConflict("the new priority is outside the unit's in-force mortgages")
    ordered = [m for m in in_force if m.id != mortgage.id]
    ordered.insert(target - 1, mortgage)
    # Park everything out of the unique range first: the index is checked row by row.
    for m in in_force:
        m.priority = -m.id
    session.flush()
    for position, m in enumerate(ordered, start=1):
        m.priority = position
    session.flush()


def _record_identities(session: Session, application: Application, canonical: CanonicalApplication) -> None:
    if not any(m.type_code == "ID_DOCUMENT" for m in canonical.materials):
        return
    for index in dict.fromkeys(blind_index(party.id_number) for party in canonical.mortgagors):
        if session.get(IdentityOnFile, index) is None:
            session.add(IdentityOnFile(id_number_index=index, application_id=application.id))
