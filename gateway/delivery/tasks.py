"""Delivery tasks: one attempt per call, leased so that two workers never send at once.

An attempt is three steps: lease the delivery (a short transaction that also resolves the
institution's callback URL as it is now), POST with no transaction open, then record the outcome
and the attempt in one transaction. A dead letter is logged at WARNING once it is committed.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import or_, select, update

from gateway.delivery.service import (
    DEAD, DELIVERED, FAILED, PENDING, Sent, body_of, dead_letter_of, dead_letter_unsent, describe, log_dead_letter,
    record_attempt, record_late_attempt, why_unsendable,
)
from gateway.persistence.db import lock_for_update, transaction
from gateway.persistence.models import Delivery, Institution
from gateway.persistence.types import utcnow
from gateway.tasks.leases import MESSAGE_LIFETIME
from gateway.tasks.registry import periodic, task
from gateway.tasks.runners import fan_out
from signing.httpsig import sign_headers

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Leased:
    delivery_id: int
    url: str
    body: bytes
    application_no: str | None
    kind: str
    inbox_sequence: int | None
    media_type: str


@task("delivery.attempt")
def attempt_delivery(runtime: Runtime, delivery_id: int) -> None:
    """POST the signed document once; record success, schedule a retry, or dead-letter it."""
    leased = _lease(runtime, delivery_id)
    if leased is None:
        return  # delivered, dead, not yet due, or another worker holds it
    sent = _post(runtime, leased)
    dead = None
    with transaction(runtime.sessions) as session:
        delivery = session.scalar(lock_for_update(select(Delivery).where(Delivery.id == delivery_id), session))
        if delivery.status != PENDING:
            record_late_attempt(session, delivery, sent, at=utcnow())
            return
        outcome = record_attempt(session, delivery, runtime.settings, sent, at=utcnow())
        attempts = delivery.attempts
        if outcome == DEAD:
            dead = dead_letter_of(session, delivery)
    if outcome == FAILED:
        log.info("delivery %s failed (attempt %s): %s", delivery_id, attempts, sent.error)
    if dead is not None:
        log_dead_letter(dead)


def _lease(runtime: Runtime, delivery_id: int) -> _Leased | None:
    now = utcnow()
    lease = timedelta(seconds=runtime.settings.callback_timeout_seconds + 30)
    with transaction(runtime.sessions) as session:
        delivery = session.scalar(lock_for_update(select(Delivery).where(Delivery.id == delivery_id), session))
        if delivery is None:
            return None
        delivery.queued_until = None  # this message has arrived; the sweep may send the next one
        if delivery.status != PENDING or delivery.next_attempt_at > now:
            return None
        if delivery.lease_until is not None and delivery.lease_until > now:
            return None
        institution = session.get(Institution, delivery.institution_id)
        reason = why_unsendable(institution)
        if reason is not None:
            dead_letter_unsent(session, delivery, reason, at=now)
            dead = dead_letter_of(session, delivery)
        else:
            dead = None
            delivery.url = institution.callback_url  # the URL as it is now, not as it was when queued
            delivery.lease_until = now + lease
            described = describe(session, delivery)
            leased = _Leased(
                delivery.id, delivery.url, body_of(session, delivery), described.application_no,
                described.document_kind, described.inbox_sequence, described.media_type,
            )
    if dead is not None:
        log_dead_letter(dead)
        return None
    return leased


def _post(runtime: Runtime, leased: _Leased) -> Sent:
    """Send once; what came back (``error`` None on a 2xx answer)."""
    headers = {
        "Content-Type": leased.media_type,
        "X-Gateway-Delivery-Id": str(leased.delivery_id),
        "X-Gateway-Document-Kind": leased.kind,
    }
    if leased.inbox_sequence is not None:
        headers["X-Gateway-Inbox-Sequence"] = str(leased.inbox_sequence)
    if leased.application_no is not None:
        headers["X-Gateway-Application-No"] = leased.application_no
    started = time.monotonic()
    try:
        headers.update(sign_headers(
            method="POST", url=leased.url, headers=headers, body=leased.body,
            key_id=runtime.signer.key_id, private_key=runtime.signer.key,
            cover=[name for name in headers if name.lower() == "content-type" or name.lower().startswith("x-gateway-")],
        ))
        response = httpx.post(
            leased.url, content=leased.body, headers=headers,
            timeout=runtime.settings.callback_timeout_seconds,
        )
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # The error's name only: its message may quote the URL, or whatever the receiver sent.
        return Sent(leased.url, None, type(exc).__name__, _since(started))
    error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Sent(leased.url, response.status_code, error, _since(started))


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


@periodic("delivery.sweep")
def sweep_due_deliveries(runtime: Runtime) -> None:
    """Start an attempt for every pending delivery that is due, not leased, and has none on its way."""
    now = utcnow()
    with transaction(runtime.sessions) as session:
        ids = session.scalars(
            select(Delivery.id)
            .where(
                Delivery.status == PENDING,
                Delivery.next_attempt_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now),
                or_(Delivery.queued_until.is_(None), Delivery.queued_until <= now),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(200)
        ).all()
        if ids:
            session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(queued_until=now + MESSAGE_LIFETIME))
    unsent = fan_out(runtime.dispatcher.runner, "delivery.attempt", ids, expires=MESSAGE_LIFETIME)
    if unsent:
        with transaction(runtime.sessions) as session:
            session.execute(update(Delivery).where(Delivery.id.in_(unsent)).values(queued_until=None))


__all__ = ["attempt_delivery", "sweep_due_deliveries", "DELIVERED"]
