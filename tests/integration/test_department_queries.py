"""The purpose-bound query ports: what each purpose returns, the signed answer, the record in the query log
and the audit trail ("who looked at my file"), the rate limit, and every refusal with its own code and
nothing stored."""
from __future__ import annotations

import hashlib
import logging

import pytest
from sqlalchemy import select

from gateway.departments.models import DepartmentQuery
from gateway.departments.purposes import PURPOSES, paths_of
from gateway.persistence.db import transaction
from gateway.protection import blind_index
from tests.conftest import ADMIN_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.support import factories
from tests.support.department_queries import (
    APPLICANT, CHILDREN, EXTRACT, FAMILY, SECOND_FLAT, SHOP, SPOUSE, UNKNOWN_UNIT, Department, add_departments,
    add_register, ask, extract, family, member, stored, verified,
)

ROLE_OF = {code: purpose.role for code, purpose in PURPOSES.items()}


@pytest.fixture
def departments(runtime, pki) -> dict[str, Department]:
    found = add_departments(runtime, pki)
    add_register(runtime)
    return found


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    return problem


# --- answers ------------------------------------------------------------------------------------

def test_the_tax_bureau_gets_the_familys_homes_for_deed_tax_relief(runtime, client, departments):
    answer = verified(runtime, ask(client, departments["tax_bureau"], FAMILY, family("DEED_TAX_RELIEF")))
    assert answer["purpose"] == "DEED_TAX_RELIEF" and answer["case_reference"] == "QS-2026-0001"
    assert answer["department"] == factories.TAX_BUREAU_CODE and answer["query"] == "family-housing"
    assert answer["answered_at"].endswith("Z") and answer["query_id"].startswith("DQ-")
    units = {unit["unit_code"]: unit for unit in answer["result"]["units"]}
    assert answer["result"]["unit_count"] == 2 and set(units) == {factories.UNIT_CODE, SECOND_FLAT}
    assert units[factories.UNIT_CODE]["owners"] == [{"position": 1, "role": "APPLICANT", "share": "1/2"},
                                                    {"position": 2, "role": "SPOUSE", "share": "1/2"}]
    assert units[SECOND_FLAT]["location"].startswith("平罗县")
    assert stored(runtime) == (1, 1)


def test_a_non_residential_unit_is_never_in_a_family_housing_answer(runtime, client, departments):
    answer = verified(runtime, ask(client, departments["tax_bureau"], FAMILY,
                                   family("DEED_TAX_RELIEF", member("APPLICANT", APPLICANT.id_number))))
    assert SHOP not in {unit["unit_code"] for unit in answer["result"]["units"]}
    assert answer["result"]["unit_count"] == 2


def test_a_family_owning_nothing_gets_no_units_and_the_look_is_still_recorded(runtime, client, departments):
    members = (member("APPLICANT", CHILDREN[0]), member("CHILD", CHILDREN[1]))
    answer = verified(runtime, ask(client, departments["housing_bureau"], FAMILY,
                                   family("FIRST_HOME_LOAN_CHECK", *members)))
    assert answer["result"] == {"unit_count": 0, "units": []}
    assert stored(runtime) == (1, 1)


@pytest.mark.parametrize("purpose", sorted(code for code, p in PURPOSES.items() if p.query == "family-housing"))
def test_each_family_housing_purpose_returns_exactly_its_fields(runtime, client, departments, purpose):
    answer = verified(runtime, ask(client, departments[ROLE_OF[purpose]], FAMILY, family(purpose)))
    assert paths_of(answer["result"]) == PURPOSES[purpose].field_set
    assert answer["fields"] == list(PURPOSES[purpose].fields)


@pytest.mark.parametrize("purpose", sorted(code for code, p in PURPOSES.items() if p.query == "unit-extract"))
def test_each_unit_extract_purpose_returns_exactly_its_fields(runtime, client, departments, purpose):
    answer = verified(runtime, ask(client, departments[ROLE_OF[purpose]], EXTRACT, extract(purpose)))
    assert paths_of(answer["result"]) == PURPOSES[purpose].field_set
    assert answer["fields"] == list(PURPOSES[purpose].fields)


