"""A department's query as sent: checked field by field, each fault with its own code.

The body is read here rather than by a pydantic model so that each fault is answered with the
documented ``query.*`` code (a missing purpose is not the same fault as too many children), and so
that no message ever quotes an ID number: members are named by their position.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from gateway.departments.purposes import Purpose, PurposeNotForQuery, purpose_named
from gateway.departments.queries import Member
from gateway.errors import GatewayError, InvalidRequest
from gateway.prereview.identifiers import IdProblem, resident_id_problem
from gateway.prereview.unit_code import is_well_formed

CASE_REFERENCE_MAX = 64
ROLES = ("APPLICANT", "SPOUSE", "CHILD")
# Persons only: an organisation (USCC) has no family.
PERSON_ID_TYPES = ("RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "TAIWAN_PERMIT", "OTHER")
OTHER_ID_NUMBER = re.compile(r"^[0-9A-Za-z\-]{5,32}$")


class CaseReferenceMissing(GatewayError):
    code = "query.case_reference_missing"
    title = "The query names no case reference"


class TooManyMembers(GatewayError):
    code = "query.too_many_members"
    title = "The family has more members than the rule allows"


class MemberInvalid(GatewayError):
    code = "query.member_invalid"
    title = "A family member is not as the rule requires"


class IdNumberInvalid(GatewayError):
    code = "query.id_number_invalid"
    title = "A member's ID number is not valid"


class UnitCodeInvalid(GatewayError):
    code = "query.unit_code_invalid"
    title = "The unit code is not a well-formed 28-character unit code"


@dataclass(frozen=True)
class QueryRequest:
    kind: str  # family-housing | unit-extract
    purpose: Purpose
    case_reference: str
    department: str | None
    members: tuple[Member, ...] = ()
    unit_code: str | None = None


def body_of(raw: bytes) -> dict[str, Any]:
    """The JSON object of the body (``request.invalid`` if it is none)."""
    try:
        body = json.loads(raw or b"null")
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the body is not JSON", code="request.invalid") from None
    if not isinstance(body, dict):
        raise InvalidRequest("the body is not a JSON object", code="request.invalid")
    return body


def named_department(body: dict[str, Any]) -> object:
    return body.get("department")


def checked_purpose(body: dict[str, Any], kind: str) -> Purpose:
    purpose = purpose_named(body.get("purpose"))
    if purpose.query != kind:
        raise PurposeNotForQuery(f"the purpose {purpose.code} is for the {purpose.query} query",
                                 extra={"query": purpose.query})
    return purpose


def checked_case_reference(body: dict[str, Any]) -> str:
    value = body.get("case_reference")
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > CASE_REFERENCE_MAX or any(unicodedata.category(c) == "Cc" for c in text):
        raise CaseReferenceMissing(f"give the department's own case reference (1 to {CASE_REFERENCE_MAX} characters)")
    return text


def checked_members(body: dict[str, Any], *, max_children: int) -> tuple[Member, ...]:
    """Exactly one APPLICANT, at most one SPOUSE, at most ``max_children`` CHILD; each ID number valid."""
    members = body.get("members")
    if not isinstance(members, list) or not members:
        raise MemberInvalid("give the family's members (members: a list with the applicant first)")
    if len(members) > 2 + max_children:
        raise TooManyMembers(f"at most the applicant, a spouse and {max_children} minor children",
                             extra={"max_children": max_children})
    checked = tuple(_member(position, item) for position, item in enumerate(members, start=1))
    counts = {role: sum(1 for m in checked if m.role == role) for role in ROLES}
    if counts["APPLICANT"] > 1 or counts["SPOUSE"] > 1 or counts["CHILD"] > max_children:
        raise TooManyMembers(f"at most one applicant, one spouse and {max_children} minor children",
                             extra={"max_children": max_children})
    if counts["APPLICANT"] == 0:
        raise MemberInvalid("the family has no member with the role APPLICANT")
    if len({m.index for m in checked}) != len(checked):
        raise MemberInvalid("the same ID number is given for two members")
    return checked


def _member(position: int, item: object) -> Member:
    if not isinstance(item, dict) or set(item) - {"role", "id_type", "id_number"}:
        raise MemberInvalid(f"member {position} is not an object of role, id_type and id_number",
                            extra={"member": position})
    role, id_type, id_number = item.get("role"), item.get("id_type", "RESIDENT_ID"), item.get("id_number")
    if role not in ROLES:
        raise MemberInvalid(f"member {position}: the role is APPLICANT, SPOUSE or CHILD", extra={"member": position})
    if id_type not in PERSON_ID_TYPES:
        raise MemberInvalid(f"member {position}: the id_type is one of {', '.join(PERSON_ID_TYPES)}",
                            extra={"member": position})
    if not isinstance(id_number, str) or _id_problem(id_type, id_number) is not None:
        raise IdNumberInvalid(f"member {position} ({role}): the ID number is not valid for {id_type}",
                              extra={"member": position, "problem": _id_problem(id_type, id_number)
                                     if isinstance(id_number, str) else IdProblem.MISSING.value})
    return Member(position=position, role=role, id_type=id_type, id_number=id_number.upper())


def _id_problem(id_type: str, id_number: str) -> str | None:
    if id_type == "RESIDENT_ID":
        problem = resident_id_problem(id_number)
        # An address code stdnum does not know may be a re-drawn county: the number is still searched.
        return None if problem in (None, IdProblem.REGION) else problem.value
    if not id_number.strip():
        return IdProblem.MISSING.value
    return None if OTHER_ID_NUMBER.match(id_number) else IdProblem.MALFORMED.value


def checked_unit_code(body: dict[str, Any]) -> str:
    unit_code = body.get("unit_code")
    if not isinstance(unit_code, str) or not is_well_formed(unit_code):
        raise UnitCodeInvalid("give the 28-character unit code (不动产单元代码)")
    return unit_code
