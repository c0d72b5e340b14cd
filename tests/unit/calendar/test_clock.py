"""One application's deadline clock: pauses for supplementation, extensions, days left and risk.

March 2025 has no holidays: accepted Monday 3 March, five working days fall due Monday 10 March.
"""
from __future__ import annotations

from datetime import date

import pytest

from gateway.calendar.clock import (
    Extension,
    Pause,
    compute_deadline,
    is_at_risk,
    is_overdue,
    working_days_left,
)
from gateway.calendar.working_days import Deadline

MONDAY_3_MARCH = date(2025, 3, 3)
SUPPLEMENT = "补正：缺抵押合同第3页"


def deadline(calendar, *, accepted_on=MONDAY_3_MARCH, working_days=5, pauses=(), extensions=(), today=None):
    return compute_deadline(accepted_on=accepted_on, working_days=working_days, pauses=pauses,
                            extensions=extensions, calendar=calendar, today=today)


def due_on(day: date, *, paused: bool = False) -> Deadline:
    return Deadline(day, provisional=False, paused=paused)


def test_without_pauses_the_clock_counts_from_the_day_after_acceptance(calendar):
    assert deadline(calendar) == due_on(date(2025, 3, 10))


def test_a_supplementation_pause_from_wednesday_to_the_next_tuesday_costs_four_working_days(calendar):
    # Tue 4 and Wed 5 count; Thu 6–Tue 11 stopped; Wed 12, Thu 13, Fri 14.
    pause = Pause(date(2025, 3, 5), date(2025, 3, 11), SUPPLEMENT)
    assert deadline(calendar, pauses=[pause]) == due_on(date(2025, 3, 14))


def test_a_pause_that_starts_and_ends_on_the_same_day_costs_nothing(calendar):
    pause = Pause(date(2025, 3, 5), date(2025, 3, 5), SUPPLEMENT)
    assert deadline(calendar, pauses=[pause]).due == date(2025, 3, 10)


def test_a_pause_from_the_day_of_acceptance_restarts_the_count_after_it_ends(calendar):
    # Stopped Tue 4–Wed 5; Thu 6, Fri 7, Mon 10, Tue 11, Wed 12.
    pause = Pause(MONDAY_3_MARCH, date(2025, 3, 5), SUPPLEMENT)
    assert deadline(calendar, pauses=[pause]).due == date(2025, 3, 12)


def test_a_pause_requested_on_the_last_day_does_not_move_the_deadline(calendar):
    pause = Pause(date(2025, 3, 10), date(2025, 3, 12), SUPPLEMENT)
    assert deadline(calendar, pauses=[pause]).due == date(2025, 3, 10)


def test_overlapping_pauses_stop_the_clock_once(calendar):
    pauses = [Pause(date(2025, 3, 5), date(2025, 3, 11), SUPPLEMENT),
              Pause(date(2025, 3, 7), date(2025, 3, 10), "公告")]
    assert deadline(calendar, pauses=pauses).due == date(2025, 3, 14)


def test_a_pause_before_the_2025_national_day_still_counts_the_makeup_sunday(calendar):
    # Mon 22 Sep; Tue 23, Wed 24 count; stopped 25–26; make-up Sun 28, Mon 29, Tue 30.
    pause = Pause(date(2025, 9, 24), date(2025, 9, 26), SUPPLEMENT)
    assert deadline(calendar, accepted_on=date(2025, 9, 22), pauses=[pause]).due == date(2025, 9, 30)


def test_a_pause_ending_on_the_eve_of_the_2026_spring_festival_resumes_after_it(calendar):
    # Mon 9 Feb; Tue 10 counts; stopped 11–13 Feb; make-up Sat 14; off 15–23; 24, 25, 26 Feb.
    pause = Pause(date(2026, 2, 10), date(2026, 2, 13), SUPPLEMENT)
    assert deadline(calendar, accepted_on=date(2026, 2, 9), pauses=[pause]).due == date(2026, 2, 26)


def test_an_open_pause_places_the_deadline_as_if_it_ended_today(calendar):
    # Tue 4, Wed 5 count; stopped Thu 6–Fri 7 (today); Mon 10, Tue 11, Wed 12.
    pause = Pause(date(2025, 3, 5), None, SUPPLEMENT)
    assert deadline(calendar, pauses=[pause], today=date(2025, 3, 7)) == due_on(date(2025, 3, 12), paused=True)


