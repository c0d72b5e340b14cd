"""The reviewers' workbench: the queue, one application with everything needed to decide it, decisions."""
from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bank_adapters.canonical import RegistrationType
from gateway import audit
from gateway.api.deps import PathPosition, RuntimeDep
from gateway.audit.reads import note_read
from gateway.applications.documents import SupplementItem
from gateway.applications.states import Action
from gateway.catalogue.materials import MATERIALS
from gateway.department_records import views as department_records
from gateway.errors import NotFound
from gateway.materials import downloads
from gateway.persistence.models import Application, StaffUser
from gateway.persistence.types import utcnow
from gateway.register.extract import register_extract
from gateway.review import service
from gateway.web import catalogue_view, review_queue, views
from gateway.web.auth import Allowed, PostedForm, WebDb
from gateway.web.labels import plain_text
from gateway.web.routing import WebError, render, wants_fragment, web_router

router = web_router()
DECISIONS = {"approve": Action.APPROVE, "reject": Action.REJECT, "request_supplement": Action.REQUEST_SUPPLEMENT}


@router.get("/review/queue")
def queue(request: Request, runtime: RuntimeDep, db: WebDb, reviewer: Allowed("application.review"),
          kind: str = Query("", alias="type"), institution: str = "", status: str = "",
          after: str | None = None) -> Response:
    """Open applications, oldest deadline first, filtered by type, institution and state."""
    filters = review_queue.QueueFilter.of(kind, institution, status)
    rows, cursor = review_queue.queue_page(db, filters, after=after)
    context = {
        "rows": rows, "next_cursor": cursor, "filters": filters, "deadlines": views.deadlines_of(db, runtime.settings, rows),
        "claimers": views.usernames(db, {a.claimed_by_id for a in rows}), "count": review_queue.queue_count(db, filters),
        "types": [t.value for t in RegistrationType], "institutions": review_queue.institutions(db),
        "statuses": review_queue.FILTERABLE, "me": reviewer.id,
    }
    template = "review/_queue_table.html" if wants_fragment(request) else "review/queue.html"
    return render(request, template, context)


def find_application(session, application_no: str) -> Application:
    application = session.scalar(select(Application).where(Application.application_no == application_no))
    if application is None:
        raise NotFound("no such application")
    return application


@router.get("/review/applications/{application_no}")
def application_page(request: Request, runtime: RuntimeDep, db: WebDb,
                     reviewer: Allowed("application.review"), application_no: str,
                     done: str = "") -> Response:
    a = find_application(db, application_no)
    note_read(request, audit.read_of(a, actor=reviewer.username, actor_role=reviewer.role, what="review.page"))
    extract = register_extract(db, a.unit_code)
    records = department_records.records_for(db, registration_type=a.registration_type, unit_code=a.unit_code)
    if records:
        note_read(request, audit.read_of(a, actor=reviewer.username, actor_role=reviewer.role,
                                         what="review.department_records"))
    owners = {o["id_number"].upper() for o in extract["owners"]}
    claimer = db.get(StaffUser, a.claimed_by_id) if a.claimed_by_id else None
    return render(request, "review/detail.html", {
        "a": a, "app": a.canonical, "extract": extract, "owner_ids": owners, "signature": a.signature or {},
        "deadline": views.deadlines_of(db, runtime.settings, [a])[a.id], "history": views.history_of(a),
        "claimer": claimer.username if claimer else None, "mine": a.claimed_by_id == reviewer.id,
        "choices": catalogue_view.material_choices(RegistrationType(a.registration_type)), "done": done,
        "supplement": views.supplement_request(a), "department_records": records,
    })


@router.get("/review/applications/{application_no}/materials/{position}")
def material(request: Request, db: WebDb,
             reviewer: Allowed("materials.read"), application_no: str, position: PathPosition) -> Response:
    """One attached material's bytes, for the inline viewer (authenticated, never cached)."""
    application = find_application(db, application_no)
    links = [m for m in application.materials if m.position == position]
    if not links:
        raise NotFound("no such material")
    note_read(request, audit.read_of(application, actor=reviewer.username, actor_role=reviewer.role,
                                     what=f"material:{position}"))
    return downloads.for_viewer(links[0].material.content, links[0].material.media_type)


@router.post("/review/applications/{application_no}/claim")
def claim(runtime: RuntimeDep, db: WebDb, reviewer: Allowed("application.review"), application_no: str) -> Response:
    service.claim(db, runtime.settings, application_no=application_no, reviewer=reviewer, at=utcnow())
    return RedirectResponse(f"/review/applications/{application_no}?done=claim", status_code=303)


@router.post("/review/applications/{application_no}/release")
def release(runtime: RuntimeDep, db: WebDb, reviewer: Allowed("application.review"), application_no: str) -> Response:
    service.release(db, runtime.settings, application_no=application_no, reviewer=reviewer, at=utcnow())
    return RedirectResponse("/review/queue", status_code=303)


def decision_from(posted) -> service.Decision:
    """The decision a form asks for: approve, reject with reason, or 补正 with each missing item's reason."""
    action = DECISIONS.get(str(posted.get("decision", "")))
    if action is None:
        raise WebError(422, "无法办理", "请选择审核决定。")
    reason = plain_text(posted.get("reason"), 2000) or None
    missing = tuple(
        SupplementItem(code, plain_text(posted.get(f"missing_reason-{code}"), 500) or "未提交或不符合要求，请补正")
        for code in dict.fromkeys(str(c) for c in posted.getlist("missing")) if code in MATERIALS
    ) if action == Action.REQUEST_SUPPLEMENT else ()
    return service.Decision(action=action, reason=reason, missing=missing)


@router.post("/review/applications/{application_no}/decision")
def decide(runtime: RuntimeDep, db: WebDb,
           reviewer: Allowed("application.decide"), posted: PostedForm, application_no: str) -> Response:
    decision = decision_from(posted)
    service.decide(runtime, db, application_no=application_no, reviewer=reviewer, decision=decision, at=utcnow())
    return RedirectResponse(f"/review/applications/{application_no}?done={posted.get('decision')}", status_code=303)
