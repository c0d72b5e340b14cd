"""Reviewer API: the queue, claiming, the application as a reviewer sees it, decisions."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway import audit
from gateway.audit.reads import note_read
from gateway.api.deps import Allowed, DbSession, PathPosition, RuntimeDep
from gateway.api.problems import responses
from gateway.api.times import UtcTime, utc_text
from gateway.applications.documents import SupplementItem
from gateway.applications.states import Action
from gateway.errors import NotFound
from gateway.materials import downloads
from gateway.persistence.models import StaffUser
from gateway.persistence.types import utcnow
from gateway.staff.service import Role
from gateway.register.extract import register_extract
from gateway.department_records import views as department_records
from gateway.review import service

router = APIRouter(prefix="/v1/review", tags=["review"])


class QueueItem(BaseModel):
    application_no: str
    registration_type: str
    status: str
    institution_code: str
    unit_code: str
    received_at: UtcTime
    due_date: date
    claimed_by: str | None


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null at the end.")


@router.get("/queue", response_model=QueuePage, responses=responses(401, 403, 422))
def queue(
    session: DbSession, reviewer: Allowed("application.review"),
    limit: int = Query(50, ge=1, le=200), after: str | None = Query(None),
) -> QueuePage:
    """Open applications, oldest deadline first."""
    rows, cursor = service.queue_page(session, limit=limit, after=after)
    items = [
        QueueItem(
            application_no=a.application_no, registration_type=a.registration_type, status=a.status,
            institution_code=a.institution.code, unit_code=a.unit_code, received_at=a.received_at,
            due_date=a.due_date, claimed_by=_username(session, a.claimed_by_id),
        )
        for a in rows
    ]
    return QueuePage(items=items, next_cursor=cursor)


def _username(session, user_id: int | None) -> str | None:
    from gateway.persistence.models import StaffUser

    return session.get(StaffUser, user_id).username if user_id else None


class MaterialView(BaseModel):
    position: int
    type_code: str
    file_name: str
    sha256: str
    size: int
    media_type: str


class SignatureView(BaseModel):
    """Facts about the request's signature, as recorded at intake (other facts recorded pass through)."""

    model_config = ConfigDict(extra="allow")
    not_before: UtcTime | None = None
    not_after: UtcTime | None = None


class HistoryRow(BaseModel):
    action: str
    from_: str | None = Field(alias="from")
    to: str
    actor_kind: str
    actor: str | None
    at: UtcTime
    note: dict | None


class ApplicationView(BaseModel):
    application_no: str
    status: str
    institution_code: str
    institution_name: str
    received_at: UtcTime
    due_date: date
    claimed_by: str | None
    application: dict = Field(description="The canonical application: parties, property, claim, contracts.")
    signature: SignatureView = Field(description="Who signed, with which certificate, which algorithms.")
    materials: list[MaterialView]
    history: list[HistoryRow]
    findings: list[dict] = Field(description="Pre-review findings (预审) with codes and severities.")
    triage: str
    deadline_provisional: bool
    fee_yuan: str | None
    register_extract: dict = Field(description="Register extract of the unit: location, owners, mortgages, encumbrances.")
    department_records: list[dict] = Field(
        default=[], description="Departments' records on the unit the type concerns (deed-tax records, filed sale "
                                "contracts): verbatim body, department, received_at, flags.")


@router.get("/applications/{application_no}", response_model=ApplicationView, responses=responses(401, 403, 404))
def view(application_no: str, request: Request, session: DbSession,
         reviewer: Allowed("application.review")) -> ApplicationView:
    a = _find(session, application_no)
    note_read(request, audit.read_of(a, actor=reviewer.username, actor_role=reviewer.role, what="review.view"))
    records = department_records.records_for(session, registration_type=a.registration_type, unit_code=a.unit_code)
    if records:
        note_read(request, audit.read_of(a, actor=reviewer.username, actor_role=reviewer.role,
                                         what="review.department_records"))
    return ApplicationView(
        application_no=a.application_no, status=a.status, institution_code=a.institution.code,
        institution_name=a.institution.name, received_at=a.received_at, due_date=a.due_date,
        claimed_by=_username(session, a.claimed_by_id), application=_canonical_view(a.canonical),
        signature=SignatureView(**(a.signature or {})),
        materials=[
            MaterialView(position=m.position, type_code=m.type_code, file_name=m.file_name,
                         sha256=m.material.sha256, size=m.material.size, media_type=m.material.media_type)
            for m in a.materials
        ],
        history=[
            HistoryRow(action=e.action, to=e.to_status, actor_kind=e.actor_kind, actor=e.actor, at=e.at,
                       note=e.note, **{"from": e.from_status})
            for e in a.events
        ],
        findings=a.findings or [], triage=a.triage, deadline_provisional=a.deadline_provisional,
        fee_yuan=f"{a.fee_amount:.2f}" if a.fee_amount is not None else None,
        register_extract=register_extract(session, a.unit_code), department_records=records,
    )


def _canonical_view(canonical: dict) -> dict:
    """The canonical application with the request's CreatedAt (given with the bank's offset) in UTC."""
    created_at = canonical.get("created_at")
    if not created_at:
        return canonical
    return {**canonical, "created_at": utc_text(datetime.fromisoformat(created_at))}


