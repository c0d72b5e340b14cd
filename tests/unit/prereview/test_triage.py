"""Sorting applications: refused with the one-time notice, automatic, simple or complex."""
from __future__ import annotations

from dataclasses import replace

from bank_adapters.canonical import LinkRef, Mortgagee, SpecialCircumstance
from gateway.prereview import codes
from gateway.prereview.findings import Severity
from gateway.prereview.rules import RULES, Rule
from gateway.prereview.triage import AutoApprovalPolicy, Outcome, run_prereview, triage
from gateway.register.view import EncumbranceKind
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T

DEFAULT_POLICY = AutoApprovalPolicy()


def _outcome(app, register, policy=DEFAULT_POLICY):
    return triage(app, run_prereview(app, register), policy)


def test_the_one_time_notice_lists_every_refusal_at_once():
    bad_id = replace(f.LI, id_number=f.wrong_check_digit(f.LI.id_number))
    app = f.application(mortgagors=(f.WANG, bad_id), secured_amount=None, materials=f.materials("ID_DOCUMENT"),
                        mortgagee=Mortgagee(f.wrong_check_digit(f.BANK.code), f.BANK.name))
    register = f.register(encumbrances=(f.encumbrance(EncumbranceKind.SEIZURE),))
    result = _outcome(app, register)
    assert result.outcome == Outcome.REFUSED
    assert [x.code for x in result.findings if x.severity == Severity.REFUSE] == [
        "unit.seized", "mortgagors.not_owners", "mortgagors.owner_missing", "party.id_check_digit",
        "mortgagee.credit_code_check_digit", "amount.missing", "materials.missing"]


def test_a_clean_first_mortgage_goes_to_a_reviewer():
    assert _outcome(*f.scenario(T.MORTGAGE_FIRST)).outcome == Outcome.SIMPLE


def test_a_discharge_filed_by_the_current_mortgagee_is_approved_automatically():
    assert _outcome(*f.scenario(T.MORTGAGE_DISCHARGE)).outcome == Outcome.AUTO_APPROVE


def test_a_discharge_by_the_wrong_bank_is_refused_not_approved():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    assert _outcome(replace(app, mortgagee=f.OTHER_BANK), register).outcome == Outcome.REFUSED


def test_a_discharge_with_something_to_review_goes_to_a_reviewer():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    assert _outcome(app, replace(register, earlier_pending=1)).outcome == Outcome.SIMPLE


def test_a_linked_discharge_goes_to_a_reviewer_unless_the_policy_allows_linked_ones():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    app = replace(app, link=LinkRef("ZHL-2026-0007", 1, 2))
    assert _outcome(app, register).outcome == Outcome.SIMPLE
    assert _outcome(app, register, AutoApprovalPolicy(linked=True)).outcome == Outcome.AUTO_APPROVE


def test_the_policy_can_switch_automatic_discharge_off():
    policy = AutoApprovalPolicy(types=frozenset())
    assert _outcome(*f.scenario(T.MORTGAGE_DISCHARGE), policy).outcome == Outcome.SIMPLE


def test_the_policy_can_approve_another_type_automatically():
    policy = AutoApprovalPolicy(types=frozenset({T.MORTGAGE_FIRST}))
    assert _outcome(*f.scenario(T.MORTGAGE_FIRST), policy).outcome == Outcome.AUTO_APPROVE


def test_an_unnotarised_inheritance_is_complex_and_says_why():
    app = f.application(special_circumstances=(SpecialCircumstance.UNNOTARISED_INHERITANCE,))
    result = _outcome(app, f.register())
    assert result.outcome == Outcome.COMPLEX
    assert result.complex_reasons == ("涉及未经公证的继承，须核查全部继承人，办理时限相应延长",)


def test_a_refusal_outranks_complexity():
    app = f.application(special_circumstances=(SpecialCircumstance.SURVEY_REQUIRED,), debtor=None)
    assert _outcome(app, f.register()).outcome == Outcome.REFUSED


def test_a_complex_discharge_is_not_approved_automatically():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    register = replace(register, unit=f.unit(needs_survey=True))
    assert _outcome(app, register).outcome == Outcome.COMPLEX


def test_only_rules_for_the_type_run():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    # A discharge names no debtor; the debtor rule is for new mortgages only.
    assert "debtor.missing" not in [x.code for x in run_prereview(app, register)]


def test_a_failing_rule_sends_the_application_to_a_reviewer_and_the_others_still_run(monkeypatch):
    def broken(application, register):
        raise KeyError("bug")

    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    patched = (Rule(broken, frozenset(T), (codes.RULE_FAILED,)), *RULES)
    monkeypatch.setattr("gateway.prereview.rules.RULES", patched)
    result = _outcome(app, register)
    assert result.findings[0].code == "prereview.rule_failed" and "broken" in result.findings[0].message_zh
    assert result.outcome == Outcome.SIMPLE
    assert any(x.code == "materials.taken_from_file" for x in result.findings)
