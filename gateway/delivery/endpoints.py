"""Operator API: deliveries (dead letters, re-drive) and evidence export."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from gateway.api.deps import Admin, DbSession
from gateway.api.problems import responses
from gateway.delivery import service
from gateway.evidence.export import export_evidence
from gateway.persistence.types import utcnow

router = APIRouter(prefix="/v1/admin", tags=["operations"])


class DeliveryView(BaseModel):
    id: int
    application_no: str
    document_kind: str
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


def _view(d) -> DeliveryView:
    return DeliveryView(
        id=d.id, application_no=d.application.application_no, document_kind=d.document.kind, url=d.url,
        status=d.status, attempts=d.attempts, next_attempt_at=d.next_attempt_at,
        last_error=d.last_error, delivered_at=d.delivered_at,
    )


@router.get("/deliveries", response_model=list[DeliveryView], responses=responses(401, 403))
def deliveries(
    session: DbSession, admin: Admin,
    status: Literal["pending", "delivered", "dead"] | None = Query(None),
    limit: int = Query(100, ge=1, le=1000),
) -> list[DeliveryView]:
    """Callback deliveries, newest first; ``status=dead`` lists the dead letters."""
    return [_view(d) for d in service.list_deliveries(session, status=status, limit=limit)]


@router.post("/deliveries/{delivery_id}/redrive", response_model=DeliveryView, responses=responses(401, 403, 404, 409))
def redrive(delivery_id: int, session: DbSession, admin: Admin) -> DeliveryView:
    """Give a dead-lettered delivery a fresh set of tries."""
    return _view(service.redrive(session, delivery_id, at=utcnow()))


@router.get("/applications/{application_no}/evidence", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}, **responses(401, 403, 404)})
def evidence(application_no: str, session: DbSession, admin: Admin) -> Response:
    """Every signed byte about the application, with a SHA-256 manifest, as a ZIP."""
    return Response(
        export_evidence(session, application_no), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="evidence-{application_no}.zip"'},
    )