def test_the_transfer_tax_check_sees_the_owners_but_no_mortgage_or_encumbrance(runtime, client, departments):
    answer = verified(runtime, ask(client, departments["tax_bureau"], EXTRACT, extract("TRANSFER_TAX_CHECK")))
    result = answer["result"]
    assert set(result) == {"unit", "owners"}
    assert [owner["id_number"] for owner in result["owners"]] == [APPLICANT.id_number, SPOUSE.id_number]


def test_the_fund_centre_sees_the_collaterals_mortgages_and_encumbrances(runtime, client, departments):
    answer = verified(runtime, ask(client, departments["fund_centre"], EXTRACT, extract("FUND_LOAN_COLLATERAL")))
    result = answer["result"]
    assert [m["priority"] for m in result["mortgages"]] == [1] and result["mortgages"][0]["secured_amount"] == "500000.00"
    assert [s["reference"] for s in result["seizures"]] == ["(2026)宁0221执保1号"]
    assert [o["reference"] for o in result["objections"]] == ["异议2026-01"]
    assert [p["reference"] for p in result["pre_notices"]] == ["预告2026-01"]


def test_an_answered_query_is_in_the_query_log_with_what_was_returned(runtime, client, departments):
    response = ask(client, departments["tax_bureau"], FAMILY, family("DEED_TAX_RELIEF"))
    answer = verified(runtime, response)
    with transaction(runtime.sessions) as session:
        row = session.scalar(select(DepartmentQuery))
        assert row.query_id == answer["query_id"] and row.purpose == "DEED_TAX_RELIEF"
        assert row.case_reference == "QS-2026-0001" and row.kind == "family-housing"
        assert row.answer_sha256 == hashlib.sha256(response.content).hexdigest()
        assert row.person_indexes == sorted({blind_index(APPLICANT.id_number), blind_index(SPOUSE.id_number)})
        assert row.returned == {"unit_codes": sorted([factories.UNIT_CODE, SECOND_FLAT]),
                                "fields": list(PURPOSES["DEED_TAX_RELIEF"].fields)}


def test_who_looked_at_my_file_lists_the_query_by_unit_code_and_by_id_number(runtime, client, departments):
    answer = verified(runtime, ask(client, departments["tax_bureau"], FAMILY, family("DEED_TAX_RELIEF")))
    supervisor = staff_headers(client, "supervisor", ADMIN_PASSWORD)
    for query in ({"unit_code": SECOND_FLAT}, {"id_number": SPOUSE.id_number}):
        listed = client.post("/v1/supervision/accesses", json=query, headers=supervisor)
        assert listed.status_code == 200, listed.text
        rows = [row for row in listed.json()["accesses"] if row["action"] == "department.query"]
        assert len(rows) == 1, listed.json()
        row = rows[0]
        assert row["actor"] == factories.TAX_BUREAU_CODE and row["actor_role"] == "department"
        assert row["purpose"] == "DEED_TAX_RELIEF / QS-2026-0001" and row["subject"] == answer["query_id"]
        assert factories.UNIT_CODE in row["what"] and SECOND_FLAT in row["what"] and "units[].location" in row["what"]
        assert SPOUSE.id_number not in listed.text and SPOUSE.name not in listed.text


def test_a_unit_extract_is_listed_under_the_owners_it_showed(runtime, client, departments):
    verified(runtime, ask(client, departments["housing_bureau"], EXTRACT, extract("SALE_CONTRACT_FILING")))
    supervisor = staff_headers(client, "supervisor", ADMIN_PASSWORD)
    listed = client.post("/v1/supervision/accesses", json={"id_number": APPLICANT.id_number}, headers=supervisor)
    rows = [row for row in listed.json()["accesses"] if row["action"] == "department.query"]
    assert [row["actor"] for row in rows] == [factories.HOUSING_BUREAU_CODE]
    assert rows[0]["purpose"] == "SALE_CONTRACT_FILING / QS-2026-0002"


