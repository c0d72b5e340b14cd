"""Pre-review (预审) at intake: refused with every finding at once, or queued with the findings shown.

Requests go through ``POST /v1/applications`` (and the dry run) on the embedded runtime; the
register is set up with ``tests/support/register.py``. A refusal must leave nothing behind; an
accepted application carries its findings to the reviewer, to the bank's status and receipt.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from bank_adapters import CanonicalApplication, Mortgagee, RegistrationType, SpecialCircumstance
from gateway.persistence.db import transaction
from gateway.persistence.models import Application, ApplicationExtension
from tests.support import factories, scenarios as s
from tests.support.register import add_encumbrance, add_mortgage, add_unit
from tests.support.tamper import (
    Snapshot,
    assert_nothing_changed,
    assert_nothing_stored,
    assert_problem,
    q,
    runtime,  # noqa: F401 (fixture: a fast seeded runtime)
    seeded_database,  # noqa: F401 (fixture)
    sign,
    unsigned_root,
)
from tests.support.scenarios import long_lived_database, long_lived_pki, past  # noqa: F401 (fixtures)
from tests.unit.prereview.factories import wrong_check_digit


@pytest.fixture
def bank(pki) -> s.Bank:
    return s.main_bank(pki)


@pytest.fixture
def other(pki) -> s.Bank:
    return s.other_bank(pki)


def codes(findings: list[dict], severity: str | None = None) -> list[str]:
    return [f["code"] for f in findings if severity is None or f["severity"] == severity]


def by_code(findings: list[dict]) -> dict[str, dict]:
    return {f["code"]: f for f in findings}


# --- refused at intake: the one-time notice ---------------------------------------------------------------

WRONG_LI_ID = wrong_check_digit(s.LI.id_number)


def several_defects() -> CanonicalApplication:
    """A seized home, the second mortgagor's ID number with a wrong check digit, the mortgage contract missing."""
    return s.first(mortgagors=(s.WANG, replace(s.LI, id_number=WRONG_LI_ID)),
                   materials=s.refs("LOAN_CONTRACT", "ID_DOCUMENT"))


def seize(runtime) -> None:
    with transaction(runtime.sessions) as session:
        add_encumbrance(session, "SEIZURE")


def test_a_request_breaking_several_rules_is_refused_with_every_finding_at_once(client, runtime, bank):
    seize(runtime)
    app = several_defects()
    s.upload_for(client, app, bank)
    before = Snapshot(runtime)

    problem = assert_problem(s.post(client, factories.signed_request(app, bank.identity)), 422, "prereview.refused",
                             secrets=(WRONG_LI_ID,))

    found = by_code(problem["findings"])
    assert {"unit.seized", "party.id_check_digit", "materials.missing"} <= set(found)
    assert found["unit.seized"]["field"] == "unit_code"
    assert found["party.id_check_digit"]["field"] == "mortgagors[1].id_number"
    assert found["materials.missing"]["field"] == "materials"
    assert "MORTGAGE_CONTRACT" in found["materials.missing"]["message_zh"]
    assert all(f["severity"] in ("REFUSE", "REVIEW", "COMPLEX", "INFO") and f["hint"] for f in problem["findings"])
    assert_nothing_changed(runtime, before)


def test_a_discharge_filed_by_another_bank_is_refused_as_not_the_applicants(client, runtime, other):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO, mortgagee_code=factories.BANK_CODE)
    app = s.discharge(s.EXISTING_NO, mortgagee=s.OTHER_BANK)
    s.upload_for(client, app, other)
    before = Snapshot(runtime)

    problem = assert_problem(s.post(client, factories.signed_request(app, other.identity)), 422, "prereview.refused")

    assert codes(problem["findings"], "REFUSE") == ["mortgage.not_applicants"]
    assert by_code(problem["findings"])["mortgage.not_applicants"]["field"] == "mortgagee.code"
    assert [m.status for m in s.mortgages(runtime)] == ["IN_FORCE"]
    assert_nothing_changed(runtime, before)


def test_a_unit_code_with_a_wrong_structure_is_refused_by_the_schema_naming_the_field(client, runtime, bank):
    s.upload_for(client, s.first(), bank)
    root = unsigned_root()
    root.find(".//" + q("UnitCode")).text = "640221001001GB000I2F00010001"  # a letter in the 5-digit parcel number
    before = Snapshot(runtime)

    problem = assert_problem(s.post(client, sign(root, bank.identity)), 422, "xml.schema_invalid")

    [violation] = problem["violations"]
    assert violation["path"].endswith("/UnitCode")
    assert_nothing_stored(runtime, before)


