"""The working-day clock: the official Chinese calendar, operator-loaded schedules, provisional years.

- ``schedule``: the JSON file an operator loads for a year the calendar library does not know yet.
- ``statutory``: the fixed statutory holidays, the basis of provisional deadlines.
- ``working_days``: ``WorkingCalendar``, which judges each day and adds working days.
- ``acceptance``: the day a submission is accepted (受理), office hours and working days considered.
- ``clock``: one application's deadline, with pauses (补正, 公告) and extensions.

Pure: no database, no web framework.
"""
from gateway.calendar.acceptance import acceptance_day
from gateway.calendar.clock import (
    Extension,
    Pause,
    compute_deadline,
    is_at_risk,
    is_overdue,
    working_days_left,
)
from gateway.calendar.schedule import (
    ScheduleInvalid,
    YearSchedule,
    parse_year_schedule,
    read_year_schedule,
    schedules_by_year,
)
from gateway.calendar.working_days import Basis, DayKind, Deadline, WorkingCalendar

__all__ = [
    "Basis",
    "DayKind",
    "Deadline",
    "Extension",
    "Pause",
    "ScheduleInvalid",
    "WorkingCalendar",
    "YearSchedule",
    "acceptance_day",
    "compute_deadline",
    "is_at_risk",
    "is_overdue",
    "parse_year_schedule",
    "read_year_schedule",
    "schedules_by_year",
    "working_days_left",
]
