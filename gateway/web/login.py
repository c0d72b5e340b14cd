"""Signing in and out of the staff web, rate-limited per username and address."""
from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from gateway.api.deps import RuntimeDep
from gateway.errors import NotAuthenticated
from gateway.persistence.types import utcnow
from gateway.staff.service import Role, authenticate
from gateway.web import sessions
from gateway.web.auth import (
    HOME, LOGIN_TOKEN_SECONDS, Identity, PostedForm, WebDb, clear_cookie, login_signer, session_signer, set_cookie,
)
from gateway.web.routing import render, web_router

router = web_router()


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never ``//host`` or a scheme) may follow sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _login_page(request: Request, runtime, *, status: int = 200, error: str | None = None,
                username: str = "", next_path: str | None = None) -> Response:
    token = sessions.new_token()
    response = render(request, "login.html", {
        "login_token": token, "error": error, "username": username, "next": safe_next(next_path) or "",
        "ttl_hours": round(runtime.tokens.ttl_seconds / 3600, 1), "max_failures": sessions.MAX_FAILURES,
        "window_minutes": int(sessions.FAILURE_WINDOW.total_seconds() // 60)}, status=status)
    set_cookie(response, runtime, "gw_login", login_signer(runtime).sign(token), max_age=LOGIN_TOKEN_SECONDS)
    return response


@router.get("/")
def home(user: Identity) -> RedirectResponse:
    return RedirectResponse(HOME[Role(user.role)] if user else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request, runtime: RuntimeDep, user: Identity,
               next_path: str | None = Query(None, alias="next")) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next_path) or HOME[Role(user.role)], status_code=303)
    return _login_page(request, runtime, next_path=next_path)


@router.post("/login")
def login(request: Request, runtime: RuntimeDep, db: WebDb, form: PostedForm) -> Response:
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:200]
    next_path = str(form.get("next", ""))
    address = request.client.host if request.client else "unknown"
    now = utcnow()
    if sessions.sign_in_blocked(db, username=username, address=address, now=now):
        return _login_page(request, runtime, status=429, username=username, next_path=next_path,
                           error=f"登录失败次数过多，已暂停该账号在本机的登录。请 {sessions.FAILURE_WINDOW.seconds // 60} 分钟后再试，或联系管理员。")
    try:
        user = authenticate(db, username=username, password=password)
    except NotAuthenticated:
        sessions.record_failure(db, username=username, address=address, now=now)
        return _login_page(request, runtime, status=401, username=username, next_path=next_path,
                           error="用户名或密码错误。")
    sessions.clear_failures(db, username=username, address=address)
    key, _ = sessions.start_session(db, user, ttl_seconds=runtime.tokens.ttl_seconds, now=now)
    response = RedirectResponse(safe_next(next_path) or HOME[Role(user.role)], status_code=303)
    set_cookie(response, runtime, "gw_session", session_signer(runtime).sign(key), max_age=runtime.tokens.ttl_seconds)
    clear_cookie(response, runtime, "gw_login")
    return response


@router.post("/logout")
def logout(request: Request, runtime: RuntimeDep, user: Identity) -> Response:
    if request.state.web_session is not None:
        sessions.end_session(request.state.web_session, now=utcnow())
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, runtime, "gw_session")
    return response

