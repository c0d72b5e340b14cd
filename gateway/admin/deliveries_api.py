"""Admin API: callback deliveries — the list (dead letters first of all), one delivery with every
attempt made, and re-drive."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.api.times import UtcTime
from gateway.api.deps import Allowed, DbSession
from gateway.api.problems import responses
from gateway.delivery import service
from gateway.logs import current_request_id
from gateway.persistence.models import Delivery, DeliveryAttempt
from gateway.persistence.types import utcnow

router = APIRouter(prefix="/v1/admin", tags=["operations"])


class DeliveryView(BaseModel):
    id: int
    application_no: str | None  # None: an inbox entry about no application (a watch notice, a statement)
    document_kind: str
    inbox_sequence: int | None  # the entry's place in the institution's inbox; None: queued before the inbox
    url: str
    status: str
    attempts: int
    next_attempt_at: UtcTime
    last_error: str | None
    delivered_at: UtcTime | None


class AttemptView(BaseModel):
    at: UtcTime
    url: str
    outcome: str
    status_code: int | None
    error: str | None
    duration_ms: int | None


class RedriveView(BaseModel):
    at: UtcTime
    actor: str


class DeliveryDetail(DeliveryView):
    institution_code: str
    created_at: UtcTime
    last_attempt_at: UtcTime | None
    history: list[AttemptView]
    redrives: list[RedriveView]


def _view(session, d: Delivery) -> DeliveryView:
    described = service.describe(session, d)
    return DeliveryView(
        id=d.id, application_no=described.application_no, document_kind=described.document_kind,
        inbox_sequence=described.inbox_sequence, url=d.url,
        status=d.status, attempts=d.attempts, next_attempt_at=d.next_attempt_at,
        last_error=d.last_error, delivered_at=d.delivered_at,
    )


def _attempt(a: DeliveryAttempt) -> AttemptView:
    return AttemptView(at=a.at, url=a.url, outcome=a.outcome, status_code=a.status_code, error=a.error,
                       duration_ms=a.duration_ms)


@router.get("/deliveries", response_model=list[DeliveryView], responses=responses(401, 403))
def deliveries(
    session: DbSession, admin: Allowed("delivery.manage"),
    status: Literal["pending", "delivered", "dead"] | None = Query(None),
    limit: int = Query(100, ge=1, le=1000),
) -> list[DeliveryView]:
    """Callback deliveries, newest first; ``status=dead`` lists the dead letters."""
    return [_view(session, d) for d in service.list_deliveries(session, status=status, limit=limit)]


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=responses(401, 403, 404))
def delivery(delivery_id: int, session: DbSession, admin: Allowed("delivery.manage")) -> DeliveryDetail:
    """One delivery with every attempt made, oldest first, across re-drives."""
    found = service.get_delivery(session, delivery_id)
    codes = service.institution_codes(session, [found])
    return DeliveryDetail(
        **_view(session, found).model_dump(), institution_code=codes[found.institution_id], created_at=found.created_at,
        last_attempt_at=found.last_attempt_at,
        history=[_attempt(a) for a in service.attempts_of(session, found.id)],
        redrives=[RedriveView(at=r.at, actor=r.actor) for r in service.redrives_of(session, found.id)],
    )


@router.post("/deliveries/{delivery_id}/redrive", response_model=DeliveryView, responses=responses(401, 403, 404, 409))
def redrive(delivery_id: int, session: DbSession, admin: Allowed("delivery.manage")) -> DeliveryView:
    """Give a dead-lettered delivery a fresh set of tries, to the institution's current callback URL."""
    return _view(session, service.redrive(session, delivery_id, actor=admin.username, at=utcnow(),
                                          request_id=current_request_id()))
