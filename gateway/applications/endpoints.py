"""Institution API: submit applications, follow them, fetch signed results; upload materials."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, bindparam, select
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import DbSession, Public, RuntimeDep, SignedFor, XmlSigned, done_reading, request_body
from gateway import audit
from gateway.api.problems import responses
from gateway.audit.reads import note_read
from gateway.api.times import UtcTime
from gateway.applications.intake import Channel, IntakeOutcome, accept_submission, check_submission, dry_run
from gateway.applications.transfers import confirm, is_transferee
from gateway.applications.supplements import SuppliedMaterial, evidence_of, supply
from gateway.permissions import Grant, application_for
from gateway.persistence.types import utcnow
from gateway.errors import GatewayError, NotFound, ResultNotReady
from gateway.quality.refusals import attributed_to, record_intake_refusal
from gateway.materials.service import store_material
from gateway.persistence.models import Application, ApplicationEvent, ApplicationExtension, SignedDocument

router = APIRouter(prefix="/v1", tags=["institutions"])
XML = "application/xml"
JOSE = "application/jose"
#: Request bodies of the submit and dry-run endpoints: signed XML, a compact JWS, or JSON with a detached JWS.
_REQUEST_CONTENT = {XML: {"schema": {"type": "string"}},
                    JOSE: {"schema": {"type": "string", "description": "JWS compact serialization"}},
                    "application/json": {"schema": {"type": "object", "description":
                                         "The application JSON; the JWS-Signature header carries the detached JWS"}}}
_JWS_SIGNATURE = [{"name": "JWS-Signature", "in": "header", "required": False,
                   "description": "Detached JWS (RFC 7797) of an application/json body", "schema": {"type": "string"}}]
_SIGNED_DOCUMENT = {XML: {}, JOSE: {}}


def _signed_request(request: Request) -> dict:
    """The request's media type and its detached JWS-Signature, if any (docs/interface/json-channel.md)."""
    return {"media_type": request.headers.get("content-type"),
            "detached_signature": request.headers.get("jws-signature")}


@router.post(
    "/applications",
    dependencies=[XmlSigned("application.submit")],
    status_code=202,
    response_class=Response,
    summary="Submit a signed application (XML)",
    responses={
        202: {"description": "Accepted: the signed receipt (XMLDSig, or JWS for a JSON submission)",
              "content": _SIGNED_DOCUMENT},
        200: {"description": "Exact retry: the same signed receipt", "content": _SIGNED_DOCUMENT},
        **responses(403, 409, 413, 422),
    },
    openapi_extra={"requestBody": {"required": True, "content": _REQUEST_CONTENT}, "parameters": _JWS_SIGNATURE},
)
async def submit(request: Request, runtime: RuntimeDep) -> Response:
    try:
        return await _submit(request, runtime)
    except GatewayError as exc:  # counted for the quality figures (docs/interface/quality.md), then answered
        async with runtime.write_gate():
            await run_in_threadpool(record_intake_refusal, runtime, exc, channel=_channel_of(request), at=utcnow())
        raise


def _channel_of(request: Request) -> str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return "bank_json" if media_type in ("application/jose", "application/json") else "bank_xml"


async def _submit(request: Request, runtime: RuntimeDep) -> Response:
    body = request_body(request, runtime.settings.max_request_bytes)
    # The checks run on the thread pool, a few side by side (Runtime.check_slots); the writing step
    # queues for its turn (Runtime.intake_gate), and the time of receipt is when it gets it (so
    # numbers and times of receipt agree).
    async with runtime.check_slots():
        checked = await run_in_threadpool(check_submission, runtime, body, now=utcnow(), **_signed_request(request))
    if isinstance(checked, IntakeOutcome):
        outcome = checked
    else:
        async with runtime.intake_gate():
            with attributed_to(checked.institution_id):
                outcome = await run_in_threadpool(accept_submission, runtime, checked,
                                                  channel=Channel(_channel_of(request)))
    return Response(
        outcome.receipt,
        status_code=202 if outcome.created else 200,
        media_type=outcome.media_type,
        headers={"Location": f"/v1/applications/{outcome.application_no}"},
    )


