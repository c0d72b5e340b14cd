"""The purposes table (data minimisation): what minimise keeps, and the docs printing the table."""
from __future__ import annotations

from pathlib import Path

from gateway.departments.purposes import (
    FAMILY_HOUSING, PURPOSES, TABLE, UNIT_EXTRACT, default_purposes, minimisation_markdown, minimise, paths_of,
)
from gateway.departments.roles import ROLES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "interface" / "departments.md"
FULL_FAMILY = {"unit_count": 1, "units": [{"unit_code": "U", "location": "L", "in_force_mortgages": 2,
                                            "owners": [{"position": 1, "role": "APPLICANT", "share": "1/2"}]}]}
FULL_EXTRACT = {
    "unit": {"unit_code": "U", "location": "L", "use": "RESIDENTIAL", "state": "TITLED"},
    "owners": [{"name": "N", "id_type": "RESIDENT_ID", "id_number": "I", "share": "1/1"}],
    "mortgages": [{key: "x" for key in ("kind", "priority", "mortgagee_code", "mortgagee_name", "certificate_no",
                                        "secured_amount", "maximum_claim_amount", "debt_start", "debt_end",
                                        "registered_at")}],
    "seizures": [{"reference": "R", "registered_on": "D"}], "objections": [{"reference": "R", "registered_on": "D"}],
    "pre_notices": [{"reference": "R", "registered_on": "D"}],
}


def test_every_purpose_keeps_exactly_its_fields_of_the_full_result():
    for purpose in TABLE:
        full = FULL_FAMILY if purpose.query == FAMILY_HOUSING else FULL_EXTRACT
        assert paths_of(minimise(full, purpose.fields)) == purpose.field_set, purpose.code


def test_every_field_of_the_table_is_one_a_query_produces():
    produced = {FAMILY_HOUSING: paths_of(FULL_FAMILY), UNIT_EXTRACT: paths_of(FULL_EXTRACT)}
    for purpose in TABLE:
        assert purpose.field_set <= produced[purpose.query], purpose.code


def test_a_section_the_purpose_does_not_name_is_left_out_entirely():
    kept = minimise(FULL_EXTRACT, PURPOSES["TRANSFER_TAX_CHECK"].fields)
    assert set(kept) == {"unit", "owners"}


def test_an_empty_list_stays_an_empty_list():
    assert minimise({"unit_count": 0, "units": []}, PURPOSES["FIRST_HOME_LOAN_CHECK"].fields) == \
        {"unit_count": 0, "units": []}


def test_each_role_gets_one_purpose_of_each_query_by_default():
    for role in ROLES:
        assert sorted(PURPOSES[code].query for code in default_purposes(role)) == [FAMILY_HOUSING, UNIT_EXTRACT]
    assert default_purposes(None) == []


def test_the_minimisation_table_in_departments_md_is_the_table_in_the_code():
    text = DOCS.read_text(encoding="utf-8")
    published = text.split("<!-- minimisation:start -->\n")[1].split("<!-- minimisation:end -->")[0]
    assert published == minimisation_markdown()
