"""Administering staff accounts: list, disable, enable, change role, reset password or second factor.

Shared by the admin API, the admin pages and the CLI. Each change is recorded with
:func:`gateway.admin.actions.record` in the caller's transaction, without secrets. Two rules
protect the centre from locking itself out: the last active administrator can be neither disabled
nor given another role (``staff.last_admin``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gateway.admin.actions import record
from gateway.errors import GatewayError, InvalidRequest, NotFound
from gateway.institutions.service import find_by_code
from gateway.persistence.db import lock_for_update
from gateway.persistence.models import Institution, StaffRecoveryCode, StaffUser
from gateway.staff.service import Role, hash_password
from gateway.web.sessions import end_user_sessions


class LastAdmin(GatewayError):
    code = "staff.last_admin"
    title = "The last active administrator cannot be disabled or given another role"
    kind = "conflict"


class NotEnrolled(GatewayError):
    code = "staff.totp_not_enrolled"
    title = "The account has no second factor"
    kind = "conflict"


def find(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise NotFound("no staff account with this username", code="staff.unknown")
    return user


def list_users(session: Session, *, include_disabled: bool = True) -> list[StaffUser]:
    statement = select(StaffUser).order_by(StaffUser.username)
    if not include_disabled:
        statement = statement.where(StaffUser.active.is_(True))
    return list(session.scalars(statement))


def institution_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Institution.id, Institution.code)).all())


def recovery_codes_left(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(StaffRecoveryCode).where(
        StaffRecoveryCode.user_id == user_id, StaffRecoveryCode.used_at.is_(None))) or 0


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidRequest(f"role must be one of {', '.join(Role)}", code="staff.invalid_role") from None


def _keep_an_admin(session: Session, user: StaffUser) -> None:
    """Refuse when ``user`` is the only active administrator (locked, so two admins cannot race)."""
    if user.role != Role.ADMIN or not user.active:
        return
    admins = session.scalars(lock_for_update(
        select(StaffUser.id).where(StaffUser.role == Role.ADMIN.value, StaffUser.active.is_(True)), session)).all()
    if [admin for admin in admins if admin != user.id] == []:
        raise LastAdmin("the centre must keep at least one active administrator")


def _record(session: Session, *, actor: str, action: str, user: StaffUser, details: dict | None,
            request_id: str | None, now: datetime) -> None:
    user.updated_at = now
    record(session, actor=actor, action=action, subject_kind="staff", subject=user.username, details=details,
           request_id=request_id, at=now)


def disable(session: Session, *, username: str, actor: str, now: datetime, request_id: str | None = None) -> StaffUser:
    """Disable an account: its web sessions end now, its bearer tokens are refused from the next request."""
    user = find(session, username)
    if not user.active:
        return user
    _keep_an_admin(session, user)
    user.active = False
    ended = end_user_sessions(session, user_id=user.id, now=now)
    _record(session, actor=actor, action="staff.disable", user=user, details={"web_sessions_ended": ended},
            request_id=request_id, now=now)
    return user


def enable(session: Session, *, username: str, actor: str, now: datetime, request_id: str | None = None) -> StaffUser:
    user = find(session, username)
    if user.active:
        return user
    user.active = True
    _record(session, actor=actor, action="staff.enable", user=user, details=None, request_id=request_id, now=now)
    return user


def set_role(session: Session, *, username: str, role: str, institution_code: str | None, actor: str,
             now: datetime, request_id: str | None = None) -> StaffUser:
    """Give an account another role; a clerk belongs to an institution, no one else does."""
    new_role = _role(role)
    user = find(session, username)
    institution_id = None
    if institution_code:
        institution = find_by_code(session, institution_code)
        if institution is None:
            raise InvalidRequest("no such institution", code="institution.unknown")
        institution_id = institution.id
    elif new_role == Role.CLERK and user.role == Role.CLERK:
        institution_id = user.institution_id  # a clerk stays with their institution
    if (new_role == Role.CLERK) != (institution_id is not None):
        raise InvalidRequest("clerks, and only clerks, belong to an institution", code="staff.institution_mismatch")
    if new_role == user.role and institution_id == user.institution_id:
        return user
    if new_role != Role.ADMIN:
        _keep_an_admin(session, user)
    codes = institution_codes(session)
    details = {"role": [user.role, new_role.value],
               "institution": [codes.get(user.institution_id), codes.get(institution_id)]}
    user.role, user.institution_id = new_role.value, institution_id
    _record(session, actor=actor, action="staff.set_role", user=user, details=details, request_id=request_id, now=now)
    return user


def reset_password(session: Session, *, username: str, password: str, actor: str, now: datetime,
                   request_id: str | None = None) -> StaffUser:
    """Set a new password that the person must replace at their next sign-in, and sign them out.

    The administrator typed this password, so it is only good for one thing: signing in once to
    choose a new one (``password_reset_required``; the API refuses sign-in until then).
    """
    user = find(session, username)
    user.password_hash = hash_password(password)
    user.password_reset_required = True
    ended = end_user_sessions(session, user_id=user.id, now=now)
    _record(session, actor=actor, action="staff.reset_password", user=user, details={"web_sessions_ended": ended},
            request_id=request_id, now=now)
    return user


def reset_totp(session: Session, *, username: str, actor: str, now: datetime,
               request_id: str | None = None) -> StaffUser:
    """Remove an account's second factor and recovery codes (a lost phone); it may enrol again."""
    user = find(session, username)
    if user.totp_secret is None and user.totp_enabled_at is None:
        raise NotEnrolled("this account has no second factor to reset")
    clear_totp(session, user)
    _record(session, actor=actor, action="staff.reset_totp", user=user, details=None, request_id=request_id, now=now)
    return user


def clear_totp(session: Session, user: StaffUser) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id))
