"""The unified materials list: stable codes, one list per type, published as JSON and Markdown."""
from __future__ import annotations

import json
import re

from bank_adapters.canonical import RegistrationType
from gateway.catalogue.materials import (
    CATALOGUE,
    MATERIALS,
    Holding,
    Need,
    catalogue_json,
    catalogue_markdown,
    requirements_for,
)

T = RegistrationType


def _entry(registration_type, code):
    return next(r for r in requirements_for(registration_type) if r.code == code)


def test_every_registration_type_has_a_list():
    assert set(CATALOGUE) == set(T)


def test_material_codes_fit_the_type_code_of_a_submitted_material():
    assert all(re.fullmatch(r"[A-Z0-9_]{1,32}", code) for code in MATERIALS)


def test_every_listed_material_is_defined_and_listed_once_per_type():
    for requirements in CATALOGUE.values():
        codes = [r.code for r in requirements]
        assert len(codes) == len(set(codes)) and set(codes) <= set(MATERIALS)


def test_conditional_materials_carry_a_condition_and_only_they_do():
    for requirements in CATALOGUE.values():
        assert all((r.need is Need.CONDITIONAL) == (r.condition is not None) for r in requirements)


def test_a_first_mortgage_requires_both_contracts():
    assert _entry(T.MORTGAGE_FIRST, "MORTGAGE_CONTRACT").need is Need.REQUIRED
    assert _entry(T.MORTGAGE_FIRST, "LOAN_CONTRACT").need is Need.REQUIRED


def test_the_title_certificate_is_always_held_because_it_is_in_the_register():
    assert _entry(T.MORTGAGE_FIRST, "TITLE_CERTIFICATE").held is Holding.ALWAYS


def test_the_certificate_being_discharged_is_always_held():
    assert _entry(T.MORTGAGE_DISCHARGE, "MORTGAGE_CERTIFICATE").held is Holding.ALWAYS
    assert _entry(T.PRE_NOTICE_CONVERSION, "PRE_NOTICE_MORTGAGE_CERTIFICATE").held is Holding.ALWAYS


def test_identity_documents_are_held_if_an_earlier_application_supplied_them():
    assert _entry(T.MORTGAGE_FIRST, "ID_DOCUMENT").held is Holding.IF_ON_FILE


def test_later_mortgagee_consent_is_required_only_when_a_change_harms_them():
    entry = _entry(T.MORTGAGE_CHANGE, "LATER_MORTGAGEE_CONSENT")
    assert entry.need is Need.CONDITIONAL and entry.condition == "CHANGE_HARMS_LATER_MORTGAGEES"


def test_a_court_document_is_required_only_for_discharge_by_court_ruling():
    assert _entry(T.MORTGAGE_DISCHARGE, "COURT_DOCUMENT").condition == "DISCHARGE_BY_COURT"


def test_a_construction_mortgage_requires_the_planning_permit_and_takes_the_land_certificate_from_file():
    assert _entry(T.CONSTRUCTION_MORTGAGE, "CONSTRUCTION_PERMIT").need is Need.REQUIRED
    assert _entry(T.CONSTRUCTION_MORTGAGE, "LAND_USE_CERTIFICATE").held is Holding.ALWAYS


def test_the_json_is_plain_data_with_every_type_and_chinese_names():
    document = json.loads(json.dumps(catalogue_json(), ensure_ascii=False))
    assert [t["registration_type"] for t in document["types"]] == [t.value for t in T]
    first = document["types"][0]
    assert first["name_zh"] == "抵押权首次登记（一般抵押）"
    assert {"code": "LOAN_CONTRACT", "name_zh": "主债权合同", "need": "REQUIRED", "condition": None,
            "condition_zh": None, "held": "NO", "note_zh": None} in first["materials"]


def test_the_markdown_has_a_section_and_a_row_for_every_listed_material():
    document = catalogue_markdown()
    for registration_type, requirements in CATALOGUE.items():
        assert f"(`{registration_type.value}`)" in document
        assert all(f"| `{r.code}` |" in document for r in requirements)
