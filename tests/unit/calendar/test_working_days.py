"""Working days on the real official calendar, across the 2025 and 2026 festivals, and into 2027.

Expected due dates were counted by hand, day by day, from the official schedules; each festival's
dates are first checked against the library, so a change in its data points here.
"""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from gateway.calendar.schedule import YearSchedule
from gateway.calendar.working_days import Basis, DayKind, Deadline, WorkingCalendar


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def official_days_off(first: date, last: date) -> list[date]:
    return [day for day in span(first, last) if not chinese_calendar.is_workday(day)]


def official_makeup_days(year: int) -> list[date]:
    return sorted(day for day in chinese_calendar.workdays if day.year == year)


# The schedules the expectations below rest on, as chinese_calendar 1.11.0 has them.

def test_the_library_has_the_2025_spring_festival_and_national_day_with_their_makeup_days():
    assert official_days_off(date(2025, 1, 25), date(2025, 2, 9)) == [date(2025, 1, 25)] + span(
        date(2025, 1, 28), date(2025, 2, 4)) + [date(2025, 2, 9)]
    assert official_days_off(date(2025, 9, 27), date(2025, 10, 12)) == [date(2025, 9, 27)] + span(
        date(2025, 10, 1), date(2025, 10, 8)) + [date(2025, 10, 12)]
    assert official_makeup_days(2025) == [date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27),
                                          date(2025, 9, 28), date(2025, 10, 11)]


def test_the_library_has_the_2026_spring_festival_and_national_day_with_their_makeup_days():
    assert official_days_off(date(2026, 2, 14), date(2026, 3, 1)) == span(
        date(2026, 2, 15), date(2026, 2, 23)) + [date(2026, 3, 1)]
    assert official_days_off(date(2026, 9, 19), date(2026, 10, 11)) == [date(2026, 9, 19)] + span(
        date(2026, 9, 25), date(2026, 9, 27)) + span(date(2026, 10, 1), date(2026, 10, 7)) + [date(2026, 10, 11)]
    assert official_makeup_days(2026) == [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
                                          date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]


# What kind of day a day is.

def test_a_makeup_sunday_is_a_makeup_workday(calendar):
    assert calendar.day_kind(date(2025, 1, 26)) is DayKind.MAKEUP_WORKDAY


def test_a_weekday_of_the_spring_festival_is_a_holiday(calendar):
    assert calendar.day_kind(date(2025, 1, 29)) is DayKind.HOLIDAY


def test_a_saturday_inside_the_spring_festival_is_a_weekend_day(calendar):
    assert calendar.day_kind(date(2025, 2, 1)) is DayKind.WEEKEND


def test_an_ordinary_tuesday_is_a_workday(calendar):
    assert calendar.day_kind(date(2025, 3, 4)) is DayKind.WORKDAY


def test_new_years_day_2027_is_provisionally_a_holiday(calendar):
    assert (calendar.day_kind(date(2027, 1, 1)), calendar.basis(date(2027, 1, 1))) == (
        DayKind.HOLIDAY, Basis.PROVISIONAL)


# Which years are known.

def test_the_last_day_the_library_knows_is_known(calendar):
    assert calendar.known(date(2026, 12, 31))


def test_2027_is_unknown_until_its_schedule_is_loaded(calendar):
    assert not calendar.known(date(2027, 1, 4))


def test_a_loaded_schedule_makes_its_year_known(calendar_with_2027):
    assert calendar_with_2027.basis(date(2027, 1, 4)) is Basis.LOADED_SCHEDULE


def test_a_loaded_schedule_takes_precedence_over_the_library():
    # A (hypothetical) correction closing the centre on Monday 2 March 2026.
    correction = YearSchedule(2026, frozenset({date(2026, 3, 2)}), frozenset(), "更正通知")
    assert WorkingCalendar(schedules={2026: correction}).day_kind(date(2026, 3, 2)) is DayKind.HOLIDAY


