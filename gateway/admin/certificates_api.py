"""Admin API: institutions' signing certificates — register (key rotation), list and expiry report,
revoke, the trust anchors, and importing a CA's revocation list.

They live under ``/v1/admin/institution-certificates``: ``/v1/admin/certificates/{certificate_no}``
is the registration certificates' (不动产登记证明) path, which the centre issues and revokes."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.times import UtcTime
from gateway.api.deps import Allowed, DbSession, RuntimeDep, request_body
from gateway.api.problems import responses
from gateway.institutions import certificates, crl
from gateway.institutions.certificates import AnchorRow, CertificateRow
from gateway.logs import current_request_id
from gateway.persistence.types import utcnow

router = APIRouter(prefix="/v1/admin", tags=["admin"])
CRL_MAX_BYTES = 1_048_576  # the body limit of requests without a rule of their own (gateway.api.bodies)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is refused, not ignored


class CertificateIn(_Strict):
    pem: str = Field(max_length=100_000, description="the signing certificate, PEM (the first of a bundle counts)")


class RevocationIn(_Strict):
    reason: str = Field(max_length=2000, description="why (key leaked, replaced, bank left…); 1 to 200 characters")


class CertificateOut(BaseModel):
    institution_code: str
    institution_name: str
    fingerprint: str = Field(description="SHA-256 of the DER certificate, lower-case hex: the HTTP `keyid`")
    subject: str
    not_before: UtcTime
    not_after: UtcTime
    registered_at: UtcTime
    status: Literal["current", "not_yet_valid", "expired", "revoked"]
    expires_in_days: float = Field(description="days until notAfter; negative once expired")
    revoked_at: UtcTime | None
    revocation_reason: str | None
    revoked_by: str | None


class CertificateList(BaseModel):
    items: list[CertificateOut]


class AnchorOut(BaseModel):
    fingerprint: str = Field(description="SHA-256 of the DER certificate, lower-case hex")
    subject: str
    not_before: UtcTime
    not_after: UtcTime
    status: Literal["current", "not_yet_valid", "expired"]


class AnchorList(BaseModel):
    items: list[AnchorOut]


class CrlImportOut(BaseModel):
    issuer_fingerprint: str = Field(description="the trust anchor that signed the CRL")
    listed: int = Field(description="serial numbers on the CRL")
    next_update: UtcTime | None
    stale: bool = Field(description="nextUpdate has passed; the revocations it lists were applied all the same")
    revoked: list[str] = Field(description="fingerprints revoked by this import")
    already_revoked: list[str]


@router.post("/institutions/{code}/certificates", response_model=CertificateOut, status_code=201,
             responses=responses(401, 403, 404, 409, 422))
def add_certificate(code: str, body: CertificateIn, runtime: RuntimeDep, session: DbSession,
                    admin: Allowed("institution.manage"),
                    response: Response) -> CertificateOut:
    """Register another signing certificate of the institution (key rotation: old and new both work
    until the old one is revoked or expires). Refused unless valid now, meant for signing and
    chaining to the trust anchors."""
    now = utcnow()
    added = certificates.register_certificate(session, code=code, cert_pem=body.pem.encode(), trust=runtime.trust,
                                              actor=admin.username, request_id=current_request_id(), at=now)
    response.headers["Location"] = f"/v1/admin/institution-certificates/{added.fingerprint}"
    return _out(CertificateRow.of(added, now))


@router.get("/institution-certificates", response_model=CertificateList, responses=responses(401, 403, 404))
def list_certificates(
    session: DbSession, admin: Allowed("institution.manage"),
    institution: str | None = Query(None, max_length=32, description="only this institution's (its code)"),
    status: Literal["current", "not_yet_valid", "expired", "revoked"] | None = None,
    expiring_within_days: int | None = Query(None, ge=0, le=3650,
                                             description="only unrevoked, unexpired ones ending within these days"),
) -> CertificateList:
    """Registered certificates, soonest to expire first."""
    rows = certificates.list_certificates(session, now=utcnow(), institution_code=institution, status=status,
                                          expiring_within_days=expiring_within_days)
    return CertificateList(items=[_out(row) for row in rows])


@router.get("/institution-certificates/{fingerprint}", response_model=CertificateOut, responses=responses(401, 403, 404))
def show_certificate(fingerprint: str, session: DbSession, admin: Allowed("institution.manage")) -> CertificateOut:
    return _out(certificates.certificate_row(session, fingerprint, now=utcnow()))


@router.post("/institution-certificates/{fingerprint}/revoke", response_model=CertificateOut,
             responses=responses(401, 403, 404, 409, 422))
def revoke_certificate(fingerprint: str, body: RevocationIn, session: DbSession,
                       admin: Allowed("institution.manage")) -> CertificateOut:
    """Revoke now: the next request signed with this certificate's key is refused."""
    now = utcnow()
    revoked = certificates.revoke(session, fingerprint=fingerprint, reason=body.reason, actor=admin.username,
                                  request_id=current_request_id(), at=now)
    return _out(CertificateRow.of(revoked, now))


@router.get("/trust-anchors", response_model=AnchorList, responses=responses(401, 403))
def trust_anchors(runtime: RuntimeDep, admin: Allowed("institution.manage")) -> AnchorList:
    """The CA certificates institutions' certificates must chain to, with their SHA-256 fingerprints."""
    return AnchorList(items=[_anchor(row) for row in certificates.trust_anchors(runtime.trust, now=utcnow())])


@router.post("/crl", response_model=CrlImportOut, responses=responses(401, 403, 413, 422),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/pkix-crl": {"schema": {"type": "string", "format": "binary"}},
                 "application/x-pem-file": {"schema": {"type": "string"}}}}})
def import_crl(request: Request, runtime: RuntimeDep, session: DbSession,
               admin: Allowed("institution.manage")) -> CrlImportOut:
    """Import a trust anchor's certificate revocation list (DER or PEM body): revoke every
    registered certificate it lists."""
    data = request_body(request, CRL_MAX_BYTES, code="request.too_large")
    report = crl.import_crl(session, data=data, trust=runtime.trust, actor=admin.username,
                            request_id=current_request_id())
    return CrlImportOut(**vars(report))


def _out(row: CertificateRow) -> CertificateOut:
    return CertificateOut(**vars(row))


def _anchor(row: AnchorRow) -> AnchorOut:
    return AnchorOut(**vars(row))