def test_a_department_may_name_itself_in_the_body(runtime, client, departments):
    body = family("DEED_TAX_RELIEF", department=factories.TAX_BUREAU_CODE)
    assert verified(runtime, ask(client, departments["tax_bureau"], FAMILY, body))["department"] == factories.TAX_BUREAU_CODE


# --- refusals: each code, nothing stored ---------------------------------------------------------

def test_a_query_without_a_purpose_is_refused(runtime, client, departments):
    body = family()
    del body["purpose"]
    refused(ask(client, departments["tax_bureau"], FAMILY, body), 422, "query.purpose_missing")
    assert stored(runtime) == (0, 0)


def test_a_query_with_an_unknown_purpose_is_refused(runtime, client, departments):
    refused(ask(client, departments["tax_bureau"], FAMILY, family("CURIOSITY")), 422, "query.purpose_unknown")
    assert stored(runtime) == (0, 0)


def test_a_purpose_the_department_is_not_allowed_is_refused(runtime, client, departments):
    refused(ask(client, departments["tax_bureau"], FAMILY, family("FUND_LOAN_ELIGIBILITY")), 403,
            "query.purpose_not_allowed")
    assert stored(runtime) == (0, 0)


def test_a_purpose_of_the_other_query_is_refused(runtime, client, departments):
    problem = refused(ask(client, departments["tax_bureau"], FAMILY, family("TRANSFER_TAX_CHECK")), 422,
                      "query.purpose_not_for_query")
    assert problem["query"] == "unit-extract"
    assert stored(runtime) == (0, 0)


@pytest.mark.parametrize("case_reference", [None, "", "   ", "x" * 65])
def test_a_query_without_a_case_reference_is_refused(runtime, client, departments, case_reference):
    body = family()
    if case_reference is None:
        del body["case_reference"]
    else:
        body["case_reference"] = case_reference
    refused(ask(client, departments["tax_bureau"], FAMILY, body), 422, "query.case_reference_missing")
    assert stored(runtime) == (0, 0)


def test_more_children_than_the_rule_allows_are_refused(runtime, client, departments):
    members = [member("APPLICANT", APPLICANT.id_number), *(member("CHILD", number) for number in CHILDREN)]
    problem = refused(ask(client, departments["tax_bureau"], FAMILY, family("DEED_TAX_RELIEF", *members)), 422,
                      "query.too_many_members")
    assert problem["max_children"] == 4
    assert stored(runtime) == (0, 0)


@pytest.mark.parametrize("role", ["APPLICANT", "SPOUSE"])
def test_a_second_applicant_or_spouse_is_refused(runtime, client, departments, role):
    members = (member("APPLICANT", APPLICANT.id_number), member("SPOUSE", SPOUSE.id_number), member(role, CHILDREN[0]))
    refused(ask(client, departments["tax_bureau"], FAMILY, family("DEED_TAX_RELIEF", *members)), 422,
            "query.too_many_members")
    assert stored(runtime) == (0, 0)


@pytest.mark.parametrize("members", [
    [],
    [{"role": "COUSIN", "id_type": "RESIDENT_ID", "id_number": APPLICANT.id_number}],
    [{"role": "SPOUSE", "id_type": "RESIDENT_ID", "id_number": SPOUSE.id_number}],
    [{"role": "APPLICANT", "id_type": "USCC", "id_number": factories.BANK_CODE}],
    [{"role": "APPLICANT", "id_number": APPLICANT.id_number, "name": "王建国"}],
    [{"role": "APPLICANT", "id_number": APPLICANT.id_number}, {"role": "CHILD", "id_number": APPLICANT.id_number}],
    "not a list",
], ids=["none", "unknown-role", "no-applicant", "organisation", "extra-field", "same-number-twice", "not-a-list"])
def test_a_malformed_member_is_refused(runtime, client, departments, members):
    body = family()
    body["members"] = members
    response = ask(client, departments["tax_bureau"], FAMILY, body)
    refused(response, 422, "query.member_invalid")
    assert APPLICANT.id_number not in response.text and "王建国" not in response.text
    assert stored(runtime) == (0, 0)


