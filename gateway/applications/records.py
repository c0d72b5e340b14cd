"""Recording what happens to an application: transitions with actor and time, and evidence."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway import audit
from gateway.actors import Actor
from gateway.applications.states import Action, Status, next_status
from gateway.persistence.models import Application, ApplicationEvent, SignedDocument


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
    # The audit trail records every transition here, once, whoever the caller.
    audit.append(session, audit.about_application(
        application, actor=actor.ref, actor_role=audit_role(actor), action=f"application.{action.value}",
        details={"from": event.from_status, "to": event.to_status}))
    return event


def audit_role(actor: Actor) -> str | None:
    """The role an audit entry names: a staff member's is looked up when the entry is written."""
    return None if actor.kind == "staff" else actor.kind


def store_document(session: Session, application: Application, kind: str, content: bytes, *,
                   flush: bool = True, media_type: str = "application/xml") -> SignedDocument:
    """Keep the exact bytes of a signed request or output as evidence (``flush=False``: inserted
    with the transaction's next flush, when the caller needs no id now), with their media type
    (``application/xml``, or ``application/jose`` for JWS)."""
    document = SignedDocument(
        application_id=application.id,
        kind=kind,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        media_type=media_type,
    )
    session.add(document)
    audit.append(session, audit.about_application(
        application, actor="gateway", actor_role="system", action="document.store",
        details={"kind": kind, "sha256": document.sha256}))
    if flush:
        session.flush()
    return document
