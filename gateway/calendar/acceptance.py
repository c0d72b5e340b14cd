"""The day an application is accepted (受理), from the moment it was received. Pure.

不动产登记暂行条例 art. 20 counts the time limit from the day of acceptance, and acceptance is an act
of the registration centre, done in office hours. A bank's system submits at any hour, so the
reading the gateway applies by default is: a submission received on a working day before the
office's cut-off is accepted that day; one received at or after the cut-off, or on a day that is
not a working day (a weekend, a holiday), is accepted on the next working day. A make-up working
day (调休上班) is a working day like any other. With ``next_working_day_after_hours`` off, the day
of receipt is the day of acceptance, whatever the hour.

Only the counting moves: the moment of receipt is kept as it was, since it fixes the priority (顺位).
"""
from __future__ import annotations

from datetime import date, datetime, time

from gateway.calendar.working_days import ONE_DAY, WorkingCalendar


def acceptance_day(
    received_local: datetime, calendar: WorkingCalendar, *, cutoff: time, next_working_day_after_hours: bool
) -> date:
    """The day of acceptance of a submission received at ``received_local`` (the centre's local time)."""
    day = received_local.date()
    if not next_working_day_after_hours:
        return day
    if calendar.is_working_day(day) and received_local.time() < cutoff:
        return day
    day += ONE_DAY
    while not calendar.is_working_day(day):
        day += ONE_DAY
    return day
