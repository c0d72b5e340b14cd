"""The schema's code lists and the canonical enums must name the same codes, and the bank docs list them."""
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

from bank_adapters import ChangeField, DischargeReason, IdType, RegistrationType, SpecialCircumstance
from tests.unit.bank_adapters.field_requirements import (
    COLUMNS,
    NOT_USED,
    OPTIONAL,
    REQUIRED,
    cells,
    field_requirements,
    matrix_lines,
)

XS = {"xs": "http://www.w3.org/2001/XMLSchema"}
REPO_ROOT = Path(__file__).resolve().parents[3]
CODE_LISTS = {
    "RegistrationTypeCode": RegistrationType,
    "IdTypeCode": IdType,
    "ChangeFieldCode": ChangeField,
    "DischargeReasonCode": DischargeReason,
    "SpecialCircumstanceCode": SpecialCircumstance,
}


def _enumeration(type_name: str) -> list[str]:
    xsd = etree.fromstring(
        resources.files("bank_adapters.schemas").joinpath("mortgage-application-v1.xsd").read_bytes()
    )
    return xsd.xpath(f"xs:simpleType[@name='{type_name}']//xs:enumeration/@value", namespaces=XS)


@pytest.mark.parametrize("type_name", CODE_LISTS)
def test_each_schema_code_list_is_its_canonical_enum_in_the_same_order(type_name):
    assert _enumeration(type_name) == [member.value for member in CODE_LISTS[type_name]]


def test_the_bank_documentation_lists_every_code():
    document = (REPO_ROOT / "docs" / "interface" / "application-format.md").read_text(encoding="utf-8")

    codes = [member.value for code_list in CODE_LISTS.values() for member in code_list]
    missing = [code for code in codes if f"| `{code}` |" not in document]

    assert missing == []


def test_the_field_requirement_matrix_has_a_column_for_every_registration_type_in_order():
    heading = cells(matrix_lines()[0])

    assert heading[1:] == [COLUMNS[member] for member in RegistrationType]


def test_the_field_requirement_matrix_has_a_row_for_every_optional_element_in_schema_order():
    xsd = etree.fromstring(
        resources.files("bank_adapters.schemas").joinpath("mortgage-application-v1.xsd").read_bytes()
    )
    optional = xsd.xpath("xs:element[@name='MortgageApplication']//xs:sequence/xs:element[@minOccurs='0']/@name", namespaces=XS)

    assert [cells(line)[0] for line in matrix_lines()[1:]] == optional


def test_the_field_requirement_matrix_uses_only_its_three_marks():
    marks = {need for needs in field_requirements().values() for need in needs.values()}

    assert marks <= {REQUIRED, OPTIONAL, NOT_USED}
