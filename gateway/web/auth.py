"""Who is using the staff web: the database session, the signed-in user, CSRF and role checks.

Every route of the web depends on ``csrf_guard`` (set on the router), so no POST, whatever its
handler, runs without the session's CSRF token; every page names the roles it admits.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gateway.api.deps import READING_METHODS, RuntimeDep
from gateway.logs import bind_actor
from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import StaffUser
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime
from gateway.staff.service import Role
from gateway.staff.sign_in import pending
from gateway.web import sessions
from gateway.web.labels import ROLE_ZH
from gateway.web.routing import LoginRequired, WebError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 512 * 1024  # forms carry text and material hashes only; files go to the upload route
LOGIN_TOKEN_SECONDS = 3600
HOME = {Role.CLERK: "/clerk/applications", Role.REVIEWER: "/review/queue",
        Role.SUPERVISOR: "/supervision", Role.ADMIN: "/supervision"}


def web_db(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """One unit of work per request: read-only for GET and HEAD (no write lock); otherwise a
    transaction committed before the response is sent (so a redirect sees it)."""
    if request.method in READING_METHODS:
        with read_only(runtime.read_sessions) as session:
            request.state.web_db = session
            yield session
        return
    with transaction(runtime.sessions) as session:
        request.state.web_db = session
        yield session


WebDb = Annotated[Session, Depends(web_db, scope="function")]


def uses_https(runtime: Runtime) -> bool:
    return runtime.settings.public_base_url.lower().startswith("https://")


def cookie_name(runtime: Runtime, name: str) -> str:
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and path=/.
    return f"__Host-{name}" if uses_https(runtime) else name


def session_signer(runtime: Runtime) -> sessions.CookieSigner:
    tokens = runtime.tokens
    return sessions.CookieSigner(tokens.secrets, "web-session", tokens.ttl_seconds)


def login_signer(runtime: Runtime) -> sessions.CookieSigner:
    return sessions.CookieSigner(runtime.tokens.secrets, "web-login", LOGIN_TOKEN_SECONDS)


def set_cookie(response: Response, runtime: Runtime, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(cookie_name(runtime, name), value, max_age=max_age, path="/", httponly=True,
                        samesite="lax", secure=uses_https(runtime))


def clear_cookie(response: Response, runtime: Runtime, name: str) -> None:
    response.delete_cookie(cookie_name(runtime, name), path="/", httponly=True, samesite="lax",
                           secure=uses_https(runtime))


def identify(request: Request, runtime: RuntimeDep, db: WebDb) -> StaffUser | None:
    """The signed-in user (and the session's CSRF token on ``request.state``), or None."""
    key = session_signer(runtime).unsign(request.cookies.get(cookie_name(runtime, "gw_session")))
    found = sessions.find_session(db, key, now=utcnow())
    request.state.user = found[1] if found else None
    request.state.web_session = found[0] if found else None
    request.state.csrf_token = found[0].csrf_token if found else ""
    if found:
        bind_actor(f"staff:{found[1].username}")
    return request.state.user


Identity = Annotated[StaffUser | None, Depends(identify)]


async def posted_form(request: Request):
    """The urlencoded form of a POST (read once; later reads get the same object)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise WebError(413, "内容过大", "提交的表单过大。")
    return await request.form(max_files=0, max_fields=600)


PostedForm = Annotated[FormData, Depends(posted_form)]


async def csrf_guard(request: Request, runtime: RuntimeDep, user: Identity) -> None:
    """Refuse any state-changing request without the right CSRF token (header or form field)."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        given = (await posted_form(request)).get("csrf_token")
    if user is not None:
        expected = request.state.csrf_token
    else:  # the sign-in form: a token bound to a short-lived signed cookie (double submit)
        expected = login_signer(runtime).unsign(request.cookies.get(cookie_name(runtime, "gw_login")))
    if not sessions.tokens_match(expected, given if isinstance(given, str) else None):
        raise WebError(403, "请求已被拒绝", "页面已过期或请求来源无法确认（CSRF 校验未通过）。请刷新页面后重新操作。")


PENDING_ZH = ("您的账号须先完成“账号安全”页面上的设置（启用两步验证，或在管理员重置密码后设置新密码），"
              "完成后才能使用其他页面。请点击导航栏中的“账号安全”。")


def require(*roles: Role):
    """A dependency admitting only signed-in users with one of ``roles``."""
    names = "、".join(ROLE_ZH[role] for role in roles)

    async def check(request: Request, user: Identity) -> StaffUser:  # no I/O: no thread hop
        if user is None:
            raise LoginRequired()
        if pending(user, request.app.state.runtime.settings) is not None:
            raise WebError(403, "请先完成账号安全设置", PENDING_ZH)
        if user.role not in roles:
            raise WebError(403, "无权访问", f"此页面和操作仅供{names}使用，您的账号角色是{ROLE_ZH.get(user.role, user.role)}。")
        return user

    return check


Clerk = Annotated[StaffUser, Depends(require(Role.CLERK))]
Reviewer = Annotated[StaffUser, Depends(require(Role.REVIEWER))]
Supervisor = Annotated[StaffUser, Depends(require(Role.SUPERVISOR, Role.ADMIN))]
Admin = Annotated[StaffUser, Depends(require(Role.ADMIN))]