class HistoryEntry(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor_kind: str
    at: UtcTime
    note: dict | None = None


class DocumentEntry(BaseModel):
    kind: str
    sha256: str
    created_at: UtcTime


class ExtensionEntry(BaseModel):
    working_days: int
    reason: str
    at: UtcTime


class ApplicationStatus(BaseModel):
    application_no: str
    request_id: str
    registration_type: str
    status: str
    received_at: UtcTime
    due_date: date
    deadline_provisional: bool = Field(description="True while the due date counts days of a year whose official calendar is not loaded yet.")
    triage: str
    fee_yuan: str | None
    findings: list[dict]
    extensions: list[ExtensionEntry] = Field(
        default_factory=list, description="Working days added to the deadline, each with its reason.")
    decided_at: UtcTime | None
    decision_reason: str | None = Field(
        None, description="The reviewer's reason for the decision standing now (a rejection, an approval, or a "
        "supplement request not yet answered), as in the signed document's Reason; null when none was given.")
    supplement_respond_by: date | None = Field(
        None, description="While a supplement request (补正) is unanswered: the day by which the supplement is to "
        "arrive, as in the signed request's Supplement/RespondBy; null otherwise.")
    history: list[HistoryEntry]
    documents: list[DocumentEntry]


def _own_application(session, institution, application_no: str) -> Application:
    """The application, if the institution is a party to it (gateway/permissions.py); the route's
    dependency has checked that already as far as its action reaches."""
    return application_for(session, application_no, institution=institution, extent=Grant.PARTY)


@router.get("/applications/{application_no}", response_model=ApplicationStatus, responses=responses(401, 404))
def status(application_no: str, request: Request,
           institution: SignedFor("application.read_status"), session: DbSession) -> Response:
    """Status and history (HTTP-signed by the applying institution).

    Answered as the JSON of the ``ApplicationStatus`` built here, exactly what FastAPI would write
    for it, without FastAPI validating the model once more on a thread-pool hop of its own."""
    application = _own_application(session, institution, application_no)
    note_read(request, audit.read_of(application, actor=institution.code, actor_role="institution", what="status"))
    history = [
        HistoryEntry(action=action, from_status=from_status, to_status=to_status, actor_kind=actor_kind, at=at,
                     note=note)
        for action, from_status, to_status, actor_kind, at, note in session.execute(
            _status_statements().history, {"application_id": application.id})
    ]
    answer = ApplicationStatus(
        application_no=application.application_no,
        request_id=application.request_id,
        registration_type=application.registration_type,
        status=application.status,
        received_at=application.received_at,
        due_date=application.due_date,
        deadline_provisional=application.deadline_provisional,
        triage=application.triage,
        fee_yuan=f"{application.fee_amount:.2f}" if application.fee_amount is not None else None,
        findings=application.findings or [],
        extensions=[
            ExtensionEntry(working_days=working_days, reason=reason, at=at)
            for working_days, reason, at in session.execute(
                _status_statements().extensions, {"application_id": application.id})
        ],
        decided_at=application.decided_at,
        decision_reason=application.decision_reason,
        supplement_respond_by=_supplement_respond_by(application.status, history),
        history=history,
        documents=[DocumentEntry(kind=kind, sha256=sha256, created_at=created_at) for kind, sha256, created_at
                   in session.execute(_status_statements().documents, {"application_id": application.id})],
    )
    done_reading(session)
    return Response(answer.model_dump_json(by_alias=True), media_type="application/json")


@dataclass(frozen=True)
class _StatusStatements:
    history: Select
    extensions: Select
    documents: Select


@functools.cache
def _status_statements() -> _StatusStatements:
    """The status read's queries, built once (building a statement costs about as much as running it)."""
    application_id = bindparam("application_id")
    return _StatusStatements(
        history=select(ApplicationEvent.action, ApplicationEvent.from_status, ApplicationEvent.to_status,
                       ApplicationEvent.actor_kind, ApplicationEvent.at, ApplicationEvent.note)
        .where(ApplicationEvent.application_id == application_id).order_by(ApplicationEvent.id),
        extensions=select(ApplicationExtension.working_days, ApplicationExtension.reason, ApplicationExtension.at)
        .where(ApplicationExtension.application_id == application_id).order_by(ApplicationExtension.id),
        # the signed documents' kinds and digests (not their bytes), oldest first, without the request
        documents=select(SignedDocument.kind, SignedDocument.sha256, SignedDocument.created_at)
        .where(SignedDocument.application_id == application_id, SignedDocument.kind != "request")
        .order_by(SignedDocument.id),
    )


def _supplement_respond_by(status: str, history: list[HistoryEntry]) -> date | None:
    """The answer date of the supplement request standing now (its event's note), if one stands."""
    if status != "SUPPLEMENT_REQUESTED":
        return None
    for event in reversed(history):
        if event.action == "request_supplement":
            respond_by = (event.note or {}).get("respond_by")
            return date.fromisoformat(respond_by) if respond_by else None
    return None


def _latest(session, application: Application, kind: str) -> SignedDocument | None:
    return session.scalar(
        select(SignedDocument).where(SignedDocument.application_id == application.id, SignedDocument.kind == kind)
        .order_by(SignedDocument.id.desc()).limit(1)
    )


@router.get(
    "/applications/{application_no}/result",
    response_class=Response,
    responses={200: {"content": _SIGNED_DOCUMENT, "description": "The signed result (in the submission's format)"},
               **responses(401, 404, 409)},
)
def result(application_no: str, request: Request, institution: SignedFor("application.read_status"),
           session: DbSession) -> Response:
    """The signed result once the application is decided (approved or rejected)."""
    application = _own_application(session, institution, application_no)
    document = _latest(session, application, "result")
    if document is None:
        raise ResultNotReady()
    note_read(request, audit.read_of(application, actor=institution.code, actor_role="institution", what="result"))
    answer = Response(document.content, media_type=document.media_type)
    done_reading(session)
    return answer


@router.get(
    "/applications/{application_no}/documents/{kind}",
    response_class=Response,
    responses={200: {"content": _SIGNED_DOCUMENT, "description": "The latest signed document of that kind"},
               **responses(401, 404)},
)
def signed_document(application_no: str, kind: str, request: Request,
                    institution: SignedFor("application.read_status"), session: DbSession) -> Response:
    """The latest ``receipt``, ``supplement_request`` or ``result`` for the application."""
    if kind not in ("receipt", "supplement_request", "result"):
        raise NotFound("no such document kind")
    application = _own_application(session, institution, application_no)
    document = _latest(session, application, kind)
    if document is None:
        raise NotFound("no such document yet")
    note_read(request, audit.read_of(application, actor=institution.code, actor_role="institution",
                                     what=f"document.{kind}"))
    answer = Response(document.content, media_type=document.media_type)
    done_reading(session)
    return answer


class MaterialStored(BaseModel):
    sha256: str
    size: int
    created: bool


@router.put(
    "/materials/{sha256}",
    response_model=MaterialStored,
    status_code=201,
    responses={200: {"description": "Already uploaded"}, **responses(401, 413, 422)},
    openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
)
def upload_material(
    sha256: str, request: Request, institution: SignedFor("materials.upload"), runtime: RuntimeDep,
    session: DbSession,
) -> Response:
    """Upload a material under the SHA-256 of its bytes (HTTP-signed, Content-Digest covered)."""
    body = request_body(request, runtime.settings.max_material_bytes, code="material.too_large")
    material, created = store_material(
        session, institution_id=institution.id, sha256=sha256, content=body,
        media_type=request.headers.get("content-type", "application/octet-stream"),
        max_bytes=runtime.settings.max_material_bytes,
    )
    stored = MaterialStored(sha256=material.sha256, size=material.size, created=created)
    return Response(stored.model_dump_json(), status_code=201 if created else 200, media_type="application/json")


@router.get("/gateway/certificate", response_class=Response, tags=["public"], dependencies=[Public("public.read")],
            responses={200: {"content": {"application/x-pem-file": {}}}})
def gateway_certificate(runtime: RuntimeDep) -> Response:
    """The certificate the gateway signs receipts, results and callbacks with."""
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = b"".join(c.public_bytes(Encoding.PEM) for c in (runtime.signer.certificate, *runtime.signer.chain))
    return Response(pem, media_type="application/x-pem-file")


class DryRunFinding(BaseModel):
    code: str
    severity: str
    message_zh: str
    hint: str
    field: str | None


class DryRunResult(BaseModel):
    outcome: str = Field(description="REFUSED | AUTO_APPROVE | SIMPLE | COMPLEX")
    findings: list[DryRunFinding]
    complex_reasons: list[str]
    fee_yuan: str | None
    fee_basis: str | None


@router.post(
    "/applications/dry-run",
    dependencies=[XmlSigned("application.submit")],
    response_model=DryRunResult,
    summary="Run the intake checks and pre-review on a signed application without submitting it",
    responses=responses(403, 413, 422),
    openapi_extra={"requestBody": {"required": True, "content": _REQUEST_CONTENT}, "parameters": _JWS_SIGNATURE},
)
def dry_run_application(request: Request, runtime: RuntimeDep) -> DryRunResult:
    body = request_body(request, runtime.settings.max_request_bytes)
    _, assessment = dry_run(runtime, body, **_signed_request(request))
    return DryRunResult(
        outcome=assessment.outcome.value,
        findings=[DryRunFinding(**f) for f in assessment.findings_json()],
        complex_reasons=list(assessment.triage.complex_reasons),
        fee_yuan=f"{assessment.fee.amount:.2f}" if assessment.fee else None,
        fee_basis=assessment.fee.basis_zh if assessment.fee else None,
    )


class SuppliedMaterialIn(BaseModel):
    type_code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9_]+$")
    file_name: str = Field(min_length=1, max_length=200)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class SupplementIn(BaseModel):
    materials: list[SuppliedMaterialIn] = Field(min_length=1, max_length=50)
    note: str | None = Field(None, max_length=2000)


