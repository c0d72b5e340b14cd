"""Read models the pages share: the deadline as working days left, the history, the 补正 items."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.applications.deadline import current_deadline, load_calendar, local_date
from gateway.applications.states import FINAL, PAUSED, Status
from gateway.calendar.clock import working_days_left
from gateway.calendar.working_days import Deadline, WorkingCalendar
from gateway.persistence.models import Application, StaffUser
from gateway.persistence.types import utcnow
from gateway.settings import Settings


@dataclass(frozen=True)
class DeadlineView:
    due: date
    provisional: bool
    paused: bool
    working_days_left: int | None  # None once decided

    @property
    def overdue(self) -> bool:
        return self.working_days_left is not None and self.working_days_left < 0

    @property
    def urgency(self) -> str:
        """A CSS class: overdue, today/tomorrow, or plenty of time."""
        left = self.working_days_left
        if left is None or self.paused:
            return "calm"
        return "overdue" if left < 0 else "soon" if left <= 1 else "calm"


def today() -> date:
    return local_date(utcnow())


def deadline_of(session: Session, settings: Settings, application: Application, calendar: WorkingCalendar,
                on: date) -> DeadlineView:
    status = Status(application.status)
    deadline = Deadline(application.due_date, application.deadline_provisional)
    if status in PAUSED:  # the clock is stopped: the due date moves on each day the pause lasts
        deadline = current_deadline(session, settings, application, today=on)
    left = None if status in FINAL else working_days_left(deadline, on, calendar)
    return DeadlineView(deadline.due, deadline.provisional, status in PAUSED, left)


def deadlines_of(session: Session, settings: Settings, applications: list[Application]) -> dict[int, DeadlineView]:
    """Each application's deadline view, keyed by id, with one calendar load."""
    calendar, on = load_calendar(session), today()
    return {a.id: deadline_of(session, settings, a, calendar, on) for a in applications}


def history_of(application: Application) -> list[dict]:
    return [{"action": e.action, "from": e.from_status, "to": e.to_status, "actor_kind": e.actor_kind,
             "actor": e.actor, "at": e.at, "note": e.note or {}} for e in application.events]


def supplement_request(application: Application) -> dict | None:
    """What the latest 补正 request asked for, while the application waits for it."""
    if application.status != Status.SUPPLEMENT_REQUESTED:
        return None
    requests = [e for e in application.events if e.action == "request_supplement"]
    if not requests:
        return None
    note = requests[-1].note or {}
    return {"at": requests[-1].at, "reason": note.get("reason"), "missing": note.get("missing", []),
            "respond_by": note.get("respond_by")}


def usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(StaffUser.id, StaffUser.username).where(StaffUser.id.in_(wanted))).all())
