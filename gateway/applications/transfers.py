"""Joint filing of a 抵押权转移登记: the transferee confirms the transferor's signed request.

A transfer is applied for jointly by the transferor and the transferee (实施细则 art. 72). The
transferor — the current mortgagee — submits the signed request naming the transferee; the
transferee confirms that exact request (by its SHA-256) with its own registered key. A transfer
cannot be approved before that confirmation, which is kept verbatim as evidence.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.actors import Actor
from gateway.applications.records import record_event, store_document
from gateway.applications.states import FINAL, Action, Status
from gateway.errors import GatewayError, IllegalTransition, InvalidRequest
from gateway.persistence.models import Application, Institution, SignedDocument

CONFIRMATION = "transferee_confirmation"


class AwaitingTransferee(GatewayError):
    code = "transfer.awaiting_transferee"
    title = "A transfer is filed jointly: the transferee has not confirmed this request yet"
    kind = "conflict"


def is_transfer(application: Application) -> bool:
    return application.registration_type == "MORTGAGE_TRANSFER"


def is_transferee(application: Application, institution: Institution) -> bool:
    """The institution named as transferee of a transfer application (a party to it)."""
    transferee = application.canonical.get("transferee") or {}
    return is_transfer(application) and transferee.get("code") == institution.code


def confirmation_of(session: Session, application: Application) -> SignedDocument | None:
    return session.scalar(select(SignedDocument).where(
        SignedDocument.application_id == application.id, SignedDocument.kind == CONFIRMATION))


def confirm(
    session: Session, *, application: Application, institution: Institution, request_sha256: str,
    evidence: bytes, at: datetime,
) -> SignedDocument:
    """Record the transferee's confirmation of exactly this signed request; repeating it is harmless."""
    if Status(application.status) in FINAL:
        raise IllegalTransition("the application is already decided")
    if request_sha256 != application.request_sha256:
        raise InvalidRequest("request_sha256 is not the SHA-256 of the signed transfer request",
                             code="transfer.request_mismatch")
    existing = confirmation_of(session, application)
    if existing is not None:
        return existing
    document = store_document(session, application, CONFIRMATION, evidence)
    record_event(session, application, Action.CONFIRM_TRANSFER, Status(application.status),
                 Actor.institution(institution.code), at=at,
                 note={"evidence_sha256": hashlib.sha256(evidence).hexdigest()})
    return document


def require_confirmation(session: Session, application: Application) -> None:
    """Refuse to approve a transfer the transferee has not confirmed."""
    if is_transfer(application) and confirmation_of(session, application) is None:
        raise AwaitingTransferee("ask the transferee to confirm the request (transferee-confirmation)")
