"""The clerk's applications: the institution's list, one application, 补正, and the downloads."""
from __future__ import annotations

from typing import Literal

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from bank_adapters.canonical import RegistrationType
from gateway import audit
from gateway.api.deps import MAX_ID, RuntimeDep
from gateway.applications.states import Status
from gateway.audit.reads import note_read
from gateway.errors import NotFound
from gateway.persistence.types import utcnow
from gateway.web import catalogue_view, clerk_service, views
from gateway.web.auth import Allowed, PostedForm, WebDb
from gateway.web.clerk_form import MAX_MATERIALS, SHA256, MaterialRow
from gateway.web.labels import plain_text
from gateway.web.routing import render, web_router

router = web_router()
XML = "application/xml"


@router.get("/clerk/applications")
def list_applications(request: Request, runtime: RuntimeDep, db: WebDb,
                      clerk: Allowed("application.read_status"), status: str = "",
                      before: int | None = Query(None, ge=1, le=MAX_ID)) -> Response:
    status = status if status in {s.value for s in Status} else ""
    rows, more = clerk_service.applications_of(db, clerk.institution_id, status=status or None, before=before)
    return render(request, "clerk/list.html", {
        "applications": rows, "deadlines": views.deadlines_of(db, runtime.settings, rows), "status": status, "more": more,
        "statuses": [s.value for s in Status], "institution": clerk_service.applicant_of(db, clerk),
    })


@router.get("/clerk/applications/{application_no}")
def application_page(request: Request, runtime: RuntimeDep, db: WebDb,
                     clerk: Allowed("application.read_status"), application_no: str,
                     submitted: bool = False, supplied: bool = False, supplement_error: bool = False) -> Response:
    application = clerk_service.own_application(db, clerk.institution_id, application_no)
    note_read(request, audit.read_of(application, actor=clerk.username, actor_role=clerk.role, what="clerk.page"))
    return render(request, "clerk/detail.html", _detail_context(db, runtime.settings, application) | {
        "submitted": submitted, "supplied": supplied, "supplement_error": supplement_error,
        "max_bytes": runtime.settings.max_material_bytes})


def _detail_context(db, settings, application) -> dict:
    kind = RegistrationType(application.registration_type)
    return {
        "a": application, "canonical": application.canonical,
        "deadline": views.deadlines_of(db, settings, [application])[application.id],
        "history": views.history_of(application), "supplement": views.supplement_request(application),
        "documents": _documents(db, application),
        "certificate": clerk_service.certificate_of(db, application),
        "choices": catalogue_view.material_choices(kind), "catalogue": catalogue_view.catalogue_for_script(),
    }


def _documents(db, application) -> list:
    """The latest signed document of each kind."""
    return list({d.kind: d for d in clerk_service.documents_of(db, application)}.values())


@router.get("/clerk/applications/{application_no}/certificate-status")
def certificate_status(request: Request, db: WebDb,
                       clerk: Allowed("application.read_status"), application_no: str) -> Response:
    """The certificate block, polled (htmx) while the certificate is generated in the background; once it is
    there, also the signed documents list (the result is issued with it), swapped out of band."""
    application = clerk_service.own_application(db, clerk.institution_id, application_no)
    return render(request, "clerk/_certificate_poll.html", {
        "a": application, "certificate": clerk_service.certificate_of(db, application),
        "documents": _documents(db, application)})


def supplied_materials(posted, registration_type: str) -> list[MaterialRow]:
    listed = {c["code"] for c in catalogue_view.material_choices(RegistrationType(registration_type))}
    rows = []
    for i in range(MAX_MATERIALS):
        sha256 = str(posted.get(f"material-{i}-sha256", "")).strip()
        if not sha256:
            continue
        row = MaterialRow(str(posted.get(f"material-{i}-type", "")).strip(),
                          plain_text(posted.get(f"material-{i}-name"), 200), sha256)
        if not SHA256.match(row.sha256) or row.type_code not in listed or not row.file_name:
            return []
        rows.append(row)
    return rows


@router.post("/clerk/applications/{application_no}/supplement")
def supplement(request: Request, runtime: RuntimeDep, db: WebDb,
               clerk: Allowed("application.supplement"), posted: PostedForm,
               application_no: str) -> Response:
    """Answer the 补正 request with the uploaded materials; the application goes back to the queue."""
    application = clerk_service.own_application(db, clerk.institution_id, application_no)
    materials = supplied_materials(posted, application.registration_type)
    if not materials:
        return RedirectResponse(f"/clerk/applications/{application_no}?supplement_error=1#supplement", status_code=303)
    note = plain_text(posted.get("note"), 2000) or None
    clerk_service.supply_materials(db, runtime, application=application,
                                   applicant=clerk_service.applicant_of(db, clerk), materials=materials,
                                   note=note, at=utcnow())
    return RedirectResponse(f"/clerk/applications/{application_no}?supplied=1", status_code=303)


def _attachment(content: bytes, media_type: str, file_name: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


@router.get("/clerk/applications/{application_no}/documents/{kind}")
def download_document(db: WebDb, clerk: Allowed("application.read_status"), application_no: str,
                      kind: Literal["receipt", "supplement_request", "result"]) -> Response:
    """The latest signed receipt, 补正 notice or result, byte for byte as issued."""
    application = clerk_service.own_application(db, clerk.institution_id, application_no)
    document = clerk_service.latest_document(db, application, kind)
    return _attachment(document.content, XML, f"{kind}-{application_no}.xml")


@router.get("/clerk/applications/{application_no}/certificate.{fmt}")
def download_certificate(request: Request, db: WebDb, clerk: Allowed("certificate.download"), application_no: str,
                         fmt: Literal["pdf", "xml"]) -> Response:
    """The sealed certificate (PDF) or its signed XML twin."""
    application = clerk_service.own_application(db, clerk.institution_id, application_no)
    certificate = clerk_service.certificate_of(db, application)
    if certificate is None:
        raise NotFound("no certificate yet")
    note_read(request, audit.read_of(application, actor=clerk.username, actor_role=clerk.role,
                                     what=f"certificate.{fmt}"))
    content, media = (certificate.pdf, "application/pdf") if fmt == "pdf" else (certificate.xml, XML)
    return _attachment(content, media, f"certificate-{application_no}.{fmt}")
