"""Staff sign-in: username and password for a bearer token."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.api.deps import RuntimeDep
from gateway.api.problems import responses
from gateway.persistence.db import read_only, transaction
from gateway.staff.service import authenticate, needs_rehash, rehash_password

router = APIRouter(prefix="/v1/staff", tags=["staff"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class Session(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_in: int
    role: str


@router.post("/sessions", response_model=Session, responses=responses(401, 422))
def sign_in(credentials: Credentials, runtime: RuntimeDep) -> Session:
    # The deliberately slow hash check runs in a read-only unit of work: it holds no write lock.
    with read_only(runtime.read_sessions) as session:
        user = authenticate(session, username=credentials.username, password=credentials.password, rehash=False)
    if needs_rehash(user):
        with transaction(runtime.sessions) as session:
            rehash_password(session, user.id, credentials.password)
    return Session(token=runtime.tokens.issue(user), expires_in=runtime.settings.staff_token_ttl_seconds, role=user.role)
