"""Admin API: institutions — the overview, registering one (or a branch), its name and callback URL,
disabling and enabling it, and the record of these changes."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.times import UtcTime
from gateway.api.deps import Allowed, DbSession, RuntimeDep
from gateway.api.problems import responses
from gateway.institutions import administration
from gateway.institutions.administration import UNCHANGED, InstitutionView
from gateway.logs import current_request_id
from gateway.persistence.models import AdminAction, InstitutionCertificate

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is refused, not ignored


class CertificateSummary(BaseModel):
    fingerprint: str = Field(description="SHA-256 of the DER certificate, lower-case hex: the HTTP `keyid`")
    subject: str
    not_before: UtcTime
    not_after: UtcTime
    revoked: bool
    revoked_at: UtcTime | None
    revocation_reason: str | None


class InstitutionOut(BaseModel):
    code: str
    name: str
    kind: str
    department_role: str | None = Field(None, description="tax_bureau | housing_bureau | fund_centre: a department's "
                                        "role (a housing_fund may be fund_centre); null for a bank")
    purposes: list[str] = Field(default_factory=list, description="the query purposes a department is allowed")
    status: Literal["active", "disabled"]
    accepts_requests: bool = Field(description="false while it, or its head institution, is disabled")
    parent_code: str | None
    branch_codes: list[str]
    callback_url: str | None
    output_format: str = Field("xml", description="xml | json: the format of its documents not tied to one "
                               "submission (watch notices, batch refusals, statements)")
    created_at: UtcTime
    updated_at: UtcTime | None
    disabled_at: UtcTime | None
    disabled_reason: str | None
    certificates: list[CertificateSummary]


class InstitutionList(BaseModel):
    items: list[InstitutionOut]


class InstitutionIn(_Strict):
    code: str = Field(max_length=32, description="unified social credit code (GB 32100)")
    name: str = Field(max_length=1000)
    kind: str = Field(max_length=32, description="`bank`, `housing_fund` or `department`")
    department_role: str | None = Field(None, max_length=32, description="`tax_bureau`, `housing_bureau` or "
                                        "`fund_centre`: required for a department; a housing_fund may be fund_centre")
    parent_code: str | None = Field(None, max_length=32, description="the head institution, for a branch")
    callback_url: str | None = Field(None, max_length=2000)
    certificate_pem: str = Field(max_length=100_000, description="its first signing certificate, PEM")


class InstitutionChange(_Strict):
    name: str | None = Field(None, max_length=1000)
    callback_url: str | None = Field(None, max_length=2000, description="null or empty: no callback (pull only)")
    output_format: Literal["xml", "json"] | None = Field(
        None, description="xml (XMLDSig) or json (JWS): documents not tied to one submission")


class PurposesIn(_Strict):
    purposes: list[str] = Field(max_length=50, description="every purpose the department may query for "
                                "(replaces the current set)")


class DisableIn(_Strict):
    reason: str = Field(max_length=2000)


class HistoryEntry(BaseModel):
    at: UtcTime
    actor: str
    action: str
    subject_kind: str
    subject: str
    details: dict[str, Any] | None
    request_id: str | None


class History(BaseModel):
    items: list[HistoryEntry]


@router.get("/institutions", response_model=InstitutionList, responses=responses(401, 403))
def list_institutions(session: DbSession, admin: Allowed("institution.manage")) -> InstitutionList:
    """Every institution with its kind, status, branches, certificates and callback URL."""
    return InstitutionList(items=[_out(view) for view in administration.overview(session)])


@router.get("/institutions/{code}", response_model=InstitutionOut, responses=responses(401, 403, 404))
def show_institution(code: str, session: DbSession, admin: Allowed("institution.manage")) -> InstitutionOut:
    return _out(administration.view_of(session, code))


@router.post("/institutions", response_model=InstitutionOut, status_code=201, responses=responses(401, 403, 422))
def create_institution(body: InstitutionIn, session: DbSession,
                       admin: Allowed("institution.manage"), runtime: RuntimeDep,
                       response: Response) -> InstitutionOut:
    """Register a bank or housing-fund centre, or a branch of one, with its first certificate
    (checked like any added certificate: valid now, signing key usage, chaining to the trust anchors)."""
    administration.create_institution(
        session, actor=admin.username, request_id=current_request_id(), code=body.code, name=body.name,
        kind=body.kind, cert_pem=body.certificate_pem.encode(), trust=runtime.trust,
        callback_url=body.callback_url, parent_code=body.parent_code, department_role=body.department_role)
    response.headers["Location"] = f"/v1/admin/institutions/{body.code}"
    return _out(administration.view_of(session, body.code))


@router.patch("/institutions/{code}", response_model=InstitutionOut, responses=responses(401, 403, 404, 422))
def update_institution(code: str, body: InstitutionChange, session: DbSession,
                       admin: Allowed("institution.manage")) -> InstitutionOut:
    """Change the name, the callback URL and/or the output format (only the fields given)."""
    given = body.model_fields_set
    administration.update_institution(
        session, code, actor=admin.username, request_id=current_request_id(),
        name=body.name if "name" in given else UNCHANGED,
        callback_url=body.callback_url if "callback_url" in given else UNCHANGED,
        output_format=body.output_format if "output_format" in given and body.output_format else UNCHANGED)
    return _out(administration.view_of(session, code))


@router.put("/institutions/{code}/purposes", response_model=InstitutionOut, responses=responses(401, 403, 404, 422))
def set_purposes(code: str, body: PurposesIn, session: DbSession, admin: Allowed("institution.manage")) -> InstitutionOut:
    """The purposes a department may query for, as a whole set (a bank: `department.not_a_department`)."""
    from gateway.departments.grants import set_purposes as set_allowed

    institution = administration.institution_by_code(session, code, for_update=True)
    set_allowed(session, institution, body.purposes, actor=admin.username, request_id=current_request_id())
    return _out(administration.view_of(session, code))


@router.post("/institutions/{code}/disable", response_model=InstitutionOut,
             responses=responses(401, 403, 404, 409, 422))
def disable_institution(code: str, body: DisableIn, session: DbSession,
                        admin: Allowed("institution.manage")) -> InstitutionOut:
    """Refuse its (and its branches') requests from now on; its open applications stay reviewable."""
    administration.disable_institution(session, code, actor=admin.username, request_id=current_request_id(),
                                       reason=body.reason)
    return _out(administration.view_of(session, code))


@router.post("/institutions/{code}/enable", response_model=InstitutionOut, responses=responses(401, 403, 404, 409))
def enable_institution(code: str, session: DbSession, admin: Allowed("institution.manage")) -> InstitutionOut:
    administration.enable_institution(session, code, actor=admin.username, request_id=current_request_id())
    return _out(administration.view_of(session, code))


@router.get("/institutions/{code}/history", response_model=History, responses=responses(401, 403, 404))
def institution_history(code: str, session: DbSession, admin: Allowed("institution.manage")) -> History:
    """The recorded changes to the institution and its certificates, newest first."""
    return History(items=[_entry(action) for action in administration.history(session, code)])


def _out(view: InstitutionView) -> InstitutionOut:
    institution = view.institution
    return InstitutionOut(
        code=institution.code, name=institution.name, kind=institution.kind, status=institution.status,
        department_role=institution.department_role, purposes=list(view.purposes),
        accepts_requests=view.accepts_requests, parent_code=view.parent.code if view.parent else None,
        branch_codes=[branch.code for branch in view.branches], callback_url=institution.callback_url,
        output_format=institution.output_format or "xml", created_at=institution.created_at, updated_at=institution.updated_at,
        disabled_at=institution.disabled_at, disabled_reason=institution.disabled_reason,
        certificates=[_certificate(c) for c in view.certificates])


def _certificate(certificate: InstitutionCertificate) -> CertificateSummary:
    return CertificateSummary(
        fingerprint=certificate.fingerprint, subject=certificate.subject, not_before=certificate.not_before,
        not_after=certificate.not_after, revoked=certificate.revoked_at is not None,
        revoked_at=certificate.revoked_at, revocation_reason=certificate.revocation_reason)


def _entry(action: AdminAction) -> HistoryEntry:
    return HistoryEntry(at=action.at, actor=action.actor, action=action.action, subject_kind=action.subject_kind,
                        subject=action.subject, details=action.details, request_id=action.request_id)
