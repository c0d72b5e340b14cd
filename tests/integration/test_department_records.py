"""Departments push records in: the tax bureau's deed-tax records, the housing bureau's filed sale contracts.

Each record is kept verbatim (body bytes and signature headers) and answered with a signed receipt; the
same record again is idempotent, a different version of the same number is kept too and both are
flagged. Every refusal has its documented code and leaves nothing stored.
"""
from __future__ import annotations

import json

import pytest

from tests.support import department_records as d
from tests.support import scenarios as s


@pytest.fixture
def departments(runtime, pki):
    return d.add_departments(runtime, pki)


@pytest.fixture
def tax(departments) -> d.Department:
    return departments[0]


@pytest.fixture
def housing(departments) -> d.Department:
    return departments[1]


def refused(response, status: int, code: str, runtime) -> dict:
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    assert d.stored(runtime) == d.NOTHING
    return problem


# --- accepted ------------------------------------------------------------------------------------------

def test_a_tax_record_is_answered_with_a_signed_receipt(client, runtime, pki, tax):
    response = d.push(client, d.TAX_PATH, tax, d.tax_record())
    assert response.status_code == 201
    payload = d.receipt(response, pki)
    assert payload["document"] == "DepartmentRecordReceipt" and payload["kind"] == "tax"
    assert payload["record_id"] == response.headers["X-Record-Id"] and payload["record_id"].startswith("DR")
    assert (payload["record_no"], payload["unit_code"], payload["department"]) == (
        "PL-TAX-2026-000123", d.UNIT, tax.code)
    assert payload["flags"] == [] and payload["conflicts_with"] == [] and payload["replayed"] is False
    assert payload["received_at"].endswith("Z")


def test_the_record_is_kept_verbatim_with_its_signature_headers(client, runtime, pki, tax):
    body = json.dumps(d.tax_record(), ensure_ascii=False, indent=2).encode()  # as the bureau formatted it
    response = d.push(client, d.TAX_PATH, tax, body)
    assert response.status_code == 201
    [record] = d.records(runtime)
    assert record.body == body and record.kind == "tax" and record.status == "PAID"
    assert {"signature", "signature-input", "content-digest"} <= set(record.signature_headers)
    assert record.signature_headers["@method"] == "POST"
    assert record.facts["taxpayers"][0]["id_number"] == d.BUYERS[0].id_number
    assert len(record.id_number_indexes) == 2 and d.BUYERS[0].id_number not in json.dumps(record.id_number_indexes)


def test_a_filed_contract_is_answered_with_a_signed_receipt(client, runtime, pki, housing):
    response = d.push(client, d.CONTRACT_PATH, housing, d.filed_contract(sellers=d.parties([s.DEVELOPER])))
    assert response.status_code == 201
    payload = d.receipt(response, pki)
    assert (payload["kind"], payload["record_no"], payload["department"]) == (
        "contract", d.OFF_PLAN_CONTRACT_NO, housing.code)
    assert d.stored(runtime).records == 1


def test_the_department_may_name_itself_in_the_body(client, runtime, pki, tax):
    response = d.push(client, d.TAX_PATH, tax, d.tax_record(department=tax.code))
    assert response.status_code == 201


def test_the_same_record_again_is_the_same_record(client, runtime, pki, tax):
    first = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record()), pki)
    # The same content, formatted differently and naming the department this time.
    again = d.push(client, d.TAX_PATH, tax, json.dumps(d.tax_record(department=tax.code), indent=1).encode())
    assert again.status_code == 200
    payload = d.receipt(again, pki)
    assert payload["record_id"] == first["record_id"] and payload["replayed"] is True
    assert payload["received_at"] == first["received_at"] and payload["flags"] == []
    assert d.stored(runtime).records == 1


def test_a_different_record_under_the_same_number_is_kept_and_both_are_flagged(client, runtime, pki, tax):
    first = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record()), pki)
    response = d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="9000.00"))
    assert response.status_code == 201
    second = d.receipt(response, pki)
    assert second["record_id"] != first["record_id"]
    assert second["flags"] == ["record.duplicate_conflict"] and second["conflicts_with"] == [first["record_id"]]
    stored = d.records(runtime)
    assert [(r.record_id, r.conflicting) for r in stored] == [(first["record_id"], True), (second["record_id"], True)]
    assert stored[0].facts["tax_amount"] == "18000.00"  # never overwritten
    assert stored[1].conflicts_with_id == stored[0].id


def test_the_first_version_sent_again_after_a_conflict_says_it_is_flagged(client, runtime, pki, tax):
    first = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record()), pki)
    second = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record(status="EXEMPT", tax_amount="0")), pki)
    again = d.push(client, d.TAX_PATH, tax, d.tax_record())
    assert again.status_code == 200
    payload = d.receipt(again, pki)
    assert payload["record_id"] == first["record_id"] and payload["flags"] == ["record.duplicate_conflict"]
    assert payload["conflicts_with"] == [second["record_id"]]


