"""The schema's code lists and the canonical enums must name the same codes."""
from importlib import resources
from pathlib import Path

from lxml import etree

from bank_adapters import IdType, RegistrationType

XS = {"xs": "http://www.w3.org/2001/XMLSchema"}
REPO_ROOT = Path(__file__).resolve().parents[3]


def _enumeration(type_name: str) -> list[str]:
    xsd = etree.fromstring(
        resources.files("bank_adapters.schemas").joinpath("mortgage-application-v1.xsd").read_bytes()
    )
    return xsd.xpath(f"xs:simpleType[@name='{type_name}']//xs:enumeration/@value", namespaces=XS)


def test_the_schema_registration_types_are_the_canonical_registration_types():
    assert _enumeration("RegistrationTypeCode") == [member.value for member in RegistrationType]


def test_the_schema_id_types_are_the_canonical_id_types():
    assert _enumeration("IdTypeCode") == [member.value for member in IdType]


def test_the_bank_documentation_lists_every_code():
    document = (REPO_ROOT / "docs" / "interface" / "application-format.md").read_text(encoding="utf-8")

    missing = [member.value for member in (*RegistrationType, *IdType) if f"| `{member.value}` |" not in document]

    assert missing == []
