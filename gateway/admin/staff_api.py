"""Admin API: staff accounts — list, show, create, change role, disable and enable, reset the
password or the second factor. Every change is recorded (:mod:`gateway.admin.actions`)."""
from __future__ import annotations


from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.admin.actions import history, record
from gateway.api.times import UtcTime
from gateway.api.deps import Allowed, DbSession
from gateway.api.problems import responses
from gateway.logs import current_request_id
from gateway.persistence.models import StaffUser
from gateway.persistence.types import utcnow
from gateway.staff import accounts
from gateway.staff.service import add_user
from gateway.staff.sign_in import has_second_factor

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is refused, not ignored


class StaffOut(BaseModel):
    username: str
    role: str
    institution_code: str | None = Field(description="clerks only: their housing-fund centre")
    active: bool
    totp_enabled: bool
    recovery_codes_left: int
    password_reset_required: bool
    created_at: UtcTime
    updated_at: UtcTime | None


class StaffList(BaseModel):
    items: list[StaffOut]


class ChangeOut(BaseModel):
    at: UtcTime
    actor: str
    action: str
    details: dict | None


class StaffDetail(StaffOut):
    changes: list[ChangeOut] = Field(description="recorded changes of this account, newest first")


class StaffIn(_Strict):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    role: str = Field(max_length=16, description="clerk, reviewer, supervisor or admin")
    password: str = Field(min_length=1, max_length=200, description="at least 10 characters")
    institution_code: str | None = Field(None, max_length=32, description="required for clerks, refused for others")


class RoleIn(_Strict):
    role: str = Field(max_length=16)
    institution_code: str | None = Field(None, max_length=32)


class PasswordIn(_Strict):
    password: str = Field(min_length=1, max_length=200, description="at least 10 characters; to be replaced at "
                          "the person's next sign-in")


def _out(session, user: StaffUser, codes: dict[int, str] | None = None) -> dict:
    codes = codes if codes is not None else accounts.institution_codes(session)
    return {"username": user.username, "role": user.role, "institution_code": codes.get(user.institution_id),
            "active": user.active, "totp_enabled": has_second_factor(user),
            "recovery_codes_left": accounts.recovery_codes_left(session, user.id),
            "password_reset_required": user.password_reset_required, "created_at": user.created_at,
            "updated_at": user.updated_at}


def _detail(session, user: StaffUser) -> StaffDetail:
    changes = [ChangeOut(at=c.at, actor=c.actor, action=c.action, details=c.details)
               for c in history(session, subject_kind="staff", subject=user.username)]
    return StaffDetail(**_out(session, user), changes=changes)


@router.get("/staff", response_model=StaffList, responses=responses(401, 403))
def list_staff(session: DbSession, admin: Allowed("staff.manage")) -> StaffList:
    codes = accounts.institution_codes(session)
    return StaffList(items=[StaffOut(**_out(session, user, codes)) for user in accounts.list_users(session)])


@router.get("/staff/{username}", response_model=StaffDetail, responses=responses(401, 403, 404))
def show_staff(username: str, session: DbSession, admin: Allowed("staff.manage")) -> StaffDetail:
    return _detail(session, accounts.find(session, username))


@router.post("/staff", response_model=StaffDetail, status_code=201, responses=responses(401, 403, 422))
def create_staff(body: StaffIn, response: Response, session: DbSession, admin: Allowed("staff.manage")) -> StaffDetail:
    user = add_user(session, username=body.username, role=body.role, password=body.password,
                    institution_code=body.institution_code)
    record(session, actor=admin.username, action="staff.create", subject_kind="staff", subject=user.username,
           details={"role": user.role, "institution": body.institution_code}, request_id=current_request_id())
    response.headers["Location"] = f"/v1/admin/staff/{user.username}"
    return _detail(session, user)


@router.patch("/staff/{username}", response_model=StaffDetail, responses=responses(401, 403, 404, 409, 422))
def change_role(username: str, body: RoleIn, session: DbSession, admin: Allowed("staff.manage")) -> StaffDetail:
    user = accounts.set_role(session, username=username, role=body.role, institution_code=body.institution_code,
                             actor=admin.username, now=utcnow(), request_id=current_request_id())
    return _detail(session, user)


@router.post("/staff/{username}/disable", response_model=StaffDetail, responses=responses(401, 403, 404, 409))
def disable_staff(username: str, session: DbSession, admin: Allowed("staff.manage")) -> StaffDetail:
    user = accounts.disable(session, username=username, actor=admin.username, now=utcnow(),
                            request_id=current_request_id())
    return _detail(session, user)


@router.post("/staff/{username}/enable", response_model=StaffDetail, responses=responses(401, 403, 404))
def enable_staff(username: str, session: DbSession, admin: Allowed("staff.manage")) -> StaffDetail:
    user = accounts.enable(session, username=username, actor=admin.username, now=utcnow(),
                           request_id=current_request_id())
    return _detail(session, user)


@router.post("/staff/{username}/reset-password", response_model=StaffDetail, responses=responses(401, 403, 404, 422))
def reset_password(username: str, body: PasswordIn, session: DbSession, admin: Allowed("staff.manage")) -> StaffDetail:
    user = accounts.reset_password(session, username=username, password=body.password, actor=admin.username,
                                   now=utcnow(), request_id=current_request_id())
    return _detail(session, user)


@router.post("/staff/{username}/reset-totp", response_model=StaffDetail, responses=responses(401, 403, 404, 409))
def reset_totp(username: str, session: DbSession, admin: Allowed("staff.manage")) -> StaffDetail:
    user = accounts.reset_totp(session, username=username, actor=admin.username, now=utcnow(),
                               request_id=current_request_id())
    return _detail(session, user)
