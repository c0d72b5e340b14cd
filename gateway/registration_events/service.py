"""Registration events: one per registration entered, pushed to each subscribed department.

The register calls :func:`record_registration` in the transaction that enters a registration; the
event is written there with one publication per department subscribed at that moment, and signed and
published after the commit by the ``registration_events.publish`` task. Banks never get these:
only departments subscribe.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.registration_events import tasks as _tasks  # noqa: F401 (registers the task before it is enqueued)
from gateway.registration_events.models import RegistrationEvent, RegistrationEventPublication
from gateway.registration_events.payloads import event_id_of, event_payload
from gateway.registration_events.subscriptions import subscribers
from gateway.tasks.registry import enqueue


def record_registration(session: Session, *, event_type: str, unit_code: str, certificate_no: str,
                        registered_at: datetime, application_no: str | None,
                        details: dict[str, Any]) -> RegistrationEvent:
    """Record the event of one registration entered (in the caller's transaction); published after commit.

    A registration is recorded once: the same certificate number again returns the event already recorded."""
    existing = session.scalar(select(RegistrationEvent).where(RegistrationEvent.certificate_no == certificate_no))
    if existing is not None:
        return existing
    event_type = getattr(event_type, "value", event_type)
    event_id = event_id_of(certificate_no)
    event = RegistrationEvent(
        event_id=event_id, event_type=event_type, unit_code=unit_code, certificate_no=certificate_no,
        application_no=application_no, registered_at=registered_at,
        payload=event_payload(event_id=event_id, event_type=event_type, unit_code=unit_code,
                              certificate_no=certificate_no, registered_at=registered_at,
                              application_no=application_no, details=details),
    )
    session.add(event)
    session.flush()
    for institution_id in subscribers(session):
        publication = RegistrationEventPublication(event_id=event.id, institution_id=institution_id)
        session.add(publication)
        session.flush()
        enqueue(session, _tasks.PUBLISH, publication.id)
    return event
