"""Admin web page: institutions' signing certificates — the expiry report (soonest first, those
expiring within ``certificate_expiry_warning_days`` highlighted), registering a certificate,
revoking one with a reason, and the trust anchors."""
from __future__ import annotations

from typing import Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from gateway.api.deps import RuntimeDep
from gateway.institutions import certificates
from gateway.institutions.certificate_checks import STATUSES, parse_period
from gateway.logs import current_request_id
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from gateway.web.auth import Allowed, PostedForm, WebDb
from gateway.web.routing import render, web_router

router = web_router()
DONE_ZH = {"added": "证书已登记。新旧证书在旧证书吊销或到期前均可使用。",
           "revoked": "证书已吊销：自下一个请求起，用该证书签名的请求和报文均被拒绝。"}


@router.get("/admin/certificates")
def certificates_page(request: Request, runtime: RuntimeDep, db: WebDb,
                      admin: Allowed("institution.manage"), institution: str = "",
                      status: str = "", expiring: str = "",
                      done: Literal["added", "revoked"] | None = None) -> Response:
    now = utcnow()
    rows = certificates.list_certificates(
        db, now=now, institution_code=institution or None, status=status or None,
        expiring_within_days=parse_period(expiring) if expiring.strip() else None)
    institutions = list(db.execute(select(Institution.code, Institution.name).order_by(Institution.code)))
    return render(request, "admin/certificates.html", {
        "rows": rows, "anchors": certificates.trust_anchors(runtime.trust, now=now), "institutions": institutions,
        "statuses": STATUSES, "filters": {"institution": institution, "status": status, "expiring": expiring},
        "warning_days": runtime.settings.certificate_expiry_warning_days, "done": DONE_ZH.get(done or "")})


@router.post("/admin/certificates")
def add_certificate(runtime: RuntimeDep, db: WebDb,
                    admin: Allowed("institution.manage"), posted: PostedForm) -> Response:
    """Register the pasted PEM certificate to the chosen institution."""
    code = str(posted.get("institution", ""))
    certificates.register_certificate(db, code=code, cert_pem=str(posted.get("pem", "")).encode(),
                                      trust=runtime.trust, actor=admin.username, request_id=current_request_id())
    return RedirectResponse(f"/admin/certificates?institution={code}&done=added", status_code=303)


@router.post("/admin/certificates/{fingerprint}/revoke")
def revoke_certificate(db: WebDb,
                       admin: Allowed("institution.manage"), posted: PostedForm, fingerprint: str) -> Response:
    certificates.revoke(db, fingerprint=fingerprint, reason=str(posted.get("reason", "")), actor=admin.username,
                        request_id=current_request_id())
    return RedirectResponse("/admin/certificates?done=revoked", status_code=303)
