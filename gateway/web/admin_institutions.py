"""Admin web pages: institutions — the list, one institution (certificates, branches, recorded
changes) with its forms to change the name and callback URL and to disable or enable it, and for a
department its role and the query purposes it is allowed (docs/interface/departments.md)."""
from __future__ import annotations

from typing import Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from gateway.departments import grants
from gateway.departments.purposes import PURPOSES
from gateway.institutions import administration
from gateway.logs import current_request_id
from gateway.web.auth import Allowed, PostedForm, WebDb
from gateway.web.routing import render, web_router

router = web_router()
DONE_ZH = {"updated": "已保存机构名称和回调地址。", "unchanged": "名称和回调地址与原来相同，未作修改。",
           "disabled": "机构已停用：其请求将被拒绝（institution.disabled），在办申请仍可审核，结果照常送达。",
           "enabled": "机构已启用，其请求重新受理。",
           "purposes": "已保存该部门的查询用途，下一次查询起生效。", "purposes_unchanged": "查询用途与原来相同，未作修改。"}
DONE = Literal["updated", "unchanged", "disabled", "enabled", "purposes", "purposes_unchanged"]


@router.get("/admin/institutions")
def institutions_page(request: Request, db: WebDb, admin: Allowed("institution.manage")) -> Response:
    return render(request, "admin/institutions.html", {"views": administration.overview(db)})


@router.get("/admin/institutions/{code}")
def institution_page(request: Request, db: WebDb, admin: Allowed("institution.manage"), code: str,
                     done: DONE | None = None) -> Response:
    return render(request, "admin/institution_detail.html", {
        "view": administration.view_of(db, code), "history": administration.history(db, code),
        "done": DONE_ZH.get(done or ""), "all_purposes": PURPOSES.values()})


@router.post("/admin/institutions/{code}")
def update_institution(db: WebDb, admin: Allowed("institution.manage"), posted: PostedForm, code: str) -> Response:
    """The name and callback URL, as the form shows them (an emptied URL removes the callback)."""
    before = administration.institution_by_code(db, code).updated_at
    institution = administration.update_institution(
        db, code, actor=admin.username, request_id=current_request_id(),
        name=str(posted.get("name", "")), callback_url=str(posted.get("callback_url", "")))
    done = "unchanged" if institution.updated_at == before else "updated"
    return _back(code, done)


@router.post("/admin/institutions/{code}/disable")
def disable_institution(db: WebDb, admin: Allowed("institution.manage"), posted: PostedForm, code: str) -> Response:
    administration.disable_institution(db, code, actor=admin.username, request_id=current_request_id(),
                                       reason=str(posted.get("reason", "")))
    return _back(code, "disabled")


@router.post("/admin/institutions/{code}/enable")
def enable_institution(db: WebDb, admin: Allowed("institution.manage"), code: str) -> Response:
    administration.enable_institution(db, code, actor=admin.username, request_id=current_request_id())
    return _back(code, "enabled")


@router.post("/admin/institutions/{code}/purposes")
def update_purposes(db: WebDb, admin: Allowed("institution.manage"), posted: PostedForm, code: str) -> Response:
    """Exactly the purposes ticked on the form (a department only; each change recorded)."""
    institution = administration.institution_by_code(db, code, for_update=True)
    before = grants.purposes_of(db, institution)
    after = grants.set_purposes(db, institution, sorted(posted.getlist("purpose")), actor=admin.username,
                                request_id=current_request_id())
    return _back(code, "purposes" if after != before else "purposes_unchanged")


def _back(code: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/institutions/{code}?done={done}", status_code=303)
