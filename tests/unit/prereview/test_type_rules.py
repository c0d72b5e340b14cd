"""Rules of one type each: transfer to a new mortgagee, discharge, construction mortgage."""
from __future__ import annotations

from dataclasses import replace

from bank_adapters.canonical import DischargeReason
from gateway.prereview.findings import Severity
from gateway.prereview.rules.transfer_discharge import (
    construction_permit_given,
    discharge_reason_given,
    transferee_given,
)
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T


def test_a_transfer_without_a_transferee_is_refused():
    app, register = f.scenario(T.MORTGAGE_TRANSFER)
    [finding] = transferee_given(replace(app, transferee=None), register)
    assert (finding.code, finding.field) == ("transfer.transferee_missing", "transferee")


def test_a_transfer_to_the_applicant_itself_is_refused():
    app, register = f.scenario(T.MORTGAGE_TRANSFER)
    assert [x.code for x in transferee_given(replace(app, transferee=f.BANK), register)] == [
        "transfer.transferee_is_applicant"]


def test_a_transfer_to_the_housing_fund_passes():
    app, register = f.scenario(T.MORTGAGE_TRANSFER)
    assert transferee_given(replace(app, transferee=f.FUND), register) == []


def test_a_discharge_without_a_reason_is_refused():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    [finding] = discharge_reason_given(replace(app, discharge_reason=None), register)
    assert (finding.code, finding.severity) == ("discharge.reason_missing", Severity.REFUSE)
    assert finding.field == "discharge_reason"


def test_a_discharge_by_court_ruling_without_the_ruling_is_refused():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    app = replace(app, discharge_reason=DischargeReason.COURT_RULING, materials=())
    assert [x.code for x in discharge_reason_given(app, register)] == ["discharge.court_document_missing"]


def test_a_discharge_by_court_ruling_with_the_ruling_passes():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    app = replace(app, discharge_reason=DischargeReason.COURT_RULING, materials=f.materials("COURT_DOCUMENT"))
    assert discharge_reason_given(app, register) == []


def test_a_construction_mortgage_without_a_planning_permit_number_is_refused():
    app, register = f.scenario(T.CONSTRUCTION_MORTGAGE)
    [finding] = construction_permit_given(replace(app, construction_permit_no=" "), register)
    assert (finding.code, finding.field) == ("construction.permit_no_missing", "construction_permit_no")
