"""The provisional rule's statutory holidays, checked against the official data of the years it knows."""
from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from gateway.calendar.statutory import lunar_to_solar, qingming, statutory_holiday_dates, statutory_holidays

# The years chinese_calendar 1.11.0 has official data for. 清明, 端午 and 中秋 became days off in 2008.
LIBRARY_YEARS = range(2004, 2027)
SINCE_2008 = range(2008, 2027)


def official_day_off(day: date) -> bool:
    return not chinese_calendar.is_workday(day)


def official_holiday(day: date) -> str | None:
    """The library's English festival name for an official holiday, None for any other day."""
    return chinese_calendar.holidays.get(day)


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_holiday_of_the_amended_rules_is_off_in_the_official_schedule(year):
    # The 2024 amendment took effect in 2025: these are the years to check the 13-day rule against.
    assert [day for day in statutory_holiday_dates(year) if not official_day_off(day)] == []


def test_the_official_2025_schedule_has_bridging_and_makeup_days_the_provisional_rule_cannot_know():
    provisional_days_off = statutory_holiday_dates(2025)
    assert date(2025, 2, 3) not in provisional_days_off and official_day_off(date(2025, 2, 3))  # bridging Monday
    assert chinese_calendar.is_workday(date(2025, 1, 26))  # make-up Sunday, a weekend day provisionally


def test_a_year_has_thirteen_statutory_days_off_under_the_amended_rules():
    assert statutory_holidays(2027) == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节", date(2027, 2, 6): "春节", date(2027, 2, 7): "春节", date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明节",
        date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节",
        date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节", date(2027, 10, 2): "国庆节", date(2027, 10, 3): "国庆节",
    }


def test_mid_autumn_on_national_day_is_one_day_off_named_after_both():
    holidays = statutory_holidays(2020)
    assert holidays[date(2020, 10, 1)] == "中秋节、国庆节"
    assert len(holidays) == 12


def test_the_qingming_solar_term_is_the_official_tomb_sweeping_holiday_in_every_known_year():
    wrong = [year for year in SINCE_2008 if official_holiday(qingming(year)) != "Tomb-sweeping Day"]
    assert wrong == []


def test_the_qingming_solar_term_agrees_with_chinese_calendars_own_solar_terms():
    def library_qingming(year: int) -> date:
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        return next(day for day, name in terms if name == "清明")

    assert [year for year in LIBRARY_YEARS if qingming(year) != library_qingming(year)] == []


def test_the_lunar_new_year_is_an_official_spring_festival_holiday_in_every_known_year():
    wrong = [year for year in LIBRARY_YEARS if official_holiday(lunar_to_solar(year, 1, 1)) != "Spring Festival"]
    assert wrong == []


def test_the_dragon_boat_festival_is_an_official_holiday_in_every_known_year():
    # By name only on weekdays: the library leaves some weekend days of a holiday block unnamed
    # (Saturday 2012-06-23, 端午 itself, is off but not listed).
    days = [lunar_to_solar(year, 5, 5) for year in SINCE_2008]
    assert [day for day in days if not official_day_off(day)] == []
    assert [day for day in days if day.weekday() < 5 and official_holiday(day) != "Dragon Boat Festival"] == []


def test_the_mid_autumn_festival_is_off_in_every_known_year():
    # Not checked by name: in 2020 it fell on 1 October and the library files it under National Day.
    assert [year for year in SINCE_2008 if not official_day_off(lunar_to_solar(year, 8, 15))] == []
