"""What staff do for their own account: enrol a TOTP second factor, remove it, change the password.

Enrolment has two steps, so that a second factor counts only once the person has proved their
authenticator holds it: :func:`start` stores a new secret (not yet in force), :func:`confirm`
checks a code from it, puts it in force and returns ten recovery codes, which are shown once and
stored only as SHA-256. Putting a second factor in force or removing it is recorded.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway.admin.actions import record
from gateway.errors import GatewayError, InvalidRequest
from gateway.persistence.models import StaffRecoveryCode, StaffUser
from gateway.settings import Settings
from gateway.staff import totp
from gateway.staff.accounts import NotEnrolled, clear_totp
from gateway.staff.service import hash_password
from gateway.staff.sign_in import accept_totp, has_second_factor


class AlreadyEnrolled(GatewayError):
    code = "staff.totp_already_enrolled"
    title = "The account already has a second factor"
    kind = "conflict"


class EnrolmentNotStarted(GatewayError):
    code = "staff.totp_not_started"
    title = "Start the enrolment first: there is no secret to confirm"
    kind = "conflict"


class SecondFactorMandatory(GatewayError):
    code = "staff.totp_mandatory"
    title = "This role must keep a second factor"
    kind = "forbidden"


def start(session: Session, *, user_id: int) -> str:
    """A new secret for the account (replacing an unconfirmed one); it counts only once confirmed."""
    user = session.get(StaffUser, user_id)
    if has_second_factor(user):
        raise AlreadyEnrolled("remove the current second factor before enrolling another")
    user.totp_secret = totp.new_secret()
    return user.totp_secret


def confirm(session: Session, *, user_id: int, code: str, now: datetime, request_id: str | None = None) -> list[str]:
    """Put the started second factor in force with a code from it; returns the recovery codes (shown once)."""
    user = session.get(StaffUser, user_id)
    if has_second_factor(user):
        raise AlreadyEnrolled("this account already has a second factor")
    if not user.totp_secret:
        raise EnrolmentNotStarted("start the enrolment first")
    user.totp_last_step = totp.matching_step(user.totp_secret, code, now=now, last_step=None)
    user.totp_enabled_at = user.updated_at = now
    codes = totp.new_recovery_codes()
    session.add_all(StaffRecoveryCode(user_id=user.id, code_sha256=totp.recovery_digest(recovery), created_at=now)
                    for recovery in codes)
    record(session, actor=user.username, action="staff.totp_enable", subject_kind="staff", subject=user.username,
           details={"recovery_codes": len(codes)}, request_id=request_id, at=now)
    return codes


def remove(session: Session, *, user_id: int, code: str, settings: Settings, now: datetime,
           request_id: str | None = None) -> None:
    """Remove one's own second factor, proving it with a current code; not for roles that require one."""
    user = session.get(StaffUser, user_id)
    if not has_second_factor(user):
        raise NotEnrolled("this account has no second factor")
    if user.role in settings.require_totp:
        raise SecondFactorMandatory("the centre requires a second factor for this role")
    accept_totp(session, user_id=user.id, code=code, now=now)
    clear_totp(session, user)
    user.updated_at = now
    record(session, actor=user.username, action="staff.totp_disable", subject_kind="staff", subject=user.username,
           details=None, request_id=request_id, at=now)


def change_password(session: Session, *, user_id: int, current_ok: bool, new: str, repeated: str, now: datetime,
                    request_id: str | None = None) -> None:
    """Set one's own password; ``current_ok`` is the (slow) check of the current one, made before."""
    if not current_ok:
        raise InvalidRequest("the current password is wrong", code="staff.wrong_password")
    if new != repeated:
        raise InvalidRequest("the two new passwords differ", code="staff.password_mismatch")
    user = session.get(StaffUser, user_id)
    user.password_hash = hash_password(new)
    was_reset, user.password_reset_required, user.updated_at = user.password_reset_required, False, now
    record(session, actor=user.username, action="staff.change_password", subject_kind="staff", subject=user.username,
           details={"after_reset": was_reset}, request_id=request_id, at=now)
