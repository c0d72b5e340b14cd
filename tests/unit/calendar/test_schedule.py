"""Reading an operator's year schedule: the example file, and one precise refusal per defect."""
from __future__ import annotations

import json
from datetime import date

import pytest

from gateway.calendar.schedule import (
    ScheduleInvalid,
    YearSchedule,
    parse_year_schedule,
    read_year_schedule,
    schedules_by_year,
)
from tests.unit.calendar.conftest import EXAMPLE_2027


def schedule_text(**changes) -> str:
    """A small valid 2027 schedule as JSON, with fields replaced (or removed when given ``...``)."""
    document = {
        "year": 2027,
        "source": "国办发明电〔2026〕X号",
        "holidays": [
            {"name": "元旦", "dates": ["2027-01-01", "2027-01-02", "2027-01-03"]},
            {"name": "春节", "dates": ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"]},
        ],
        "makeup_workdays": ["2027-02-20"],
    }
    document.update(changes)
    return json.dumps({key: value for key, value in document.items() if value is not ...}, ensure_ascii=False)


def refusal(text: str) -> str:
    with pytest.raises(ScheduleInvalid) as caught:
        parse_year_schedule(text)
    return str(caught.value)


def test_a_valid_schedule_lists_its_holidays_and_makeup_workdays():
    schedule = parse_year_schedule(schedule_text())
    assert schedule == YearSchedule(
        year=2027,
        holidays=frozenset({date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3), date(2027, 2, 5),
                            date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)}),
        makeup_workdays=frozenset({date(2027, 2, 20)}),
        source="国办发明电〔2026〕X号",
    )


def test_the_example_file_holds_a_whole_year_of_festivals(example_2027):
    assert example_2027.year == 2027
    assert len(example_2027.holidays) == 29
    assert date(2027, 2, 14) in example_2027.makeup_workdays
    assert example_2027.source.startswith("示例（EXAMPLE）")


def test_the_example_file_is_refused_unless_examples_are_allowed():
    with pytest.raises(ScheduleInvalid, match="marked as an example"):
        read_year_schedule(EXAMPLE_2027)


def test_the_example_mark_must_be_true_or_false():
    assert "example: expected true or false" in refusal(schedule_text(example="yes"))


def test_a_file_starting_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(schedule_text(), encoding="utf-8-sig")
    assert read_year_schedule(path).year == 2027


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "2027.json"
    path.write_bytes(schedule_text().encode("gb18030"))
    with pytest.raises(ScheduleInvalid, match="not UTF-8"):
        read_year_schedule(path)


def test_text_that_is_not_json_is_refused_with_its_position():
    assert refusal('{"year": 2027,\n "source": }') == "not valid JSON: Expecting value at line 2 column 12"


def test_a_json_list_is_refused():
    assert refusal("[2027]").startswith("the schedule must be a JSON object")


def test_a_missing_field_is_named():
    assert refusal(schedule_text(makeup_workdays=...)) == "missing field 'makeup_workdays'"


def test_a_misspelt_field_is_named():
    assert refusal(schedule_text(makeup_workday=[])).startswith("unknown field 'makeup_workday'")


def test_a_year_written_as_text_is_refused():
    assert refusal(schedule_text(year="2027")) == "year: expected a whole number such as 2027, got '2027'"


def test_a_two_digit_year_is_refused():
    assert refusal(schedule_text(year=27)) == "year: 27 is not a plausible calendar year"


def test_a_schedule_without_its_source_is_refused():
    assert refusal(schedule_text(source="  ")).startswith("source: must name the notice")


def test_a_schedule_without_holidays_is_refused():
    assert refusal(schedule_text(holidays=[])).startswith("holidays: expected a non-empty list")


def test_a_festival_without_dates_is_refused():
    text = schedule_text(holidays=[{"name": "元旦", "dates": []}])
    assert refusal(text) == "holidays[0] (元旦).dates: expected a non-empty list of dates"


def test_a_festival_without_a_name_is_refused():
    text = schedule_text(holidays=[{"dates": ["2027-01-01"]}])
    assert refusal(text) == "holidays[0]: expected an object with exactly the fields name and dates"


def test_a_holiday_in_another_year_is_refused_with_its_place():
    text = schedule_text(holidays=[{"name": "元旦", "dates": ["2027-01-01", "2026-12-31"]}])
    assert refusal(text) == "holidays[0] (元旦).dates[1]: 2026-12-31 is not in 2027, the year of this schedule"


def test_a_makeup_workday_in_another_year_is_refused_with_its_place():
    text = schedule_text(makeup_workdays=["2028-01-08"])
    assert refusal(text) == "makeup_workdays[0]: 2028-01-08 is not in 2027, the year of this schedule"


def test_a_date_not_written_year_month_day_is_refused():
    text = schedule_text(makeup_workdays=["20270220"])
    assert refusal(text) == "makeup_workdays[0]: expected a date written YYYY-MM-DD, got '20270220'"


def test_an_impossible_date_is_refused():
    text = schedule_text(holidays=[{"name": "春节", "dates": ["2027-02-30"]}])
    assert refusal(text).startswith("holidays[0] (春节).dates[0]: 2027-02-30 is not a real date")


def test_a_holiday_listed_under_two_festivals_is_refused():
    text = schedule_text(holidays=[
        {"name": "元旦", "dates": ["2027-01-01"]},
        {"name": "春节", "dates": ["2027-02-05", "2027-01-01"]},
    ])
    assert refusal(text) == ("holidays[1] (春节).dates[1]: 2027-01-01 is listed twice "
                             "(also at holidays[0] (元旦).dates[0])")


def test_a_makeup_workday_listed_twice_is_refused():
    text = schedule_text(makeup_workdays=["2027-02-20", "2027-02-20"])
    assert refusal(text) == "makeup_workdays[1]: 2027-02-20 is listed twice (also at makeup_workdays[0])"


def test_a_day_that_is_both_holiday_and_makeup_workday_is_refused():
    text = schedule_text(makeup_workdays=["2027-02-06"])
    assert refusal(text) == "makeup_workdays[0]: 2027-02-06 is also a holiday (at holidays[1] (春节).dates[1])"


def test_a_makeup_workday_on_a_weekday_is_refused():
    text = schedule_text(makeup_workdays=["2027-02-09"])
    assert refusal(text) == ("makeup_workdays[0]: 2027-02-09 is a Tuesday; "
                             "a make-up working day must be a Saturday or Sunday")


def test_a_schedule_built_in_code_keeps_the_same_rules():
    with pytest.raises(ScheduleInvalid, match="2027-02-09 is not a Saturday or Sunday"):
        YearSchedule(2027, frozenset(), frozenset({date(2027, 2, 9)}), "test")


def test_two_schedules_for_the_same_year_are_refused():
    schedule = parse_year_schedule(schedule_text())
    with pytest.raises(ScheduleInvalid, match="two schedules for 2027"):
        schedules_by_year([schedule, schedule])
