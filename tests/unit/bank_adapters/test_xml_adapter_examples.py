"""The examples published for banks are valid, consistent, and use well-formed demo codes."""
import hashlib
from importlib import resources

import pytest
from lxml import etree

EXAMPLE_DOCUMENTS = ["mortgage-first-request.xml", "mortgage-first-template.xml"]
DS = "http://www.w3.org/2000/09/xmldsig#"
ALGORITHMS = {
    "c14n": "http://www.w3.org/2001/10/xml-exc-c14n#",
    "signature": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "enveloped": "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "digest": "http://www.w3.org/2001/04/xmlenc#sha256",
}


@pytest.mark.parametrize("name", EXAMPLE_DOCUMENTS)
def test_every_example_document_validates_against_the_schema(adapter, parse_example, name):
    assert adapter.validate(parse_example(name)) is None


def test_the_examples_directory_holds_no_unlisted_xml_document(examples_dir):
    assert sorted(path.name for path in examples_dir.glob("*.xml")) == sorted(EXAMPLE_DOCUMENTS)


@pytest.mark.parametrize("name", EXAMPLE_DOCUMENTS)
def test_every_material_hash_in_the_examples_matches_its_file(adapter, parse_example, examples_dir, name):
    materials = adapter.to_canonical(parse_example(name)).materials

    assert materials
    for material in materials:
        content = (examples_dir / "materials" / material.file_name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == material.sha256, material.file_name


def test_the_published_schema_is_identical_to_the_packaged_one(examples_dir):
    packaged = resources.files("bank_adapters.schemas").joinpath("mortgage-application-v1.xsd").read_bytes()
    published = (examples_dir.parent / "schemas" / "mortgage-application-v1.xsd").read_bytes()

    assert published == packaged


def test_the_template_ends_with_one_signature_skeleton_over_the_whole_document(template_root, at):
    signature = template_root[-1]

    assert signature.tag == f"{{{DS}}}Signature"
    assert len(template_root.findall(f"{{{DS}}}Signature")) == 1
    assert [reference.get("URI") for reference in signature.iter(f"{{{DS}}}Reference")] == [""]


def test_the_template_names_the_profile_algorithms(template_root, at):
    transforms = [t.get("Algorithm") for t in template_root.iter(f"{{{DS}}}Transform")]

    assert at(template_root, "ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod").get("Algorithm") == ALGORITHMS["c14n"]
    assert at(template_root, "ds:Signature/ds:SignedInfo/ds:SignatureMethod").get("Algorithm") == ALGORITHMS["signature"]
    assert transforms == [ALGORITHMS["enveloped"], ALGORITHMS["c14n"]]
    assert at(template_root, ".//ds:Reference/ds:DigestMethod").get("Algorithm") == ALGORITHMS["digest"]
    assert at(template_root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate") is not None


def test_the_template_is_the_request_plus_the_signature(adapter, request_root, template_root):
    assert adapter.to_canonical(template_root) == adapter.to_canonical(request_root)


def test_the_demo_credit_code_has_a_valid_check_character(adapter, request_root):
    code = adapter.to_canonical(request_root).mortgagee.code

    assert _uscc_check_character(code[:17]) == code[17]
    assert _organisation_code_check_character(code[8:16]) == code[16]


def test_the_demo_id_numbers_have_valid_check_digits_and_the_pingluo_region(adapter, request_root):
    app = adapter.to_canonical(request_root)

    for party in (*app.mortgagors, app.debtor):
        assert party.id_number.startswith("640221")
        assert _resident_id_check_character(party.id_number[:17]) == party.id_number[17]


def test_the_demo_unit_code_is_in_pingluo_county(adapter, request_root):
    assert adapter.to_canonical(request_root).unit_code.startswith("640221")


def _uscc_check_character(first17: str) -> str:
    """GB 32100: weighted sum modulo 31 over the code's own alphabet."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [3**i % 31 for i in range(17)]
    total = sum(alphabet.index(char) * weight for char, weight in zip(first17, weights))
    return alphabet[(31 - total % 31) % 31]


def _organisation_code_check_character(body8: str) -> str:
    """GB 11714: the check character of the 9-character organisation code inside a USCC."""
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(char, 36) * weight for char, weight in zip(body8, weights))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _resident_id_check_character(first17: str) -> str:
    """GB 11643: ISO 7064 MOD 11-2."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first17))
    return "10X98765432"[total % 11]


@pytest.mark.parametrize("name", EXAMPLE_DOCUMENTS)
def test_the_schema_also_validates_the_examples_with_libxml2_as_bank_tools_would(examples_dir, name):
    # Banks validate with their own tools (xmllint, Java); libxml2 stands in for them here.
    schema = etree.XMLSchema(etree.parse(str(examples_dir.parent / "schemas" / "mortgage-application-v1.xsd")))

    assert schema.validate(etree.parse(str(examples_dir / name))), schema.error_log
