"""HTTP routes: the purpose-bound query ports (HTTP-signed JSON in, a JWS signed by the gateway out).

The body is checked by :mod:`gateway.departments.requests` (each fault its own ``query.*`` code),
the answer given and recorded by :mod:`gateway.departments.service` in the request's transaction.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.api.deps import DbSession, RuntimeDep, SignedFor
from gateway.api.problems import responses
from gateway.departments import requests as checks
from gateway.departments import service
from gateway.departments.purposes import FAMILY_HOUSING, PURPOSES, UNIT_EXTRACT
from gateway.departments.roles import refuse_other_signer, require_department
from gateway.logs import current_request_id
from gateway.outputs import JWS_MEDIA_TYPE
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow

router = APIRouter(prefix="/v1/departments/queries", tags=["departments"])

_COMMON: dict[str, Any] = {
    "purpose": {"type": "string", "enum": sorted(PURPOSES), "description": "查询用途: decides what is returned"},
    "case_reference": {"type": "string", "maxLength": checks.CASE_REFERENCE_MAX,
                       "description": "The department's own file number for this case"},
    "department": {"type": "string", "description": "Optional: the signer's own code (another's: 403)"},
}
_MEMBER = {"type": "object", "required": ["role", "id_number"], "additionalProperties": False, "properties": {
    "role": {"type": "string", "enum": list(checks.ROLES)},
    "id_type": {"type": "string", "enum": list(checks.PERSON_ID_TYPES), "default": "RESIDENT_ID"},
    "id_number": {"type": "string"}}}
_ANSWER = {200: {"description": "The answer: a compact JWS (PS256, kid + x5c) signed by the gateway; its payload "
                                "holds query_id, purpose, case_reference, department, answered_at, fields, result. "
                                "Header X-Query-Id.",
                 "content": {JWS_MEDIA_TYPE: {"schema": {"type": "string"}}}},
           **responses(401, 403, 404, 422, 429)}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": {**_COMMON, **properties}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post("/family-housing", response_class=Response, responses=_ANSWER,
             openapi_extra=_body({"members": {"type": "array", "minItems": 1, "items": _MEMBER}},
                                 ["purpose", "case_reference", "members"]))
def family_housing(request: Request, session: DbSession, runtime: RuntimeDep,
                   institution: SignedFor("department.query")) -> Response:
    """家庭住房登记信息: the residential units registered to a family (one applicant, at most one spouse,
    at most GATEWAY_FAMILY_MAX_CHILDREN minor children), with only the fields the purpose needs."""
    body = _checked_body(request, institution)
    purpose = checks.checked_purpose(body, FAMILY_HOUSING)
    service.refuse_unless_allowed(session, institution, purpose)
    query = checks.QueryRequest(FAMILY_HOUSING, purpose, checks.checked_case_reference(body), body.get("department"),
                                members=checks.checked_members(body, max_children=runtime.settings.family_max_children))
    return _answered(session, runtime, institution, query)


@router.post("/unit-extract", response_class=Response, responses=_ANSWER,
             openapi_extra=_body({"unit_code": {"type": "string", "minLength": 28, "maxLength": 28}},
                                 ["purpose", "case_reference", "unit_code"]))
def unit_extract(request: Request, session: DbSession, runtime: RuntimeDep,
                 institution: SignedFor("department.query")) -> Response:
    """A unit's register extract (owners, in-force mortgages, seizures, objections, pre-notices), with only
    the fields the purpose needs."""
    body = _checked_body(request, institution)
    purpose = checks.checked_purpose(body, UNIT_EXTRACT)
    service.refuse_unless_allowed(session, institution, purpose)
    query = checks.QueryRequest(UNIT_EXTRACT, purpose, checks.checked_case_reference(body), body.get("department"),
                                unit_code=checks.checked_unit_code(body))
    return _answered(session, runtime, institution, query)


def _checked_body(request: Request, institution: Institution) -> dict[str, Any]:
    """A department (a bank: ``department.not_a_department``) signing in its own name."""
    require_department(institution)
    body = checks.body_of(request.state.body)
    refuse_other_signer(institution, body.get("department"))
    return body


def _answered(session, runtime, institution: Institution, query: checks.QueryRequest) -> Response:
    answer = service.answer(session, runtime, institution, query, now=utcnow(), request_id=current_request_id())
    return Response(answer.jws, media_type=JWS_MEDIA_TYPE, headers={"X-Query-Id": answer.query_id})
