"""Answering a department's query: rate limit, the register's answer minimised to the purpose, the
signed JWS, the query log row and the audit chain entry — all in the request's one transaction.

Nothing is stored for a refused query; an answered one is recorded in ``department_queries`` and in
the audit chain (action ``department.query``) under the unit codes it returned and the blind indexes
of the persons it concerned, so "who looked at my file" lists it with department, purpose, case
reference and what was returned.
"""
from __future__ import annotations

import hashlib
import json
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.departments import queries
from gateway.departments.grants import is_allowed
from gateway.departments.models import DepartmentQuery
from gateway.departments.purposes import FAMILY_HOUSING, Purpose, PurposeNotAllowed, minimise
from gateway.departments.requests import QueryRequest
from gateway.errors import GatewayError
from gateway.persistence.models import Institution
from gateway.register.models import PropertyUnit, UnitOwner
from gateway.timezone import LOCAL_TZ

WINDOW = timedelta(seconds=60)
ANSWER_TYPE = "department_answer+jws"
ACTION = "department.query"


class RateLimited(GatewayError):
    code = "query.rate_limited"
    title = "Too many queries from this department in the last minute"
    kind = "rate_limited"


@dataclass(frozen=True)
class SignedAnswer:
    query_id: str
    jws: bytes


def refuse_unless_allowed(session: Session, institution: Institution, purpose: Purpose) -> None:
    if not is_allowed(session, institution, purpose.code):
        raise PurposeNotAllowed(f"the department is not allowed the purpose {purpose.code}")


def answer(session: Session, runtime, institution: Institution, request: QueryRequest, *, now: datetime,
           request_id: str | None) -> SignedAnswer:
    """The signed answer to an allowed, well-formed query, recorded (see the module docstring)."""
    refuse_if_rate_limited(session, institution, limit=runtime.settings.department_queries_per_minute, now=now)
    if request.kind == FAMILY_HOUSING:
        result = queries.family_housing(session, list(request.members))
    else:
        result = queries.unit_extract(session, request.unit_code)
    result = minimise(result, request.purpose.fields)
    query_id = f"DQ-{now.astimezone(LOCAL_TZ):%Y%m%d}-{secrets.token_hex(8)}"
    payload = {"document": "DepartmentAnswer", "query": request.kind, "query_id": query_id,
               "purpose": request.purpose.code, "case_reference": request.case_reference,
               "department": institution.code, "answered_at": queries.utc_text(now),
               "fields": list(request.purpose.fields), "result": result}
    signed = _sign(runtime, payload)
    units = _unit_codes(request, result)
    persons = _person_indexes(session, request)
    returned = {"unit_codes": units, "fields": list(request.purpose.fields)}
    session.add(DepartmentQuery(
        query_id=query_id, institution_id=institution.id, purpose=request.purpose.code,
        case_reference=request.case_reference, kind=request.kind, person_indexes=persons,
        unit_code=request.unit_code, returned=returned, answer_sha256=hashlib.sha256(signed).hexdigest(), at=now,
        request_id=request_id))
    audit.append(session, audit.Pending(
        actor=institution.code, actor_role="department", action=ACTION, subject_kind="department_query",
        subject=query_id, at=now, unit_codes=units, person_indexes=persons,
        purpose=f"{request.purpose.code} / {request.case_reference}",
        details={"what": _what(request, units), "query": request.kind, "query_id": query_id,
                 "purpose": request.purpose.code, "case_reference": request.case_reference,
                 "department": institution.code, "returned": returned}))
    return SignedAnswer(query_id, signed)


def refuse_if_rate_limited(session: Session, institution: Institution, *, limit: int, now: datetime) -> None:
    """At most ``limit`` answered queries in the last minute. The department's row is locked first, so
    concurrent queries of one department (in any API process) are counted one after the other."""
    statement = select(Institution.id).where(Institution.id == institution.id)
    if session.get_bind().dialect.name == "postgresql":
        # NO KEY UPDATE: it does not wait for (nor deadlock with) the key-share locks that this request's and
        # the others' inserts referring to the institution hold; it does wait for the other queries' lock.
        statement = statement.with_for_update(key_share=True)
    session.execute(statement)  # SQLite: the writer lock already serialises
    since = now - WINDOW
    count, oldest = session.execute(
        select(func.count(), func.min(DepartmentQuery.at))
        .where(DepartmentQuery.institution_id == institution.id, DepartmentQuery.at > since)).one()
    if count >= limit:
        retry_after = max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
        raise RateLimited(f"at most {limit} queries a minute; try again in {retry_after} s",
                          extra={"retry_after": retry_after, "limit": limit})


def _sign(runtime, payload: dict[str, Any]) -> bytes:
    from signing.jws import sign_compact

    signer = runtime.signer
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return sign_compact(body, key=signer.key, certificate=signer.certificate, chain=signer.chain, typ=ANSWER_TYPE)


def _unit_codes(request: QueryRequest, result: dict[str, Any]) -> list[str]:
    if request.kind == FAMILY_HOUSING:
        return sorted(unit["unit_code"] for unit in result.get("units", []))
    return [request.unit_code]


def _person_indexes(session: Session, request: QueryRequest) -> list[str]:
    """The family members asked about; for an extract that shows owners, the owners it showed."""
    if request.kind == FAMILY_HOUSING:
        return sorted({member.index for member in request.members})
    if not any(field.startswith("owners[]") for field in request.purpose.fields):
        return []
    return sorted(set(session.scalars(select(UnitOwner.id_number_index).join(PropertyUnit)
                                      .where(PropertyUnit.unit_code == request.unit_code))))


def _what(request: QueryRequest, units: list[str]) -> str:
    """What the access report shows: the query, purpose, case reference and what was returned (no names)."""
    purpose = request.purpose
    returned = f"{len(units)} unit(s): {', '.join(units)}" if units else "no unit"
    return (f"{request.kind} {purpose.code} {purpose.zh}; case {request.case_reference}; returned {returned}; "
            f"fields: {', '.join(purpose.fields)}")