def test_another_official_source_can_be_given():
    six_day_week = WorkingCalendar(official=lambda day: day.weekday() < 6)
    assert six_day_week.is_working_day(date(2025, 3, 8))


def test_a_schedule_filed_under_the_wrong_year_is_refused(example_2027):
    with pytest.raises(ValueError, match="filed under 2028 is for 2027"):
        WorkingCalendar(schedules={2028: example_2027})


# Deadlines across the 2025 festivals.

def test_five_working_days_accepted_on_the_eve_of_the_2025_spring_festival_include_the_makeup_saturday(calendar):
    # Mon 27 Jan; off 28 Jan–4 Feb; 5, 6, 7 Feb, make-up Sat 8 Feb, Mon 10 Feb.
    assert calendar.add_working_days(date(2025, 1, 27), 5) == Deadline(date(2025, 2, 10), provisional=False)


def test_a_deadline_across_the_2025_spring_festival_counts_the_makeup_sunday_before_it(calendar):
    # Fri 24 Jan; make-up Sun 26, Mon 27; off 28 Jan–4 Feb; 5, 6, 7 Feb.
    assert calendar.add_working_days(date(2025, 1, 24), 5).due == date(2025, 2, 7)


def test_ten_working_days_can_fall_due_on_the_makeup_saturday_after_the_2025_spring_festival(calendar):
    # Mon 20 Jan; 21–24, Sun 26, 27 Jan; 5, 6, 7 Feb, Sat 8 Feb.
    assert calendar.add_working_days(date(2025, 1, 20), 10).due == date(2025, 2, 8)


def test_five_working_days_accepted_on_the_eve_of_the_2025_national_day_include_the_makeup_saturday(calendar):
    # Tue 30 Sep; off 1–8 Oct; 9, 10, Sat 11, Mon 13, Tue 14 Oct.
    assert calendar.add_working_days(date(2025, 9, 30), 5).due == date(2025, 10, 14)


def test_a_deadline_across_the_2025_national_day_counts_the_makeup_sunday_before_it(calendar):
    # Fri 26 Sep; Sun 28, 29, 30 Sep; off 1–8 Oct; 9, 10 Oct.
    assert calendar.add_working_days(date(2025, 9, 26), 5).due == date(2025, 10, 10)


def test_ten_working_days_from_the_eve_of_the_2025_national_day(calendar):
    # 9, 10, Sat 11, 13–17, 20, 21 Oct.
    assert calendar.add_working_days(date(2025, 9, 30), 10).due == date(2025, 10, 21)


# Deadlines across the 2026 festivals.

def test_five_working_days_accepted_on_the_eve_of_the_2026_spring_festival(calendar):
    # Fri 13 Feb; make-up Sat 14; off 15–23 Feb; 24, 25, 26, 27 Feb.
    assert calendar.add_working_days(date(2026, 2, 13), 5).due == date(2026, 2, 27)


def test_an_application_accepted_on_the_2026_makeup_saturday_falls_due_on_the_next_makeup_saturday(calendar):
    # Sat 14 Feb; off 15–23 Feb; 24, 25, 26, 27, Sat 28 Feb.
    assert calendar.add_working_days(date(2026, 2, 14), 5).due == date(2026, 2, 28)


def test_ten_working_days_from_the_eve_of_the_2026_spring_festival(calendar):
    # Sat 14; 24–27, Sat 28 Feb; 2, 3, 4, 5 Mar.
    assert calendar.add_working_days(date(2026, 2, 13), 10).due == date(2026, 3, 5)


def test_five_working_days_accepted_on_the_eve_of_the_2026_national_day_include_the_makeup_saturday(calendar):
    # Wed 30 Sep; off 1–7 Oct; 8, 9, Sat 10, Mon 12, Tue 13 Oct.
    assert calendar.add_working_days(date(2026, 9, 30), 5).due == date(2026, 10, 13)


def test_a_deadline_before_the_2026_mid_autumn_festival_counts_the_makeup_sunday(calendar):
    # Fri 18 Sep; Sun 20, 21, 22, 23, 24 Sep.
    assert calendar.add_working_days(date(2026, 9, 18), 5).due == date(2026, 9, 24)


