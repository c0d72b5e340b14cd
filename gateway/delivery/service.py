"""Scheduling deliveries and recording their outcome. The deliveries table is the truth.

Every attempt is kept in ``delivery_attempts``, written in the same transaction that records its
result on the delivery, so the history and the delivery never disagree. The URL is resolved when
an attempt starts, from the institution's callback URL at that moment: a corrected URL applies to
pending deliveries at their next attempt and to re-drives alike, and ``deliveries.url`` is the URL
of the latest attempt (or of the one under way).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.admin.actions import history, record
from gateway.errors import IllegalTransition, NotFound
from gateway.inbox.models import InboxEntry
from gateway.persistence.db import lock_for_update
from gateway.persistence.models import (
    AdminAction, Delivery, DeliveryAttempt, Institution, SignedDocument,
)
from gateway.persistence.types import utcnow
from gateway.settings import Settings
from gateway.tasks.leases import MESSAGE_LIFETIME
from gateway.tasks.registry import enqueue

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
FAILED = "failed"  # an attempt's outcome only: the delivery stays pending and is retried
MAX_ID = 2**63 - 1  # the largest id either database can hold; anything beyond is simply not there
ERROR_LIMIT = 500

log = logging.getLogger("gateway.delivery")


@dataclass(frozen=True)
class Sent:
    """What one POST to a callback URL came back with."""

    url: str
    status_code: int | None  # None: no HTTP answer (refused, timed out, TLS error, …)
    error: str | None  # None: a 2xx answer; else ``HTTP <status>`` or the network error's name
    duration_ms: int | None


@dataclass(frozen=True)
class DeadLetter:
    """What the dead-letter warning names: ids and codes, never personal data."""

    delivery_id: int
    application_no: str | None  # None: an entry about no application (a watch notice, a statement)
    document_kind: str
    institution_code: str
    attempts: int
    error: str


def schedule_entry_delivery(session: Session, entry: InboxEntry, *, at: datetime) -> Delivery | None:
    """Queue the inbox entry for the institution's callback URL, if it has one (else: pull only).
    Called by :mod:`gateway.inbox.service` once the entry is numbered."""
    institution = session.get(Institution, entry.institution_id)
    if not institution.callback_url:
        return None
    delivery = Delivery(
        institution_id=entry.institution_id,
        application_id=entry.application_id,
        document_id=entry.document_id,
        inbox_entry_id=entry.id,
        url=institution.callback_url,
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


def why_unsendable(institution: Institution) -> str | None:
    """Why nothing can be sent to the institution now (no callback URL), or None.

    A disabled institution still receives: disabling stops what it sends, while its open
    applications are still decided and their signed results are owed to it."""
    if not institution.callback_url:
        return "no callback URL"
    return None


def record_attempt(session: Session, delivery: Delivery, settings: Settings, sent: Sent, *, at: datetime) -> str:
    """Record one POST on the delivery and in its history; the attempt's outcome
    (``delivered``, ``failed`` — to be retried — or ``dead``)."""
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.lease_until = None
    delivery.url = sent.url
    if sent.error is None:
        delivery.status = outcome = DELIVERED
        delivery.delivered_at = at
        delivery.last_error = None
    else:
        delivery.last_error = sent.error[:ERROR_LIMIT]
        if delivery.attempts >= settings.callback_max_attempts:
            delivery.status = outcome = DEAD
        else:
            outcome = FAILED
            delivery.next_attempt_at = at + backoff(settings, delivery.attempts)
    _keep(session, delivery.id, sent, outcome, at=at)
    return outcome


def record_late_attempt(session: Session, delivery: Delivery, sent: Sent, *, at: datetime) -> None:
    """Keep a POST that ended after its lease ran out and the delivery was settled meanwhile:
    it did happen, but it changes nothing."""
    _keep(session, delivery.id, sent, DELIVERED if sent.error is None else FAILED, at=at)


def dead_letter_unsent(session: Session, delivery: Delivery, reason: str, *, at: datetime) -> None:
    """Dead-letter a due delivery that cannot be sent at all (see :func:`why_unsendable`), without a POST."""
    delivery.status = DEAD
    delivery.last_attempt_at = at
    delivery.lease_until = None
    delivery.last_error = reason
    _keep(session, delivery.id, Sent(delivery.url, None, reason, None), DEAD, at=at)


def _keep(session: Session, delivery_id: int, sent: Sent, outcome: str, *, at: datetime) -> None:
    session.add(DeliveryAttempt(
        delivery_id=delivery_id, at=at, url=sent.url[:500], outcome=outcome, status_code=sent.status_code,
        error=sent.error[:ERROR_LIMIT] if sent.error else None, duration_ms=sent.duration_ms,
    ))


def dead_letter_of(session: Session, delivery: Delivery) -> DeadLetter:
    institution = session.get(Institution, delivery.institution_id)
    described = describe(session, delivery)
    return DeadLetter(delivery.id, described.application_no, described.document_kind,
                      institution.code, delivery.attempts, delivery.last_error or "")


def log_dead_letter(dead: DeadLetter) -> None:
    """Tell the operator, once the dead letter is committed: what it is and how to re-drive it."""
    log.warning(
        "delivery %s dead-lettered after %s attempt(s): application %s, document %s, institution %s, "
        "last error %s; re-drive it once the receiver works (gateway deliveries redrive %s)",
        dead.delivery_id, dead.attempts, dead.application_no or "-", dead.document_kind, dead.institution_code,
        dead.error, dead.delivery_id,
    )


@dataclass(frozen=True)
class Described:
    """What a delivery carries, for the admin views, the log and the callback's headers."""

    application_no: str | None
    document_kind: str
    inbox_sequence: int | None  # None: queued before the inbox existed
    media_type: str


