"""The mortgage acted on: it exists, is in force, is the applicant's; conversions of pre-notices."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bank_adapters.canonical import ChangeField, ChangeItem
from gateway.prereview.findings import Severity
from gateway.prereview.rules.mortgage import (
    change_mortgagors_apply,
    conversion_of_pre_notice,
    existing_mortgages_noted,
    pre_notice_not_duplicated,
    referenced_mortgage_held_by_applicant,
)
from gateway.prereview.triage import run_prereview
from gateway.register.view import MortgageKind, MortgageStatus
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T


def test_a_discharge_by_the_wrong_bank_is_refused():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    [finding] = referenced_mortgage_held_by_applicant(replace(app, mortgagee=f.OTHER_BANK), register)
    assert (finding.code, finding.severity) == ("mortgage.not_applicants", Severity.REFUSE)
    assert finding.field == "mortgagee.code"


def test_a_discharge_by_the_current_mortgagee_passes():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    assert referenced_mortgage_held_by_applicant(app, register) == []


def test_an_unknown_certificate_number_is_refused():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    app = replace(app, referenced_certificate_no="宁(2025)平罗县不动产证明第0009999号")
    assert [x.code for x in referenced_mortgage_held_by_applicant(app, register)] == ["mortgage.not_found"]


def test_a_missing_certificate_number_is_refused_naming_the_field():
    app, register = f.scenario(T.MORTGAGE_TRANSFER)
    [finding] = referenced_mortgage_held_by_applicant(replace(app, referenced_certificate_no="  "), register)
    assert (finding.code, finding.field) == ("mortgage.reference_missing", "referenced_certificate_no")


def test_discharging_an_already_discharged_mortgage_is_refused():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    register = replace(register, mortgages=(f.mortgage(status=MortgageStatus.DISCHARGED),))
    [finding] = referenced_mortgage_held_by_applicant(app, register)
    assert (finding.code, finding.message_zh) == ("mortgage.not_in_force", "所涉抵押权已注销")


def test_a_pre_notice_is_converted_to_a_mortgage_without_findings():
    app, register = f.scenario(T.PRE_NOTICE_CONVERSION)
    assert [x for x in run_prereview(app, register) if x.severity != Severity.INFO] == []


def test_converting_a_pre_notice_twice_is_refused():
    app, register = f.scenario(T.PRE_NOTICE_CONVERSION)
    converted = replace(register.mortgages[0], status=MortgageStatus.CONVERTED)
    findings = referenced_mortgage_held_by_applicant(app, replace(register, mortgages=(converted,)))
    assert [(x.code, x.message_zh) for x in findings] == [("mortgage.not_in_force", "所涉抵押权已转为抵押权首次登记")]


def test_converting_something_that_is_not_a_pre_notice_is_refused():
    app, register = f.scenario(T.PRE_NOTICE_CONVERSION)
    general = replace(register.mortgages[0], kind=MortgageKind.GENERAL)
    findings = conversion_of_pre_notice(app, replace(register, mortgages=(general,)))
    assert [x.code for x in findings] == ["conversion.not_pre_notice"]


def test_a_conversion_with_a_different_amount_goes_to_a_reviewer_naming_the_field():
    app, register = f.scenario(T.PRE_NOTICE_CONVERSION)
    [finding] = conversion_of_pre_notice(replace(app, secured_amount=Decimal("1300000.00")), register)
    assert (finding.code, finding.severity) == ("conversion.terms_differ", Severity.REVIEW)
    assert finding.field == "secured_amount"


def test_a_first_mortgage_by_the_bank_holding_a_pre_notice_on_the_unit_goes_to_a_reviewer():
    _, register = f.scenario(T.PRE_NOTICE_CONVERSION)
    findings = pre_notice_not_duplicated(f.application(), register)
    assert [x.code for x in findings] == ["mortgage.pre_notice_not_converted"]


def test_another_banks_pre_notice_does_not_suggest_a_conversion():
    _, register = f.scenario(T.PRE_NOTICE_CONVERSION)
    assert pre_notice_not_duplicated(f.application(mortgagee=f.OTHER_BANK), register) == []


def test_existing_mortgages_are_noted_for_the_record():
    register = f.register(mortgages=(f.mortgage(), f.later_mortgage()))
    [finding] = existing_mortgages_noted(f.application(mortgagee=f.FUND), register)
    assert (finding.code, finding.severity) == ("unit.existing_mortgages", Severity.INFO)
    assert "2项现势抵押权" in finding.message_zh


def test_a_change_needs_every_recorded_mortgagor_as_applicant():
    app, register = f.scenario(T.MORTGAGE_CHANGE)
    findings = change_mortgagors_apply(replace(app, mortgagors=(f.WANG,)), register)
    assert [x.code for x in findings] == ["mortgage.mortgagors_differ"]


def test_the_mortgagee_may_change_its_own_name_alone():
    app, register = f.scenario(T.MORTGAGE_CHANGE)
    rename = (ChangeItem(ChangeField.MORTGAGEE_NAME, "平罗县测试农商银行股份有限公司"),)
    assert change_mortgagors_apply(replace(app, mortgagors=(), changes=rename), register) == []
