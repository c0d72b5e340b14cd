"""Materials: what the list requires is submitted, or taken from file if the authority holds it."""
from __future__ import annotations

from dataclasses import replace

from bank_adapters.canonical import ChangeField, ChangeItem, DischargeReason
from gateway.prereview.findings import Severity
from gateway.prereview.rules.materials import materials_complete
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T


def _by_code(findings):
    return {x.code: x for x in findings}


def test_missing_contracts_are_refused_at_once_listing_every_code():
    app = f.application(materials=f.materials("ID_DOCUMENT"))
    finding = _by_code(materials_complete(app, f.register()))["materials.missing"]
    assert finding.severity == Severity.REFUSE and finding.field == "materials"
    assert "MORTGAGE_CONTRACT" in finding.message_zh and "LOAN_CONTRACT" in finding.message_zh


def test_the_title_certificate_is_taken_from_the_register_not_asked_for():
    finding = _by_code(materials_complete(f.application(), f.register()))["materials.taken_from_file"]
    assert finding.severity == Severity.INFO and "TITLE_CERTIFICATE" in finding.message_zh


def test_id_documents_held_from_an_earlier_application_are_taken_from_file():
    app = f.application(materials=f.materials("LOAN_CONTRACT", "MORTGAGE_CONTRACT"))
    findings = _by_code(materials_complete(app, f.register(held_materials=frozenset({"ID_DOCUMENT"}))))
    assert "materials.missing" not in findings
    assert "ID_DOCUMENT" in findings["materials.taken_from_file"].message_zh


def test_id_documents_not_on_file_must_be_submitted():
    app = f.application(materials=f.materials("LOAN_CONTRACT", "MORTGAGE_CONTRACT"))
    assert "ID_DOCUMENT" in _by_code(materials_complete(app, f.register()))["materials.missing"].message_zh


def test_the_application_form_is_never_asked_for_nor_reported():
    findings = materials_complete(f.application(), f.register())
    assert all("APPLICATION_FORM" not in x.message_zh for x in findings)


def test_the_certificate_being_discharged_is_taken_from_file():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    assert "MORTGAGE_CERTIFICATE" in _by_code(materials_complete(app, register))["materials.taken_from_file"].message_zh


def test_a_discharge_for_repayment_needs_the_evidence_that_the_debt_ended():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    finding = _by_code(materials_complete(replace(app, materials=()), register))["materials.missing"]
    assert "DISCHARGE_EVIDENCE" in finding.message_zh


def test_a_discharge_by_court_ruling_leaves_the_ruling_to_the_discharge_rule():
    app, register = f.scenario(T.MORTGAGE_DISCHARGE)
    app = replace(app, discharge_reason=DischargeReason.COURT_RULING, materials=())
    assert "materials.missing" not in _by_code(materials_complete(app, register))


def test_a_change_of_amount_needs_the_change_agreement_and_a_change_of_name_the_evidence():
    app, register = f.scenario(T.MORTGAGE_CHANGE)
    app = replace(app, materials=(), changes=(ChangeItem(ChangeField.SECURED_AMOUNT, "1000000.00"),
                                               ChangeItem(ChangeField.MORTGAGOR_NAME, "王建國")))
    message = _by_code(materials_complete(app, register))["materials.missing"].message_zh
    assert "CHANGE_AGREEMENT" in message and "NAME_CHANGE_EVIDENCE" in message


def test_a_transfer_needs_the_assignment_contract_and_the_notice_to_the_debtor():
    app, register = f.scenario(T.MORTGAGE_TRANSFER)
    message = _by_code(materials_complete(replace(app, materials=()), register))["materials.missing"].message_zh
    assert "ASSIGNMENT_CONTRACT" in message and "DEBTOR_NOTICE" in message and "TRANSFEREE_ID" in message


def test_a_material_code_outside_the_types_list_is_noted():
    app = f.application(materials=f.application().materials + f.materials("COURT_DOCUMENT"))
    finding = _by_code(materials_complete(app, f.register()))["materials.not_in_catalogue"]
    assert finding.severity == Severity.INFO and "COURT_DOCUMENT" in finding.message_zh
