"""Staff sign-in: username and password for a bearer token."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.api.deps import DbSession, RuntimeDep
from gateway.api.problems import responses
from gateway.staff.service import authenticate

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
def sign_in(credentials: Credentials, runtime: RuntimeDep, session: DbSession) -> Session:
    user = authenticate(session, username=credentials.username, password=credentials.password)
    return Session(token=runtime.tokens.issue(user), expires_in=runtime.settings.staff_token_ttl_seconds, role=user.role)
