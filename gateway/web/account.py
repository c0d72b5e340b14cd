"""``/account/security``: every member of staff's own second factor (TOTP) and password.

Open to any signed-in account, including one that must first enrol a second factor or replace a
password an administrator reset (every other page refuses such an account until then).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.api.deps import RuntimeDep
from gateway.errors import GatewayError
from gateway.logs import current_request_id
from gateway.persistence.db import read_only
from gateway.persistence.models import StaffUser
from gateway.persistence.types import utcnow
from gateway.staff import enrolment, totp
from gateway.staff.accounts import recovery_codes_left
from gateway.staff.service import check_password
from gateway.staff.sign_in import Pending, has_second_factor, pending
from gateway.web.auth import Allowed, Identity, PostedForm, WebDb
from gateway.web.routing import LoginRequired, render, web_router

router = web_router()
_REFUSALS_ZH = {
    "auth.totp_invalid": "验证码错误，请核对验证器中本账号的验证码后重新输入。",
    "auth.totp_reused": "该验证码已使用过，请等待验证器显示下一个验证码。",
    "auth.totp_wrong_time": "验证码与当前时间不符，请检查手机时间是否准确（应开启自动设置时间）。",
    "staff.totp_not_started": "请先点击“开始启用”，再输入验证码。",
    "staff.totp_already_enrolled": "本账号已启用两步验证。",
    "staff.totp_not_enrolled": "本账号尚未启用两步验证。",
    "staff.totp_mandatory": "您的角色必须使用两步验证，不能停用。如更换手机，请联系管理员重置。",
    "staff.wrong_password": "当前密码错误。",
    "staff.password_mismatch": "两次输入的新密码不一致。",
    "staff.weak_password": "新密码至少需要 10 个字符。",
}


async def signed_in(user: Identity) -> StaffUser:  # no I/O: no thread hop
    if user is None:
        raise LoginRequired()
    return user


Me = Annotated[StaffUser, Depends(signed_in)]


def _page(request: Request, runtime, db, user: StaffUser, *, status: int = 200, error: str | None = None,
          recovery_codes: list[str] | None = None, message: str | None = None) -> Response:
    enrolling = not has_second_factor(user) and bool(user.totp_secret) and recovery_codes is None
    uri = totp.provisioning_uri(user.totp_secret, user.username) if enrolling else None
    return render(request, "account/security.html", {
        "me": user, "enrolled": has_second_factor(user), "enrolling": enrolling,
        "qr": totp.qr_data_uri(uri) if uri else None, "uri": uri,
        "secret": totp.formatted_secret(user.totp_secret) if enrolling else None,
        "recovery_codes": recovery_codes, "codes_left": recovery_codes_left(db, user.id),
        "mandatory": user.role in runtime.settings.require_totp, "pending": pending(user, runtime.settings),
        "Pending": Pending, "error": error, "message": message}, status=status)


def _refused(request: Request, runtime, db, user: StaffUser, refusal: GatewayError) -> Response:
    return _page(request, runtime, db, user, status=422 if refusal.kind == "invalid" else 409 if refusal.kind == "conflict"
                 else 403 if refusal.kind == "forbidden" else 401, error=_REFUSALS_ZH.get(refusal.code, "操作未完成。"))


@router.get("/account/security")
def security(request: Request, runtime: RuntimeDep, db: WebDb, me: Allowed("account.manage_own")) -> Response:
    return _page(request, runtime, db, me)


@router.post("/account/security/totp/start")
def start(request: Request, runtime: RuntimeDep, db: WebDb, me: Allowed("account.manage_own")) -> Response:
    try:
        enrolment.start(db, user_id=me.id)
    except GatewayError as refusal:
        return _refused(request, runtime, db, me, refusal)
    return RedirectResponse("/account/security", status_code=303)


@router.post("/account/security/totp/confirm")
def confirm(request: Request, runtime: RuntimeDep, db: WebDb,
            me: Allowed("account.manage_own"), form: PostedForm) -> Response:
    try:
        codes = enrolment.confirm(db, user_id=me.id, code=str(form.get("code", ""))[:16], now=utcnow(),
                                  request_id=current_request_id())
    except GatewayError as refusal:
        return _refused(request, runtime, db, me, refusal)
    # Shown this once only: the database keeps their hashes.
    return _page(request, runtime, db, me, recovery_codes=codes, message="两步验证已启用。")


@router.post("/account/security/totp/remove")
def remove(request: Request, runtime: RuntimeDep, db: WebDb,
           me: Allowed("account.manage_own"), form: PostedForm) -> Response:
    try:
        enrolment.remove(db, user_id=me.id, code=str(form.get("code", ""))[:16], settings=runtime.settings,
                         now=utcnow(), request_id=current_request_id())
    except GatewayError as refusal:
        return _refused(request, runtime, db, me, refusal)
    return _page(request, runtime, db, me, message="两步验证已停用。")


@router.post("/account/security/password")
def change_password(request: Request, runtime: RuntimeDep, db: WebDb,
                    me: Allowed("account.manage_own"), form: PostedForm) -> Response:
    with read_only(runtime.read_sessions) as reading:  # the slow check holds no write lock
        current_ok = check_password(reading.get(StaffUser, me.id), str(form.get("current", ""))[:200])
    try:
        enrolment.change_password(db, user_id=me.id, current_ok=current_ok, new=str(form.get("new", ""))[:200],
                                  repeated=str(form.get("repeated", ""))[:200], now=utcnow(),
                                  request_id=current_request_id())
    except GatewayError as refusal:
        return _refused(request, runtime, db, me, refusal)
    return _page(request, runtime, db, me, message="密码已修改。")
