"""The deadline clock of one application. Pure: every fact comes in as an argument.

How days are counted, in whole days on the registration centre's local calendar:

- **Acceptance.** The day of acceptance does not count; counting starts the next day (期间开始之日
  不计算在内). The deadline is the day on which the last of the working days is complete.
- **Pauses** (补正 waiting for supplementation, 公告 during an announcement). A pause from day S to day
  E stops the clock at the end of S and restarts it on E as if the application were accepted anew
  on E with the working days it had left. So S still counts if it is a working day (the registry
  worked on the file that day, and issued the request), the days after S up to and including E do
  not, and counting resumes on the day after E. A pause that starts and ends on the same day costs
  nothing. Pauses that overlap stop the clock once.
- **A pause that starts on or after the day the working days run out** does not move the deadline:
  the time was used up before the pause, so an application whose supplement was requested on its
  last day is overdue once the supplement arrives; only an extension grants new days.
- **An open pause** (``ended_on`` is None) is assumed to end ``today``: the due date is the earliest
  the deadline can be, it moves one day later each working day the pause lasts, and the deadline is
  marked ``paused``.
- **Extensions** add working days to the total, whenever they were granted.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gateway.calendar.working_days import ONE_DAY, Basis, Deadline, WorkingCalendar


@dataclass(frozen=True)
class Pause:
    """The clock stopped from ``started_on`` to ``ended_on`` (None while it is still stopped)."""

    started_on: date
    ended_on: date | None
    reason: str

    def __post_init__(self) -> None:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError(f"pause ends ({self.ended_on}) before it starts ({self.started_on})")


@dataclass(frozen=True)
class Extension:
    """Working days added to the deadline, and why (e.g. a survey or an announcement, 公告)."""

    working_days: int
    reason: str

    def __post_init__(self) -> None:
        if self.working_days < 1:
            raise ValueError(f"an extension adds at least one working day, not {self.working_days}")
        if not self.reason.strip():
            raise ValueError("an extension needs a reason")


def compute_deadline(
    *,
    accepted_on: date,
    working_days: int,
    pauses: Sequence[Pause],
    extensions: Sequence[Extension],
    calendar: WorkingCalendar,
    today: date | None = None,
) -> Deadline:
    """The deadline of an application accepted on ``accepted_on`` with ``working_days`` to decide.

    ``today`` is needed only while a pause is open. Raises ``ValueError`` for inconsistent input
    (a pause before acceptance, an open pause without ``today``), never for an unknown year.
    """
    if working_days < 0:
        raise ValueError(f"working days cannot be negative ({working_days})")
    stops = _stopped_spans(pauses, accepted_on=accepted_on, today=today)
    remaining = working_days + sum(extension.working_days for extension in extensions)
    day, unknown_years = accepted_on, set()
    while remaining:
        day += ONE_DAY
        # A stopped day is skipped whatever the calendar says, so it cannot make the deadline provisional.
        if any(start < day <= end for start, end in stops):
            continue
        if calendar.basis(day) is Basis.PROVISIONAL:
            unknown_years.add(day.year)
        if calendar.is_working_day(day):
            remaining -= 1
    return Deadline(
        due=day,
        provisional=bool(unknown_years),
        unknown_years=tuple(sorted(unknown_years)),
        paused=any(pause.ended_on is None for pause in pauses),
    )


def working_days_left(deadline: Deadline, today: date, calendar: WorkingCalendar) -> int:
    """Working days after ``today`` up to and including the due day; 0 on the due day itself.

    Negative when overdue: -1 from the first day after the due day (a weekend day included), one
    more for each further working day.
    """
    if today <= deadline.due:
        return calendar.count_working_days(today, deadline.due)
    return -max(1, calendar.count_working_days(deadline.due, today))


def is_overdue(deadline: Deadline, today: date) -> bool:
    """Whether the due day has passed."""
    return today > deadline.due


def is_at_risk(deadline: Deadline, today: date, calendar: WorkingCalendar, threshold: int = 1) -> bool:
    """Whether the deadline is due within ``threshold`` working days and not yet missed.

    A paused clock is not at risk: nothing runs until the supplement arrives, and the deadline is
    recomputed then. Overdue deadlines are reported by ``is_overdue``, not here.
    """
    if deadline.paused or is_overdue(deadline, today):
        return False
    return working_days_left(deadline, today, calendar) <= threshold


def _stopped_spans(pauses: Sequence[Pause], *, accepted_on: date, today: date | None) -> list[tuple[date, date]]:
    """Each pause as (start, end): the days after start up to and including end are not counted."""
    spans = []
    for pause in pauses:
        if pause.started_on < accepted_on:
            raise ValueError(f"pause {pause.reason!r} starts ({pause.started_on}) before acceptance ({accepted_on})")
        end = pause.ended_on
        if end is None:
            if today is None:
                raise ValueError(f"pause {pause.reason!r} is still open: today is needed to place the deadline")
            end = max(today, pause.started_on)
        spans.append((pause.started_on, end))
    return spans
