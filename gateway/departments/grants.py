"""Which purposes a department may query for: granted by the role's defaults at registration, then by
administrators (API, CLI), each change recorded in admin_actions in the transaction that makes it."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.admin.actions import record
from gateway.departments.models import InstitutionPurpose
from gateway.departments.purposes import checked_purposes, default_purposes
from gateway.departments.roles import require_department
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow


def purposes_of(session: Session, institution: Institution) -> list[str]:
    """The purposes the institution may query for, sorted (none for a bank)."""
    return sorted(session.scalars(select(InstitutionPurpose.purpose)
                                  .where(InstitutionPurpose.institution_id == institution.id)))


def is_allowed(session: Session, institution: Institution, purpose: str) -> bool:
    return session.scalar(select(InstitutionPurpose.id).where(InstitutionPurpose.institution_id == institution.id,
                                                              InstitutionPurpose.purpose == purpose)) is not None


def start_department(session: Session, institution: Institution, *, actor: str) -> None:
    """A new department (or an institution given a role): its role's default purposes and subscriptions."""
    from gateway.registration_events.subscriptions import on_department_created

    _grant(session, institution, default_purposes(institution.department_role), actor=actor)
    on_department_created(session, institution)


def set_purposes(session: Session, institution: Institution, purposes: object, *, actor: str,
                 request_id: str | None) -> list[str]:
    """Exactly ``purposes`` from now on (only a department; each purpose documented); recorded when it changes."""
    require_department(institution)
    wanted = checked_purposes(purposes)
    before = purposes_of(session, institution)
    if wanted == before:
        return before
    session.execute(delete(InstitutionPurpose).where(InstitutionPurpose.institution_id == institution.id,
                                                     InstitutionPurpose.purpose.not_in(wanted)))
    _grant(session, institution, sorted(set(wanted) - set(before)), actor=actor)
    record(session, actor=actor, action="institution.purposes", subject_kind="institution", subject=institution.code,
           request_id=request_id, details={"before": {"purposes": before}, "after": {"purposes": wanted}})
    return wanted


def change_purposes(session: Session, institution: Institution, *, grant: list[str], revoke: list[str], actor: str,
                    request_id: str | None) -> list[str]:
    """Grant and revoke some purposes (the CLI's ``--grant`` / ``--revoke``)."""
    require_department(institution)
    checked_purposes(list(grant) + list(revoke))
    wanted = (set(purposes_of(session, institution)) | set(grant)) - set(revoke)
    return set_purposes(session, institution, sorted(wanted), actor=actor, request_id=request_id)


def _grant(session: Session, institution: Institution, purposes: list[str], *, actor: str) -> None:
    now = utcnow()
    session.add_all(InstitutionPurpose(institution_id=institution.id, purpose=purpose, granted_at=now,
                                       granted_by=actor[:64]) for purpose in purposes)
    session.flush()
