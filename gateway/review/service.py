"""Reviewer actions. Each decision is one transaction: state change, register, signed output."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gateway.actors import Actor
from gateway.applications import documents
from gateway.applications.records import record_transition, store_document
from gateway.applications.states import Action, Status
from gateway.delivery.service import schedule_delivery
from gateway.errors import InvalidRequest, NotClaimed, NotFound
from gateway.persistence.db import lock_for_update
from gateway.persistence.models import Application, SignedDocument, StaffUser
from gateway.registration.service import register_mortgage
from gateway.runtime import Runtime

QUEUE_STATUSES = (Status.QUEUED.value, Status.IN_REVIEW.value)


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


def queue_page(session: Session, *, limit: int, after: str | None) -> tuple[list[Application], str | None]:
    """Open applications, oldest deadline first; keyset pagination on (due_date, id)."""
    stmt = select(Application).where(Application.status.in_(QUEUE_STATUSES))
    if after:
        due, last_id = decode_cursor(after)
        stmt = stmt.where(
            or_(Application.due_date > due, and_(Application.due_date == due, Application.id > last_id))
        )
    rows = list(session.scalars(stmt.order_by(Application.due_date, Application.id).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].due_date, rows[-1].id)
    return rows, next_cursor


def load_for_update(session: Session, application_no: str) -> Application:
    application = session.scalar(
        lock_for_update(select(Application).where(Application.application_no == application_no), session)
    )
    if application is None:
        raise NotFound("no such application")
    return application


def claim(session: Session, *, application_no: str, reviewer: StaffUser, at: datetime) -> Application:
    """Take an application from the queue; only one reviewer holds it."""
    application = load_for_update(session, application_no)
    record_transition(session, application, Action.CLAIM, Actor.staff(reviewer.username), at=at)
    application.claimed_by_id = reviewer.id
    application.claimed_at = at
    return application


def release(session: Session, *, application_no: str, reviewer: StaffUser, at: datetime) -> Application:
    """Put a claimed application back in the queue."""
    application = load_for_update(session, application_no)
    _require_claim(application, reviewer)
    record_transition(session, application, Action.RELEASE, Actor.staff(reviewer.username), at=at)
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
        if self.action not in (Action.APPROVE, Action.REJECT, Action.REQUEST_SUPPLEMENT):
            raise InvalidRequest("decision must be approve, reject or request_supplement", code="review.bad_decision")
        if self.action == Action.REJECT and not (self.reason or "").strip():
            raise InvalidRequest("a rejection needs a reason", code="review.reason_required")
        if self.action == Action.REQUEST_SUPPLEMENT and not self.missing:
            raise InvalidRequest("say what is missing", code="review.missing_required")


def decide(
    runtime: Runtime, session: Session, *, application_no: str, reviewer: StaffUser, decision: Decision, at: datetime
) -> SignedDocument:
    """Record the decision, update the register on approval, sign the result and queue delivery."""
    application = load_for_update(session, application_no)
    _require_claim(application, reviewer)
    note = {"reason": decision.reason} if decision.reason else None
    if decision.missing:
        note = {**(note or {}), "missing": [vars(item) for item in decision.missing]}
    record_transition(session, application, decision.action, Actor.staff(reviewer.username), at=at, note=note)
    registration = None
    if decision.action == Action.APPROVE:
        mortgage = register_mortgage(session, runtime.settings, application, at=at)
        registration = documents.RegistrationFacts(
            mortgage.certificate_no, mortgage.unit_code, mortgage.priority, mortgage.registered_at
        )
    if decision.action != Action.REQUEST_SUPPLEMENT:
        application.decided_at = at
        application.decision_reason = decision.reason
    application.claimed_by_id = None
    facts = documents.ResultFacts(
        application_no=application.application_no,
        request_id=application.request_id,
        mortgagee_code=application.canonical["mortgagee"]["code"],
        request_sha256=application.request_sha256,
        decision=_DECISION_NAMES[decision.action],
        decided_at=at,
        registration=registration,
        reason=decision.reason,
        supplement=decision.missing,
    )
    kind = "supplement_request" if decision.action == Action.REQUEST_SUPPLEMENT else "result"
    document = store_document(session, application, kind, runtime.signer.sign(documents.build_result(facts, issued_at=at)))
    schedule_delivery(session, application, document, at=at)
    return document


_DECISION_NAMES = {
    Action.APPROVE: "APPROVED",
    Action.REJECT: "REJECTED",
    Action.REQUEST_SUPPLEMENT: "SUPPLEMENT_REQUESTED",
}


def _require_claim(application: Application, reviewer: StaffUser) -> None:
    if application.status == Status.IN_REVIEW and application.claimed_by_id != reviewer.id:
        raise NotClaimed("another reviewer holds this application")