@pytest.mark.parametrize("id_number", ["640221198707220023", "64022119870722002", "640221198702300026", ""],
                         ids=["check-digit", "too-short", "no-such-birth-date", "empty"])
def test_a_malformed_id_number_is_refused_naming_the_member_by_position(runtime, client, departments, id_number,
                                                                          caplog):
    members = (member("APPLICANT", APPLICANT.id_number), member("SPOUSE", id_number))
    with caplog.at_level(logging.INFO):
        response = ask(client, departments["tax_bureau"], FAMILY, family("DEED_TAX_RELIEF", *members))
    problem = refused(response, 422, "query.id_number_invalid")
    assert problem["member"] == 2 and "member 2" in problem["detail"]
    if id_number:
        assert id_number not in response.text and id_number not in caplog.text
    assert "query.id_number_invalid" in caplog.text  # a refused query is logged with its code
    assert stored(runtime) == (0, 0)


@pytest.mark.parametrize("unit_code", ["640221001001GB00012F0001000", "640221001001gb00012F00010001", None])
def test_a_malformed_unit_code_is_refused(runtime, client, departments, unit_code):
    refused(ask(client, departments["tax_bureau"], EXTRACT, extract(unit_code=unit_code)), 422,
            "query.unit_code_invalid")
    assert stored(runtime) == (0, 0)


def test_a_unit_not_in_the_register_is_refused(runtime, client, departments):
    refused(ask(client, departments["tax_bureau"], EXTRACT, extract(unit_code=UNKNOWN_UNIT)), 404,
            "query.unit_not_found")
    assert stored(runtime) == (0, 0)


def test_a_bank_is_refused_the_query_ports(runtime, client, departments, bank_auth):
    for path, body in ((FAMILY, family()), (EXTRACT, extract())):
        refused(client.post(path, json=body, auth=bank_auth), 403, "department.not_a_department")
    assert stored(runtime) == (0, 0)


def test_a_department_signing_as_another_is_refused(runtime, client, departments):
    body = family("DEED_TAX_RELIEF", department=factories.HOUSING_BUREAU_CODE)
    refused(ask(client, departments["tax_bureau"], FAMILY, body), 403, "department.signer_mismatch")
    refused(ask(client, departments["tax_bureau"], EXTRACT, extract(department=factories.FUND_CENTRE_CODE)), 403,
            "department.signer_mismatch")
    assert stored(runtime) == (0, 0)


def test_an_unsigned_query_is_refused(runtime, client, departments):
    response = client.post(FAMILY, json=family())
    assert response.status_code == 401
    assert stored(runtime) == (0, 0)


def test_a_body_that_is_not_a_json_object_is_refused(runtime, client, departments):
    response = client.post(FAMILY, content=b"[1, 2]", headers={"Content-Type": "application/json"},
                           auth=departments["tax_bureau"].auth)
    refused(response, 422, "request.invalid")
    assert stored(runtime) == (0, 0)


# --- the rate limit ---------------------------------------------------------------------------------

@pytest.fixture
def limited(tmp_path, pki):
    runtime = start_runtime(make_settings(tmp_path / "limited", pki, department_queries_per_minute=2))
    seed(runtime, pki)
    found = add_departments(runtime, pki)
    add_register(runtime)
    from fastapi.testclient import TestClient

    from gateway.api.app import create_app

    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        yield runtime, client, found
    runtime.close()


def test_a_department_over_its_queries_per_minute_is_refused_with_retry_after(limited):
    runtime, client, departments = limited
    for _ in range(2):
        verified(runtime, ask(client, departments["tax_bureau"], FAMILY, family()))
    response = ask(client, departments["tax_bureau"], FAMILY, family())
    problem = refused(response, 429, "query.rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60 and problem["limit"] == 2
    assert stored(runtime) == (2, 2)


def test_the_rate_limit_counts_each_department_on_its_own(limited):
    runtime, client, departments = limited
    for _ in range(2):
        verified(runtime, ask(client, departments["tax_bureau"], FAMILY, family()))
    verified(runtime, ask(client, departments["fund_centre"], FAMILY, family("FUND_LOAN_ELIGIBILITY")))
    assert stored(runtime) == (3, 3)
