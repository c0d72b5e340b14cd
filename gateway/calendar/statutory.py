"""The fixed statutory holidays of 《全国年节及纪念日放假办法》, the basis of provisional deadlines.

Article 2 of the 办法 as amended in 2024 (in force since 1 January 2025) gives every citizen 13 days:
元旦 1 January; 春节 four days, 农历除夕 to 正月初三; 清明节 one day, on the 清明 solar term; 劳动节
1–2 May; 端午节 农历五月初五; 中秋节 农历八月十五; 国庆节 1–3 October.

These are the only days a year's schedule is sure to contain before the State Council publishes it.
The published schedule also moves days: it gives a weekday off for a statutory day that falls on a
weekend (补假, art. 6), bridges short gaps into longer breaks, and makes some Saturdays and Sundays
working days (调休). Which days it picks is the State Council's choice each year, so this module cannot
know them; a deadline counted on these days alone is provisional and is recomputed once the year's
schedule is loaded.

Lunar dates and the 清明 solar term come from ``lunar_python`` (MIT), which computes the calendar
astronomically in Beijing time rather than from a table, so it has no end year. The tests check it
against the official holidays of every year the ``chinese_calendar`` library knows.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar, Solar


def statutory_holidays(year: int) -> dict[date, str]:
    """The fixed statutory days off of ``year`` under the current 办法, each with its festival's name."""
    return dict(_statutory_holidays(year))


def statutory_holiday_dates(year: int) -> frozenset[date]:
    """The dates of ``statutory_holidays(year)``, cached: the provisional rule asks for them day by day."""
    return _statutory_holiday_dates(year)


def qingming(year: int) -> date:
    """The date (Beijing time) of the 清明 solar term in ``year``, 4–6 April."""
    # Mid-April always lies in the lunar year whose solar-term table holds this year's 清明.
    return _to_date(Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"])


def lunar_to_solar(year: int, month: int, day: int) -> date:
    """The Gregorian date of ``day`` of the (non-leap) lunar ``month`` of lunar ``year``."""
    return _to_date(Lunar.fromYmd(year, month, day).getSolar())


@lru_cache(maxsize=64)
def _statutory_holidays(year: int) -> tuple[tuple[date, str], ...]:
    # 除夕 is the last day of the old lunar year, whether the twelfth month has 29 or 30 days.
    new_year_eve = lunar_to_solar(year, 1, 1) - timedelta(days=1)
    days = [
        (date(year, 1, 1), "元旦"),
        *((new_year_eve + timedelta(days=offset), "春节") for offset in range(4)),
        (qingming(year), "清明节"),
        (date(year, 5, 1), "劳动节"),
        (date(year, 5, 2), "劳动节"),
        (lunar_to_solar(year, 5, 5), "端午节"),
        (lunar_to_solar(year, 8, 15), "中秋节"),
        *((date(year, 10, day), "国庆节") for day in (1, 2, 3)),
    ]
    # 中秋 can fall on 1 October (as in 2020): one day off, named after both festivals.
    names: dict[date, str] = {}
    for day, name in days:
        names[day] = f"{names[day]}、{name}" if day in names else name
    return tuple(sorted(names.items()))


@lru_cache(maxsize=64)
def _statutory_holiday_dates(year: int) -> frozenset[date]:
    return frozenset(day for day, _ in _statutory_holidays(year))


def _to_date(solar: Solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())
