"""Staff sign-in: username, password and (once enrolled) a second factor for a bearer token.

Throttled and locked out like the web's sign-in, per username and client address
(:mod:`gateway.api.client_address`): while locked even the right password is refused with 429
``auth.locked`` and a Retry-After header.
"""
from __future__ import annotations

from typing import Self

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator

from gateway.api.client_address import client_address
from gateway.api.deps import Public, RuntimeDep
from gateway.api.problems import responses
from gateway.errors import NotAuthenticated
from gateway.persistence.db import read_only, transaction
from gateway.persistence.types import utcnow
from gateway.staff import sign_in as steps
from gateway.staff.service import authenticate

router = APIRouter(prefix="/v1/staff", tags=["staff"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    totp_code: str | None = Field(None, max_length=16, description="The authenticator's current code, once enrolled.")
    recovery_code: str | None = Field(None, max_length=32, description="A one-time recovery code instead of the TOTP code.")

    @model_validator(mode="after")
    def _one_second_factor(self) -> Self:
        if self.totp_code and self.recovery_code:
            raise ValueError("send totp_code or recovery_code, not both")
        return self


class Session(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_in: int
    role: str


@router.post("/sessions", response_model=Session, responses=responses(401, 403, 422, 429),
             dependencies=[Public("account.sign_in")])
def sign_in(credentials: Credentials, request: Request, runtime: RuntimeDep) -> Session:
    address, now = client_address(request, runtime.settings), utcnow()
    username = credentials.username.strip()
    # The deliberately slow hash check runs in a read-only unit of work: it holds no write lock.
    with read_only(runtime.read_sessions) as session:
        steps.refuse_if_locked(session, username=username, address=address, now=now)
        try:
            user = authenticate(session, username=username, password=credentials.password, rehash=False)
        except NotAuthenticated as refusal:
            failure = refusal
        else:
            failure = None
    if failure is not None:
        with transaction(runtime.sessions) as session:
            steps.record_failure(session, username=username, address=address, now=now)
        raise failure
    try:
        with transaction(runtime.sessions) as session:
            steps.check_second_factor(session, user=user, totp_code=credentials.totp_code,
                                      recovery_code=credentials.recovery_code, now=now)
            steps.complete(session, user=user, password=credentials.password, address=address)
    except NotAuthenticated as refusal:
        if refusal.code != "auth.totp_required":  # not a guess: the client did not know a code was needed
            with transaction(runtime.sessions) as session:
                steps.record_failure(session, username=username, address=address, now=now)
        raise
    steps.refuse_if_pending(user, runtime.settings)
    return Session(token=runtime.tokens.issue(user), expires_in=runtime.settings.staff_token_ttl_seconds, role=user.role)