@router.post(
    "/applications/{application_no}/supplement",
    response_model=ApplicationStatus,
    summary="Answer a supplement request (补正) with materials uploaded beforehand",
    responses=responses(401, 404, 409, 422),
)
def supplement(
    application_no: str, body: SupplementIn, request: Request, institution: SignedFor("application.supplement"),
    runtime: RuntimeDep, session: DbSession,
) -> Response:
    application = _own_application(session, institution, application_no)
    if application.institution_id != institution.id:
        raise NotFound("no such application")  # only the applying institution answers a 补正
    supply(
        session, runtime.settings, application=application, institution=institution,
        materials=[SuppliedMaterial(m.type_code, m.file_name, m.sha256) for m in body.materials],
        note=body.note, evidence=evidence_of(request.state.body, dict(request.headers)), at=utcnow(),
    )
    session.flush()
    return status(application_no, request, institution, session)


class TransfereeConfirmationIn(BaseModel):
    request_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the transferor's signed request")


class TransfereeConfirmationOut(BaseModel):
    application_no: str
    confirmed_at: UtcTime
    evidence_sha256: str


@router.post(
    "/applications/{application_no}/transferee-confirmation",
    response_model=TransfereeConfirmationOut,
    summary="The transferee joins a transfer (抵押权转移登记 is filed jointly)",
    responses=responses(401, 404, 409, 422),
)
def confirm_transfer(
    application_no: str, body: TransfereeConfirmationIn, request: Request,
    institution: SignedFor("application.confirm_transfer"),
    session: DbSession,
) -> TransfereeConfirmationOut:
    """HTTP-signed by the transferee named in the request; confirms exactly that signed request."""
    application = _own_application(session, institution, application_no)
    if not is_transferee(application, institution):
        raise NotFound("no such application")
    document = confirm(session, application=application, institution=institution,
                       request_sha256=body.request_sha256,
                       evidence=evidence_of(request.state.body, dict(request.headers)), at=utcnow())
    return TransfereeConfirmationOut(application_no=application_no, confirmed_at=document.created_at,
                                     evidence_sha256=document.sha256)