def test_a_wrong_check_digit_in_the_banks_own_credit_code_is_refused_naming_the_field(client, runtime, bank):
    wrong = wrong_check_digit(factories.BANK_CODE)
    app = s.first(mortgagee=Mortgagee(wrong, s.BANK.name))
    s.upload_for(client, app, bank)
    before = Snapshot(runtime)

    # No institution has that code, so it cannot be authorised; the refusal still says exactly why.
    problem = assert_problem(s.post(client, factories.signed_request(app, bank.identity)), 403, "institution.unknown")

    assert problem["field"] == "mortgagee.code"
    assert [(f["code"], f["field"]) for f in problem["findings"]] == [
        ("mortgagee.credit_code_check_digit", "mortgagee.code")]
    assert_nothing_stored(runtime, before)


def test_a_wrong_check_digit_in_the_transferees_credit_code_is_refused_naming_the_field(client, runtime, bank):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    app = s.transfer(s.EXISTING_NO, transferee=Mortgagee(wrong_check_digit(factories.OTHER_BANK_CODE), "另一家银行"),
                     materials=s.refs("ASSIGNMENT_CONTRACT", "DEBTOR_NOTICE", "TRANSFEREE_ID"))
    s.upload_for(client, app, bank)
    before = Snapshot(runtime)

    problem = assert_problem(s.post(client, factories.signed_request(app, bank.identity)), 422, "prereview.refused")

    assert [(f["code"], f["field"]) for f in problem["findings"] if f["severity"] == "REFUSE"] == [
        ("transferee.credit_code_check_digit", "transferee.code")]
    assert_nothing_changed(runtime, before)


def test_an_objection_without_the_undertaking_is_refused_at_intake(client, runtime, bank):
    with transaction(runtime.sessions) as session:
        add_encumbrance(session, "OBJECTION", reference="宁(2026)平罗县不动产证明第0000777号")
    response = s.submit(client, s.first(), bank)
    problem = assert_problem(response, 422, "prereview.refused")
    assert codes(problem["findings"], "REFUSE") == ["unit.objection_undertaking_missing"]


# --- queued with findings ------------------------------------------------------------------------------------

def test_an_objection_with_the_undertaking_is_queued_with_the_finding_shown_to_reviewer_and_bank(
        client, runtime, bank, reviewer):
    with transaction(runtime.sessions) as session:
        add_encumbrance(session, "OBJECTION", reference="宁(2026)平罗县不动产证明第0000777号")
    response = s.submit(client, s.first(materials=s.refs(*s.CONTRACTS, "OBJECTION_UNDERTAKING")), bank)
    assert response.status_code == 202, response.text
    receipt = s.receipt(response)
    number = receipt.findtext("g:ApplicationNo", namespaces=s.NS)

    assert "unit.objection" in s.receipt_findings(receipt)
    assert receipt.findtext("g:Triage", namespaces=s.NS) == "SIMPLE"
    view = client.get(f"/v1/review/applications/{number}", headers=reviewer).json()
    assert view["status"] == "QUEUED"
    assert (by_code(view["findings"])["unit.objection"]["severity"], by_code(view["findings"])["unit.objection"]["field"]) \
        == ("REVIEW", "unit_code")
    assert "unit.objection" in codes(s.status(client, number, bank)["findings"], "REVIEW")


def test_a_declared_survey_makes_the_case_complex_and_extends_the_deadline_with_the_reason_recorded(past):
    accepted = s.local_time(date(2026, 9, 30))
    outcome = s.submit_at(past.runtime, s.first(special_circumstances=(SpecialCircumstance.SURVEY_REQUIRED,)),
                          past.pki.bank, accepted)

    receipt = s.receipt(outcome.receipt)
    assert receipt.findtext("g:Triage", namespaces=s.NS) == "COMPLEX"
    assert "complex.survey_required" in s.receipt_findings(receipt)
    # 5 + 10 working days after 30 September 2026: 8, 9, 10 (make-up Saturday), 12–16, 19–23, 26, 27 October.
    assert receipt.findtext("g:DueDate", namespaces=s.NS) == "2026-10-27"
    with transaction(past.runtime.sessions) as session:
        [extension] = session.scalars(select(ApplicationExtension)).all()
    assert (extension.working_days, extension.actor) == (past.runtime.settings.complex_extension_working_days,
                                                         "prereview")
    assert "需要实地查看或调查" in extension.reason


def test_a_unit_the_register_marks_for_survey_is_complex(client, runtime, bank):
    with transaction(runtime.sessions) as session:
        add_unit(session, s.SHOP_CODE, needs_survey=True)
    response = s.submit(client, s.first(unit_code=s.SHOP_CODE), bank)
    assert response.status_code == 202, response.text
    receipt = s.receipt(response)
    assert receipt.findtext("g:Triage", namespaces=s.NS) == "COMPLEX"
    assert "unit.needs_survey" in s.receipt_findings(receipt)
    status = s.status(client, receipt.findtext("g:ApplicationNo", namespaces=s.NS), bank)
    assert status["triage"] == "COMPLEX"
    [extension] = status["extensions"]
    assert extension["working_days"] == runtime.settings.complex_extension_working_days
    assert "实地查看" in extension["reason"]


