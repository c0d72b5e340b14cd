"""Reviewer actions. Each decision is one transaction: state change, register, signed output."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, bindparam, func, select, tuple_
from sqlalchemy.orm import Session, defer, selectinload

from gateway.actors import Actor
from gateway.applications import documents
from gateway.applications.lifecycle import transition
from gateway.applications.transfers import require_confirmation
from gateway.applications.outcomes import after_rejection, group_members, issue_notice, register_when_ready
from gateway.applications.deadline import extend_deadline, load_calendar
from gateway.applications.states import FINAL, QUEUE_STATUSES, Action, Status
from gateway.department_records.checks import require_tax_record
from gateway.errors import Forbidden, GatewayError, IllegalTransition, InvalidRequest, NotClaimed, NotFound
from gateway.persistence.db import lock_for_update
from gateway.persistence.models import Application, ApplicationExtension, SignedDocument, StaffUser
from gateway.register.service import RegisterConflict, earlier_open_applications
from gateway.runtime import Runtime
from gateway.staff.service import Role
from gateway.timezone import LOCAL_TZ


def in_queue() -> ColumnElement[bool]:
    """``status IN QUEUE_STATUSES``, the statuses written into the SQL as literals: the planner uses
    the partial index ix_applications_open_queue only if it can see that this condition implies the
    index's own (with bound parameters PostgreSQL's generic plans, and SQLite, cannot)."""
    return Application.status.in_(bindparam("queue_statuses", QUEUE_STATUSES, expanding=True, literal_execute=True))


def encode_cursor(due_date: date, application_id: int) -> str:
    raw = json.dumps([due_date.isoformat(), application_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, application_id = json.loads(raw)
        return date.fromisoformat(due), int(application_id)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InvalidRequest("the cursor is not valid", code="request.bad_cursor") from None


def after_cursor(stmt: Select, after: str | None) -> Select:
    """Rows after the cursor in (due_date, id) order, as one row-value comparison: an index on
    (due_date, id) answers it with a single range scan, however deep the page."""
    if not after:
        return stmt
    due, last_id = decode_cursor(after)
    return stmt.where(tuple_(Application.due_date, Application.id) > (due, last_id))


def keyset_page(session: Session, stmt: Select, *, limit: int) -> tuple[list[Application], str | None]:
    """Up to ``limit`` applications of ``stmt`` in (due_date, id) order, and the next page's cursor."""
    rows = list(session.scalars(stmt.order_by(Application.due_date, Application.id).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].due_date, rows[-1].id)


def queue_page(session: Session, *, limit: int, after: str | None) -> tuple[list[Application], str | None]:
    """Open applications, oldest deadline first; keyset pagination on (due_date, id).

    A queue entry needs the institution but not the application's JSON documents: those are
    left unloaded (and raise if touched) rather than parsed for every row of every page."""
    stmt = select(Application).where(in_queue()).options(
        selectinload(Application.institution),
        defer(Application.canonical, raiseload=True), defer(Application.signature, raiseload=True),
        defer(Application.findings, raiseload=True),
    )
    return keyset_page(session, after_cursor(stmt, after), limit=limit)


def load_for_update(session: Session, application_no: str) -> Application:
    """The application, locked; a linked group is locked whole, in id order, to avoid deadlocks."""
    application = session.scalar(select(Application).where(Application.application_no == application_no))
    if application is None:
        raise NotFound("no such application")
    if application.link_group:
        group_members(session, application, lock=True)
    else:
        session.scalar(lock_for_update(select(Application).where(Application.id == application.id), session))
    session.refresh(application)
    return application


def claim(session: Session, settings, *, application_no: str, reviewer: StaffUser, at: datetime) -> Application:
    """Take an application from the queue; only one reviewer holds it."""
    application = load_for_update(session, application_no)
    transition(session, settings, application, Action.CLAIM, Actor.staff(reviewer.username), at=at)
    application.claimed_by_id = reviewer.id
    application.claimed_at = at
    return application


def release(session: Session, settings, *, application_no: str, reviewer: StaffUser, at: datetime) -> Application:
    """Put a claimed application back in the queue."""
    application = load_for_update(session, application_no)
    _require_claim(application, reviewer)
    transition(session, settings, application, Action.RELEASE, Actor.staff(reviewer.username), at=at)
    application.claimed_by_id = None
    application.claimed_at = None
    return application


@dataclass(frozen=True)
class Decision:
    """approve | reject (with reason) | request_supplement (with what is missing)."""

    action: Action
    reason: str | None = None
    missing: tuple[documents.SupplementItem, ...] = ()

    def __post_init__(self):
        if self.reason is not None and not self.reason.strip():
            object.__setattr__(self, "reason", None)  # a blank reason is no reason: no empty Reason element
        if self.action not in (Action.APPROVE, Action.REJECT, Action.REQUEST_SUPPLEMENT):
            raise InvalidRequest("decision must be approve, reject or request_supplement", code="review.bad_decision")
        if self.action == Action.REJECT and not (self.reason or "").strip():
            raise InvalidRequest("a rejection needs a reason", code="review.reason_required")
        if self.action == Action.REQUEST_SUPPLEMENT and not self.missing:
            raise InvalidRequest("say what is missing", code="review.missing_required")


