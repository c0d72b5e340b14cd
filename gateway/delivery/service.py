"""Scheduling deliveries and recording their outcome. The deliveries table is the truth."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.errors import IllegalTransition, NotFound
from gateway.persistence.models import Application, Delivery, SignedDocument
from gateway.persistence.types import utcnow
from gateway.settings import Settings
from gateway.tasks.leases import MESSAGE_LIFETIME
from gateway.tasks.registry import enqueue

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


def schedule_delivery(
    session: Session, application: Application, document: SignedDocument, *, at: datetime
) -> Delivery | None:
    """Queue ``document`` for the institution's callback URL, if it has one (else: pull only)."""
    url = application.institution.callback_url
    if not url:
        return None
    delivery = Delivery(
        institution_id=application.institution_id,
        application_id=application.id,
        document_id=document.id,
        url=url,
        status=PENDING,
        attempts=0,
        next_attempt_at=at,
        queued_until=utcnow() + MESSAGE_LIFETIME,  # the outbox sends its attempt
    )
    session.add(delivery)
    session.flush()
    enqueue(session, "delivery.attempt", delivery.id)
    return delivery


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Capped exponential backoff after ``attempts`` failed tries (1 → base, 2 → 2×base, …)."""
    seconds = settings.callback_backoff_base_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.callback_backoff_cap_seconds))


def record_failure(delivery: Delivery, settings: Settings, error: str, *, at: datetime) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.lease_until = None
    delivery.last_error = error[:500]
    if delivery.attempts >= settings.callback_max_attempts:
        delivery.status = DEAD
    else:
        delivery.next_attempt_at = at + backoff(settings, delivery.attempts)


def record_success(delivery: Delivery, *, at: datetime) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.lease_until = None
    delivery.status = DELIVERED
    delivery.delivered_at = at
    delivery.last_error = None


def redrive(session: Session, delivery_id: int, *, at: datetime) -> Delivery:
    """Give a dead-lettered delivery a fresh set of tries."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("no such delivery")
    if delivery.status != DEAD:
        raise IllegalTransition("only a dead-lettered delivery can be re-driven")
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = at
    delivery.lease_until = None
    delivery.queued_until = utcnow() + MESSAGE_LIFETIME
    session.flush()
    enqueue(session, "delivery.attempt", delivery.id)
    return delivery


def list_deliveries(session: Session, *, status: str | None = None, limit: int = 100) -> list[Delivery]:
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Delivery.status == status)
    return list(session.scalars(stmt))
