"""Operator API: evidence export. (The deliveries' admin routes are in :mod:`gateway.admin.deliveries_api`.)"""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.api.deps import Admin, DbSession
from gateway.api.problems import responses
from gateway.evidence.export import export_evidence

router = APIRouter(prefix="/v1/admin", tags=["operations"])


@router.get("/applications/{application_no}/evidence", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}, **responses(401, 403, 404)})
def evidence(application_no: str, session: DbSession, admin: Admin) -> Response:
    """Every signed byte about the application, with a SHA-256 manifest, as a ZIP."""
    return Response(
        export_evidence(session, application_no), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="evidence-{application_no}.zip"'},
    )
