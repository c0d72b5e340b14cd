"""Certificates: downloads and paper requests for institutions, public verification, staff actions."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import select

from gateway.api.deps import Allowed, DbSession, PathId, Public, ReadDbSession, RuntimeDep, SignedFor, request_body
from gateway import audit
from gateway.api.problems import responses
from gateway.audit.reads import note_read
from gateway.api.times import UtcTime
from gateway.applications.endpoints import _own_application
from gateway.certificates import postal, service, verification
from gateway.certificates.models import IssuedCertificate
from gateway.errors import GatewayError, NotFound
from gateway.keys import seal_trust_anchors
from gateway.persistence.types import utcnow

router = APIRouter(tags=["certificates"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_UPLOAD = 10 * 1_048_576


class CertificateNotReady(GatewayError):
    code = "certificate.not_ready"
    title = "The certificate has not been issued (yet) for this application"
    kind = "conflict"


def _certificate_of(session, application) -> IssuedCertificate:
    certificates = list(session.scalars(select(IssuedCertificate).where(
        IssuedCertificate.application_id == application.id)))
    if not certificates:
        raise CertificateNotReady()
    return certificates[-1]


@router.get("/v1/applications/{application_no}/certificate.{fmt}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "application/xml": {}}}, **responses(401, 404, 409)})
def download(application_no: str, fmt: Literal["pdf", "xml"], request: Request,
             institution: SignedFor("certificate.download"),
             session: DbSession) -> Response:
    """The signed certificate (PDF, PAdES) or its signed XML twin, byte for byte as issued."""
    application = _own_application(session, institution, application_no)
    certificate = _certificate_of(session, application)
    note_read(request, audit.read_of(application, actor=institution.code, actor_role="institution",
                                     what=f"certificate.{fmt}"))
    body, media = (certificate.pdf, "application/pdf") if fmt == "pdf" else (certificate.xml, "application/xml")
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="certificate-{application_no}.{fmt}"'})


class PostalIn(BaseModel):
    recipient: str = Field(min_length=1, max_length=100)
    phone: str = Field(pattern=r"^[0-9+\- ]{7,20}$")
    address: str = Field(min_length=5, max_length=300)
    postcode: str = Field(pattern=r"^[0-9]{6}$")


class PostalOut(BaseModel):
    id: int
    certificate_no: str
    status: str
    tracking_no: str | None
    requested_at: UtcTime
    updated_at: UtcTime | None


def _postal_out(session, request) -> PostalOut:
    certificate = session.get(IssuedCertificate, request.certificate_id)
    return PostalOut(id=request.id, certificate_no=certificate.certificate_no, status=request.status,
                     tracking_no=request.tracking_no, requested_at=request.requested_at, updated_at=request.updated_at)


@router.post("/v1/applications/{application_no}/postal-requests", response_model=PostalOut, status_code=201,
             responses=responses(401, 404, 409, 422))
def request_paper(application_no: str, body: PostalIn, institution: SignedFor("certificate.request_paper"),
                  session: DbSession) -> PostalOut:
    """Ask for the printed certificate to be mailed (EMS) to an address."""
    certificate = _certificate_of(session, _own_application(session, institution, application_no))
    created = postal.request_paper(session, certificate=certificate, institution_id=institution.id, **body.model_dump())
    return _postal_out(session, created)


@router.get("/v1/applications/{application_no}/postal-requests", response_model=list[PostalOut],
            responses=responses(401, 404))
def paper_status(application_no: str, institution: SignedFor("certificate.request_paper"),
                 session: DbSession) -> list[PostalOut]:
    application = _own_application(session, institution, application_no)
    ids = {c.id for c in session.scalars(select(IssuedCertificate).where(IssuedCertificate.application_id == application.id))}
    return [_postal_out(session, r) for r in postal.requests_of(session, institution_id=institution.id)
            if r.certificate_id in ids]


class PostalUpdate(BaseModel):
    status: Literal["PRINTED", "POSTED"]
    tracking_no: str | None = Field(None, pattern=r"^[A-Z0-9]{8,20}$")


@router.get("/v1/admin/postal-requests", response_model=list[PostalOut], responses=responses(401, 403))
def postal_queue(session: DbSession, admin: Allowed("certificate.manage"),
                 status: Literal["REQUESTED", "PRINTED", "POSTED"] | None = None) -> list[PostalOut]:
    return [_postal_out(session, r) for r in postal.requests_of(session, status=status)]


@router.post("/v1/admin/postal-requests/{request_id}", response_model=PostalOut, responses=responses(401, 403, 404, 409, 422))
def postal_update(request_id: PathId, body: PostalUpdate, session: DbSession,
                  admin: Allowed("certificate.manage")) -> PostalOut:
    """Record printing, then posting with the EMS tracking number (no postal service is called)."""
    updated = postal.advance(session, request_id, status=body.status, tracking_no=body.tracking_no,
                             staff=admin.username, at=utcnow())
    return _postal_out(session, updated)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


@router.post("/v1/admin/certificates/{certificate_no}/revoke", responses=responses(401, 403, 404, 409, 422))
def revoke(certificate_no: str, body: RevokeIn, session: DbSession, admin: Allowed("certificate.manage")) -> dict:
    """Revoke a certificate issued in error (更正), with the reason shown on the verify page."""
    certificate = service.revoke(session, certificate_no, reason=body.reason, at=utcnow())
    return {"certificate_no": certificate.certificate_no, "status": certificate.status}


class OtherItem(BaseModel):
    label: str | None
    value: str | None


class CertificateView(BaseModel):
    """What anyone may see of a certificate (api.md §3.12)."""

    certificate_no: str
    status: str
    status_zh: str
    status_changed_at: UtcTime | None
    status_reference: str | None
    revoke_reason: str | None
    right_or_matter: str | None
    rights_holder: str | None
    obligors: list[str]
    obligor_ids: list[str]
    location: str | None
    unit_code: str | None
    other: list[OtherItem]
    authority: str | None
    registered_on: str | None
    pdf_sha256: str


class UploadVerdict(BaseModel):
    ok: bool
    verdict: str
    message_zh: str
    signer: str | None
    signed_at: UtcTime | None


@router.get("/v1/verify/{code}", tags=["public"],
            dependencies=[Public("verify.public")], response_model=CertificateView, responses=responses(404, 422))
def verify_json(code: str, session: DbSession) -> CertificateView:
    """Key fields (personal data masked) and the status of the certificate with this code."""
    certificate = verification.find_by_code(session, code)
    return CertificateView(**verification.public_view(
        certificate, obligor_ids=verification.obligor_ids_of(session, certificate)))


@router.post("/v1/verify/{code}/pdf", tags=["public"],
             dependencies=[Public("verify.public")], response_model=UploadVerdict, responses=responses(404, 413, 422),
             openapi_extra={"requestBody": {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
def verify_pdf_json(code: str, request: Request, runtime: RuntimeDep, session: ReadDbSession) -> UploadVerdict:
    """Check an uploaded PDF: the authority's seal intact, and the bytes the register recorded."""
    data = request_body(request, MAX_UPLOAD, code="certificate.upload_too_large")
    certificate = verification.find_by_code(session, code)
    return UploadVerdict(**vars(verification.check_upload(certificate, data,
                                                          seal_anchors=seal_trust_anchors(runtime.settings))))


