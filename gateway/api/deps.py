"""Request dependencies: the runtime, a database session, and who is calling.

No dependency here blocks the event loop: they are plain functions, which FastAPI runs on its
thread pool. Bodies have already been read whole by :mod:`gateway.api.bodies` before any of them
runs, so no unit of work is open while the client is still sending.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from gateway.errors import Forbidden, NotAuthenticated, RequestTooLarge
from gateway.logs import bind_actor
from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import Institution, StaffUser
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime
from gateway.staff.service import Role
from gateway.staff.sign_in import refuse_if_pending
from gateway.institutions import replay
from gateway.institutions.auth import authenticate_institution

READING_METHODS = frozenset({"GET", "HEAD"})

# Row ids are 64-bit (BIGINT on PostgreSQL, INTEGER on SQLite): a larger number in a path names
# nothing, and must be refused (422) before it reaches the database driver, which cannot bind it.
MAX_ID = 2**63 - 1
PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="A row id (1 to 2^63-1).")]
# A material's position on its application (counted from 0).
PathPosition = Annotated[int, Path(ge=0, le=2**31 - 1, description="Position from 0.")]


def request_body(request: Request, limit: int, *, code: str = "xml.too_large") -> bytes:
    """The request body, read whole by the body middleware before the endpoint ran."""
    body = request.scope.get("state", {}).get("body", b"")
    if len(body) > limit:
        raise RequestTooLarge(f"the body is over the limit of {limit} bytes", code=code)
    return body


async def get_runtime(request: Request) -> Runtime:
    # async only because it is trivial: FastAPI would otherwise spend a thread-pool hop on it.
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """One unit of work per request: a read-only one for GET and HEAD (no write lock), else a
    transaction committed when the endpoint returns and rolled back on error."""
    if request.method in READING_METHODS:
        with read_only(runtime.read_sessions) as session:
            yield session
        return
    with transaction(runtime.sessions) as session:
        yield session


def get_read_db(runtime: RuntimeDep) -> Iterator[Session]:
    """A read-only unit of work whatever the method (a POST that only checks something)."""
    with read_only(runtime.read_sessions) as session:
        yield session


def get_write_db(runtime: RuntimeDep) -> Iterator[Session]:
    """A writing transaction whatever the method (a GET that records something)."""
    with transaction(runtime.sessions) as session:
        yield session


# Committed when the endpoint returns, before the response is sent: a client's next request sees it.
DbSession = Annotated[Session, Depends(get_db, scope="function")]
WriteDbSession = Annotated[Session, Depends(get_write_db, scope="function")]
ReadDbSession = Annotated[Session, Depends(get_read_db, scope="function")]


def signed_institution(request: Request, runtime: RuntimeDep, session: DbSession) -> Institution:
    """The institution whose registered key signed this HTTP request (RFC 9421); a signature on
    a POST is good for one request only (:mod:`gateway.institutions.replay`)."""
    body = request_body(request, runtime.settings.max_material_bytes, code="material.too_large")
    request.state.body = body
    now = utcnow()
    institution = authenticate_institution(
        session,
        method=request.method,
        url=_raw_url(request),
        headers=request.headers.items(),
        body=body,
        max_age_seconds=runtime.settings.http_signature_max_age_seconds,
        now=now,
        trust=runtime.trust,
    )
    bind_actor(institution.code)  # log lines from here on name the institution
    if replay.is_once_only(request.method):
        replay.use_signature(session, institution=institution, headers=request.headers.items(),
                             max_age_seconds=runtime.settings.http_signature_max_age_seconds, now=now)
    return institution


def _raw_url(request: Request) -> str:
    """The URL as sent (percent-encoded path), which is what the client signed."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    url = f"{request.url.scheme}://{request.url.netloc}{raw_path.decode('latin-1')}"
    return f"{url}?{query.decode('latin-1')}" if query else url


SignedInstitution = Annotated[Institution, Depends(signed_institution)]


def staff_user(request: Request, runtime: RuntimeDep, session: DbSession) -> StaffUser:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise NotAuthenticated("a staff bearer token is required")
    user = session.get(StaffUser, runtime.tokens.user_id(header[7:].strip()))
    if user is None or not user.active:
        raise NotAuthenticated("the account is not active", code="auth.bad_token")
    refuse_if_pending(user, runtime.settings)  # e.g. GATEWAY_REQUIRE_TOTP set after the token was issued
    bind_actor(f"staff:{user.username}")
    return user


def require_role(*roles: Role):
    async def check(user: Annotated[StaffUser, Depends(staff_user)]) -> StaffUser:  # no I/O: no thread hop
        if user.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}")
        return user

    return check


Reviewer = Annotated[StaffUser, Depends(require_role(Role.REVIEWER))]
Admin = Annotated[StaffUser, Depends(require_role(Role.ADMIN))]
Supervisor = Annotated[StaffUser, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))]
