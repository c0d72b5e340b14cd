"""Each institution's monthly quality figures (docs/interface/quality.md defines every one).

One month in local time; each figure counts what *happened* in that month: applications received,
refusals at intake, supplement requests issued, decisions taken. Computed from the database on request,
in one read-only unit of work; no personal data goes into any figure.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.applications.deadline import accepted_on, load_calendar, local_date
from gateway.applications.states import Action, Status
from gateway.catalogue.materials import MATERIALS
from gateway.persistence.models import Application, ApplicationEvent, Institution
from gateway.quality.avoidable import FirstSubmission, item_avoidable, request_avoidable
from gateway.quality.models import IntakeRefusal
from gateway.quality.months import Month

PRE_REVIEW_REFUSED = "prereview.refused"
DECIDED = (Status.REGISTERED.value, Status.REJECTED.value)


@dataclass
class MaterialRequested:
    type_code: str
    name_zh: str
    items: int = 0
    avoidable_items: int = 0


@dataclass
class InstitutionFigures:
    """One institution's figures for one month."""

    institution_code: str
    institution_name: str
    month: str
    applications: int = 0
    applications_by_type: dict[str, int] = field(default_factory=dict)
    applications_by_channel: dict[str, int] = field(default_factory=dict)
    applications_by_triage: dict[str, int] = field(default_factory=dict)
    refusals: int = 0
    refusals_by_code: dict[str, int] = field(default_factory=dict)
    refusing_findings: dict[str, int] = field(default_factory=dict)
    supplement_requests: int = 0
    supplement_items: int = 0
    supplement_by_material: list[MaterialRequested] = field(default_factory=list)
    avoidable_supplement_requests: int = 0
    decided: int = 0
    approved: int = 0
    rejected: int = 0
    median_hours_to_decision: float | None = None
    median_working_days_to_decision: float | None = None

    @property
    def avoidable_share(self) -> float | None:
        """Avoidable supplement requests ÷ supplement requests (None when there were none)."""
        if not self.supplement_requests:
            return None
        return round(self.avoidable_supplement_requests / self.supplement_requests, 4)


@dataclass(frozen=True)
class MonthlyFigures:
    month: Month
    start: datetime
    end: datetime
    complete: bool  # False while the month is still running
    computed_at: datetime
    institutions: list[InstitutionFigures]
    unattributed_refusals: dict[str, int]  # supervisors only: refusals whose signer was not identified


def compute(session: Session, settings, month: Month, *, now: datetime,
            institution_id: int | None = None) -> MonthlyFigures:
    """The month's figures for one institution, or (``institution_id`` None) for every institution with
    anything in the month, and the refusals nobody could be identified for."""
    start, end = month.bounds()
    names = {row.id: row for row in session.execute(select(Institution.id, Institution.code, Institution.name))}
    figures: dict[int, InstitutionFigures] = {}

    def of(iid: int) -> InstitutionFigures:
        if iid not in figures:
            figures[iid] = InstitutionFigures(names[iid].code, names[iid].name, str(month))
        return figures[iid]

    if institution_id is not None:
        of(institution_id)
    _applications(session, start, end, institution_id, of)
    unattributed = _refusals(session, start, end, institution_id, of)
    _supplements(session, start, end, institution_id, of)
    _decisions(session, settings, start, end, institution_id, of)
    ordered = sorted(figures.values(), key=lambda f: f.institution_code)
    return MonthlyFigures(month, start, end, complete=now >= end, computed_at=now, institutions=ordered,
                          unattributed_refusals=unattributed if institution_id is None else {})


def _only(stmt, column, institution_id: int | None):
    return stmt if institution_id is None else stmt.where(column == institution_id)


def _applications(session, start, end, institution_id, of) -> None:
    stmt = _only(select(Application.institution_id, Application.registration_type, Application.channel,
                        Application.triage, func.count())
                 .where(Application.received_at >= start, Application.received_at < end)
                 .group_by(Application.institution_id, Application.registration_type, Application.channel,
                           Application.triage), Application.institution_id, institution_id)
    for iid, registration_type, channel, triage, count in session.execute(stmt):
        figures = of(iid)
        figures.applications += count
        for counts, key in ((figures.applications_by_type, registration_type),
                            (figures.applications_by_channel, channel), (figures.applications_by_triage, triage)):
            counts[key] = counts.get(key, 0) + count