def test_an_explicit_correction_supersedes_every_earlier_version_and_keeps_them(client, runtime, pki, tax):
    first = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record()), pki)
    second = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="9000.00")), pki)
    response = d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="9000.00", corrects=second["record_id"]))
    assert response.status_code == 201, response.text
    corrected = d.receipt(response, pki)
    assert corrected["flags"] == [] and corrected["corrects"] == second["record_id"]
    assert corrected["conflicts_with"] == []
    stored = d.records(runtime)
    assert [(r.record_id, r.superseded, r.conflicting) for r in stored] == [
        (first["record_id"], True, True), (second["record_id"], True, True), (corrected["record_id"], False, False)]
    assert stored[0].facts["tax_amount"] == "18000.00" and stored[1].facts["tax_amount"] == "9000.00"  # kept
    assert stored[2].corrects_id == stored[1].id
    assert json.loads(stored[2].body)["corrects"] == second["record_id"]  # verbatim, the correction named


def test_the_same_correction_sent_again_is_answered_with_the_same_record(client, runtime, pki, tax):
    first = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record()), pki)
    body = d.tax_record(tax_amount="9000.00", corrects=first["record_id"])
    corrected = d.receipt(d.push(client, d.TAX_PATH, tax, body), pki)
    again = d.push(client, d.TAX_PATH, tax, body)
    assert again.status_code == 200
    payload = d.receipt(again, pki)
    assert payload["record_id"] == corrected["record_id"] and payload["replayed"] is True
    assert payload["flags"] == [] and payload["corrects"] == first["record_id"]
    assert d.stored(runtime).records == 2


def test_a_version_without_corrects_after_a_correction_conflicts_again(client, runtime, pki, tax):
    first = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record()), pki)
    corrected = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="1.00",
                                                                         corrects=first["record_id"])), pki)
    third = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="2.00")), pki)
    assert third["flags"] == ["record.duplicate_conflict"]
    assert {r.record_id: r.conflicting for r in d.records(runtime)}[corrected["record_id"]] is True


@pytest.mark.parametrize("corrects", ["DR" + "0" * 32, "not-a-record-id"])
def test_a_correction_of_a_record_never_received_is_refused_and_stores_nothing(client, runtime, tax, corrects):
    response = d.push(client, d.TAX_PATH, tax, d.tax_record(corrects=corrects))
    code = "record.correction_unknown" if corrects.startswith("DR") else "record.invalid"
    problem = refused(response, 422, code, runtime)
    assert problem["field"] == "corrects"


def test_a_correction_naming_a_version_of_another_record_number_is_refused(client, runtime, pki, tax):
    other = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record("PL-TAX-2026-000999")), pki)
    before = d.stored(runtime)
    response = d.push(client, d.TAX_PATH, tax, d.tax_record(corrects=other["record_id"]))
    assert response.status_code == 422 and response.json()["code"] == "record.correction_unknown"
    assert d.stored(runtime) == before


def test_the_same_number_from_the_other_kind_of_record_is_no_conflict(client, runtime, pki, tax, housing):
    d.push(client, d.TAX_PATH, tax, d.tax_record(record_no=d.OFF_PLAN_CONTRACT_NO))
    response = d.push(client, d.CONTRACT_PATH, housing, d.filed_contract())
    assert d.receipt(response, pki)["flags"] == []


# --- refused, nothing stored ---------------------------------------------------------------------------

def test_a_bank_is_refused_with_record_role_not_allowed(client, runtime, pki, departments):
    response = d.push(client, d.TAX_PATH, d.Department("bank", s.main_bank(pki).auth), d.tax_record())
    refused(response, 403, "record.role_not_allowed", runtime)


def test_the_housing_bureau_may_not_send_a_tax_record(client, runtime, housing):
    refused(d.push(client, d.TAX_PATH, housing, d.tax_record()), 403, "record.role_not_allowed", runtime)


def test_the_tax_bureau_may_not_send_a_filed_contract(client, runtime, tax):
    refused(d.push(client, d.CONTRACT_PATH, tax, d.filed_contract()), 403, "record.role_not_allowed", runtime)


def test_a_department_signing_as_another_is_refused_with_signer_mismatch(client, runtime, tax, housing):
    response = d.push(client, d.TAX_PATH, tax, d.tax_record(department=housing.code))
    refused(response, 403, "department.signer_mismatch", runtime)


def test_an_unsigned_record_is_refused(client, runtime, departments):
    response = client.post(d.TAX_PATH, json=d.tax_record())
    assert response.status_code == 401
    assert d.stored(runtime) == d.NOTHING


