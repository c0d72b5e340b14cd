"""Certificate facts and the official wording of amounts, dates and periods."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from gateway.certificates.facts import format_amount, format_date, format_period


def test_an_amount_in_yuan_has_thousands_separators_and_two_decimals():
    assert format_amount(Decimal("1200000")) == "1,200,000.00元"


def test_an_amount_in_another_currency_keeps_its_code():
    assert format_amount(Decimal("1000.5"), currency="USD") == "1,000.50 USD"


def test_a_date_is_written_with_zero_padded_month_and_day():
    assert format_date(date(2026, 3, 5)) == "2026年03月05日"


def test_a_period_is_written_from_start_to_end():
    assert format_period(date(2026, 12, 1), date(2046, 11, 30)) == "2026年12月01日起 2046年11月30日止"


def test_lists_given_for_obligors_and_other_become_tuples(facts):
    changed = dataclasses.replace(facts, obligors=["张三"], other=[["顺位", 1]])

    assert changed.obligors == ("张三",)
    assert changed.other == (("顺位", "1"),)


def test_a_certificate_without_obligors_is_refused(facts):
    with pytest.raises(ValueError, match="obligor"):
        dataclasses.replace(facts, obligors=())


def test_a_certificate_without_a_number_is_refused(facts):
    with pytest.raises(ValueError, match="certificate_no"):
        dataclasses.replace(facts, certificate_no=" ")
