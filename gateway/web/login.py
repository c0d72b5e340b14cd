"""Signing in and out of the staff web, rate-limited per username and client address.

Sign-in has up to two steps. The password comes first; an account with a second factor then gets
a short-lived signed cookie (``gw_2fa``: who passed the password, and where to go next) and the
page asking for its authenticator's code or a recovery code. Only then does a session start. An
account that must first enrol a second factor (``GATEWAY_REQUIRE_TOTP``) or choose a new password
is signed in and sent to ``/account/security``, the only page it may use until then.
"""
from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from gateway.api.client_address import client_address
from gateway.api.deps import Public, RuntimeDep
from gateway.errors import NotAuthenticated, SignInLocked
from gateway.persistence.db import read_only
from gateway.persistence.models import StaffUser
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime
from gateway.staff import sign_in as steps
from gateway.staff.service import Role, authenticate
from gateway.web import sessions
from gateway.web.auth import (
    HOME, LOGIN_TOKEN_SECONDS, Identity, PostedForm, WebDb, clear_cookie, cookie_name, login_signer, session_signer,
    set_cookie,
)
from gateway.web.routing import render, web_router

router = web_router()
SECOND_STEP_SECONDS = 300
_SECOND_FACTOR_ZH = {
    "auth.totp_invalid": "验证码错误。",
    "auth.totp_reused": "该验证码已使用过，请等待验证器显示下一个验证码。",
    "auth.totp_wrong_time": "验证码与当前时间不符，请检查手机时间是否准确（应开启自动设置时间）。",
    "auth.totp_required": "请输入验证码或恢复码。",
    "auth.recovery_code_invalid": "恢复码错误。",
    "auth.recovery_code_used": "该恢复码已使用过，每个恢复码只能使用一次。",
}


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never ``//host`` or a scheme) may follow sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def second_step_signer(runtime: Runtime) -> sessions.CookieSigner:
    return sessions.CookieSigner(runtime.tokens.secrets, "web-second-factor", SECOND_STEP_SECONDS)


def _with_login_token(request: Request, runtime: Runtime, template: str, context: dict, status: int) -> Response:
    """A sign-in page whose form carries a CSRF token bound to a short-lived signed cookie."""
    token = sessions.new_token()
    response = render(request, template, {"login_token": token, **context}, status=status)
    set_cookie(response, runtime, "gw_login", login_signer(runtime).sign(token), max_age=LOGIN_TOKEN_SECONDS)
    return response


