"""Operator-loaded holiday schedules for years the calendar library does not know yet.

The State Council's General Office publishes each year's schedule (国务院办公厅关于某年部分节假日安排的
通知) late in the year before; the calendar library catches up only with its next release. Until then an
operator copies the notice into a JSON file and loads it. The format, one file per year, UTF-8::

    {
      "year": 2027,
      "source": "国办发明电〔2026〕X号",
      "note": "optional free text, e.g. who entered it and when",
      "holidays": [
        {"name": "元旦", "dates": ["2027-01-01", "2027-01-02", "2027-01-03"]},
        {"name": "春节", "dates": ["2027-02-05", "2027-02-06", "..."]}
      ],
      "makeup_workdays": ["2027-02-14", "..."]
    }

- ``year``: the calendar year the schedule covers; every date must lie in it.
- ``source``: the notice it was copied from (its document number), shown wherever the calendar is cited.
- ``holidays``: each festival with every day off as the notice lists it, weekend days inside the
  block included (they are off anyway; listing them keeps the file a faithful copy of the notice).
- ``makeup_workdays`` (调休上班): Saturdays or Sundays that are working days; may be empty.
- ``note``: optional. ``example``: optional, ``true`` marks an illustrative file (see ``examples/``),
  which ``parse_year_schedule`` refuses unless asked explicitly, so that an example is never loaded
  as the official schedule by mistake.

Dates are written ``YYYY-MM-DD``. Any other field, a date outside the year, a date listed twice, a day
that is both a holiday and a make-up working day, or a make-up day on a Monday to Friday is refused with
``ScheduleInvalid`` naming the field and the date.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REQUIRED = ("year", "source", "holidays", "makeup_workdays")
_OPTIONAL = ("note", "example")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Sanity bounds that catch a two-digit or mistyped year, not a policy.
_FIRST_YEAR, _LAST_YEAR = 1949, 2199


class ScheduleInvalid(ValueError):
    """A year schedule is malformed or inconsistent; the message names the field and the date."""


@dataclass(frozen=True)
class YearSchedule:
    """The days off and make-up working days of one calendar year, as an official notice lists them."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    source: str

    def __post_init__(self) -> None:
        # The parser reports these with precise locations; this guards direct construction.
        stray = sorted(d for d in self.holidays | self.makeup_workdays if d.year != self.year)
        if stray:
            raise ScheduleInvalid(f"{stray[0].isoformat()} is not in {self.year}")
        both = sorted(self.holidays & self.makeup_workdays)
        if both:
            raise ScheduleInvalid(f"{both[0].isoformat()} is both a holiday and a make-up working day")
        weekdays = sorted(d for d in self.makeup_workdays if d.weekday() < 5)
        if weekdays:
            raise ScheduleInvalid(f"make-up working day {weekdays[0].isoformat()} is not a Saturday or Sunday")

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (in this schedule's year) is a working day under this schedule."""
        if day.year != self.year:
            raise ValueError(f"{day.isoformat()} is not in the {self.year} schedule")
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def parse_year_schedule(text: str, *, allow_example: bool = False) -> YearSchedule:
    """Read one year's schedule in the documented JSON format; raise ``ScheduleInvalid`` on any defect.

    A file marked ``"example": true`` is refused unless ``allow_example`` is set (tests and demos).
    """
    document = _load_object(text)
    unknown = sorted(set(document) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        expected = ", ".join(_REQUIRED + _OPTIONAL)
        raise ScheduleInvalid(f"unknown field {unknown[0]!r}: the fields are {expected}")
    for field in _REQUIRED:
        if field not in document:
            raise ScheduleInvalid(f"missing field {field!r}")
    example = document.get("example", False)
    if not isinstance(example, bool):
        raise ScheduleInvalid(f"example: expected true or false, got {example!r}")
    if example and not allow_example:
        raise ScheduleInvalid("this file is marked as an example, not an official schedule; refusing to load it")
    year = _parse_year(document["year"])
    source = document["source"]
    if not isinstance(source, str) or not source.strip():
        raise ScheduleInvalid("source: must name the notice the schedule comes from (a non-empty string)")
    holidays = _parse_holidays(document["holidays"], year)
    makeup_workdays = _parse_makeup_workdays(document["makeup_workdays"], year, holidays)
    return YearSchedule(
        year=year, holidays=frozenset(holidays), makeup_workdays=frozenset(makeup_workdays), source=source.strip()
    )


def read_year_schedule(path: str | Path, *, allow_example: bool = False) -> YearSchedule:
    """Read a schedule file (UTF-8, with or without a byte-order mark)."""
    try:
        # utf-8-sig: files saved by Windows editors often start with a byte-order mark.
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScheduleInvalid(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse_year_schedule(text, allow_example=allow_example)


def schedules_by_year(schedules: Iterable[YearSchedule]) -> dict[int, YearSchedule]:
    """Index schedules by year, refusing two schedules for the same year."""
    indexed: dict[int, YearSchedule] = {}
    for schedule in schedules:
        if schedule.year in indexed:
            raise ScheduleInvalid(f"two schedules for {schedule.year}: {indexed[schedule.year].source!r} and "
                                  f"{schedule.source!r}")
        indexed[schedule.year] = schedule
    return indexed


def _load_object(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ScheduleInvalid(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(document, dict):
        raise ScheduleInvalid("the schedule must be a JSON object with year, source, holidays, makeup_workdays")
    return document


def _parse_year(value: Any) -> int:
    # bool is an int in Python; "year": true is a typo, not 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScheduleInvalid(f"year: expected a whole number such as 2027, got {value!r}")
    if not _FIRST_YEAR <= value <= _LAST_YEAR:
        raise ScheduleInvalid(f"year: {value} is not a plausible calendar year")
    return value


def _parse_holidays(value: Any, year: int) -> dict[date, str]:
    """Every holiday date with the place it was listed, for duplicate and overlap messages."""
    if not isinstance(value, list) or not value:
        raise ScheduleInvalid("holidays: expected a non-empty list of {\"name\": ..., \"dates\": [...]}")
    seen: dict[date, str] = {}
    for index, festival in enumerate(value):
        where = f"holidays[{index}]"
        if not isinstance(festival, dict) or set(festival) != {"name", "dates"}:
            raise ScheduleInvalid(f"{where}: expected an object with exactly the fields name and dates")
        name = festival["name"]
        if not isinstance(name, str) or not name.strip():
            raise ScheduleInvalid(f"{where}.name: expected the festival's name, e.g. \"春节\"")
        where = f"holidays[{index}] ({name.strip()})"
        dates = festival["dates"]
        if not isinstance(dates, list) or not dates:
            raise ScheduleInvalid(f"{where}.dates: expected a non-empty list of dates")
        for position, raw in enumerate(dates):
            place = f"{where}.dates[{position}]"
            day = _parse_date(raw, place, year)
            if day in seen:
                raise ScheduleInvalid(f"{place}: {day.isoformat()} is listed twice (also at {seen[day]})")
            seen[day] = place
    return seen


def _parse_makeup_workdays(value: Any, year: int, holidays: dict[date, str]) -> list[date]:
    if not isinstance(value, list):
        raise ScheduleInvalid("makeup_workdays: expected a list of dates (empty if there are none)")
    days: list[date] = []
    for position, raw in enumerate(value):
        place = f"makeup_workdays[{position}]"
        day = _parse_date(raw, place, year)
        if day in holidays:
            raise ScheduleInvalid(f"{place}: {day.isoformat()} is also a holiday (at {holidays[day]})")
        if day in days:
            raise ScheduleInvalid(f"{place}: {day.isoformat()} is listed twice "
                                  f"(also at makeup_workdays[{days.index(day)}])")
        if day.weekday() < 5:
            raise ScheduleInvalid(f"{place}: {day.isoformat()} is a {_WEEKDAY_NAMES[day.weekday()]}; "
                                  "a make-up working day must be a Saturday or Sunday")
        days.append(day)
    return days


def _parse_date(raw: Any, place: str, year: int) -> date:
    # fromisoformat alone would also accept "20270101" and week dates; the format is YYYY-MM-DD only.
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
        raise ScheduleInvalid(f"{place}: expected a date written YYYY-MM-DD, got {raw!r}")
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise ScheduleInvalid(f"{place}: {raw} is not a real date ({exc})") from exc
    if day.year != year:
        raise ScheduleInvalid(f"{place}: {raw} is not in {year}, the year of this schedule")
    return day
