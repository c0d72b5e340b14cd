"""Administering institutions: the overview, a change of name or callback URL, disabling and enabling.

The API, the admin web pages and the CLI all call these functions, so that each change is checked
the same way and recorded (:func:`gateway.admin.actions.record`) in the transaction that makes it,
with who made it and the values before and after. Nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from gateway.admin.actions import record
from gateway.errors import GatewayError, InvalidRequest, NotFound
from gateway.persistence.models import AdminAction, Institution, InstitutionCertificate
from gateway.persistence.types import utcnow
from gateway.institutions.service import (
    ACTIVE, DISABLED, add_institution, checked_callback_url, checked_name,
)
from signing.trust import TrustStore

SUBJECT = "institution"
REASON_MAX = 500
UNCHANGED: Any = object()  # an update field that was not given


class InstitutionStateConflict(GatewayError):
    """Disabling a disabled institution, or enabling an active one: someone else may have just done it."""

    code = "institution.already_disabled"
    title = "The institution is not in a state that allows this"
    kind = "conflict"


@dataclass(frozen=True)
class InstitutionView:
    """An institution with what the overview shows about it beyond its own row."""

    institution: Institution
    parent: Institution | None
    branches: list[Institution]
    purposes: tuple[str, ...] = ()  # a department's allowed query purposes

    @property
    def accepts_requests(self) -> bool:
        """False while it, or its head institution, is disabled."""
        return self.institution.status == ACTIVE and (self.parent is None or self.parent.status == ACTIVE)

    @property
    def certificates(self) -> list[InstitutionCertificate]:
        """Its certificates, the current ones first, each group by expiry."""
        return sorted(self.institution.certificates, key=lambda c: (c.revoked_at is not None, c.not_after))


def institution_by_code(session: Session, code: str, *, for_update: bool = False) -> Institution:
    """The institution with this code, or ``institution.not_found``."""
    statement = select(Institution).where(Institution.code == code)
    found = session.scalar(statement.with_for_update() if for_update else statement)
    if found is None:
        raise NotFound("no institution has this code", code="institution.not_found")
    return found


def overview(session: Session) -> list[InstitutionView]:
    """Every institution, head institutions by code with their branches after each."""
    rows = list(session.scalars(select(Institution).options(selectinload(Institution.certificates))
                                .order_by(Institution.code)))
    by_id = {row.id: row for row in rows}
    branches: dict[int, list[Institution]] = {}
    for row in rows:
        if row.parent_id is not None:
            branches.setdefault(row.parent_id, []).append(row)
    purposes = _purposes_by_institution(session)
    views = []
    for row in (r for r in rows if r.parent_id is None or r.parent_id not in by_id):
        views.append(InstitutionView(row, None, branches.get(row.id, []), purposes.get(row.id, ())))
        views += [InstitutionView(branch, row, [], purposes.get(branch.id, ())) for branch in branches.get(row.id, [])]
    return views


def _purposes_by_institution(session: Session) -> dict[int, tuple[str, ...]]:
    from gateway.departments.models import InstitutionPurpose

    found: dict[int, list[str]] = {}
    for institution_id, purpose in session.execute(select(InstitutionPurpose.institution_id, InstitutionPurpose.purpose)
                                                   .order_by(InstitutionPurpose.purpose)):
        found.setdefault(institution_id, []).append(purpose)
    return {key: tuple(value) for key, value in found.items()}


def view_of(session: Session, code: str) -> InstitutionView:
    institution = institution_by_code(session, code)
    parent = session.get(Institution, institution.parent_id) if institution.parent_id else None
    branches = list(session.scalars(select(Institution).where(Institution.parent_id == institution.id)
                                    .order_by(Institution.code)))
    from gateway.departments.grants import purposes_of

    return InstitutionView(institution, parent, branches, tuple(purposes_of(session, institution)))


def history(session: Session, code: str, *, limit: int = 200) -> list[AdminAction]:
    """The recorded changes to the institution and to its certificates, newest first."""
    institution = institution_by_code(session, code)
    fingerprints = [c.fingerprint for c in institution.certificates]
    statement = select(AdminAction).where(or_(
        (AdminAction.subject_kind == SUBJECT) & (AdminAction.subject == code),
        (AdminAction.subject_kind == "certificate") & AdminAction.subject.in_(fingerprints),
    ))
    return list(session.scalars(statement.order_by(AdminAction.id.desc()).limit(limit)))


def create_institution(
    session: Session, *, actor: str, request_id: str | None, code: str, name: str, kind: str, cert_pem: bytes,
    trust: TrustStore, callback_url: str | None = None, parent_code: str | None = None,
    department_role: str | None = None,
) -> Institution:
    """Register an institution (or a branch) with its first certificate, and record it; a department
    (any institution with a role) gets its role's default purposes and subscriptions."""
    from gateway.departments.grants import purposes_of, start_department

    institution = add_institution(session, code=code, name=name, kind=kind, cert_pem=cert_pem, trust=trust,
                                  callback_url=callback_url, parent_code=parent_code, department_role=department_role)
    if institution.department_role is not None:
        start_department(session, institution, actor=actor)
    role = {"department_role": institution.department_role,
            "purposes": purposes_of(session, institution)} if institution.department_role else {}
    record(session, actor=actor, action="institution.create", subject_kind=SUBJECT, subject=code,
           request_id=request_id, details={"after": {
               **_state(institution), "kind": kind, "parent": parent_code,
               "certificate": institution.certificates[0].fingerprint, **role}})
    return institution


