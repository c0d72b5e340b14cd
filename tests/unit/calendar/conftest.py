"""The real official calendar (chinese_calendar 1.11.0: 2004–2026) and the example 2027 schedule."""
from __future__ import annotations

from pathlib import Path

import pytest

import gateway.calendar
from gateway.calendar.schedule import YearSchedule, read_year_schedule
from gateway.calendar.working_days import WorkingCalendar

EXAMPLE_2027 = Path(gateway.calendar.__file__).parent / "examples" / "2027.example.json"


@pytest.fixture
def calendar() -> WorkingCalendar:
    """The library's official data only: 2027 and later are provisional."""
    return WorkingCalendar()


@pytest.fixture
def example_2027() -> YearSchedule:
    return read_year_schedule(EXAMPLE_2027, allow_example=True)


@pytest.fixture
def calendar_with_2027(example_2027: YearSchedule) -> WorkingCalendar:
    return WorkingCalendar(schedules={2027: example_2027})
