"""Deadlines in working days. Pure.

The spine counts Monday to Friday; the registration-rules work replaces this with the
official calendar (statutory holidays and make-up working days).
"""
from __future__ import annotations

from datetime import date, timedelta


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (the day of acceptance does not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current