def _find(session, application_no: str):
    from sqlalchemy import select

    from gateway.persistence.models import Application

    application = session.scalar(select(Application).where(Application.application_no == application_no))
    if application is None:
        raise NotFound("no such application")
    return application


@router.get("/applications/{application_no}/materials/{position}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The material's bytes"},
                       **responses(401, 403, 404, 422)})
def material(application_no: str, position: PathPosition, request: Request, session: DbSession,
             reviewer: Allowed("materials.read")) -> Response:
    """The bytes of one attached material, as a sandboxed download (its media type is in the application view)."""
    application = _find(session, application_no)
    links = [m for m in application.materials if m.position == position]
    if not links:
        raise NotFound("no such material")
    note_read(request, audit.read_of(application, actor=reviewer.username, actor_role=reviewer.role,
                                     what=f"material:{position}"))
    return downloads.as_download(links[0].material.content)


class Transitioned(BaseModel):
    application_no: str
    status: str


@router.post("/applications/{application_no}/claim", response_model=Transitioned, responses=responses(401, 403, 404, 409))
def claim(application_no: str, runtime: RuntimeDep, session: DbSession,
          reviewer: Allowed("application.review")) -> Transitioned:
    a = service.claim(session, runtime.settings, application_no=application_no, reviewer=reviewer, at=utcnow())
    return Transitioned(application_no=a.application_no, status=a.status)


@router.post("/applications/{application_no}/release", response_model=Transitioned, responses=responses(401, 403, 404, 409))
def release(application_no: str, runtime: RuntimeDep, session: DbSession,
            reviewer: Allowed("application.review")) -> Transitioned:
    a = service.release(session, runtime.settings, application_no=application_no, reviewer=reviewer, at=utcnow())
    return Transitioned(application_no=a.application_no, status=a.status)


# Text that goes into signed XML: no control characters (XML 1.0 cannot carry them).
NO_CONTROL_CHARACTERS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class MissingItem(BaseModel):
    type_code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9_]+$")
    reason: str = Field(min_length=1, max_length=500, pattern=NO_CONTROL_CHARACTERS)


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject", "request_supplement"]
    reason: str | None = Field(None, max_length=2000, pattern=NO_CONTROL_CHARACTERS)
    missing: list[MissingItem] = Field(default_factory=list, max_length=50)


class DecisionOut(BaseModel):
    application_no: str
    status: str
    document_kind: str | None = Field(description="null while an approved linked application waits for its group")
    document_sha256: str | None


@router.post("/applications/{application_no}/decision", response_model=DecisionOut, responses=responses(401, 403, 404, 409, 422))
def decide(application_no: str, body: DecisionIn, runtime: RuntimeDep, session: DbSession,
           reviewer: Allowed("application.decide")) -> DecisionOut:
    """Approve (enters the register), reject with a reason, or request 补正 listing what is missing."""
    decision = service.Decision(
        action=Action(body.decision), reason=body.reason,
        missing=tuple(SupplementItem(m.type_code, m.reason) for m in body.missing),
    )
    document = service.decide(runtime, session, application_no=application_no, reviewer=reviewer, decision=decision, at=utcnow())
    status = _find(session, application_no).status
    return DecisionOut(application_no=application_no, status=status,
                       document_kind=document.kind if document else None,
                       document_sha256=document.sha256 if document else None)


class AnnouncementIn(BaseModel):
    action: Literal["start", "end"]
    reason: str = Field(min_length=1, max_length=500, pattern=NO_CONTROL_CHARACTERS)


@router.post("/applications/{application_no}/announcement", response_model=Transitioned,
             responses=responses(401, 403, 404, 409, 422))
def announcement(application_no: str, body: AnnouncementIn, runtime: RuntimeDep, session: DbSession,
                 reviewer: Allowed("application.review")) -> Transitioned:
    """Start (clock stops) or end (back to the queue, clock restarts) an announcement (公告)."""
    a = service.announcement(session, runtime.settings, application_no=application_no, reviewer=reviewer,
                             start=body.action == "start", reason=body.reason, at=utcnow())
    return Transitioned(application_no=a.application_no, status=a.status)


class ExtensionIn(BaseModel):
    working_days: int = Field(ge=1, le=60)
    # Blank or not is the service's check (review.reason_required), as for a rejection's reason.
    reason: str = Field(max_length=500, pattern=NO_CONTROL_CHARACTERS)


class DeadlineOut(BaseModel):
    application_no: str
    due_date: date
    provisional: bool


@router.post("/applications/{application_no}/extension", response_model=DeadlineOut,
             responses=responses(401, 403, 404, 409, 422))
def extension(application_no: str, body: ExtensionIn, runtime: RuntimeDep, session: DbSession,
              staff: Allowed("application.extend")) -> DeadlineOut:
    """Extend the deadline by working days (the claim holder, or a supervisor), within the maximum per
    application; the reason is recorded with who granted it and shown to the institution."""
    a = service.extend(session, runtime.settings, application_no=application_no, staff=staff,
                       working_days=body.working_days, reason=body.reason, at=utcnow())
    return DeadlineOut(application_no=a.application_no, due_date=a.due_date, provisional=a.deadline_provisional)
