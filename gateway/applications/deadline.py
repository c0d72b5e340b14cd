"""Deadlines in working days on the official calendar, with pauses and extensions from the database."""
from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.calendar.acceptance import acceptance_day
from gateway.calendar.clock import Extension, Pause, compute_deadline
from gateway.calendar.schedule import parse_year_schedule
from gateway.calendar.working_days import Deadline, WorkingCalendar
from gateway.persistence.models import Application, ApplicationExtension, ApplicationPause
from gateway.register.models import CalendarYear
from gateway.settings import Settings
from gateway.timezone import LOCAL_TZ

log = logging.getLogger(__name__)

# 预告登记 is not a mortgage registration proper: it has the general (longer) time limit.
NON_MORTGAGE_TYPES = frozenset({"PRE_NOTICE_MORTGAGE"})

_cache: dict[tuple, WorkingCalendar] = {}


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def working_days_for(settings: Settings, registration_type: str) -> int:
    if registration_type in NON_MORTGAGE_TYPES:
        return settings.other_deadline_working_days
    return settings.mortgage_deadline_working_days


def load_calendar(session: Session) -> WorkingCalendar:
    """The official calendar plus every operator-loaded year (cached until a year is loaded)."""
    key = tuple(session.execute(select(func.count(CalendarYear.year), func.max(CalendarYear.loaded_at))).one())
    if key not in _cache:
        schedules = {row.year: parse_year_schedule(row.schedule) for row in session.scalars(select(CalendarYear))}
        _cache.clear()
        _cache[key] = WorkingCalendar(schedules=schedules)
    return _cache[key]


def accepted_on(settings: Settings, calendar: WorkingCalendar, received_at: datetime) -> date:
    """The day of acceptance (受理) of a submission received at ``received_at`` (api.md §6.3)."""
    return acceptance_day(received_at.astimezone(LOCAL_TZ), calendar, cutoff=settings.office_cutoff,
                          next_working_day_after_hours=settings.after_hours_next_working_day)


def current_deadline(session: Session, settings: Settings, application: Application, *, today: date) -> Deadline:
    """The deadline from acceptance, pauses and extensions, an open pause assumed to end ``today``."""
    calendar = load_calendar(session)
    accepted = accepted_on(settings, calendar, application.received_at)
    # A pause begun before the day of acceptance (staff at work on a Sunday) runs from acceptance.
    pauses = [
        Pause(max(local_date(p.started_at), accepted),
              max(local_date(p.ended_at), accepted) if p.ended_at else None, p.reason)
        for p in session.scalars(select(ApplicationPause).where(ApplicationPause.application_id == application.id)
                                 .order_by(ApplicationPause.id))
    ]
    extensions = [
        Extension(e.working_days, e.reason)
        for e in session.scalars(select(ApplicationExtension).where(ApplicationExtension.application_id == application.id))
    ]
    return compute_deadline(
        accepted_on=accepted,
        working_days=working_days_for(settings, application.registration_type),
        pauses=pauses, extensions=extensions, calendar=calendar, today=today,
    )


def first_deadline(session: Session, settings: Settings, *, registration_type: str, received_at: datetime,
                   extensions: list[Extension]) -> Deadline:
    """The deadline of an application being received: what :func:`current_deadline` gives it once
    stored (no pause yet; ``extensions`` are those intake adds), computed before it is stored, so
    intake inserts its row once with the due date rather than updating it."""
    calendar = load_calendar(session)
    return compute_deadline(
        accepted_on=accepted_on(settings, calendar, received_at),
        working_days=working_days_for(settings, registration_type),
        pauses=[], extensions=extensions, calendar=calendar, today=local_date(received_at),
    )


def refresh_deadline(session: Session, settings: Settings, application: Application, *, at: datetime) -> None:
    """Recompute the due date from acceptance, pauses and extensions; mark it provisional if need be."""
    set_deadline(application, current_deadline(session, settings, application, today=local_date(at)))


def set_deadline(application: Application, deadline: Deadline) -> None:
    """Apply a computed deadline to the application; warn when it is provisional."""
    application.due_date = deadline.due
    if deadline.provisional and not application.deadline_provisional:
        # Operators must load the official schedule for these years (gateway calendar load).
        # At intake the number is allocated after the deadline is set: name the request then.
        number = application.application_no
        name = number if number and not number.startswith("~") else "being received"
        log.warning("application %s has a provisional deadline: calendar years %s are not known yet",
                    name, ",".join(map(str, deadline.unknown_years)))
    application.deadline_provisional = deadline.provisional


def extend_deadline(
    session: Session, settings: Settings, application: Application, *, working_days: int, reason: str,
    actor: str, at: datetime,
) -> None:
    """Add working days to the deadline, recording why and who."""
    session.add(ApplicationExtension(application_id=application.id, working_days=working_days,
                                     reason=reason[:500], actor=actor, at=at))
    session.flush()
    refresh_deadline(session, settings, application, at=at)


def load_year_schedule(session: Session, settings: Settings, text: str, *, at: datetime) -> tuple[int, int]:
    """Store an official year schedule and recompute every open application's deadline.

    Returns (year, how many provisional deadlines became firm).
    """
    schedule = parse_year_schedule(text)
    row = session.get(CalendarYear, schedule.year)
    if row is None:
        session.add(CalendarYear(year=schedule.year, schedule=text, source=schedule.source, loaded_at=at))
    else:
        row.schedule, row.source, row.loaded_at = text, schedule.source, at
    session.flush()
    firmed = 0
    open_statuses = ("QUEUED", "IN_REVIEW", "SUPPLEMENT_REQUESTED", "ANNOUNCING", "APPROVED")
    for application in session.scalars(select(Application).where(Application.status.in_(open_statuses))):
        was_provisional = application.deadline_provisional
        refresh_deadline(session, settings, application, at=at)
        firmed += was_provisional and not application.deadline_provisional
    return schedule.year, firmed
