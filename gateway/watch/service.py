"""Who watches a unit, the notices a register event makes, and explicit subscriptions.

An institution watches a unit while a mortgage of its own is in force there (the register's
``mortgagee_code`` is its code), or while it holds a subscription tied to an application of its own
on the unit that is not yet decided. Every register change calls :func:`record_event` in the
transaction that makes it; the notices are written there and then, for exactly the institutions
watching at that moment, and signed and published after the commit by the ``watch.publish`` task.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.applications.states import FINAL, Status
from gateway.errors import GatewayError, NotFound
from gateway.persistence.models import Application, Institution
from gateway.persistence.types import utcnow
from gateway.register.models import RegisteredMortgage
from gateway.tasks.registry import enqueue
from gateway.watch import tasks as _tasks  # noqa: F401 (registers watch.publish before anything enqueues it)
from gateway.watch.events import RegisterEvent
from gateway.watch.models import WatchNotice, WatchSubscription
from gateway.watch.notices import notice_id


class ApplicationUnknown(GatewayError):
    code = "watch.application_unknown"
    title = "No application of your institution has this number"
    kind = "not_found"


class UnitMismatch(GatewayError):
    code = "watch.unit_mismatch"
    title = "The application is not on this unit"


class ApplicationDecided(GatewayError):
    code = "watch.application_decided"
    title = "The application is already decided; a subscription needs one in progress"
    kind = "conflict"


# --- notices ---------------------------------------------------------------------------------------------

def record_event(session: Session, event: RegisterEvent) -> list[WatchNotice]:
    """Write one notice per institution watching ``event.unit_code`` now (never the one whose own
    registration it is), unless it already has one for this event; queue their signing and publishing."""
    key = event.key
    written = []
    for institution, reasons in _watchers(session, event).items():
        already = session.scalar(select(WatchNotice.id).where(WatchNotice.institution_id == institution.id,
                                                              WatchNotice.event_key == key))
        if already is not None:
            continue  # the same register fact again (an import run twice): told once
        notice = WatchNotice(
            notice_id=notice_id(institution.code, key), institution_id=institution.id, event_key=key,
            unit_code=event.unit_code, event_kind=event.kind.value, source=event.source.value,
            reference=event.reference, registered_on=event.registered_on, registered_at=event.registered_at,
            facts=event.facts, watched_by=reasons,
        )
        session.add(notice)
        session.flush()
        enqueue(session, "watch.publish", notice.id)
        written.append(notice)
    return written


def _watchers(session: Session, event: RegisterEvent) -> dict[Institution, list[dict]]:
    """Institutions watching the unit, each with why (its mortgages in force, its subscriptions)."""
    watchers: dict[Institution, list[dict]] = {}
    mortgages = session.execute(
        select(RegisteredMortgage, Institution)
        .join(Institution, Institution.code == RegisteredMortgage.mortgagee_code)
        .where(RegisteredMortgage.unit_code == event.unit_code, RegisteredMortgage.status == "IN_FORCE")
        .order_by(RegisteredMortgage.priority)
    ).all()
    for mortgage, institution in mortgages:
        if institution.code != event.actor_code:
            watchers.setdefault(institution, []).append(
                {"kind": "mortgage", "certificate_no": mortgage.certificate_no, "priority": mortgage.priority})
    for subscription, application, institution in _subscriptions_on(session, event.unit_code):
        if institution.code != event.actor_code:
            watchers.setdefault(institution, []).append(
                {"kind": "application", "application_no": application.application_no,
                 "subscription_id": subscription.id})
    return watchers


def _subscriptions_on(session: Session, unit_code: str):
    rows = session.execute(
        select(WatchSubscription, Application, Institution)
        .join(Application, Application.id == WatchSubscription.application_id)
        .join(Institution, Institution.id == WatchSubscription.institution_id)
        .where(WatchSubscription.unit_code == unit_code, WatchSubscription.ended_at.is_(None))
        .order_by(WatchSubscription.id)
    ).all()
    live = []
    for subscription, application, institution in rows:
        if _decided(application):
            _end(subscription, "decided", at=application.decided_at or utcnow())
        else:
            live.append((subscription, application, institution))
    return live


# --- subscriptions ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubscriptionView:
    id: int
    unit_code: str
    application_no: str
    active: bool
    created_at: datetime
    ended_at: datetime | None
    end_reason: str | None


def subscribe(session: Session, *, institution: Institution, unit_code: str, application_no: str,
              at: datetime) -> tuple[SubscriptionView, bool]:
    """Watch ``unit_code`` while the institution's application ``application_no`` on it is in progress.

    Returns the subscription and whether it is new (an active one for the application is returned as is)."""
    application = session.scalar(select(Application).where(Application.application_no == application_no))
    if application is None or application.institution_id != institution.id:
        raise ApplicationUnknown("no application of your institution has this number")  # another's: the same
    if application.unit_code != unit_code:
        raise UnitMismatch("the application is on another unit")
    if _decided(application):
        raise ApplicationDecided(f"the application is {application.status.lower()}")
    subscription = session.scalar(select(WatchSubscription).where(WatchSubscription.application_id == application.id))
    if subscription is not None and subscription.ended_at is None:
        return view(subscription, application), False
    if subscription is None:
        subscription = WatchSubscription(institution_id=institution.id, application_id=application.id,
                                         unit_code=unit_code, created_at=at)
        session.add(subscription)
    else:  # cancelled earlier, and the application is still in progress: watch again
        subscription.created_at, subscription.ended_at, subscription.end_reason = at, None, None
    session.flush()
    return view(subscription, application), True


def subscriptions_of(session: Session, *, institution: Institution) -> list[SubscriptionView]:
    rows = session.execute(
        select(WatchSubscription, Application).join(Application, Application.id == WatchSubscription.application_id)
        .where(WatchSubscription.institution_id == institution.id).order_by(WatchSubscription.id)
    ).all()
    return [view(subscription, application) for subscription, application in rows]


def cancel(session: Session, *, institution: Institution, subscription_id: int, at: datetime) -> SubscriptionView:
    """End a subscription (ending one already ended changes nothing)."""
    subscription = session.get(WatchSubscription, subscription_id)
    if subscription is None or subscription.institution_id != institution.id:
        raise NotFound("no such subscription")
    application = session.get(Application, subscription.application_id)
    if subscription.ended_at is None:
        if _decided(application):
            _end(subscription, "decided", at=application.decided_at or at)
        else:
            _end(subscription, "cancelled", at=at)
    return view(subscription, application)


def view(subscription: WatchSubscription, application: Application) -> SubscriptionView:
    """As the institution sees it; one whose application was decided has ended, even before a write noted it."""
    active = subscription.ended_at is None and not _decided(application)
    ended_at, reason = subscription.ended_at, subscription.end_reason
    if subscription.ended_at is None and not active:
        ended_at, reason = application.decided_at, "decided"
    return SubscriptionView(subscription.id, subscription.unit_code, application.application_no, active,
                            subscription.created_at, ended_at, reason)


def _decided(application: Application) -> bool:
    return Status(application.status) in FINAL


def _end(subscription: WatchSubscription, reason: str, *, at: datetime) -> None:
    subscription.ended_at, subscription.end_reason = at, reason
