"""Department subscriptions to registration events.

Only a department subscribes (an institution with a department role: a ``department``, or a housing
fund centre that is also the fund-centre department); a bank is refused. The tax bureau is subscribed
from its creation (origin ``default``); any department may subscribe or stop itself. Ending keeps the
row, so the history of a subscription stays visible.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.departments.roles import department_role
from gateway.errors import GatewayError
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from gateway.registration_events.models import REGISTRATION_EVENTS, DepartmentSubscription

SUBSCRIBED_BY_DEFAULT = {"tax_bureau": (REGISTRATION_EVENTS,)}
TOPICS = (REGISTRATION_EVENTS,)


class NotADepartment(GatewayError):
    code = "subscription.not_department"
    title = "Only a department may subscribe to registration events"
    kind = "forbidden"


@dataclass(frozen=True)
class SubscriptionView:
    topic: str
    active: bool
    subscribed_at: datetime | None
    ended_at: datetime | None
    origin: str | None


def role_of(institution: Institution) -> str | None:
    """The institution's department role; None for a bank (and any institution without one)."""
    return None if institution.kind == "bank" else department_role(institution)


def require_department(institution: Institution) -> str:
    role = role_of(institution)
    if role is None:
        raise NotADepartment("this institution has no department role; registration events go to departments only")
    return role


def on_department_created(session: Session, institution) -> None:
    """Give a new department its default subscriptions (the tax bureau: registration events); idempotent."""
    for topic in SUBSCRIBED_BY_DEFAULT.get(role_of(institution) or "", ()):
        if _row(session, institution.id, topic) is None:
            session.add(DepartmentSubscription(institution_id=institution.id, topic=topic, origin="default",
                                               subscribed_at=utcnow()))
    session.flush()


def subscribers(session: Session, topic: str = REGISTRATION_EVENTS) -> list[int]:
    """Ids of the active departments subscribed to ``topic`` now, in id order."""
    return list(session.scalars(
        select(Institution.id).join(DepartmentSubscription, DepartmentSubscription.institution_id == Institution.id)
        .where(DepartmentSubscription.topic == topic, DepartmentSubscription.ended_at.is_(None),
               Institution.status == "active", Institution.kind != "bank",
               Institution.department_role.is_not(None))
        .order_by(Institution.id)
    ))


def subscriptions_of(session: Session, *, institution: Institution) -> list[SubscriptionView]:
    """The department's subscriptions, ended ones included."""
    require_department(institution)
    rows = session.scalars(select(DepartmentSubscription).where(DepartmentSubscription.institution_id == institution.id)
                           .order_by(DepartmentSubscription.id))
    return [view(row) for row in rows]


def subscribe(session: Session, *, institution: Institution, topic: str, at: datetime) -> tuple[SubscriptionView, bool]:
    """Start the subscription; returns it and whether it started now (an active one is returned as is)."""
    require_department(institution)
    row = _row(session, institution.id, topic)
    if row is not None and row.ended_at is None:
        return view(row), False
    if row is None:
        row = DepartmentSubscription(institution_id=institution.id, topic=topic, origin="department", subscribed_at=at)
        try:
            with session.begin_nested():  # a concurrent PUT of the same department may insert first
                session.add(row)
        except IntegrityError:
            return view(_row(session, institution.id, topic)), False
    else:  # ended earlier: subscribed again, by the department itself
        row.subscribed_at, row.ended_at, row.origin = at, None, "department"
    session.flush()
    return view(row), True


def unsubscribe(session: Session, *, institution: Institution, topic: str, at: datetime) -> SubscriptionView:
    """End the subscription (ending one already ended, or never started, changes nothing)."""
    require_department(institution)
    row = _row(session, institution.id, topic)
    if row is None:
        return SubscriptionView(topic, False, None, None, None)
    if row.ended_at is None:
        row.ended_at = at
    return view(row)


def view(row: DepartmentSubscription) -> SubscriptionView:
    return SubscriptionView(row.topic, row.ended_at is None, row.subscribed_at, row.ended_at, row.origin)


def _row(session: Session, institution_id: int, topic: str) -> DepartmentSubscription | None:
    return session.scalar(select(DepartmentSubscription).where(DepartmentSubscription.institution_id == institution_id,
                                                               DepartmentSubscription.topic == topic))