def _refusals(session, start, end, institution_id, of) -> dict[str, int]:
    """Counted in the database by code; only pre-review refusals' finding codes are read row by row."""
    in_month = (IntakeRefusal.at >= start, IntakeRefusal.at < end)
    unattributed: dict[str, int] = {}
    stmt = _only(select(IntakeRefusal.institution_id, IntakeRefusal.code, func.count()).where(*in_month)
                 .group_by(IntakeRefusal.institution_id, IntakeRefusal.code), IntakeRefusal.institution_id,
                 institution_id)
    for iid, code, count in session.execute(stmt):
        if iid is None:
            unattributed[code] = count
            continue
        figures = of(iid)
        figures.refusals += count
        figures.refusals_by_code[code] = count
    stmt = _only(select(IntakeRefusal.institution_id, IntakeRefusal.finding_codes)
                 .where(*in_month, IntakeRefusal.code == PRE_REVIEW_REFUSED, IntakeRefusal.institution_id.is_not(None)),
                 IntakeRefusal.institution_id, institution_id)
    for iid, finding_codes in session.execute(stmt):
        figures = of(iid)
        for finding in finding_codes or ():
            figures.refusing_findings[finding] = figures.refusing_findings.get(finding, 0) + 1
    return dict(sorted(unattributed.items()))


def _supplements(session, start, end, institution_id, of) -> None:
    stmt = _only(select(ApplicationEvent, Application)
                 .join(Application, Application.id == ApplicationEvent.application_id)
                 .where(ApplicationEvent.action == Action.REQUEST_SUPPLEMENT.value,
                        ApplicationEvent.at >= start, ApplicationEvent.at < end)
                 .order_by(ApplicationEvent.id), Application.institution_id, institution_id)
    by_material: dict[int, dict[str, MaterialRequested]] = defaultdict(dict)
    for event, application in session.execute(stmt):
        figures = of(application.institution_id)
        first = FirstSubmission(
            registration_type=application.registration_type,
            submitted_types=frozenset(m["type_code"] for m in (application.canonical or {}).get("materials", ())),
            finding_codes=frozenset(f.get("code") for f in application.findings or ()),
        )
        type_codes = list(dict.fromkeys(item["type_code"] for item in (event.note or {}).get("missing", ())))
        figures.supplement_requests += 1
        figures.supplement_items += len(type_codes)
        figures.avoidable_supplement_requests += request_avoidable(type_codes, first)
        for code in type_codes:
            known = MATERIALS.get(code)
            row = by_material[application.institution_id].setdefault(
                code, MaterialRequested(code, known.name_zh if known else ""))
            row.items += 1
            row.avoidable_items += item_avoidable(code, first)
    for iid, rows in by_material.items():
        of(iid).supplement_by_material = sorted(rows.values(), key=lambda r: (-r.items, r.type_code))


def _decisions(session, settings, start, end, institution_id, of) -> None:
    """Time to decision: received → decided, in hours, and in working days after the day of acceptance
    (受理, api.md §6.3) through the local day of the decision — the count the statutory time limit uses."""
    calendar = load_calendar(session)
    stmt = _only(select(Application.institution_id, Application.status, Application.received_at,
                        Application.decided_at)
                 .where(Application.decided_at >= start, Application.decided_at < end,
                        Application.status.in_(DECIDED)), Application.institution_id, institution_id)
    hours: dict[int, list[float]] = defaultdict(list)
    days: dict[int, list[int]] = defaultdict(list)
    for iid, status, received_at, decided_at in session.execute(stmt):
        figures = of(iid)
        figures.decided += 1
        figures.approved += status == Status.REGISTERED.value
        figures.rejected += status == Status.REJECTED.value
        hours[iid].append((decided_at - received_at).total_seconds() / 3600)
        accepted = accepted_on(settings, calendar, received_at)
        days[iid].append(calendar.count_working_days(accepted, local_date(decided_at)))
    for iid in hours:
        of(iid).median_hours_to_decision = round(median(hours[iid]), 1)
        of(iid).median_working_days_to_decision = float(median(days[iid]))