def update_institution(
    session: Session, code: str, *, actor: str, request_id: str | None, name: Any = UNCHANGED,
    callback_url: Any = UNCHANGED, output_format: Any = UNCHANGED, at: datetime | None = None,
) -> Institution:
    """Change the name, the callback URL and/or the output format (``xml`` | ``json``: how its
    documents not tied to one submission are signed); giving none is refused, giving the current
    values changes (and records) nothing. A new callback URL counts for the next delivery."""
    institution = institution_by_code(session, code, for_update=True)
    if name is UNCHANGED and callback_url is UNCHANGED and output_format is UNCHANGED:
        raise InvalidRequest("give a new name, callback URL or output format", code="institution.nothing_to_change")
    wanted = {}
    if output_format is not UNCHANGED:
        if output_format not in ("xml", "json"):
            raise InvalidRequest("the output format is xml or json", code="institution.invalid_output_format")
        wanted["output_format"] = output_format
    if name is not UNCHANGED:
        wanted["name"] = checked_name(name)
    if callback_url is not UNCHANGED:
        wanted["callback_url"] = checked_callback_url(callback_url)
    changed = {field: value for field, value in wanted.items() if getattr(institution, field) != value}
    if changed:
        before = {field: _recorded(field, getattr(institution, field)) for field in changed}
        for field, value in changed.items():
            setattr(institution, field, value)
        institution.updated_at = at or utcnow()
        record(session, actor=actor, action="institution.update", subject_kind=SUBJECT, subject=code,
               request_id=request_id, at=institution.updated_at,
               details={"before": before, "after": {field: _recorded(field, v) for field, v in changed.items()}})
    return institution


def disable_institution(session: Session, code: str, *, actor: str, request_id: str | None, reason: str,
                        at: datetime | None = None) -> Institution:
    """Refuse the institution's (and its branches') requests from now on, with the reason.

    Its open applications stay in the review queue and its results are still delivered.
    """
    reason = _checked_reason(reason)
    institution = institution_by_code(session, code, for_update=True)
    if institution.status == DISABLED:
        raise InstitutionStateConflict("the institution is already disabled")
    before = _state(institution)
    institution.status, institution.disabled_reason = DISABLED, reason
    institution.disabled_at = institution.updated_at = at or utcnow()
    record(session, actor=actor, action="institution.disable", subject_kind=SUBJECT, subject=code,
           request_id=request_id, at=institution.disabled_at,
           details={"before": before, "after": _state(institution)})
    return institution


def enable_institution(session: Session, code: str, *, actor: str, request_id: str | None,
                       at: datetime | None = None) -> Institution:
    """Accept the institution's requests again (a branch still needs its head institution enabled)."""
    institution = institution_by_code(session, code, for_update=True)
    if institution.status != DISABLED:
        raise InstitutionStateConflict("the institution is not disabled", code="institution.not_disabled")
    before = _state(institution)
    institution.status, institution.disabled_reason, institution.disabled_at = ACTIVE, None, None
    institution.updated_at = at or utcnow()
    record(session, actor=actor, action="institution.enable", subject_kind=SUBJECT, subject=code,
           request_id=request_id, at=institution.updated_at,
           details={"before": before, "after": _state(institution)})
    return institution


def _checked_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidRequest(f"give the reason, at most {REASON_MAX} characters", code="institution.reason_required")
    return reason


def _state(institution: Institution) -> dict[str, Any]:
    """The administered fields, as recorded before and after a change."""
    return {"name": institution.name, "callback_url": _recorded("callback_url", institution.callback_url),
            "status": institution.status, "disabled_reason": institution.disabled_reason}


def _recorded(field: str, value: Any) -> Any:
    """A value as the record keeps it: a callback URL without its query string, which may carry a
    bank's token (the record is read by every administrator and kept for good)."""
    if field != "callback_url" or not value:
        return value
    parts = urlsplit(value)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + ("?…" if parts.query else "")
