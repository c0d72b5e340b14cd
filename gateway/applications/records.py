"""Recording what happens to an application: transitions with actor and time, and evidence."""
from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway import audit
from gateway.actors import Actor
from gateway.applications.states import Action, Status, next_status
from gateway.persistence.models import Application, ApplicationEvent, SignedDocument
from gateway.persistence.types import utcnow


def record_transition(
    session: Session,
    application: Application,
    action: Action,
    actor: Actor,
    *,
    at: datetime,
    note: dict[str, Any] | None = None,
) -> Status:
    """Move ``application`` by ``action`` through the state machine; raises if not allowed."""
    current = Status(application.status)
    target = next_status(current, action)
    application.status = target.value
    record_event(session, application, action, current, actor, at=at, note=note)
    return target


def record_event(
    session: Session,
    application: Application,
    action: Action,
    from_status: Status | None,
    actor: Actor,
    *,
    at: datetime,
    note: dict[str, Any] | None = None,
) -> ApplicationEvent:
    event = ApplicationEvent(
        application_id=application.id,
        action=action.value,
        from_status=from_status.value if from_status else None,
        to_status=application.status,
        actor_kind=actor.kind,
        actor=actor.ref,
        at=at,
        note=note,
    )
    session.add(event)
    _audit_event(session, application, action, actor, event.from_status, event.to_status)
    return event


def insert_event(session: Session, application: Application, action: Action, from_status: Status | None,
                 actor: Actor, *, at: datetime, note: dict[str, Any] | None = None) -> None:
    """:func:`record_event` as one Core insert, for intake's new application (no ORM object needed)."""
    row = dict(application_id=application.id, action=action.value, from_status=from_status.value if from_status else None,
               to_status=application.status, actor_kind=actor.kind, actor=actor.ref, at=at, note=note)
    session.execute(ApplicationEvent.__table__.insert(), row)
    _audit_event(session, application, action, actor, row["from_status"], row["to_status"])


def _audit_event(session: Session, application: Application, action: Action, actor: Actor, from_status, to_status):
    # The audit trail records every transition here, once, whoever the caller.
    audit.append(session, audit.about_application(
        application, actor=actor.ref, actor_role=audit_role(actor), action=f"application.{action.value}",
        details={"from": from_status, "to": to_status}))


def audit_role(actor: Actor) -> str | None:
    """The role an audit entry names: a staff member's is looked up when the entry is written."""
    return None if actor.kind == "staff" else actor.kind


def store_document(session: Session, application: Application, kind: str, content: bytes, *,
                   media_type: str = "application/xml") -> SignedDocument:
    """Keep the exact bytes of a signed request or output as evidence, with their media type
    (``application/xml``, or ``application/jose`` for JWS); flushed, so that it has its id."""
    document = SignedDocument(
        application_id=application.id,
        kind=kind,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        media_type=media_type,
    )
    session.add(document)
    _audit_document(session, application, kind, document.sha256)
    session.flush()
    return document


def insert_document(session: Session, application: Application, kind: str, content: bytes, *,
                    media_type: str = "application/xml") -> int:
    """:func:`store_document` as one Core insert returning the document's id (intake's request and
    receipt: no ORM object, no unit of work)."""
    sha256 = hashlib.sha256(content).hexdigest()
    document_id = session.execute(_document_insert(), dict(
        application_id=application.id, kind=kind, sha256=sha256, content=content, media_type=media_type,
        created_at=utcnow())).scalar_one()
    _audit_document(session, application, kind, sha256)
    return document_id


@functools.cache
def _document_insert():
    table = SignedDocument.__table__
    return table.insert().returning(table.c.id)


def _audit_document(session: Session, application: Application, kind: str, sha256: str) -> None:
    audit.append(session, audit.about_application(
        application, actor="gateway", actor_role="system", action="document.store",
        details={"kind": kind, "sha256": sha256}))
