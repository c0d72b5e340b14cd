"""The unit: its 28-character code, its existence in the register, and its state."""
from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.prereview.findings import Severity
from gateway.prereview.rules.unit import (
    purchase_pre_notice_registered,
    unit_code_shape,
    unit_exists_in_fitting_state,
)
from gateway.register.view import EncumbranceKind, MortgageKind, UnitState
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T


def test_a_well_formed_pingluo_unit_code_passes():
    assert unit_code_shape(f.application(), f.register()) == []


def test_a_short_unit_code_is_refused_with_its_length_and_the_field():
    [finding] = unit_code_shape(f.application(unit_code=f.UNIT_CODE[:-1]), f.register())
    assert (finding.code, finding.severity, finding.field) == ("unit.code_malformed", Severity.REFUSE, "unit_code")
    assert "应为28位，实为27位" in finding.message_zh


@pytest.mark.parametrize("position, replacement, segment", [
    (0, "A", "第1–6位（县级行政区划代码）应为6位数字"),
    (7, "X", "第7–9位（地籍区代码）应为3位数字"),
    (10, "X", "第10–12位（地籍子区代码）应为3位数字"),
    (12, "g", "第13–14位（宗地（宗海）特征码）应为2位大写字母"),
    (15, "B", "第15–19位（宗地（宗海）顺序号）应为5位数字"),
    (19, "1", "第20位（定着物特征码）应为1位大写字母"),
    (27, "Ｆ", "第21–28位（定着物单元编号）应为8位数字"),
])
def test_each_malformed_segment_of_the_unit_code_is_named(position, replacement, segment):
    code = f.UNIT_CODE[:position] + replacement + f.UNIT_CODE[position + 1:]
    [finding] = unit_code_shape(f.application(unit_code=code), f.register())
    assert finding.message_zh == f"不动产单元代码{segment}"


def test_full_width_digits_are_not_digits_in_a_unit_code():
    code = f.UNIT_CODE.replace("640221", "６４０２２１")
    assert [x.code for x in unit_code_shape(f.application(unit_code=code), f.register())] == ["unit.code_malformed"]


def test_a_unit_missing_from_the_register_is_refused():
    [finding] = unit_exists_in_fitting_state(f.application(), f.register(unit=None))
    assert (finding.code, finding.severity, finding.field) == ("unit.not_found", Severity.REFUSE, "unit_code")


def test_a_malformed_code_is_not_also_reported_as_not_found():
    app = f.application(unit_code="640221-001")
    assert unit_exists_in_fitting_state(app, f.register(unit=None)) == []


@pytest.mark.parametrize("registration_type, state", [
    (T.MORTGAGE_FIRST, UnitState.OFF_PLAN),
    (T.MORTGAGE_FIRST_MAXIMUM, UnitState.UNDER_CONSTRUCTION),
    (T.CONSTRUCTION_MORTGAGE, UnitState.TITLED),
    (T.PRE_NOTICE_MORTGAGE, UnitState.TITLED),
    (T.PRE_NOTICE_CONVERSION, UnitState.OFF_PLAN),
])
def test_a_unit_in_the_wrong_state_for_the_type_is_refused(registration_type, state):
    app, register = f.scenario(registration_type)
    register = replace(register, unit=replace(register.unit, state=state))
    assert [x.code for x in unit_exists_in_fitting_state(app, register)] == ["unit.state_mismatch"]


def test_a_conversion_before_the_buyer_holds_title_is_refused_and_says_so():
    app, register = f.scenario(T.PRE_NOTICE_CONVERSION)
    register = replace(register, unit=replace(register.unit, state=UnitState.OFF_PLAN))
    [finding] = unit_exists_in_fitting_state(app, register)
    assert "该单元为预售商品房" in finding.message_zh and "已登记房屋所有权" in finding.message_zh


def test_discharging_a_construction_mortgage_on_a_building_under_construction_fits():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    register = replace(register, unit=f.unit(UnitState.UNDER_CONSTRUCTION),
                       mortgages=(f.mortgage(kind=MortgageKind.CONSTRUCTION),))
    assert unit_exists_in_fitting_state(app, register) == []


def test_discharging_a_general_mortgage_on_an_off_plan_unit_does_not_fit():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    register = replace(register, unit=f.unit(UnitState.OFF_PLAN))
    assert [x.code for x in unit_exists_in_fitting_state(app, register)] == ["unit.state_mismatch"]


def test_a_pre_notice_mortgage_without_the_buyers_pre_notice_is_refused():
    app, register = f.scenario(T.PRE_NOTICE_MORTGAGE)
    register = replace(register, encumbrances=())
    assert [x.code for x in purchase_pre_notice_registered(app, register)] == ["unit.no_purchase_pre_notice"]


def test_an_ended_purchase_pre_notice_does_not_count():
    app, register = f.scenario(T.PRE_NOTICE_MORTGAGE)
    ended = f.encumbrance(EncumbranceKind.PURCHASE_PRE_NOTICE, holder=f.WANG, active=False)
    register = replace(register, encumbrances=(ended,))
    assert [x.code for x in purchase_pre_notice_registered(app, register)] == ["unit.no_purchase_pre_notice"]