def test_a_tax_record_for_a_unit_not_in_the_register_is_refused_with_record_unit_unknown(client, runtime, tax):
    response = d.push(client, d.TAX_PATH, tax, d.tax_record(unit_code="640221001001GB00099F00010001"))
    refused(response, 422, "record.unit_unknown", runtime)


def test_a_contract_for_a_unit_not_in_the_register_is_refused_with_record_unit_unknown(client, runtime, housing):
    response = d.push(client, d.CONTRACT_PATH, housing, d.filed_contract(unit_code="640221001001GB00099F00010001"))
    refused(response, 422, "record.unit_unknown", runtime)


def test_a_malformed_taxpayer_id_number_is_refused_naming_the_position_only(client, runtime, tax):
    taxpayers = d.parties(d.BUYERS)
    taxpayers[1]["id_number"] = d.BUYERS[1].id_number[:-1] + "1"  # wrong check digit
    problem = refused(d.push(client, d.TAX_PATH, tax, d.tax_record(taxpayers=taxpayers)), 422,
                      "record.id_number_invalid", runtime)
    assert "taxpayers[1].id_number" in problem["detail"]
    assert taxpayers[1]["id_number"] not in json.dumps(problem, ensure_ascii=False)


def test_a_malformed_buyer_id_number_is_refused(client, runtime, housing):
    buyers = d.parties(d.SELLERS)
    buyers[0]["id_number"] = "64022119850315"
    problem = refused(d.push(client, d.CONTRACT_PATH, housing, d.filed_contract(buyers=buyers)), 422,
                      "record.id_number_invalid", runtime)
    assert "buyers[0].id_number" in problem["detail"]


@pytest.mark.parametrize(("change", "field"), [
    ({"status": "UNPAID"}, "status"),
    ({"tax_amount": "12,000"}, "tax_amount"),
    ({"tax_amount": 18000}, "tax_amount"),
    ({"decided_on": "2026-02-30"}, "decided_on"),
    ({"taxpayers": []}, "taxpayers"),
    ({"record_no": ""}, "record_no"),
    ({"unit_code": "6402210010"}, "unit_code"),
    ({"surprise": "x"}, "surprise"),
])
def test_a_bad_tax_record_field_is_refused_with_record_invalid_naming_it(client, runtime, tax, change, field):
    problem = refused(d.push(client, d.TAX_PATH, tax, d.tax_record(**change)), 422, "record.invalid", runtime)
    assert problem["detail"].startswith(field)


@pytest.mark.parametrize("missing", ["record_no", "status", "unit_code", "sale_contract_no", "taxpayers",
                                     "tax_amount", "decided_on"])
def test_a_tax_record_missing_a_field_is_refused_with_record_invalid(client, runtime, tax, missing):
    body = d.tax_record()
    del body[missing]
    problem = refused(d.push(client, d.TAX_PATH, tax, body), 422, "record.invalid", runtime)
    assert problem["detail"].startswith(missing)


@pytest.mark.parametrize(("change", "field"), [
    ({"status": "SIGNED"}, "status"),
    ({"price": "0"}, "price"),
    ({"filed_on": "20261120"}, "filed_on"),
    ({"buyers": [{"name": "某", "id_type": "RESIDENT_ID"}]}, "buyers[0].id_number"),
    ({"buyers": [{"name": "某", "id_type": "ALIEN", "id_number": "X1"}]}, "buyers[0].id_type"),
])
def test_a_bad_contract_field_is_refused_with_record_invalid_naming_it(client, runtime, housing, change, field):
    problem = refused(d.push(client, d.CONTRACT_PATH, housing, d.filed_contract(**change)), 422,
                      "record.invalid", runtime)
    assert problem["detail"].startswith(field)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", "{}".encode("utf-16")])
def test_a_body_that_is_no_json_object_is_refused_with_record_invalid(client, runtime, tax, body):
    refused(d.push(client, d.TAX_PATH, tax, body), 422, "record.invalid", runtime)


def test_neither_a_refusal_nor_a_stored_record_writes_a_name_or_an_id_number_to_the_log(client, runtime, tax,
                                                                                        caplog):
    caplog.set_level("DEBUG")
    taxpayers = d.parties(d.BUYERS)
    taxpayers[0]["id_number"] = d.BUYERS[0].id_number[:-1] + "0"
    d.push(client, d.TAX_PATH, tax, d.tax_record(taxpayers=taxpayers))
    d.push(client, d.TAX_PATH, tax, d.tax_record())
    d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="1.00"))
    logged = caplog.text
    assert "record.id_number_invalid" in logged or "422" in logged
    assert not any(p.name in logged or p.id_number[:-1] in logged for p in d.BUYERS)
