"""Paper on request: a printed certificate mailed by EMS; staff record printing and posting."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.certificates.models import IssuedCertificate, PostalRequest
from gateway.errors import IllegalTransition, InvalidRequest, NotFound

NEXT = {"REQUESTED": "PRINTED", "PRINTED": "POSTED"}


def request_paper(
    session: Session, *, certificate: IssuedCertificate, institution_id: int, recipient: str, phone: str,
    address: str, postcode: str,
) -> PostalRequest:
    if certificate.status != "IN_FORCE":
        raise IllegalTransition("only a certificate in force is printed and mailed")
    request = PostalRequest(certificate_id=certificate.id, institution_id=institution_id, recipient=recipient,
                            phone=phone, address=address, postcode=postcode, status="REQUESTED")
    session.add(request)
    session.flush()
    return request


def advance(session: Session, request_id: int, *, status: str, tracking_no: str | None, staff: str,
            at: datetime) -> PostalRequest:
    """REQUESTED → PRINTED → POSTED (posting needs the EMS tracking number)."""
    request = session.get(PostalRequest, request_id)
    if request is None:
        raise NotFound("no such postal request")
    if NEXT.get(request.status) != status:
        raise IllegalTransition(f"a {request.status.lower()} request cannot become {status.lower()}")
    if status == "POSTED":
        if not tracking_no:
            raise InvalidRequest("posting needs the EMS tracking number", code="postal.tracking_required")
        request.tracking_no = tracking_no
    request.status, request.updated_at, request.updated_by = status, at, staff
    return request


def requests_of(session: Session, *, status: str | None = None, institution_id: int | None = None) -> list[PostalRequest]:
    stmt = select(PostalRequest).order_by(PostalRequest.id)
    if status:
        stmt = stmt.where(PostalRequest.status == status)
    if institution_id is not None:
        stmt = stmt.where(PostalRequest.institution_id == institution_id)
    return list(session.scalars(stmt))