def supplement_respond_by(session: Session, settings, *, at: datetime) -> date:
    """The day by which a supplement requested at ``at`` is to arrive: the setting's working days after
    the (local) day of the request, on the centre's calendar."""
    calendar = load_calendar(session)
    return calendar.add_working_days(at.astimezone(LOCAL_TZ).date(), settings.supplement_response_working_days).due


def decide(
    runtime: Runtime, session: Session, *, application_no: str, reviewer: StaffUser, decision: Decision, at: datetime
) -> SignedDocument:
    """Record the decision; on approval enter the register (with its linked group, once complete)."""
    application = load_for_update(session, application_no)
    _require_claim(application, reviewer)
    if decision.action == Action.APPROVE:
        require_confirmation(session, application)
        _require_earlier_decided(session, application)
        require_tax_record(session, application)  # a transfer's deed-tax record, checked again
    note = {"reason": decision.reason} if decision.reason else None
    if decision.missing:
        note = {**(note or {}), "missing": [vars(item) for item in decision.missing]}
    respond_by = None
    if decision.action == Action.REQUEST_SUPPLEMENT:
        respond_by = supplement_respond_by(session, runtime.settings, at=at)
        note = {**(note or {}), "respond_by": respond_by.isoformat()}
    actor = Actor.staff(reviewer.username)
    transition(session, runtime.settings, application, decision.action, actor, at=at, note=note)
    # The reason of the decision standing now: it goes into the signed document (an approval's
    # result may be issued later, see issue_notice) and is shown in the status and on the pages.
    application.claimed_by_id, application.decision_reason = None, decision.reason
    if decision.action == Action.REQUEST_SUPPLEMENT:
        return issue_notice(session, runtime, application, decision="SUPPLEMENT_REQUESTED", at=at,
                            reason=decision.reason, supplement=decision.missing, supplement_respond_by=respond_by)
    if decision.action == Action.REJECT:
        application.decided_at = at
        document = issue_notice(session, runtime, application, decision="REJECTED", at=at, reason=decision.reason)
        after_rejection(session, runtime, application, at=at)
        return document
    notices = register_when_ready(session, runtime, application, at=at)
    own = [n for n in notices if n.application_id == application.id]
    return own[0] if own else None


# Registrations acting on what the register already holds: an earlier application on the unit may
# change or end that mortgage (or pre-notice), so they are approved only once it is decided.
_ACTING_ON_REGISTER = frozenset({"MORTGAGE_CHANGE", "MORTGAGE_TRANSFER", "MORTGAGE_DISCHARGE", "PRE_NOTICE_CONVERSION"})


def _require_earlier_decided(session: Session, application: Application) -> None:
    """An approval that would wait behind an earlier application and might then no longer fit the
    register is refused: once approved it could neither be entered nor rejected, and entering the
    earlier one would fail on it."""
    if application.registration_type in _ACTING_ON_REGISTER and earlier_open_applications(session, application):
        raise RegisterConflict("an application on this unit received earlier is still open; decide it first")


def _require_claim(application: Application, reviewer: StaffUser) -> None:
    if application.status == Status.IN_REVIEW and application.claimed_by_id != reviewer.id:
        raise NotClaimed("another reviewer holds this application")


def announcement(
    session: Session, settings, *, application_no: str, reviewer: StaffUser, start: bool, reason: str, at: datetime
) -> Application:
    """Start an announcement (公告; the clock stops) or end it (back to the queue, the clock restarts)."""
    application = load_for_update(session, application_no)
    if start:
        _require_claim(application, reviewer)
    action = Action.START_ANNOUNCEMENT if start else Action.END_ANNOUNCEMENT
    transition(session, settings, application, action, Actor.staff(reviewer.username), at=at, note={"reason": reason})
    application.claimed_by_id = None
    return application


class NotClaimHolder(Forbidden):
    code = "review.extension_not_claim_holder"
    title = "Only the reviewer holding the claim, or a supervisor, may extend the deadline"


class ExtensionLimit(GatewayError):
    code = "review.extension_limit"
    title = "The extensions would exceed the maximum per application"
    kind = "conflict"


def extend(
    session: Session, settings, *, application_no: str, staff: StaffUser, working_days: int, reason: str,
    at: datetime,
) -> Application:
    """Extend the deadline of an open application by working days, with a recorded reason.

    The reviewer holding the claim decides whether the case needs the time; a supervisor may extend
    any open application. All extensions together (pre-review's complex-case one included) stay
    within ``settings.max_extension_working_days``."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("an extension needs a reason", code="review.reason_required")
    application = load_for_update(session, application_no)
    if Status(application.status) in FINAL:
        raise IllegalTransition("a decided application has no deadline to extend")
    if staff.role != Role.SUPERVISOR and not (application.status == Status.IN_REVIEW
                                              and application.claimed_by_id == staff.id):
        raise NotClaimHolder("claim the application first, or ask a supervisor")
    granted = session.scalar(select(func.coalesce(func.sum(ApplicationExtension.working_days), 0))
                             .where(ApplicationExtension.application_id == application.id))
    remaining = max(settings.max_extension_working_days - granted, 0)
    if working_days > remaining:
        raise ExtensionLimit(
            f"{granted} working days are already granted; at most {remaining} more",
            extra={"maximum_working_days": settings.max_extension_working_days, "granted_working_days": granted,
                   "remaining_working_days": remaining})
    extend_deadline(session, settings, application, working_days=working_days, reason=reason,
                    actor=staff.username, at=at)
    return application
