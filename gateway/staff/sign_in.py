"""The steps of a staff sign-in, shared by the web form and ``POST /v1/staff/sessions``.

1. the lockout: too many recent failures for this username from this address (or from the address
   at all) refuse even the right password (``auth.locked``);
2. the password, in a read-only unit of work (the deliberately slow hash holds no write lock);
3. the second factor, when the account has one: a TOTP code, accepted once, or a recovery code;
4. what the account must do before it may work: enrol a second factor (``GATEWAY_REQUIRE_TOTP``)
   or set a new password after an administrator's reset.

Failures (wrong password, wrong second factor) are recorded for the lockout in a short writing
transaction; a success forgives that username's earlier failures from the address.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from gateway import audit
from gateway.errors import Forbidden, NotAuthenticated, SignInLocked
from gateway.persistence.models import StaffRecoveryCode, StaffUser
from gateway.settings import Settings
from gateway.staff import totp
from gateway.staff.service import needs_rehash, rehash_password
from gateway.web import sessions as throttle


class Pending(enum.StrEnum):
    """What an account must do before it may do anything else."""

    TOTP_ENROLMENT = "totp_enrolment"  # its role requires a second factor it does not have yet
    PASSWORD_CHANGE = "password_change"  # an administrator reset its password


def refuse_if_locked(session: Session, *, username: str, address: str, now: datetime) -> None:
    wait = throttle.seconds_until_unblocked(session, username=username, address=address, now=now)
    if wait:
        raise SignInLocked(f"too many failed sign-ins; try again in {wait} seconds", extra={"retry_after": wait})


def record_failure(session: Session, *, username: str, address: str, now: datetime) -> None:
    throttle.record_failure(session, username=username, address=address, now=now)


def has_second_factor(user: StaffUser) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def pending(user: StaffUser, settings: Settings) -> Pending | None:
    """What the account must do first, if anything (the web shows only /account/security until then)."""
    if user.role in settings.require_totp and not has_second_factor(user):
        return Pending.TOTP_ENROLMENT
    if user.password_reset_required:
        return Pending.PASSWORD_CHANGE
    return None


def refuse_if_pending(user: StaffUser, settings: Settings) -> None:
    """The API's answer to an account with something to do first (done on the web's /account/security)."""
    match pending(user, settings):
        case Pending.TOTP_ENROLMENT:
            raise Forbidden("this role must enrol a second factor first, on the web page /account/security",
                            code="auth.totp_enrolment_required")
        case Pending.PASSWORD_CHANGE:
            raise Forbidden("the password was reset: choose a new one on the web page /account/security first",
                            code="auth.password_change_required")


def accept_totp(session: Session, *, user_id: int, code: str, now: datetime) -> int:
    """Check a TOTP code and mark its time step used (in the caller's writing transaction)."""
    user = session.get(StaffUser, user_id)
    step = totp.matching_step(user.totp_secret, code, now=now, last_step=user.totp_last_step)
    # Conditional, so two requests with one code cannot both pass between read and write.
    used = session.execute(update(StaffUser).where(
        StaffUser.id == user_id, or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    if not used:
        raise NotAuthenticated("this code was already used; wait for the next one", code="auth.totp_reused")
    user.totp_last_step = step
    return step


def accept_recovery_code(session: Session, *, user_id: int, code: str, now: datetime) -> None:
    """Use up one recovery code (in the caller's writing transaction)."""
    row = session.scalar(select(StaffRecoveryCode).where(
        StaffRecoveryCode.user_id == user_id, StaffRecoveryCode.code_sha256 == totp.recovery_digest(code)))
    if row is None:
        raise NotAuthenticated("the recovery code is wrong", code="auth.recovery_code_invalid")
    used = session.execute(update(StaffRecoveryCode).where(
        StaffRecoveryCode.id == row.id, StaffRecoveryCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if not used:
        raise NotAuthenticated("this recovery code was already used", code="auth.recovery_code_used")


def check_second_factor(session: Session, *, user: StaffUser, totp_code: str | None, recovery_code: str | None,
                        now: datetime) -> None:
    """The second factor of an enrolled account (nothing to check for one without)."""
    if not has_second_factor(user):
        return
    if totp_code:
        accept_totp(session, user_id=user.id, code=totp_code, now=now)
    elif recovery_code:
        accept_recovery_code(session, user_id=user.id, code=recovery_code, now=now)
    else:
        raise NotAuthenticated("this account needs an authentication code (totp_code or recovery_code)",
                               code="auth.totp_required")


def complete(session: Session, *, user: StaffUser, password: str, address: str) -> None:
    """A successful sign-in, second factor included: forgive earlier failures, and store the password
    under the current hashing parameters."""
    throttle.clear_failures(session, username=user.username, address=address)
    rehash_if_needed(session, user=user, password=password)
    audit.record(session, actor=user.username, actor_role=user.role, action="staff.sign_in", subject_kind="staff",
                 subject=user.username, details={"second_factor": has_second_factor(user)})


def rehash_if_needed(session: Session, *, user: StaffUser, password: str) -> None:
    if needs_rehash(user):
        rehash_password(session, user.id, password)
