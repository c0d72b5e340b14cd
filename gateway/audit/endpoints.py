"""Supervisors' API for "who looked at my file": the accesses to a unit's or a person's data.

POST, not GET: the ID number travels in the body, never in a URL (URLs end up in access logs).
Nothing here writes in the request's own unit of work: the supervisor is checked and the report
read in read-only units of work, and the report's own audit entry is written right before the
answer goes out (:mod:`gateway.audit.reads`), so the seal's time-stamp request of a PDF waits with
no transaction open and holds no write lock.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gateway import permissions
from gateway.api.deps import RuntimeDep, declaring, staff_user
from gateway.api.problems import responses
from gateway.api.times import UtcTime
from gateway.audit import service
from gateway.audit.accesses import Query
from gateway.audit.reads import note_read
from gateway.errors import Forbidden
from gateway.persistence.db import read_only
from gateway.persistence.models import StaffUser

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])


@declaring("audit.read_accesses")
def report_reader(request: Request, runtime: RuntimeDep) -> StaffUser:
    """A supervisor or administrator (bearer token), checked in a read-only unit of work of its own."""
    with read_only(runtime.read_sessions) as session:
        user = staff_user(request, runtime, session)
    request.state.action = "audit.read_accesses"
    if permissions.grant(user.role, "audit.read_accesses") is None:  # gateway/permissions.py
        raise Forbidden("this needs the role supervisor or admin")
    return user


ReportReader = Annotated[StaffUser, Depends(report_reader)]


class AccessQuery(BaseModel):
    unit_code: str | None = Field(None, max_length=64, description="The 28-character unit code (不动产单元代码).")
    id_number: str | None = Field(None, max_length=64, description="A person's ID number; looked up by its blind index.")


class AccessRow(BaseModel):
    seq: int = Field(description="The audit entry's number.")
    at: UtcTime
    actor: str = Field(description="Staff username, institution code, system component or cli:<user>.")
    actor_role: str
    action: str = Field(description="e.g. data.read, application.approve, document.store.")
    what: str = Field(description="For a read: the page, view or file read; for a department's query: the "
                      "query, purpose, case reference and what was returned.")
    purpose: str | None = Field(description="The application being worked on; for a department's query "
                                "(action department.query): the purpose and the department's case reference.")
    subject_kind: str
    subject: str


class AccessList(BaseModel):
    subject: str = Field(description="The unit code, or the ID number masked.")
    count: int
    accesses: list[AccessRow]


def _report(runtime, request: Request, body: AccessQuery, user: StaffUser, form: str) -> service.AccessReport:
    query = Query.of(unit_code=body.unit_code, id_number=body.id_number)
    report = service.run_report(runtime, query, actor=user.username, actor_role=user.role, form=form)
    note_read(request, report.entry)
    return report


@router.post("/accesses", response_model=AccessList, responses=responses(401, 403, 422))
def list_accesses(body: AccessQuery, request: Request, runtime: RuntimeDep, user: ReportReader) -> AccessList:
    """Every recorded access to the unit's or the person's data, oldest first."""
    report = _report(runtime, request, body, user, "json")
    return AccessList(subject=report.query.shown_as, count=len(report.rows),
                      accesses=[AccessRow(seq=r.seq, at=r.at, actor=r.actor, actor_role=r.actor_role, action=r.action,
                                          what=r.what, purpose=r.purpose, subject_kind=r.subject_kind,
                                          subject=r.subject) for r in report.rows])


@router.post("/accesses.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}},
                                                                   **responses(401, 403, 422)})
def accesses_csv(body: AccessQuery, request: Request, runtime: RuntimeDep, user: ReportReader) -> Response:
    """The same list as CSV (UTF-8 with BOM)."""
    report = _report(runtime, request, body, user, "csv")
    return Response(service.csv_of(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{service.file_name(report, "csv")}"'})


@router.post("/accesses.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}},
                                                                   **responses(401, 403, 422, 503)})
def accesses_pdf(body: AccessQuery, request: Request, runtime: RuntimeDep, user: ReportReader) -> Response:
    """The same list as a PDF sealed by the registration authority (PAdES), for a citizen's request."""
    report = _report(runtime, request, body, user, "pdf")
    return Response(service.pdf_of(runtime, report), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{service.file_name(report, "pdf")}"'})


