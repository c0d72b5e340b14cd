"""The day of acceptance (受理) of a submission, from the local moment it was received."""
from __future__ import annotations

from datetime import date, datetime, time

from gateway.calendar.acceptance import acceptance_day

CUTOFF = time(17, 30)


def accepted(calendar, moment: datetime, *, after_hours: bool = True):
    return acceptance_day(moment, calendar, cutoff=CUTOFF, next_working_day_after_hours=after_hours)


def test_a_working_day_before_the_cutoff_is_the_day_itself(calendar):
    assert accepted(calendar, datetime(2026, 11, 27, 17, 29, 59)) == date(2026, 11, 27)


def test_an_early_morning_submission_is_accepted_that_day(calendar):
    assert accepted(calendar, datetime(2026, 11, 27, 6, 0)) == date(2026, 11, 27)


def test_at_or_after_the_cutoff_it_is_the_next_working_day(calendar):
    assert accepted(calendar, datetime(2026, 11, 26, 17, 30)) == date(2026, 11, 27)
    assert accepted(calendar, datetime(2026, 11, 27, 23, 59)) == date(2026, 11, 30)


def test_a_whole_holiday_block_is_skipped(calendar):
    # National Day 2026: 1–7 October off.
    assert accepted(calendar, datetime(2026, 10, 3, 10, 0)) == date(2026, 10, 8)


def test_a_make_up_working_day_accepts_like_any_working_day(calendar):
    assert accepted(calendar, datetime(2026, 10, 10, 9, 0)) == date(2026, 10, 10)  # Saturday, worked


def test_in_a_year_without_a_schedule_the_provisional_rule_decides(calendar):
    # 1 January 2027 (a Friday) is a fixed statutory holiday; then a weekend.
    assert accepted(calendar, datetime(2026, 12, 31, 18, 0)) == date(2027, 1, 4)


def test_with_the_rule_off_the_day_of_receipt_is_the_day_of_acceptance(calendar):
    assert accepted(calendar, datetime(2026, 11, 28, 10, 0), after_hours=False) == date(2026, 11, 28)
    assert accepted(calendar, datetime(2026, 11, 27, 23, 0), after_hours=False) == date(2026, 11, 27)
