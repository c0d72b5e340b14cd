"""Browser sessions of staff, their CSRF tokens, and the sign-in rate limit. No web framework here.

A session is a row keyed by the SHA-256 of a random key; the browser holds the key signed with the
staff token secrets (itsdangerous: newest signs, all verify), so a forged or expired cookie is
refused before the database is asked, and signing out ends the session on the server as well.
Each session has its own CSRF token, which every form and upload must send back.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gateway.persistence.models import LoginAttempt, StaffUser, WebSession

MAX_FAILURES = 5  # per username and address within the window
MAX_FAILURES_PER_ADDRESS = 30  # any usernames, one address: stops spraying many names
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class CookieSigner:
    """Signs and checks cookie values with the staff token secrets, newest first."""

    secrets: tuple[str, ...]
    salt: str
    max_age_seconds: int

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(list(reversed(self.secrets)), salt=self.salt)

    def sign(self, value: str) -> str:
        return self._serializer().dumps(value)

    def unsign(self, signed: str | None) -> str | None:
        """The value, or None for a missing, forged or expired cookie."""
        if not signed:
            return None
        try:
            value = self._serializer().loads(signed, max_age=self.max_age_seconds)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        return value if isinstance(value, str) else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def start_session(session: Session, user: StaffUser, *, ttl_seconds: int, now: datetime) -> tuple[str, WebSession]:
    """A new session for ``user``; returns the key for the cookie (only its digest is stored)."""
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    key = new_token()
    record = WebSession(key_sha256=_digest(key), user_id=user.id, csrf_token=new_token(), created_at=now,
                        expires_at=now + timedelta(seconds=ttl_seconds))
    session.add(record)
    session.flush()
    return key, record


def find_session(session: Session, key: str | None, *, now: datetime) -> tuple[WebSession, StaffUser] | None:
    """The live session for this key and its active user, or None."""
    if not key:
        return None
    record = session.scalar(select(WebSession).where(WebSession.key_sha256 == _digest(key)))
    if record is None or record.ended_at is not None or record.expires_at <= now:
        return None
    user = session.get(StaffUser, record.user_id)
    if user is None or not user.active:
        return None
    return record, user


def end_session(record: WebSession, *, now: datetime) -> None:
    record.ended_at = now


def seconds_until_unblocked(session: Session, *, username: str, address: str, now: datetime) -> int:
    """0 when a sign-in may be tried; else how long until enough recorded failures leave the window."""
    since = now - FAILURE_WINDOW
    waits = [0]
    for condition, limit in (((LoginAttempt.username == username[:64]) & (LoginAttempt.address == address),
                              MAX_FAILURES), (LoginAttempt.address == address, MAX_FAILURES_PER_ADDRESS)):
        times = list(session.scalars(select(LoginAttempt.at).where(LoginAttempt.at >= since, condition)
                                     .order_by(LoginAttempt.at)))
        if len(times) >= limit:  # blocked until the failure that brings the count below the limit expires
            freed_at = times[len(times) - limit] + FAILURE_WINDOW
            waits.append(max(1, int((freed_at - now).total_seconds()) + 1))
    return max(waits)


def record_failure(session: Session, *, username: str, address: str, now: datetime) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - FAILURE_WINDOW))
    session.add(LoginAttempt(username=username[:64], address=address[:64], at=now))


def clear_failures(session: Session, *, username: str, address: str) -> None:
    """A successful sign-in forgives that username's earlier failures from this address."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username[:64],
                                               LoginAttempt.address == address))


def end_user_sessions(session: Session, *, user_id: int, now: datetime) -> int:
    """Sign a user out of every browser (when the account is disabled or its password reset)."""
    return session.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
                           .values(ended_at=now)).rowcount
