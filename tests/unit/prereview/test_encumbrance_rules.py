"""Seizures, objections and other people's pre-notices on the unit."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bank_adapters.canonical import ChangeField, ChangeItem
from gateway.prereview.findings import Severity
from gateway.prereview.rules.encumbrances import no_conflicting_pre_notice, objection_acknowledged, unit_not_seized
from gateway.register.view import EncumbranceKind
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T

SEIZURE = f.encumbrance(EncumbranceKind.SEIZURE)
OBJECTION = f.encumbrance(EncumbranceKind.OBJECTION)


def test_a_first_mortgage_on_a_seized_home_is_refused_with_the_seizure_date():
    [finding] = unit_not_seized(f.application(), f.register(encumbrances=(SEIZURE,)))
    assert (finding.code, finding.severity) == ("unit.seized", Severity.REFUSE)
    assert "2025年11月20日" in finding.message_zh


def test_the_seizures_court_reference_is_not_told_to_the_bank():
    [finding] = unit_not_seized(f.application(), f.register(encumbrances=(SEIZURE,)))
    assert SEIZURE.reference not in finding.message_zh + finding.hint


def test_a_lifted_seizure_does_not_block():
    lifted = f.encumbrance(EncumbranceKind.SEIZURE, active=False)
    assert unit_not_seized(f.application(), f.register(encumbrances=(lifted,))) == []


@pytest.mark.parametrize("registration_type", [T.MORTGAGE_DISCHARGE, T.MORTGAGE_TRANSFER, T.PRE_NOTICE_CONVERSION])
def test_acting_on_an_earlier_mortgage_of_a_seized_unit_goes_to_a_reviewer(registration_type):
    app, register = f.scenario(registration_type)
    register = replace(register, encumbrances=(SEIZURE,))
    assert [(x.code, x.severity) for x in unit_not_seized(app, register)] == [("unit.seized_review", Severity.REVIEW)]


def test_raising_the_amount_of_a_mortgage_on_a_seized_unit_is_refused():
    app, register = f.scenario(T.MORTGAGE_CHANGE)
    app = replace(app, changes=(ChangeItem(ChangeField.SECURED_AMOUNT, "1500000.00"),))
    register = replace(register, encumbrances=(SEIZURE,))
    assert [x.code for x in unit_not_seized(app, register)] == ["unit.seized"]


def test_lowering_the_amount_of_a_mortgage_on_a_seized_unit_goes_to_a_reviewer():
    app, register = f.scenario(T.MORTGAGE_CHANGE)  # 1,200,000 → 1,000,000
    register = replace(register, encumbrances=(SEIZURE,))
    assert [x.code for x in unit_not_seized(app, register)] == ["unit.seized_review"]


def test_an_objection_without_the_undertaking_is_refused_and_asks_for_it():
    [finding] = objection_acknowledged(f.application(), f.register(encumbrances=(OBJECTION,)))
    assert (finding.code, finding.severity) == ("unit.objection_undertaking_missing", Severity.REFUSE)
    assert "OBJECTION_UNDERTAKING" in finding.hint


def test_an_objection_with_the_undertaking_goes_to_a_reviewer():
    app = f.application(materials=f.application().materials + f.materials("OBJECTION_UNDERTAKING"))
    [finding] = objection_acknowledged(app, f.register(encumbrances=(OBJECTION,)))
    assert (finding.code, finding.severity) == ("unit.objection", Severity.REVIEW)


def test_a_second_hand_buyers_pre_notice_blocks_the_sellers_mortgage():
    buyer = f.encumbrance(EncumbranceKind.PURCHASE_PRE_NOTICE, holder=f.ZHAO)
    [finding] = no_conflicting_pre_notice(f.application(), f.register(encumbrances=(buyer,)))
    assert (finding.code, finding.severity) == ("unit.conflicting_pre_notice", Severity.REFUSE)


def test_the_pre_notice_holders_written_consent_sends_the_mortgage_to_a_reviewer():
    buyer = f.encumbrance(EncumbranceKind.PURCHASE_PRE_NOTICE, holder=f.ZHAO)
    app = f.application(materials=f.application().materials + f.materials("PRE_NOTICE_HOLDER_CONSENT"))
    assert [x.code for x in no_conflicting_pre_notice(app, f.register(encumbrances=(buyer,)))] == [
        "unit.pre_notice_holder_consented"]


def test_the_buyers_own_pre_notice_is_no_conflict_for_the_buyers_pre_notice_mortgage():
    app, register = f.scenario(T.PRE_NOTICE_MORTGAGE)
    assert no_conflicting_pre_notice(app, register) == []


def test_a_pre_notice_without_a_recorded_holder_goes_to_a_reviewer():
    anonymous = f.encumbrance(EncumbranceKind.PURCHASE_PRE_NOTICE)
    findings = no_conflicting_pre_notice(f.application(), f.register(encumbrances=(anonymous,)))
    assert [(x.code, x.severity) for x in findings] == [("unit.pre_notice_holder_unknown", Severity.REVIEW)]
