"""Amounts and periods: general mortgages secure an amount over a term, maximum ones a ceiling."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from gateway.prereview.findings import Severity
from gateway.prereview.rules.amounts import currency_is_cny, general_amount_and_period, maximum_amount_and_claim_period
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T


def _maximum(**overrides):
    app, _ = f.scenario(T.MORTGAGE_FIRST_MAXIMUM)
    return replace(app, **overrides)


def test_a_general_mortgage_without_a_secured_amount_is_refused():
    [finding] = general_amount_and_period(f.application(secured_amount=None), f.register())
    assert (finding.code, finding.field) == ("amount.missing", "secured_amount")


@pytest.mark.parametrize("amount", ["0", "-1", "NaN", "Infinity"])
def test_a_secured_amount_that_is_not_positive_is_refused(amount):
    [finding] = general_amount_and_period(f.application(secured_amount=Decimal(amount)), f.register())
    assert (finding.code, finding.field) == ("amount.not_positive", "secured_amount")


def test_an_amount_in_fractions_of_a_fen_is_refused():
    findings = general_amount_and_period(f.application(secured_amount=Decimal("1200000.005")), f.register())
    assert [x.code for x in findings] == ["amount.precision"]


def test_a_debt_ending_before_it_starts_is_refused_naming_the_end():
    app = f.application(debt_start=date(2026, 12, 1), debt_end=date(2026, 11, 30))
    [finding] = general_amount_and_period(app, f.register())
    assert (finding.code, finding.field) == ("period.invalid", "debt_end")


def test_a_missing_debt_start_is_refused_naming_the_start():
    [finding] = general_amount_and_period(f.application(debt_start=None), f.register())
    assert (finding.code, finding.field) == ("period.missing", "debt_start")


def test_a_general_mortgage_with_a_maximum_claim_amount_is_refused():
    app = f.application(maximum_claim_amount=Decimal("2000000"))
    assert [x.code for x in general_amount_and_period(app, f.register())] == ["amount.maximum_on_general"]


def test_a_maximum_mortgage_needs_its_maximum_claim_amount():
    findings = maximum_amount_and_claim_period(_maximum(maximum_claim_amount=None), f.register())
    assert [(x.code, x.field) for x in findings] == [("amount.maximum_missing", "maximum_claim_amount")]


def test_a_maximum_mortgage_with_a_secured_amount_instead_is_refused():
    findings = maximum_amount_and_claim_period(_maximum(secured_amount=Decimal("2000000")), f.register())
    assert [x.code for x in findings] == ["amount.secured_on_maximum"]


def test_a_maximum_mortgage_needs_its_claim_determination_period():
    findings = maximum_amount_and_claim_period(_maximum(claim_period_end=None), f.register())
    assert [(x.code, x.field) for x in findings] == [("claim_period.missing", "claim_period_end")]


def test_a_claim_determination_period_running_backwards_is_refused():
    app = _maximum(claim_period_start=date(2031, 1, 1), claim_period_end=date(2030, 1, 1))
    assert [x.code for x in maximum_amount_and_claim_period(app, f.register())] == ["claim_period.invalid"]


def test_a_foreign_currency_loan_goes_to_a_reviewer():
    [finding] = currency_is_cny(f.application(currency="USD"), f.register())
    assert (finding.code, finding.severity) == ("amount.foreign_currency", Severity.REVIEW)


def test_a_currency_that_is_not_an_iso_code_is_refused():
    findings = currency_is_cny(f.application(currency="RMB元"), f.register())
    assert [x.code for x in findings] == ["amount.currency_malformed"]
