"""Operator API: evidence export. (The deliveries' admin routes are in :mod:`gateway.admin.deliveries_api`.)"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.deps import Allowed, DbSession
from gateway.api.problems import responses
from gateway.audit.reads import note_read
from gateway.evidence.export import evidence_read, export_evidence

router = APIRouter(prefix="/v1/admin", tags=["operations"])


@router.get("/applications/{application_no}/evidence", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}, **responses(401, 403, 404)})
def evidence(application_no: str, request: Request, session: DbSession, admin: Allowed("evidence.export")) -> Response:
    """Every signed byte about the application, with a SHA-256 manifest, as a ZIP."""
    content = export_evidence(session, application_no)
    note_read(request, evidence_read(session, application_no, actor=admin.username, actor_role=admin.role))
    return Response(
        content, media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="evidence-{application_no}.zip"'},
    )
