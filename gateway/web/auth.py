"""Who is using the staff web: the database session, the signed-in user, CSRF and role checks.

Every route of the web depends on ``csrf_guard`` (set on the router), so no POST, whatever its
handler, runs without the session's CSRF token; every page names the action it performs, and the
permission table (gateway/permissions.py) decides who may.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gateway import permissions
from gateway.api.deps import READING_METHODS, RuntimeDep
from gateway.logs import bind_actor
from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import Institution, StaffUser
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


def _admit(request: Request, user: StaffUser | None, action: str, names: str) -> permissions.Grant:
    """How far the table lets the signed-in ``user`` do ``action``; refused pages otherwise."""
    request.state.action = action
    if user is None:
        raise LoginRequired()
    setup_pending = pending(user, request.app.state.runtime.settings) is not None
    if setup_pending and action not in permissions.WHILE_ACCOUNT_SETUP_PENDING:
        raise WebError(403, "请先完成账号安全设置", PENDING_ZH)
    extent = permissions.grant(user.role, action)
    if extent is None:
        raise WebError(403, "无权访问", f"此页面和操作仅供{names}使用，您的账号角色是{ROLE_ZH.get(user.role, user.role)}。")
    return extent


@functools.cache
def allowed(action: str, *, declares: bool = True):
    """A dependency admitting signed-in staff whose role the table grants ``action`` (gateway/permissions.py);
    where the grant is limited to the institution's own applications, another's is answered like a missing one."""
    rule = permissions.permission(action)
    names = "、".join(ROLE_ZH[actor] for actor in permissions.STAFF if actor in rule.grants)
    if not names:
        raise LookupError(f"no staff role may {action}")

    if not any(rule.grants.get(actor) in permissions.OWNERSHIP for actor in permissions.STAFF):
        async def check(request: Request, user: Identity) -> StaffUser:  # no I/O: no thread hop
            _admit(request, user, action, names)
            return user
    else:
        def check(request: Request, user: Identity, db: WebDb) -> StaffUser:
            extent = _admit(request, user, action, names)
            application_no = request.path_params.get("application_no")
            if extent in permissions.OWNERSHIP and application_no is not None:
                institution = db.get(Institution, user.institution_id) if user.institution_id else None
                permissions.application_for(db, application_no, institution=institution, extent=extent)
            return user
    if declares:  # as in gateway/api/deps.py: read by tests/integration/test_permission_matrix.py
        check.permission_action, check.permission_actors = action, frozenset(permissions.STAFF)
    return check


def Allowed(action: str):  # noqa: N802 - used as a type in signatures
    """``clerk: Allowed("application.read_status")``: the page performs that action of the table."""
    return Annotated[StaffUser, Depends(allowed(action))]


# The older names: the table's roles, without naming a page's action (the permission test requires one).
Clerk = Annotated[StaffUser, Depends(allowed("application.read_status", declares=False))]
Reviewer = Annotated[StaffUser, Depends(allowed("application.review", declares=False))]
Supervisor = Annotated[StaffUser, Depends(allowed("supervision.read", declares=False))]
Admin = Annotated[StaffUser, Depends(allowed("staff.manage", declares=False))]
