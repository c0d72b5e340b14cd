"""Request dependencies: the runtime, a database session, and who is calling.

No dependency here blocks the event loop: they are plain functions, which FastAPI runs on its
thread pool, or (``get_db``) do their blocking part there themselves. Bodies have already been read
whole by :mod:`gateway.api.bodies` before any of them runs, so no unit of work is open while the
client is still sending.
"""
from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Annotated

import anyio
import anyio.to_thread

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from gateway import permissions
from gateway.errors import Forbidden, NotAuthenticated, RequestTooLarge
from gateway.logs import bind_actor
from gateway.persistence.db import READ_ONLY_OPTION, read_only, transaction
from gateway.persistence.models import Institution, StaffUser
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime
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


async def get_db(request: Request, runtime: RuntimeDep) -> AsyncIterator[Session]:
    """One unit of work per request: a read-only one for GET and HEAD (no write lock), else a
    transaction committed when the endpoint returns and rolled back on error.

    Async only to save thread-pool hops: entering a unit of work does no I/O (its session connects
    at its first statement, which runs on the pool), so it is entered here on the event loop; it is
    ended on the pool, as FastAPI ends a plain generator dependency's — or, a read-only one that
    holds no connection (never used, or ended by :func:`done_reading`), here too."""
    reading = request.method in READING_METHODS
    unit = read_only(runtime.read_sessions) if reading else transaction(runtime.sessions)
    session = unit.__enter__()
    async with _ended_in_threadpool(unit, idle=(lambda: not session.in_transaction()) if reading else None):
        yield session


def done_reading(session: Session) -> None:
    """End a read-only unit of work once the endpoint has read all it answers with (it answers a
    ``Response``, which nothing reads from the session after it): its connection goes back to the
    pool from the endpoint's own thread, and :func:`get_db` ends the unit without a hop of its own.
    A writing unit of work is left alone (an endpoint may be called by another, writing one)."""
    if session.get_bind().get_execution_options().get(READ_ONLY_OPTION):
        session.close()


@asynccontextmanager
async def _ended_in_threadpool(unit: AbstractContextManager, *, idle=None) -> AsyncIterator[None]:
    """Exit ``unit`` on the thread pool, shielded from cancellation and on a limiter of its own, as
    ``fastapi.concurrency.contextmanager_in_threadpool`` does: a request cancelled (its client gone)
    still commits or rolls back and returns its connection, and an exit never waits for a pool
    thread held by a request that waits for this connection. If ``idle()`` says there is no I/O
    left to do, ``unit`` is exited right here."""
    limiter = anyio.CapacityLimiter(1)
    try:
        yield
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            suppressed = await anyio.to_thread.run_sync(unit.__exit__, type(exc), exc, exc.__traceback__,
                                                        limiter=limiter)
        if not suppressed:
            raise
    else:
        if idle is not None and idle():
            unit.__exit__(None, None, None)
            return
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(unit.__exit__, None, None, None, limiter=limiter)


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


# --- the permission table (gateway/permissions.py) at the edge ---------------------------------
# Each route names the one action it performs: ``staff: Allowed("application.review")`` (bearer token),
# ``institution: SignedFor("application.read_status")`` (HTTP signature), or, for a route anyone may
# call or whose caller is known only from its signed body, ``dependencies=[Public("verify.public")]``
# / ``[XmlSigned("application.submit")]``. The dependency carries the action as ``permission_action``
# and the actors its credentials can stand for as ``permission_actors`` (tests/integration/
# test_permission_matrix.py reads both), and leaves the action on ``request.state.action``.


def _declaring(check, action: str, actors, *, declares: bool = True):
    if declares:
        check.permission_action, check.permission_actors = action, frozenset(actors)
    return check


def declaring(action: str, *actors: permissions.Actor):
    """Mark a dependency of its own that checks ``action`` against the table for ``actors``' credentials."""
    permissions.permission(action)
    return lambda check: _declaring(check, action, actors or permissions.STAFF)