def test_an_open_pause_without_today_is_refused(calendar):
    with pytest.raises(ValueError, match="still open"):
        deadline(calendar, pauses=[Pause(date(2025, 3, 5), None, SUPPLEMENT)])


def test_a_pause_before_acceptance_is_refused(calendar):
    with pytest.raises(ValueError, match="before acceptance"):
        deadline(calendar, pauses=[Pause(date(2025, 2, 28), date(2025, 3, 4), SUPPLEMENT)])


def test_a_pause_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends"):
        Pause(date(2025, 3, 5), date(2025, 3, 4), SUPPLEMENT)


def test_an_extension_adds_its_working_days(calendar):
    # 15 working days from Mon 3 Mar: 4–7, 10–14, 17–21, Mon 24 Mar.
    extension = Extension(10, "需要实地查看")
    assert deadline(calendar, extensions=[extension]).due == date(2025, 3, 24)


def test_an_extension_without_a_reason_is_refused():
    with pytest.raises(ValueError, match="reason"):
        Extension(3, " ")


def test_a_clock_running_into_2027_is_provisional_and_does_not_raise(calendar):
    # Mon 21 Dec; Tue 22 counts; stopped 23–31 Dec; 1 Jan statutory; Mon 4, 5, 6, Thu 7 Jan.
    pause = Pause(date(2026, 12, 22), date(2026, 12, 31), SUPPLEMENT)
    assert deadline(calendar, accepted_on=date(2026, 12, 21), pauses=[pause]) == Deadline(
        date(2027, 1, 7), provisional=True, unknown_years=(2027,))


def test_the_same_clock_is_official_once_the_2027_schedule_is_loaded(calendar_with_2027):
    pause = Pause(date(2026, 12, 22), date(2026, 12, 31), SUPPLEMENT)
    assert deadline(calendar_with_2027, accepted_on=date(2026, 12, 21), pauses=[pause]) == due_on(date(2027, 1, 7))


# Days left and risk. Due Monday 10 February 2025, after the Spring Festival.

DUE_AFTER_SPRING_FESTIVAL = due_on(date(2025, 2, 10))


def test_days_left_count_the_makeup_days_up_to_the_due_day(calendar):
    # After Fri 24 Jan: Sun 26, Mon 27, 5, 6, 7, Sat 8, Mon 10 Feb.
    assert working_days_left(DUE_AFTER_SPRING_FESTIVAL, date(2025, 1, 24), calendar) == 7


def test_no_working_days_are_left_on_the_due_day(calendar):
    assert working_days_left(DUE_AFTER_SPRING_FESTIVAL, date(2025, 2, 10), calendar) == 0


def test_a_deadline_missed_on_friday_is_one_day_late_over_the_weekend(calendar):
    due_friday = due_on(date(2025, 3, 14))
    assert [working_days_left(due_friday, date(2025, 3, day), calendar) for day in (15, 16, 17)] == [-1, -1, -1]


def test_each_further_working_day_past_the_deadline_adds_a_day_late(calendar):
    assert working_days_left(due_on(date(2025, 3, 14)), date(2025, 3, 18), calendar) == -2


def test_a_deadline_one_working_day_away_is_at_risk(calendar):
    # Today is the make-up Saturday 8 February; only Monday 10 is left.
    assert is_at_risk(DUE_AFTER_SPRING_FESTIVAL, date(2025, 2, 8), calendar)


def test_a_deadline_two_working_days_away_is_not_at_risk_by_default(calendar):
    assert not is_at_risk(DUE_AFTER_SPRING_FESTIVAL, date(2025, 2, 7), calendar)


def test_a_wider_threshold_flags_deadlines_earlier(calendar):
    assert is_at_risk(DUE_AFTER_SPRING_FESTIVAL, date(2025, 2, 7), calendar, threshold=2)


def test_an_overdue_deadline_is_overdue_and_not_at_risk(calendar):
    today = date(2025, 2, 11)
    assert is_overdue(DUE_AFTER_SPRING_FESTIVAL, today) and not is_at_risk(DUE_AFTER_SPRING_FESTIVAL, today, calendar)


def test_a_paused_deadline_is_not_at_risk(calendar):
    paused = due_on(date(2025, 2, 10), paused=True)
    assert not is_at_risk(paused, date(2025, 2, 8), calendar)
