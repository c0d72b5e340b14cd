"""When a record arrives: the stored findings of the open applications on its unit, refreshed.

Only the department-record findings (``tax.*``, ``contract.*``) are recomputed; the others were
found at intake against the register of that moment and stay as they were. Each application gets
an event (``department_record``) naming the record and what was added or removed, whether or not
its findings changed, so the reviewer sees when the department's answer came.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank_adapters.canonical import RegistrationType
from gateway.actors import Actor
from gateway.applications.canonical_json import from_json
from gateway.applications.records import record_event
from gateway.applications.states import Action, Status
from gateway.department_records.facts import TYPES_OF_KIND, department_facts
from gateway.persistence.db import lock_for_update
from gateway.persistence.models import Application
from gateway.prereview.findings import Finding
from gateway.prereview.rules import department_records as rules
from gateway.register.view import RegisterView

# Open and not yet decided: an approved application is re-checked at approval (gateway.review.service).
OPEN = ("QUEUED", "IN_REVIEW", "SUPPLEMENT_REQUESTED", "ANNOUNCING")
PREFIXES = ("tax.", "contract.")
CHECKS = {RegistrationType.OWNERSHIP_TRANSFER: rules.tax_record_matches,
          RegistrationType.PRE_NOTICE_MORTGAGE: rules.contract_filed}


def lock_open_applications(session: Session, *, kind: str, unit_code: str) -> list[Application]:
    """The open applications on the unit whose findings a ``kind`` record may change, locked in id order."""
    statement = (select(Application).where(Application.unit_code == unit_code, Application.status.in_(OPEN),
                                           Application.registration_type.in_(TYPES_OF_KIND[kind]))
                 .order_by(Application.id))
    return list(session.scalars(lock_for_update(statement, session)))


def finding_json(finding: Finding) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in asdict(finding).items()}


def refresh(session: Session, applications: list[Application], *, kind: str, unit_code: str, record_id: str,
            at: datetime) -> None:
    if not applications:
        return
    session.flush()  # the new record is among the facts read below
    views: dict[RegistrationType, RegisterView] = {}
    for application in applications:
        registration_type = RegistrationType(application.registration_type)
        if registration_type not in views:  # one statement per kind of record, whatever the number of applications
            tax, contracts = department_facts(session, registration_type, unit_code)
            views[registration_type] = RegisterView(unit=None, tax_records=tax, filed_contracts=contracts)
        view = views[registration_type]
        fresh = [finding_json(f) for f in CHECKS[registration_type](from_json(application.canonical), view)]
        before = list(application.findings or [])
        kept = [f for f in before if not f["code"].startswith(PREFIXES)]
        application.findings = kept + fresh
        old_codes = {f["code"] for f in before if f["code"].startswith(PREFIXES)}
        new_codes = {f["code"] for f in fresh}
        record_event(session, application, Action.DEPARTMENT_RECORD, Status(application.status),
                     Actor.system("department_records"), at=at,
                     note={"record_id": record_id, "kind": kind, "added": sorted(new_codes - old_codes),
                           "removed": sorted(old_codes - new_codes)})