def describe(session: Session, delivery: Delivery) -> Described:
    application_no = delivery.application.application_no if delivery.application_id is not None else None
    if delivery.inbox_entry_id is not None:
        entry = session.get(InboxEntry, delivery.inbox_entry_id)
        return Described(application_no, entry.kind, entry.sequence, entry.media_type)
    return Described(application_no, delivery.document.kind, None, "application/xml")


def describe_all(session: Session, deliveries: list[Delivery]) -> dict[int, Described]:
    """Delivery id → what it carries, for a list of deliveries."""
    return {d.id: describe(session, d) for d in deliveries}


def body_of(session: Session, delivery: Delivery) -> bytes:
    """The exact signed bytes the delivery POSTs."""
    if delivery.inbox_entry_id is not None:
        entry = session.get(InboxEntry, delivery.inbox_entry_id)
        if entry.content is not None:
            return entry.content
        return session.get(SignedDocument, entry.document_id).content
    return delivery.document.content


def get_delivery(session: Session, delivery_id: int, *, for_update: bool = False) -> Delivery:
    """The delivery, or ``not_found`` (also for an id no database could hold)."""
    if not 0 < delivery_id <= MAX_ID:
        raise NotFound("no such delivery")
    statement = select(Delivery).where(Delivery.id == delivery_id)
    delivery = session.scalar(lock_for_update(statement, session) if for_update else statement)
    if delivery is None:
        raise NotFound("no such delivery")
    return delivery


def redrive(
    session: Session, delivery_id: int, *, actor: str, at: datetime, request_id: str | None = None
) -> Delivery:
    """Give a dead-lettered delivery a fresh set of tries, to the institution's callback URL as it
    is now. The attempt counter restarts; the attempts made so far stay in the history."""
    delivery = get_delivery(session, delivery_id, for_update=True)
    if delivery.status != DEAD:
        raise IllegalTransition(f"only a dead-lettered delivery can be re-driven; this one is {delivery.status}",
                                code="delivery.not_dead")
    institution = session.get(Institution, delivery.institution_id)
    if not institution.callback_url:
        raise IllegalTransition("the institution has no callback URL; set one before re-driving",
                                code="delivery.no_callback_url")
    previous_url, previous_attempts = delivery.url, delivery.attempts
    delivery.url = institution.callback_url
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = at
    delivery.lease_until = None
    delivery.queued_until = utcnow() + MESSAGE_LIFETIME
    record(session, actor=actor, action="delivery.redrive", subject_kind="delivery", subject=str(delivery.id),
           details={"institution": institution.code, "url": _without_secrets(delivery.url),
                    "url_changed": delivery.url != previous_url, "attempts_before": previous_attempts},
           request_id=request_id, at=at)
    session.flush()
    enqueue(session, "delivery.attempt", delivery.id)
    return delivery


def _without_secrets(url: str) -> str:
    """The URL without user info or query string, which some receivers use for a shared secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def list_deliveries(session: Session, *, status: str | None = None, limit: int = 100) -> list[Delivery]:
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Delivery.status == status)
    return list(session.scalars(stmt))


def attempts_of(session: Session, delivery_id: int) -> list[DeliveryAttempt]:
    """Every attempt of the delivery, oldest first, across re-drives."""
    return list(session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)
    ))


def redrives_of(session: Session, delivery_id: int) -> list[AdminAction]:
    """Who re-drove the delivery, and when, oldest first."""
    actions = history(session, subject_kind="delivery", subject=str(delivery_id))
    return [action for action in reversed(actions) if action.action == "delivery.redrive"]


def institution_codes(session: Session, deliveries: list[Delivery]) -> dict[int, str]:
    """Institution id → code, for showing a list of deliveries."""
    ids = {d.institution_id for d in deliveries}
    if not ids:
        return {}
    return dict(session.execute(select(Institution.id, Institution.code).where(Institution.id.in_(ids))).all())
