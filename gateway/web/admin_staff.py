"""Admin web pages: staff — the list with a form to add an account, and one account with its forms
to change the role, disable or enable it, reset its password or second factor, and its record."""
from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from gateway.admin.actions import history, record
from gateway.institutions.administration import overview
from gateway.logs import current_request_id
from gateway.persistence.types import utcnow
from gateway.staff import accounts
from gateway.staff.service import Role, add_user
from gateway.staff.sign_in import has_second_factor
from gateway.web.auth import Allowed, PostedForm, WebDb
from gateway.web.labels import plain_text
from gateway.web.routing import render, web_router

router = web_router()
Done = Literal["created", "role", "disabled", "enabled", "password", "totp"]
DONE_ZH = {"created": "账号已创建。", "role": "角色已修改。",
           "disabled": "账号已停用：已退出所有网页登录，其接口令牌即时失效。", "enabled": "账号已启用。",
           "password": "密码已重置：该人员下次登录时须设置新密码，原有网页登录已退出。",
           "totp": "两步验证已重置：该人员可在“账号安全”页面重新启用。"}


def _institutions(db) -> list:
    return [view.institution for view in overview(db)]


@router.get("/admin/staff")
def staff_page(request: Request, db: WebDb, admin: Allowed("staff.manage")) -> Response:
    users = accounts.list_users(db)
    return render(request, "admin/staff.html", {
        "users": users, "codes": accounts.institution_codes(db), "roles": list(Role),
        "totp": {user.id: has_second_factor(user) for user in users}, "institutions": _institutions(db)})


@router.post("/admin/staff")
def create_staff(db: WebDb, admin: Allowed("staff.manage"), posted: PostedForm) -> Response:
    username = plain_text(posted.get("username"), 64)
    institution = plain_text(posted.get("institution"), 32) or None
    user = add_user(db, username=username, role=plain_text(posted.get("role"), 16),
                    password=str(posted.get("password", ""))[:200], institution_code=institution)
    record(db, actor=admin.username, action="staff.create", subject_kind="staff", subject=user.username,
           details={"role": user.role, "institution": institution}, request_id=current_request_id())
    return _back(user.username, "created")


@router.get("/admin/staff/{username}")
def staff_detail(request: Request, db: WebDb,
                 admin: Allowed("staff.manage"), username: str, done: Done | None = None) -> Response:
    user = accounts.find(db, username)
    return render(request, "admin/staff_detail.html", {
        "account": user, "institution_code": accounts.institution_codes(db).get(user.institution_id),
        "totp_enabled": has_second_factor(user), "codes_left": accounts.recovery_codes_left(db, user.id),
        "roles": list(Role), "institutions": _institutions(db),
        "history": history(db, subject_kind="staff", subject=user.username), "done": DONE_ZH.get(done or "")})


@router.post("/admin/staff/{username}/role")
def change_role(db: WebDb, admin: Allowed("staff.manage"), posted: PostedForm, username: str) -> Response:
    accounts.set_role(db, username=username, role=plain_text(posted.get("role"), 16),
                      institution_code=plain_text(posted.get("institution"), 32) or None, actor=admin.username,
                      now=utcnow(), request_id=current_request_id())
    return _back(username, "role")


@router.post("/admin/staff/{username}/disable")
def disable_staff(db: WebDb, admin: Allowed("staff.manage"), username: str) -> Response:
    accounts.disable(db, username=username, actor=admin.username, now=utcnow(), request_id=current_request_id())
    return _back(username, "disabled")


@router.post("/admin/staff/{username}/enable")
def enable_staff(db: WebDb, admin: Allowed("staff.manage"), username: str) -> Response:
    accounts.enable(db, username=username, actor=admin.username, now=utcnow(), request_id=current_request_id())
    return _back(username, "enabled")


@router.post("/admin/staff/{username}/reset-password")
def reset_password(db: WebDb, admin: Allowed("staff.manage"), posted: PostedForm, username: str) -> Response:
    accounts.reset_password(db, username=username, password=str(posted.get("password", ""))[:200],
                            actor=admin.username, now=utcnow(), request_id=current_request_id())
    return _back(username, "password")


@router.post("/admin/staff/{username}/reset-totp")
def reset_totp(db: WebDb, admin: Allowed("staff.manage"), username: str) -> Response:
    accounts.reset_totp(db, username=username, actor=admin.username, now=utcnow(), request_id=current_request_id())
    return _back(username, "totp")


def _back(username: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/staff/{quote(username, safe='')}?done={done}", status_code=303)
