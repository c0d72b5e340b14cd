"""Signing registration events and putting them in each subscribed department's inbox (and on its
callback), after commit.

``registration_events.publish`` takes a publication id (one event for one department), locks it and
returns quietly if it is already published; the event is signed once, by the first publication to
need it, so every department gets the same bytes. ``registration_events.sweep`` re-drives
publications left unpublished (a lost message, a crash, a failed run). Each publication is an entry
in the audit chain: what the department was told, about which unit and persons.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.audit.persons import id_numbers_in, indexes_of
from gateway.outputs import JWS_MEDIA_TYPE
from gateway.persistence.db import lock_for_update, transaction
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from gateway.registration_events.models import RegistrationEvent, RegistrationEventPublication
from gateway.registration_events.payloads import JWS_TYPE, payload_bytes
from gateway.tasks import leases
from gateway.tasks.registry import periodic, task
from gateway.tasks.runners import fan_out

if TYPE_CHECKING:
    from gateway.runtime import Runtime

GRACE = timedelta(seconds=30)
KIND = "registration_event"
AUDIT_ACTION = "registration_event.publish"
PUBLISH = "registration_events.publish"


@task(PUBLISH)
def publish_event(runtime: Runtime, publication_id: int) -> None:
    """Publish one event to one department's inbox (deliver: its callback too); idempotent."""
    from gateway.inbox.service import publish  # the inbox imports delivery; loaded when first needed

    now = utcnow()
    with transaction(runtime.sessions) as session:
        publication = session.scalar(lock_for_update(
            select(RegistrationEventPublication).where(RegistrationEventPublication.id == publication_id), session))
        if publication is None or publication.published_at is not None:
            return  # published by an earlier run
        event = session.scalar(lock_for_update(
            select(RegistrationEvent).where(RegistrationEvent.id == publication.event_id), session))
        if event.signed is None:
            event.signed, event.signed_at = sign_event(runtime, event.payload), now
        publish(session, institution_id=publication.institution_id, kind=KIND, content=event.signed,
                media_type=JWS_MEDIA_TYPE, application_id=None, deliver=True, at=now)
        publication.published_at = now
        _record_disclosure(session, event, session.get(Institution, publication.institution_id))


def _record_disclosure(session: Session, event: RegistrationEvent, department: Institution) -> None:
    """The audit entry of what the department was told: "who looked at my file" lists it by the unit
    and, for an ownership transfer, by each party's ID number."""
    audit.record(session, actor=department.code, actor_role="department", action=AUDIT_ACTION,
                 subject_kind="registration_event", subject=event.event_id, units=[event.unit_code],
                 person_indexes=indexes_of(id_numbers_in(event.payload.get("details") or {})),
                 purpose=f"registration event {event.event_type}",
                 details={"what": f"registration event {event.event_type} {event.certificate_no}",
                          "event_id": event.event_id, "department": department.code})


def sign_event(runtime: Runtime, payload: dict) -> bytes:
    """The event as a compact JWS by the gateway's key (kid + x5c), like the JSON channel's documents."""
    from signing.jws import sign_compact

    signer = runtime.signer
    return sign_compact(payload_bytes(payload), key=signer.key, certificate=signer.certificate, chain=signer.chain,
                        typ=JWS_TYPE)


@periodic("registration_events.sweep")
def sweep_unpublished_events(runtime: Runtime) -> None:
    """Re-drive publications still unpublished after the grace period, one outstanding message each."""
    now = utcnow()
    with transaction(runtime.sessions) as session:
        ids = session.scalars(
            select(RegistrationEventPublication.id)
            .where(RegistrationEventPublication.published_at.is_(None),
                   RegistrationEventPublication.created_at < now - GRACE,
                   leases.unmarked(PUBLISH, RegistrationEventPublication.id, now))
            .order_by(RegistrationEventPublication.id).limit(100)
        ).all()
        leases.mark_sent(session, PUBLISH, ids, now=now)
    unsent = fan_out(runtime.dispatcher.runner, PUBLISH, ids, expires=leases.MESSAGE_LIFETIME)
    if unsent:
        with transaction(runtime.sessions) as session:
            leases.unmark(session, PUBLISH, unsent)