def _login_page(request: Request, runtime, *, status: int = 200, error: str | None = None,
                username: str = "", next_path: str | None = None) -> Response:
    return _with_login_token(request, runtime, "login.html", {
        "error": error, "username": username, "next": safe_next(next_path) or "",
        "ttl_hours": round(runtime.tokens.ttl_seconds / 3600, 1), "max_failures": sessions.MAX_FAILURES,
        "window_minutes": int(sessions.FAILURE_WINDOW.total_seconds() // 60)}, status)


def _second_step_page(request: Request, runtime, *, status: int = 200, error: str | None = None) -> Response:
    return _with_login_token(request, runtime, "login_totp.html", {"error": error}, status)


def _locked_message(locked: SignInLocked) -> str:
    minutes = max(1, -(-int(locked.extra.get("retry_after", 60)) // 60))
    return f"登录失败次数过多，已暂停该账号在本机的登录。请 {minutes} 分钟后再试，或联系管理员。"


def _start_session(request: Request, runtime: Runtime, db, user: StaffUser, next_path: str | None) -> Response:
    key, _ = sessions.start_session(db, user, ttl_seconds=runtime.tokens.ttl_seconds, now=utcnow())
    target = "/account/security" if steps.pending(user, runtime.settings) else safe_next(next_path) or HOME[Role(user.role)]
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, runtime, "gw_session", session_signer(runtime).sign(key), max_age=runtime.tokens.ttl_seconds)
    clear_cookie(response, runtime, "gw_login")
    clear_cookie(response, runtime, "gw_2fa")
    return response


@router.get("/", dependencies=[Public("account.sign_in")])
def home(user: Identity) -> RedirectResponse:
    return RedirectResponse(HOME[Role(user.role)] if user else "/login", status_code=303)


@router.get("/login", dependencies=[Public("account.sign_in")])
def login_form(request: Request, runtime: RuntimeDep, user: Identity,
               next_path: str | None = Query(None, alias="next")) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next_path) or HOME[Role(user.role)], status_code=303)
    return _login_page(request, runtime, next_path=next_path)


@router.post("/login", dependencies=[Public("account.sign_in")])
def login(request: Request, runtime: RuntimeDep, db: WebDb, form: PostedForm) -> Response:
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:200]
    next_path = str(form.get("next", ""))
    address, now = client_address(request, runtime.settings), utcnow()
    # The slow hash runs in a read-only unit of work; only the outcome is written, in the request's transaction.
    with read_only(runtime.read_sessions) as reading:
        try:
            steps.refuse_if_locked(reading, username=username, address=address, now=now)
            user = authenticate(reading, username=username, password=password, rehash=False)
        except SignInLocked as locked:
            return _login_page(request, runtime, status=429, username=username, next_path=next_path,
                               error=_locked_message(locked))
        except NotAuthenticated:
            user = None
    if user is None:
        sessions.record_failure(db, username=username, address=address, now=now)
        return _login_page(request, runtime, status=401, username=username, next_path=next_path,
                           error="用户名或密码错误。")
    if steps.has_second_factor(user):
        # Earlier failures are forgiven only once the code is right too: else someone holding the
        # password could guess codes without end, the right password clearing the count each time.
        steps.rehash_if_needed(db, user=user, password=password)
        response = _second_step_page(request, runtime)
        set_cookie(response, runtime, "gw_2fa", second_step_signer(runtime).sign(f"{user.id}|{safe_next(next_path) or ''}"),
                   max_age=SECOND_STEP_SECONDS)
        return response
    steps.complete(db, user=user, password=password, address=address)
    return _start_session(request, runtime, db, user, next_path)


def _passed_password(request: Request, runtime: Runtime, db) -> tuple[StaffUser | None, str]:
    """Who passed the password step in this browser within the last minutes, and where they go next."""
    value = second_step_signer(runtime).unsign(request.cookies.get(cookie_name(runtime, "gw_2fa")))
    user_id, _, next_path = (value or "").partition("|")
    user = db.get(StaffUser, int(user_id)) if user_id.isdigit() else None
    return (user if user is not None and user.active else None), next_path


@router.get("/login/totp", dependencies=[Public("account.sign_in")])
def second_step_form(request: Request, runtime: RuntimeDep, db: WebDb) -> Response:
    user, _ = _passed_password(request, runtime, db)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return _second_step_page(request, runtime)


@router.post("/login/totp", dependencies=[Public("account.sign_in")])
def second_step(request: Request, runtime: RuntimeDep, db: WebDb, form: PostedForm) -> Response:
    user, next_path = _passed_password(request, runtime, db)
    if user is None:  # the password step is older than SECOND_STEP_SECONDS, or never happened
        return RedirectResponse("/login", status_code=303)
    code = "".join(str(form.get("code", "")).split())[:32]
    address, now = client_address(request, runtime.settings), utcnow()
    try:
        steps.refuse_if_locked(db, username=user.username, address=address, now=now)
        is_totp = code.isdigit()
        steps.check_second_factor(db, user=user, totp_code=code if is_totp else None,
                                  recovery_code=None if is_totp else code, now=now)
    except SignInLocked as locked:
        response = _login_page(request, runtime, status=429, username=user.username, error=_locked_message(locked))
        clear_cookie(response, runtime, "gw_2fa")
        return response
    except NotAuthenticated as refusal:
        if code:
            sessions.record_failure(db, username=user.username, address=address, now=now)
        return _second_step_page(request, runtime, status=401, error=_SECOND_FACTOR_ZH.get(refusal.code, "验证码错误。"))
    sessions.clear_failures(db, username=user.username, address=address)
    return _start_session(request, runtime, db, user, next_path)


@router.post("/logout", dependencies=[Public("account.sign_in")])
def logout(request: Request, runtime: RuntimeDep, user: Identity) -> Response:
    if request.state.web_session is not None:
        sessions.end_session(request.state.web_session, now=utcnow())
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, runtime, "gw_session")
    return response
