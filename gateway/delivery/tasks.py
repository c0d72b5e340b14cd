"""Delivery tasks: one attempt per call, leased so that two workers never send at once."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import or_, select, update

from gateway.delivery.service import DELIVERED, PENDING, record_failure, record_success
from gateway.persistence.db import lock_for_update, transaction
from gateway.persistence.models import Application, Delivery
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
    application_no: str
    kind: str


@task("delivery.attempt")
def attempt_delivery(runtime: Runtime, delivery_id: int) -> None:
    """POST the signed document once; record success, schedule a retry, or dead-letter it."""
    leased = _lease(runtime, delivery_id)
    if leased is None:
        return  # delivered, dead, not yet due, or another worker holds it
    error = _post(runtime, leased)
    with transaction(runtime.sessions) as session:
        delivery = session.scalar(lock_for_update(select(Delivery).where(Delivery.id == delivery_id), session))
        if delivery.status != PENDING:
            return
        if error is None:
            record_success(delivery, at=utcnow())
        else:
            record_failure(delivery, runtime.settings, error, at=utcnow())
            log.info("delivery %s failed (attempt %s): %s", delivery_id, delivery.attempts, error)


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
        delivery.lease_until = now + lease
        application = session.get(Application, delivery.application_id)
        return _Leased(
            delivery.id, delivery.url, delivery.document.content,
            application.application_no, delivery.document.kind,
        )


def _post(runtime: Runtime, leased: _Leased) -> str | None:
    """Send; None on a 2xx answer, else a short description of what went wrong."""
    headers = {
        "Content-Type": "application/xml",
        "X-Gateway-Delivery-Id": str(leased.delivery_id),
        "X-Gateway-Application-No": leased.application_no,
        "X-Gateway-Document-Kind": leased.kind,
    }
    headers.update(sign_headers(
        method="POST", url=leased.url, headers=headers, body=leased.body,
        key_id=runtime.signer.key_id, private_key=runtime.signer.key,
    ))
    try:
        response = httpx.post(
            leased.url, content=leased.body, headers=headers,
            timeout=runtime.settings.callback_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


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
