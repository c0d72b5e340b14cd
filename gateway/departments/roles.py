"""Department roles: which institutions are departments (信息互联's parties), and refusing the others.

An institution of kind ``department`` always has a role; a housing-fund centre (kind ``housing_fund``)
may also have the role ``fund_centre`` and is then both an applicant and a department. A bank never has one.
"""
from __future__ import annotations

from collections.abc import Iterable

from gateway.errors import GatewayError, InvalidRequest

TAX_BUREAU, HOUSING_BUREAU, FUND_CENTRE = "tax_bureau", "housing_bureau", "fund_centre"
ROLES = (TAX_BUREAU, HOUSING_BUREAU, FUND_CENTRE)
ROLES_ZH = {TAX_BUREAU: "税务局", HOUSING_BUREAU: "住房和城乡建设局", FUND_CENTRE: "住房公积金管理中心"}
DEPARTMENT_KIND = "department"


class NotADepartment(GatewayError):
    """A bank (or a department of another role) asked for what only a department of a role may do."""

    code = "department.not_a_department"
    title = "Only a department of the right role may do this"
    kind = "forbidden"


class SignerMismatch(GatewayError):
    """The body names another department than the one whose key signed the request."""

    code = "department.signer_mismatch"
    title = "The department named in the body is not the signer"
    kind = "forbidden"


def department_role(institution) -> str | None:
    """The institution's department role, or None (a bank, or a housing-fund centre that is no department)."""
    role = getattr(institution, "department_role", None)
    return role if role in ROLES else None


def require_department(institution, *, roles: Iterable[str] | None = None) -> str:
    """The institution's role, if it is a department (of one of ``roles`` when given); else ``NotADepartment``."""
    role = department_role(institution)
    if role is None:
        raise NotADepartment("this is for departments (tax bureau, housing bureau, housing-fund centre) only")
    wanted = tuple(roles) if roles is not None else ROLES
    if role not in wanted:
        raise NotADepartment(f"this is for the role {' or '.join(wanted)}; the signer is a {role}")
    return role


def refuse_other_signer(institution, named: object) -> None:
    """A body's optional ``"department"`` must, when present, be the signer's own code."""
    if named is not None and named != institution.code:
        raise SignerMismatch("the body names another department than the signer of the request")


def checked_role(kind: str, role: str | None) -> str | None:
    """The role an institution of ``kind`` may be registered with: required for a department, only
    ``fund_centre`` for a housing-fund centre, none for a bank."""
    role = (role or "").strip() or None
    if role is not None and role not in ROLES:
        raise InvalidRequest(f"the role must be one of {', '.join(ROLES)}", code="institution.invalid_role")
    if kind == DEPARTMENT_KIND and role is None:
        raise InvalidRequest("a department needs a role", code="institution.invalid_role")
    if kind == "housing_fund" and role not in (None, FUND_CENTRE):
        raise InvalidRequest("a housing-fund centre may only have the role fund_centre", code="institution.invalid_role")
    if kind not in (DEPARTMENT_KIND, "housing_fund") and role is not None:
        raise InvalidRequest("a bank has no department role", code="institution.invalid_role")
    return role