def _refuse_unless_owned(request: Request, session: Session, institution: Institution | None, extent) -> None:
    """Ownership, as the table grants it, of the application named in the path (a list filters itself)."""
    application_no = request.path_params.get("application_no")
    if extent in permissions.OWNERSHIP and application_no is not None:
        permissions.application_for(session, application_no, institution=institution, extent=extent)


@functools.cache
def allowed(action: str, *, declares: bool = True):
    """A dependency admitting a staff member (bearer token) whose role the table grants ``action``."""
    rule = permissions.permission(action)
    roles = " or ".join(actor for actor in permissions.STAFF if actor in rule.grants)
    if not roles:
        raise LookupError(f"no staff role may {action}")

    def grant_of(request: Request, user: StaffUser):
        request.state.action = action
        extent = permissions.grant(user.role, action)
        if extent is None:
            raise Forbidden(f"this needs the role {roles}")
        return extent

    if not any(rule.grants.get(actor) in permissions.OWNERSHIP for actor in permissions.STAFF):
        async def check(request: Request, user: Annotated[StaffUser, Depends(staff_user)]) -> StaffUser:  # no I/O
            grant_of(request, user)
            return user
    else:
        def check(request: Request, user: Annotated[StaffUser, Depends(staff_user)], session: DbSession) -> StaffUser:
            institution = session.get(Institution, user.institution_id) if user.institution_id else None
            _refuse_unless_owned(request, session, institution, grant_of(request, user))
            return user
    return _declaring(check, action, permissions.STAFF, declares=declares)


@functools.cache
def signed_for(action: str):
    """A dependency admitting an institution or department (HTTP signature) as far as the table grants it
    ``action``."""
    if not any(permissions.grant(actor, action) for actor in permissions.SIGNERS):
        raise LookupError(f"no institution may {action}")

    # The signature is checked here rather than through a dependency of its own: FastAPI runs each
    # plain dependency on its own thread-pool hop, and a signed read is cheap enough for a hop to show.
    def check(request: Request, runtime: RuntimeDep, session: DbSession) -> Institution:
        institution = signed_institution(request, runtime, session)
        request.state.action = action
        _refuse_unless_owned(request, session, institution, permissions.signer_grant(institution, action))
        return institution

    return _declaring(check, action, permissions.SIGNERS)


@functools.cache
def _declared(action: str, actor: permissions.Actor):
    if permissions.grant(actor, action) is None:
        raise LookupError(f"the table does not grant {action} to {actor}")

    async def declare(request: Request) -> None:  # no I/O: no thread hop
        request.state.action = action

    actors = {permissions.Actor.ANONYMOUS: list(permissions.Actor),
              permissions.Actor.INSTITUTION: permissions.SIGNERS}.get(actor, [actor])
    return _declaring(declare, action, actors)


def Allowed(action: str):  # noqa: N802 - used as a type in signatures
    return Annotated[StaffUser, Depends(allowed(action))]


def SignedFor(action: str):  # noqa: N802 - used as a type in signatures
    return Annotated[Institution, Depends(signed_for(action))]


def Public(action: str):  # noqa: N802 - for ``dependencies=[...]``
    """A route anyone may call (the table grants ``action`` to anonymous callers)."""
    return Depends(_declared(action, permissions.Actor.ANONYMOUS))


def XmlSigned(action: str):  # noqa: N802 - for ``dependencies=[...]``
    """A route whose caller is the institution that signed the XML body (checked by intake)."""
    return Depends(_declared(action, permissions.Actor.INSTITUTION))


# The older names: the table's roles, without naming a route's action (the permission test requires one).
Reviewer = Annotated[StaffUser, Depends(allowed("application.review", declares=False))]
Admin = Annotated[StaffUser, Depends(allowed("staff.manage", declares=False))]
Supervisor = Annotated[StaffUser, Depends(allowed("supervision.read", declares=False))]
