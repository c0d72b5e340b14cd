"""The registration fee from the tariff: per case, by the unit's use, some types free."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bank_adapters.canonical import ChangeField, ChangeItem
from gateway.catalogue.fees import Tariff, fee_for
from gateway.register.view import UnitUse
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T


def _app(registration_type):
    return f.scenario(registration_type)[0]


def test_a_residential_mortgage_costs_80_yuan_paid_by_the_mortgagee():
    fee = fee_for(_app(T.MORTGAGE_FIRST), UnitUse.RESIDENTIAL)
    assert (fee.amount, fee.currency) == (Decimal("80.00"), "CNY")
    assert "住宅类" in fee.basis_zh and "抵押权人缴纳" in fee.basis_zh


def test_a_non_residential_construction_mortgage_costs_550_yuan():
    assert fee_for(_app(T.CONSTRUCTION_MORTGAGE), UnitUse.NON_RESIDENTIAL).amount == Decimal("550.00")


def test_a_discharge_is_free():
    fee = fee_for(_app(T.MORTGAGE_DISCHARGE), UnitUse.NON_RESIDENTIAL)
    assert fee.amount == Decimal("0.00") and "注销登记" in fee.basis_zh


def test_a_pre_notice_is_free_and_its_conversion_is_charged():
    assert fee_for(_app(T.PRE_NOTICE_MORTGAGE), UnitUse.RESIDENTIAL).amount == Decimal("0.00")
    assert fee_for(_app(T.PRE_NOTICE_CONVERSION), UnitUse.RESIDENTIAL).amount == Decimal("80.00")


def test_a_change_of_amount_is_charged_and_a_change_of_name_only_is_free():
    change = _app(T.MORTGAGE_CHANGE)
    rename = replace(change, changes=(ChangeItem(ChangeField.MORTGAGEE_NAME, "平罗县测试农商银行"),))
    assert fee_for(change, UnitUse.RESIDENTIAL).amount == Decimal("80.00")
    assert fee_for(rename, UnitUse.RESIDENTIAL).amount == Decimal("0.00")


def test_a_county_tariff_changes_amounts_and_may_charge_free_categories():
    tariff = Tariff(residential=Decimal("40"), charge_discharge=True, charge_pre_notice=True)
    assert fee_for(_app(T.MORTGAGE_FIRST), UnitUse.RESIDENTIAL, tariff).amount == Decimal("40.00")
    assert fee_for(_app(T.MORTGAGE_DISCHARGE), UnitUse.NON_RESIDENTIAL, tariff).amount == Decimal("550.00")
    assert fee_for(_app(T.PRE_NOTICE_MORTGAGE), UnitUse.RESIDENTIAL, tariff).amount == Decimal("40.00")


def test_no_fee_is_computed_for_a_unit_of_unknown_use_unless_the_type_is_free():
    assert fee_for(_app(T.MORTGAGE_FIRST), None) is None
    assert fee_for(_app(T.MORTGAGE_DISCHARGE), None).amount == Decimal("0.00")
