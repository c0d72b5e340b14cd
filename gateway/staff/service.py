"""Staff accounts with argon2-hashed passwords, and signed, expiring bearer tokens."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.errors import InvalidRequest, NotAuthenticated
from gateway.institutions.service import find_by_code
from gateway.persistence.models import StaffUser

_hasher = PasswordHasher()
# Verified when the username is unknown, so that timing does not tell which usernames exist.
_DUMMY_HASH = _hasher.hash("not a password")


class Role(enum.StrEnum):
    REVIEWER = "reviewer"  # 审核人员
    ADMIN = "admin"  # 管理员
    CLERK = "clerk"  # 公积金中心经办人 (bound to an institution)
    SUPERVISOR = "supervisor"  # 监督人员


MIN_PASSWORD_LENGTH = 10


def add_user(
    session: Session, *, username: str, role: str, password: str, institution_code: str | None = None
) -> StaffUser:
    """Create a staff account; clerks must belong to an institution, others must not."""
    try:
        role = Role(role)
    except ValueError:
        raise InvalidRequest(f"role must be one of {', '.join(Role)}", code="staff.invalid_role") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"the password needs {MIN_PASSWORD_LENGTH} characters or more", code="staff.weak_password")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise InvalidRequest("this username is taken", code="staff.exists")
    institution_id = None
    if institution_code:
        institution = find_by_code(session, institution_code)
        if institution is None:
            raise InvalidRequest("no such institution", code="institution.unknown")
        institution_id = institution.id
    if (role == Role.CLERK) != (institution_id is not None):
        raise InvalidRequest("clerks, and only clerks, belong to an institution", code="staff.institution_mismatch")
    user = StaffUser(username=username, role=role.value, password_hash=_hasher.hash(password), institution_id=institution_id)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: str, password: str, rehash: bool = True) -> StaffUser:
    """The active user with these credentials; one error for every kind of failure.

    With ``rehash`` an outdated hash is replaced in the session; without, see :func:`needs_rehash`.
    """
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated("wrong username or password", code="auth.bad_credentials") from None
    if user is None or not user.active:
        raise NotAuthenticated("wrong username or password", code="auth.bad_credentials")
    if rehash and needs_rehash(user):
        user.password_hash = _hasher.hash(password)
    return user


def hash_password(password: str) -> str:
    """The argon2 hash of a new password, refused when it is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"the password needs {MIN_PASSWORD_LENGTH} characters or more", code="staff.weak_password")
    return _hasher.hash(password)


def check_password(user: StaffUser, password: str) -> bool:
    """Whether ``password`` is this user's (slow: call it in a read-only unit of work)."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(user: StaffUser) -> bool:
    return _hasher.check_needs_rehash(user.password_hash)


def rehash_password(session: Session, user_id: int, password: str) -> None:
    """Store the password again under the current hashing parameters."""
    session.get(StaffUser, user_id).password_hash = _hasher.hash(password)


@dataclass(frozen=True)
class TokenService:
    """Bearer tokens: newest secret signs, all listed secrets verify (rotation without logout)."""

    secrets: tuple[str, ...]
    ttl_seconds: int

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(list(reversed(self.secrets)), salt="staff-token")

    def issue(self, user: StaffUser) -> str:
        return self._serializer().dumps({"uid": user.id, "role": user.role})

    def user_id(self, token: str) -> int:
        try:
            data = self._serializer().loads(token, max_age=self.ttl_seconds)
        except SignatureExpired:
            raise NotAuthenticated("the token has expired", code="auth.token_expired") from None
        except BadSignature:
            raise NotAuthenticated("the token is not valid", code="auth.bad_token") from None
        return int(data["uid"])
