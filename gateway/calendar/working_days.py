"""Working days on the official Chinese calendar, with make-up working days (调休) and provisional years.

A day is judged by the first source that knows its year:

1. a schedule the operator loaded for that year (it wins, so a late correction can override the library);
2. the official calendar library (``chinese_calendar``; version 1.11.0 knows 2004–2026 and raises
   ``NotImplementedError`` beyond);
3. otherwise the provisional rule: Monday to Friday, less the fixed statutory holidays
   (``statutory.py``). The State Council's schedule adds bridging days off and make-up Saturdays or
   Sundays that this rule cannot know, so a result that rests on it is marked provisional and must be
   recomputed when the year's schedule is loaded. Unknown years never raise.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar

from gateway.calendar.schedule import YearSchedule
from gateway.calendar.statutory import statutory_holiday_dates

ONE_DAY = timedelta(days=1)
# About thirty years of days: every deadline and queue computation of a running gateway fits.
_JUDGED_DAYS = 11_000


class DayKind(StrEnum):
    """What a day is for counting. The kind follows from two facts: the weekday and whether people work.

    A Saturday or Sunday inside a holiday block is ``WEEKEND`` (it is off either way), a weekday off
    is ``HOLIDAY``, a weekend day worked is ``MAKEUP_WORKDAY``.
    """

    WORKDAY = "workday"
    MAKEUP_WORKDAY = "makeup_workday"
    HOLIDAY = "holiday"
    WEEKEND = "weekend"

    @property
    def is_working(self) -> bool:
        return self in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


class Basis(StrEnum):
    """Where the judgement about a day comes from."""

    LOADED_SCHEDULE = "loaded_schedule"
    OFFICIAL_LIBRARY = "official_library"
    PROVISIONAL = "provisional"


@dataclass(frozen=True)
class Deadline:
    """A due date. ``provisional`` when it rests on a year nobody has published a schedule for yet
    (``unknown_years`` says which); ``paused`` when the clock is stopped and ``due`` assumes it restarts
    today (see ``clock.py``)."""

    due: date
    provisional: bool
    unknown_years: tuple[int, ...] = ()
    paused: bool = False


class WorkingCalendar:
    """The official calendar, operator-loaded schedules on top, the provisional rule underneath.

    ``official(day)`` answers whether ``day`` is a working day and raises ``NotImplementedError`` for
    a day it has no data for; it defaults to ``chinese_calendar.is_workday``.
    """

    def __init__(
        self,
        official: Callable[[date], bool] | None = None,
        schedules: Mapping[int, YearSchedule] | None = None,
    ) -> None:
        schedules = dict(schedules or {})
        for year, schedule in schedules.items():
            if schedule.year != year:
                raise ValueError(f"the schedule filed under {year} is for {schedule.year}")
        self._official = official or chinese_calendar.is_workday
        self._schedules = schedules
        # Each day is judged once per calendar: the answer depends only on the day, the official
        # data and the schedules, all fixed for this object's life. Loading a year's schedule
        # builds a new WorkingCalendar (gateway.applications.deadline.load_calendar), so a loaded
        # year is never answered from an older judgement. ``official`` must be a pure function.
        self._judge = functools.lru_cache(maxsize=_JUDGED_DAYS)(self._judge_afresh)

    @property
    def schedules(self) -> Mapping[int, YearSchedule]:
        """The operator-loaded schedules, by year."""
        return dict(self._schedules)

    def day_kind(self, day: date) -> DayKind:
        """Whether ``day`` is a workday, a make-up workday, a holiday or a weekend day."""
        working, _ = self._judge(day)
        if day.weekday() < 5:
            return DayKind.WORKDAY if working else DayKind.HOLIDAY
        return DayKind.MAKEUP_WORKDAY if working else DayKind.WEEKEND

    def is_working_day(self, day: date) -> bool:
        """Whether the registration centre works on ``day``."""
        return self._judge(day)[0]

    def basis(self, day: date) -> Basis:
        """Which source judges ``day``: a loaded schedule, the official library, or the provisional rule."""
        return self._judge(day)[1]

    def known(self, day: date) -> bool:
        """Whether ``day``'s year is known, from the official library or a loaded schedule."""
        return self.basis(day) is not Basis.PROVISIONAL

    def add_working_days(self, start: date, days: int) -> Deadline:
        """The day on which ``days`` working days after ``start`` are complete; ``start`` does not count.

        Provisional if any day counted or skipped lies in an unknown year: a skipped weekend day there
        may yet turn out to be a make-up working day.
        """
        if days < 0:
            raise ValueError(f"cannot add a negative number of working days ({days})")
        day, remaining, unknown_years = start, days, set()
        while remaining:
            day += ONE_DAY
            working, basis = self._judge(day)
            if basis is Basis.PROVISIONAL:
                unknown_years.add(day.year)
            if working:
                remaining -= 1
        return Deadline(due=day, provisional=bool(unknown_years), unknown_years=tuple(sorted(unknown_years)))

    def count_working_days(self, after: date, through: date) -> int:
        """The number of working days later than ``after`` and no later than ``through`` (0 if none)."""
        count, day = 0, after
        while day < through:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def _judge_afresh(self, day: date) -> tuple[bool, Basis]:
        schedule = self._schedules.get(day.year)
        if schedule is not None:
            return schedule.is_working_day(day), Basis.LOADED_SCHEDULE
        try:
            return bool(self._official(day)), Basis.OFFICIAL_LIBRARY
        except NotImplementedError:
            pass
        working = day.weekday() < 5 and day not in statutory_holiday_dates(day.year)
        return working, Basis.PROVISIONAL
