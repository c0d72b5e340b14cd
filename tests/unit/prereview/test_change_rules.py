"""Changes of a mortgage: values parse, fit the mortgage, and need consent where they harm others."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bank_adapters.canonical import ChangeField, ChangeItem
from gateway.prereview.findings import Severity
from gateway.prereview.rules.change import change_fits_mortgage, change_harms_later_mortgagees, change_values_parse
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T

F = ChangeField


def _change(*items: ChangeItem, materials=("CHANGE_AGREEMENT",), mortgages=None):
    app, register = f.scenario(T.MORTGAGE_CHANGE)
    app = replace(app, changes=items, materials=f.materials(*materials))
    if mortgages is not None:
        register = replace(register, mortgages=mortgages)
    return app, register


def _maximum_change(*items: ChangeItem, materials=("CHANGE_AGREEMENT",)):
    """The bank's 最高额 mortgage ranks first; another bank's general mortgage second."""
    return _change(*items, materials=materials, mortgages=(f.maximum_mortgage(), f.later_mortgage()))


def test_raising_a_maximum_claim_amount_ahead_of_a_later_mortgagee_without_consent_is_refused():
    app, register = _maximum_change(ChangeItem(F.MAXIMUM_CLAIM_AMOUNT, "3000000.00"))
    [finding] = change_harms_later_mortgagees(app, register)
    assert (finding.code, finding.severity) == ("change.harms_later_mortgagees_without_consent", Severity.REFUSE)
    assert finding.message_zh == "本次变更（增加最高债权额）对第2顺位抵押权人产生不利影响，未提交其书面同意"


def test_the_later_mortgagees_written_consent_allows_the_raise():
    app, register = _maximum_change(ChangeItem(F.MAXIMUM_CLAIM_AMOUNT, "3000000.00"),
                                    materials=("CHANGE_AGREEMENT", "LATER_MORTGAGEE_CONSENT"))
    assert change_harms_later_mortgagees(app, register) == []


def test_extending_the_claim_determination_period_harms_the_later_mortgagee():
    app, register = _maximum_change(ChangeItem(F.CLAIM_PERIOD_END, "2032-05-31"))
    assert "延长债权确定期间（止）" in change_harms_later_mortgagees(app, register)[0].message_zh


def test_lowering_the_maximum_claim_amount_harms_nobody():
    app, register = _maximum_change(ChangeItem(F.MAXIMUM_CLAIM_AMOUNT, "1500000.00"))
    assert change_harms_later_mortgagees(app, register) == []


def test_raising_an_amount_with_no_later_mortgage_harms_nobody():
    app, register = _change(ChangeItem(F.SECURED_AMOUNT, "1500000.00"))
    assert change_harms_later_mortgagees(app, register) == []


def test_a_later_mortgage_of_the_applicant_itself_needs_no_consent():
    app, register = _change(ChangeItem(F.SECURED_AMOUNT, "1500000.00"),
                            mortgages=(f.mortgage(), f.later_mortgage(mortgagee_code=f.BANK.code)))
    assert change_harms_later_mortgagees(app, register) == []


def test_moving_up_in_priority_harms_the_mortgagee_it_overtakes():
    first = f.mortgage(certificate_no="宁(2024)平罗县不动产证明第0000009号", mortgagee_code=f.OTHER_BANK.code)
    second = f.mortgage(priority=2)
    app, register = _change(ChangeItem(F.PRIORITY, "1"), mortgages=(first, second))
    [finding] = change_harms_later_mortgagees(app, register)
    assert "顺位提前至第1顺位" in finding.message_zh and "第1顺位抵押权人" in finding.message_zh


def test_an_unrecorded_old_amount_counts_as_harmful():
    app, register = _change(ChangeItem(F.SECURED_AMOUNT, "1.00"),
                            mortgages=(f.mortgage(secured_amount=None), f.later_mortgage()))
    assert [x.code for x in change_harms_later_mortgagees(app, register)] == [
        "change.harms_later_mortgagees_without_consent"]


def test_a_change_with_nothing_to_change_is_refused():
    app, register = _change()
    assert [x.code for x in change_values_parse(app, register)] == ["change.empty"]


@pytest.mark.parametrize("field, value", [
    (F.SECURED_AMOUNT, "一百万"), (F.SECURED_AMOUNT, "-5"), (F.SECURED_AMOUNT, "1.001"),
    (F.DEBT_END, "2046/11/30"), (F.DEBT_END, "2046-W01-1"), (F.PRIORITY, "0"), (F.PRIORITY, "２"),
    (F.MORTGAGOR_NAME, "  "),
])
def test_a_new_value_that_does_not_parse_is_refused_naming_the_item(field, value):
    app, register = _change(ChangeItem(field, value))
    [finding] = change_values_parse(app, register)
    assert (finding.code, finding.field) == ("change.value_invalid", "changes[0].new_value")


def test_a_name_change_given_twice_is_refused_without_quoting_the_name():
    app, register = _change(ChangeItem(F.MORTGAGOR_NAME, "王建國\u0000"), ChangeItem(F.MORTGAGOR_NAME, "王建國"))
    findings = change_values_parse(app, register)
    assert all("王建國" not in x.message_zh + x.hint for x in findings)
    assert [x.code for x in findings] == ["change.duplicate_field"]


def test_changing_the_secured_amount_of_a_maximum_mortgage_is_not_applicable():
    app, register = _maximum_change(ChangeItem(F.SECURED_AMOUNT, "100.00"))
    [finding] = change_fits_mortgage(app, register)
    assert (finding.code, finding.field) == ("change.field_not_applicable", "changes[0].field")


def test_changing_a_claim_period_of_a_general_mortgage_is_not_applicable():
    app, register = _change(ChangeItem(F.CLAIM_PERIOD_END, "2030-01-01"))
    assert [x.code for x in change_fits_mortgage(app, register)] == ["change.field_not_applicable"]


def test_a_new_debt_end_before_the_recorded_start_is_refused():
    app, register = _change(ChangeItem(F.DEBT_END, "2025-01-01"))
    findings = change_fits_mortgage(app, register)
    assert [(x.code, x.field) for x in findings] == [("period.invalid", "changes[0].new_value")]


def test_a_priority_beyond_the_mortgages_on_the_unit_is_refused():
    app, register = _change(ChangeItem(F.PRIORITY, "3"), mortgages=(f.mortgage(), f.later_mortgage()))
    assert [x.code for x in change_fits_mortgage(app, register)] == ["change.priority_out_of_range"]