def _page(request: Request, session, code: str, check=None, status_code: int = 200) -> HTMLResponse:
    try:
        certificate = verification.find_by_code(session, code)
        view = verification.public_view(certificate, obligor_ids=verification.obligor_ids_of(session, certificate))
        problem = None
    except (verification.BadVerificationCode, verification.CertificateNotFound) as exc:
        view, problem, status_code = None, exc, 404 if isinstance(exc, NotFound) else 422
    return templates.TemplateResponse(request, "verify.html", {"view": view, "problem": problem, "code": code,
                                                                "check": check}, status_code=status_code)


@router.get("/verify", response_class=HTMLResponse, tags=["public"], include_in_schema=False,
            dependencies=[Public("verify.public")])
def verify_form(request: Request, code: str | None = None):
    if code:
        return RedirectResponse(f"/verify/{code.strip().upper()}", status_code=303)
    return templates.TemplateResponse(request, "verify.html", {"view": None, "problem": None, "code": "", "check": None})


@router.get("/verify/{code}", response_class=HTMLResponse, tags=["public"], dependencies=[Public("verify.public")])
def verify_page(code: str, request: Request, session: DbSession) -> HTMLResponse:
    """The page the QR code opens: status and key facts, and a form to check a PDF."""
    return _page(request, session, code)


@router.post("/verify/{code}", response_class=HTMLResponse, tags=["public"], include_in_schema=False,
             dependencies=[Public("verify.public")])
def verify_upload(code: str, request: Request, file: UploadFile, runtime: RuntimeDep, session: ReadDbSession):
    data = file.file.read(MAX_UPLOAD + 1)
    try:
        certificate = verification.find_by_code(session, code)
    except GatewayError:
        return _page(request, session, code)
    if len(data) > MAX_UPLOAD:
        check = verification.UploadCheck(False, "TOO_LARGE", "文件过大，不是登记机构出具的电子证明。")
    else:
        check = verification.check_upload(certificate, data, seal_anchors=seal_trust_anchors(runtime.settings))
    return _page(request, session, code, check)
