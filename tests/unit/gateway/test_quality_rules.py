"""The quality figures' pure rules: months in local time, and which supplement requests were avoidable."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from gateway.quality.avoidable import FirstSubmission, item_avoidable, request_avoidable
from gateway.quality.months import Month, MonthInvalid, MonthNotStarted
from gateway.quality.refusals import UnattributedBudget, attributed_institution, attributed_to, finding_codes_of
from gateway.errors import GatewayError, StaleRequest

TODAY = date(2026, 12, 7)


def test_a_month_runs_from_local_midnight_of_the_first_to_local_midnight_of_the_next_first():
    start, end = Month.parse("2026-11", today=TODAY).bounds()
    assert start == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)
    assert end == datetime(2026, 11, 30, 16, tzinfo=timezone.utc)


def test_december_ends_at_new_year_local_time():
    assert Month(2025, 12).bounds()[1] == datetime(2025, 12, 31, 16, tzinfo=timezone.utc)
    assert Month(2025, 12).next() == Month(2026, 1) and Month(2026, 1).previous() == Month(2025, 12)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "1999-12", "2026-11 "])
def test_a_month_not_written_yyyy_mm_is_refused(text):
    with pytest.raises(MonthInvalid):
        Month.parse(text, today=TODAY)


def test_a_month_after_the_current_one_is_refused():
    assert Month.parse("2026-12", today=TODAY) == Month(2026, 12)
    with pytest.raises(MonthNotStarted):
        Month.parse("2027-01", today=TODAY)


FIRST = FirstSubmission("MORTGAGE_FIRST", frozenset({"LOAN_CONTRACT", "MORTGAGE_CONTRACT", "ID_DOCUMENT"}),
                        frozenset())


def test_a_material_sent_but_not_as_it_should_be_was_avoidable():
    assert item_avoidable("LOAN_CONTRACT", FIRST)


def test_a_material_the_list_requires_of_the_applicant_was_avoidable():
    change = FirstSubmission("MORTGAGE_CHANGE", frozenset(), frozenset())
    assert item_avoidable("CHANGE_AGREEMENT", change)  # CONDITIONAL, submitted by the applicant


def test_optional_materials_and_those_the_authority_holds_were_not_avoidable():
    assert not item_avoidable("MARRIAGE_CERTIFICATE", FIRST)  # optional: the reviewer's judgement
    assert not item_avoidable("TITLE_CERTIFICATE", FIRST)  # the register holds it
    assert not item_avoidable("COURT_DOCUMENT", FIRST)  # not in this type's list


def test_a_material_sent_under_a_code_the_list_does_not_know_was_avoidable_once_the_receipt_said_so():
    told = FirstSubmission("MORTGAGE_FIRST", frozenset({"CONTRACT_SCAN"}), frozenset({"materials.not_in_catalogue"}))
    assert item_avoidable("MARRIAGE_CERTIFICATE", told)
    assert not item_avoidable("COURT_DOCUMENT", told)


def test_a_request_is_avoidable_only_when_every_item_is():
    assert request_avoidable(["LOAN_CONTRACT"], FIRST)
    assert not request_avoidable(["LOAN_CONTRACT", "MARRIAGE_CERTIFICATE"], FIRST)
    assert not request_avoidable([], FIRST)


def test_refusals_raised_after_the_signer_is_known_carry_its_institution():
    with pytest.raises(GatewayError) as raised, attributed_to(7):
        raise StaleRequest()
    assert attributed_institution(raised.value) == 7
    assert attributed_institution(StaleRequest()) is None


def test_only_the_refusing_findings_codes_are_kept():
    refusal = GatewayError(extra={"findings": [{"code": "materials.missing", "severity": "REFUSE", "message_zh": "…"},
                                               {"code": "unit.objection", "severity": "REVIEW"}]})
    assert finding_codes_of(refusal) == ["materials.missing"]
    assert finding_codes_of(GatewayError()) is None


def test_unattributed_refusals_are_recorded_within_a_budget_a_minute(caplog):
    budget = UnattributedBudget(per_minute=2)
    assert [budget.take(60.0), budget.take(70.0), budget.take(119.0)] == [True, True, False]
    assert budget.take(120.0)  # a new minute
    assert "1 unattributed intake refusals were not recorded" in caplog.text
