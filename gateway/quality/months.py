"""Calendar months in the centre's local time (Asia/Shanghai): the period every quality figure covers."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from gateway.errors import GatewayError
from gateway.timezone import LOCAL_TZ

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_YEAR = 2000


class MonthInvalid(GatewayError):
    code = "quality.month_invalid"
    title = "The month must be written YYYY-MM"
    kind = "bad_request"


class MonthNotStarted(GatewayError):
    code = "quality.month_not_started"
    title = "The month has not begun yet"
    kind = "bad_request"


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, *, today: date) -> Month:
        """``YYYY-MM`` (local calendar), not later than the month of ``today``."""
        match = _MONTH.match(text or "")
        if match is None or int(match.group(1)) < FIRST_YEAR:
            raise MonthInvalid(extra={"expected": "YYYY-MM"})
        month = cls(int(match.group(1)), int(match.group(2)))
        if month > cls.of(today):
            raise MonthNotStarted(extra={"current_month": str(cls.of(today))})
        return month

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end): local midnight of the 1st to local midnight of the next month's 1st."""
        return (datetime.combine(self.first_day, time(), LOCAL_TZ),
                datetime.combine(self.next().first_day, time(), LOCAL_TZ))