def test_ten_working_days_across_the_2026_mid_autumn_festival_and_national_day(calendar):
    # Sun 20, 21–24 Sep; off 25–27; 28, 29, 30 Sep; off 1–7 Oct; 8, 9 Oct.
    assert calendar.add_working_days(date(2026, 9, 18), 10).due == date(2026, 10, 9)


# Unknown years.

def test_a_deadline_running_into_2027_is_provisional_and_names_the_year(calendar):
    # Mon 28 Dec; 29, 30, 31 Dec; 1 Jan statutory; Mon 4, Tue 5 Jan.
    assert calendar.add_working_days(date(2026, 12, 28), 5) == Deadline(
        date(2027, 1, 5), provisional=True, unknown_years=(2027,))


def test_a_deadline_years_ahead_is_provisional_and_does_not_raise(calendar):
    deadline = calendar.add_working_days(date(2026, 12, 1), 800)
    assert deadline.provisional and deadline.unknown_years == tuple(range(2027, deadline.due.year + 1))


def test_loading_the_2027_schedule_makes_a_deadline_into_2027_official(calendar_with_2027):
    # The example gives 1–3 Jan off, as the provisional rule did in effect: same day, now certain.
    assert calendar_with_2027.add_working_days(date(2026, 12, 28), 5) == Deadline(date(2027, 1, 5), provisional=False)


def test_the_provisional_2027_spring_festival_is_only_its_four_statutory_days(calendar):
    # Thu 4 Feb; off 5–8 Feb; 9, 10, 11, 12, Mon 15 Feb.
    assert calendar.add_working_days(date(2027, 2, 4), 5).due == date(2027, 2, 15)


def test_loading_the_2027_schedule_moves_a_deadline_across_its_longer_spring_festival(calendar_with_2027):
    # Thu 4 Feb; example: off 5–13 Feb, make-up Sun 14; 14, 15, 16, 17, 18 Feb.
    assert calendar_with_2027.add_working_days(date(2027, 2, 4), 5).due == date(2027, 2, 18)


# Edges.

def test_adding_no_working_days_is_the_start_day(calendar):
    assert calendar.add_working_days(date(2025, 2, 1), 0).due == date(2025, 2, 1)


def test_adding_negative_working_days_is_refused(calendar):
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(date(2025, 2, 1), -1)


def test_counting_working_days_skips_the_first_day_and_includes_the_last(calendar):
    assert calendar.count_working_days(date(2025, 1, 27), date(2025, 2, 10)) == 5


# Each day is judged once per calendar.

def test_the_official_source_is_asked_about_each_day_once_however_often_deadlines_are_counted():
    asked: list[date] = []

    def official(day: date) -> bool:
        asked.append(day)
        return chinese_calendar.is_workday(day)

    calendar = WorkingCalendar(official=official)
    first = calendar.add_working_days(date(2025, 1, 27), 5)
    again = [calendar.add_working_days(date(2025, 1, 27), 5) for _ in range(3)]
    calendar.count_working_days(date(2025, 1, 27), date(2025, 2, 10))

    assert again == [first] * 3 == [Deadline(date(2025, 2, 10), provisional=False)] * 3
    assert sorted(asked) == span(date(2025, 1, 28), date(2025, 2, 10))


def test_a_calendar_with_a_newly_loaded_year_does_not_answer_from_an_earlier_calendars_judgements(
        calendar, calendar_with_2027):
    before = calendar.add_working_days(date(2027, 2, 4), 5)

    after = calendar_with_2027.add_working_days(date(2027, 2, 4), 5)

    # Provisional: only the statutory 除夕–初三 (5–8 Feb) off, so 9, 10, 11, 12 and Mon 15 Feb.
    assert (before.provisional, before.due) == (True, date(2027, 2, 15))
    assert (after.provisional, after.due) == (False, date(2027, 2, 18))