# --- materials the authority holds ------------------------------------------------------------------------------

def test_identity_documents_from_an_earlier_registration_are_taken_from_file(client, runtime, bank, reviewer):
    s.approve(client, s.submit_ok(client, s.first(), bank), reviewer)

    response = s.submit(client, s.first(materials=s.refs("LOAN_CONTRACT", "MORTGAGE_CONTRACT")), bank)

    assert response.status_code == 202, response.text
    number = s.receipt(response).findtext("g:ApplicationNo", namespaces=s.NS)
    taken = by_code(s.status(client, number, bank)["findings"])["materials.taken_from_file"]
    assert taken["severity"] == "INFO"
    assert "ID_DOCUMENT" in taken["message_zh"]
    assert "materials.taken_from_file" in s.receipt_findings(s.receipt(response))


def test_identity_documents_nobody_holds_yet_are_asked_for(client, runtime, bank):
    response = s.submit(client, s.first(materials=s.refs("LOAN_CONTRACT", "MORTGAGE_CONTRACT")), bank)
    problem = assert_problem(response, 422, "prereview.refused")
    missing = by_code(problem["findings"])["materials.missing"]
    assert "ID_DOCUMENT" in missing["message_zh"]


# --- fees ---------------------------------------------------------------------------------------------------------------

def fee_of(response) -> tuple[str, str]:
    fee = s.receipt(response).find("g:Fee", s.NS)
    return fee.text, fee.get("currency")


def test_the_receipt_shows_the_residential_fee(client, bank):
    response = s.submit(client, s.first(), bank)
    assert response.status_code == 202, response.text
    assert fee_of(response) == ("80.00", "CNY")


def test_the_receipt_shows_the_non_residential_fee(client, runtime, bank):
    with transaction(runtime.sessions) as session:
        add_unit(session, s.SHOP_CODE, use="NON_RESIDENTIAL")
    response = s.submit(client, s.first(unit_code=s.SHOP_CODE), bank)
    assert response.status_code == 202, response.text
    assert fee_of(response) == ("550.00", "CNY")


def test_a_discharge_is_free(client, runtime, bank):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    response = s.submit(client, s.discharge(s.EXISTING_NO), bank)
    assert response.status_code == 202, response.text
    assert fee_of(response) == ("0.00", "CNY")
    number = s.receipt(response).findtext("g:ApplicationNo", namespaces=s.NS)
    assert s.status(client, number, bank)["fee_yuan"] == "0.00"


# --- the dry run and the catalogue ------------------------------------------------------------------------------------

def test_the_dry_run_returns_the_findings_a_submission_would_and_stores_nothing(client, runtime, bank):
    seize(runtime)
    app = several_defects()
    s.upload_for(client, app, bank)
    body = factories.signed_request(app, bank.identity)
    before = Snapshot(runtime)

    dry = s.post(client, body, "/v1/applications/dry-run")
    assert dry.status_code == 200, dry.text
    assert_nothing_changed(runtime, before)
    real = s.post(client, body)

    assert dry.json()["outcome"] == "REFUSED"
    assert dry.json()["findings"] == real.json()["findings"]
    assert_nothing_changed(runtime, before)


def test_the_dry_run_of_a_clean_application_gives_its_outcome_and_fee_without_submitting(client, runtime, bank):
    app = s.first()
    s.upload_for(client, app, bank)
    body = factories.signed_request(app, bank.identity)

    dry = s.post(client, body, "/v1/applications/dry-run").json()

    assert (dry["outcome"], dry["fee_yuan"]) == ("SIMPLE", "80.00")
    with transaction(runtime.sessions) as session:
        assert session.scalars(select(Application)).all() == []
    real = s.post(client, body)
    assert real.status_code == 202, "the dry run did not use up the request id"
    assert s.receipt(real).findtext("g:Triage", namespaces=s.NS) == dry["outcome"]


def test_the_catalogue_lists_every_registration_type_with_its_materials(client):
    catalogue = client.get("/v1/catalogue").json()
    types = {t["registration_type"]: t for t in catalogue["types"]}
    assert set(types) == {t.value for t in RegistrationType}
    first = {m["code"]: m for m in types["MORTGAGE_FIRST"]["materials"]}
    submitted = {code for code, m in first.items() if m["need"] == "REQUIRED" and m["held"] in ("NO", "IF_ON_FILE")}
    assert submitted == {"LOAN_CONTRACT", "MORTGAGE_CONTRACT", "ID_DOCUMENT"}
    assert first["ID_DOCUMENT"]["held"] == "IF_ON_FILE"
    assert all(t["materials"] and t["name_zh"] for t in types.values())
