"""The JSON Schema of the JSON channel is the canonical model and the XSD, field by field, and the
output schema is the output XSD mapped by the documented rules."""
from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path

import pytest
from lxml import etree

from bank_adapters import canonical, xml_v1_schema
from bank_adapters.json_v1 import JsonApplicationAdapter, schema, schema_text
from bank_adapters.xml_v1 import XmlApplicationAdapter
from gateway import outputs
from tests.support import factories

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "interface" / "schemas"
NS = {"m": xml_v1_schema.NAMESPACE}

# JSON member (dotted; [] = each item) → the XSD element it carries, under MortgageApplication.
XSD_OF = {
    "request_id": "RequestId", "created_at": "CreatedAt", "registration_type": "RegistrationType",
    "mortgagee.code": "Mortgagee/Code", "mortgagee.name": "Mortgagee/Name",
    "mortgagors": "Mortgagors/Party",
    "mortgagors[].name": "Mortgagors/Party/Name", "mortgagors[].id_type": "Mortgagors/Party/IdType",
    "mortgagors[].id_number": "Mortgagors/Party/IdNumber",
    "debtor.name": "Debtor/Party/Name", "debtor.id_type": "Debtor/Party/IdType", "debtor.id_number": "Debtor/Party/IdNumber",
    "unit_code": "Property/UnitCode", "secured_amount": "SecuredClaim",
    "debt_start": "DebtPeriod/Start", "debt_end": "DebtPeriod/End",
    "loan_contract_no": "LoanContractNo", "mortgage_contract_no": "MortgageContractNo",
    "maximum_claim_amount": "MaximumClaim", "claim_period_start": "ClaimPeriod/Start", "claim_period_end": "ClaimPeriod/End",
    "referenced_certificate_no": "ReferencedCertificateNo",
    "changes": "Changes/Change", "changes[].field": "Changes/Change/Field", "changes[].new_value": "Changes/Change/NewValue",
    "transferee.code": "Transferee/Code", "transferee.name": "Transferee/Name",
    "discharge_reason": "DischargeReason", "construction_permit_no": "ConstructionPermitNo",
    "special_circumstances": "SpecialCircumstances/Circumstance",
    "link.group_id": "Link/GroupId", "link.position": "Link/Position", "link.size": "Link/Size",
    "sellers": "Sellers/Seller", "sellers[].name": "Sellers/Seller/Name", "sellers[].id_type": "Sellers/Seller/IdType",
    "sellers[].id_number": "Sellers/Seller/IdNumber",
    "buyers": "Buyers/Buyer", "buyers[].name": "Buyers/Buyer/Name", "buyers[].id_type": "Buyers/Buyer/IdType",
    "buyers[].id_number": "Buyers/Buyer/IdNumber",
    "sale_contract_no": "SaleContractNo", "sale_price": "SalePrice",
    "materials": "Materials/Material", "materials[].type_code": "Materials/Material/TypeCode",
    "materials[].file_name": "Materials/Material/FileName", "materials[].sha256": "Materials/Material/Sha256",
}


def resolve(node: dict) -> dict:
    while "$ref" in node:
        node = {**schema()["$defs"][node["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def json_node(dotted: str) -> dict:
    node = resolve(schema())
    for part in dotted.split("."):
        name, each = part.removesuffix("[]"), part.endswith("[]")
        node = resolve(node["properties"][name])
        if each:
            node = resolve(node["items"])
    return node


def xsd_element(path: str):
    element = xml_v1_schema._schema().find("m:MortgageApplication/" + "/".join(f"m:{p}" for p in path.split("/")),
                                          namespaces=NS)
    assert element is not None, path
    return element


def xsd_simple_type(element):
    return element.type.content if element.type.has_simple_content() and not element.type.is_simple() else element.type


def xsd_patterns(simple_type) -> set[str]:
    found, current = set(), simple_type
    while current is not None and hasattr(current, "patterns"):
        if current.patterns is not None:
            found.update(current.patterns.regexps)
        current = current.base_type
    return found


def json_patterns(node: dict) -> set[str]:
    found = {node["pattern"]} if "pattern" in node else set()
    for part in node.get("allOf", ()):
        found |= json_patterns(part)
    # Anchors are implicit in XSD; the CJK block escape is spelled as its range in ECMA-262.
    return {p.removeprefix("^").removesuffix("$").replace(r"\u4e00-\u9fff", r"\p{IsCJKUnifiedIdeographs}")
            for p in found}


def test_the_published_json_schema_is_the_one_the_gateway_ships():
    assert (SCHEMAS / "mortgage-application-v1.schema.json").read_text(encoding="utf-8") == schema_text()
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _field_names(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize(("dotted", "cls"), [
    ("", canonical.CanonicalApplication), ("mortgagee", canonical.Mortgagee), ("mortgagors[]", canonical.Party),
    ("debtor", canonical.Party), ("transferee", canonical.Mortgagee), ("materials[]", canonical.MaterialRef),
    ("changes[]", canonical.ChangeItem), ("link", canonical.LinkRef),
    ("sellers[]", canonical.Party), ("buyers[]", canonical.Party),
])
def test_the_json_members_are_the_canonical_fields(dotted, cls):
    node = json_node(dotted) if dotted else resolve(schema())
    members = set(node["properties"]) - {"version"}
    assert members == _field_names(cls)
    assert node["additionalProperties"] is False


def test_every_leaf_member_is_mapped_to_an_xsd_element_and_every_xsd_element_to_a_member():
    leaves = set()

    def walk(node, prefix):
        node = resolve(node)
        for name, child in node.get("properties", {}).items():
            child = resolve(child)
            path = f"{prefix}{name}"
            if child.get("type") == "array":
                item = resolve(child["items"])
                if "properties" in item:
                    leaves.add(path)
                    walk(item, f"{path}[].")
                else:
                    leaves.add(path)
            elif "properties" in child:
                walk(child, f"{path}.")
            elif name not in ("version", "currency"):
                leaves.add(path)

    walk(schema(), "")
    assert leaves == set(XSD_OF)
    from xmlschema import validators as xsd

    xsd_leaves = set()

    def walk_xsd(element, prefix):
        for child in element.type.content.iter_elements():
            if not isinstance(child, xsd.XsdElement):
                continue  # the optional ds:Signature
            path = f"{prefix}{child.local_name}"
            if child.type.is_simple() or child.type.has_simple_content():
                xsd_leaves.add(path)
            else:
                walk_xsd(child, f"{path}/")

    walk_xsd(xml_v1_schema._schema().elements["MortgageApplication"], "")
    assert xsd_leaves == {p for p in XSD_OF.values() if not p.endswith(("/Party", "/Change", "/Material", "/Seller", "/Buyer"))}


def raw_node(dotted: str) -> dict:
    """The member's own schema (an array stays an array)."""
    node = resolve(schema())
    parts = dotted.split(".")
    for index, part in enumerate(parts):
        node = resolve(node["properties"][part.removesuffix("[]")])
        if part.endswith("[]") and index < len(parts) - 1:
            node = resolve(node["items"])
    return node


@pytest.mark.parametrize("dotted", sorted(XSD_OF))
def test_each_member_has_the_xsd_elements_codes_lengths_patterns_and_occurrences(dotted):
    xsd_path = XSD_OF[dotted]
    element = xsd_element(xsd_path)
    node = raw_node(dotted)
    # Occurrences: a repeatable element is an array with the same bounds.
    if element.max_occurs != 1:
        assert node["type"] == "array"
        assert (node["minItems"], node["maxItems"]) == (element.min_occurs, element.max_occurs)
        node = resolve(node["items"])
        if "properties" in node:
            return  # an array of objects: its members are checked one by one
    else:
        assert node.get("type") != "array"
    # Required: a top-level member is required when every element on its XSD path is; a nested one
    # when its own element is (its parent object being optional or not on its own).
    name = dotted.rsplit(".", 1)[-1]
    if "." in dotted:
        parent = raw_node(dotted.rsplit(".", 1)[0])
        parent = resolve(parent["items"]) if parent.get("type") == "array" else parent
        expected = element.min_occurs > 0
    else:
        parent = resolve(schema())
        steps = xsd_path.split("/")
        expected = all(xsd_element("/".join(steps[:i + 1])).min_occurs > 0 for i in range(len(steps)))
    assert (name in parent.get("required", [])) == expected, dotted
    # Codes, lengths, patterns, ranges.
    simple = xsd_simple_type(element)
    if simple.enumeration:
        assert node["enum"] == list(simple.enumeration)
        enum_class = next(c for c in vars(canonical).values()
                          if isinstance(c, type) and issubclass(c, enum.Enum) and set(c) == set(simple.enumeration))
        assert [e.value for e in enum_class] == list(simple.enumeration)
        return
    if node.get("type") == "integer":
        assert (node["minimum"], node["maximum"]) == (simple.min_value, simple.max_value)
        return
    assert node.get("maxLength") == getattr(simple, "max_length", None), dotted
    assert json_patterns(node) == xsd_patterns(simple), dotted


def test_every_enum_of_the_canonical_model_is_in_the_schema():
    codes = {tuple(d["enum"]) for d in schema()["$defs"].values() if "enum" in d}
    for value in vars(canonical).values():
        if isinstance(value, type) and issubclass(value, enum.StrEnum) and value is not enum.StrEnum:
            assert tuple(e.value for e in value) in codes, value


@pytest.mark.parametrize("example", sorted((ROOT / "docs" / "interface" / "examples").glob("*-request.xml")),
                         ids=lambda p: p.name)
def test_every_xml_example_reads_the_same_through_json(example):
    root = etree.fromstring(example.read_bytes())
    app = XmlApplicationAdapter().to_canonical(root)
    adapter = JsonApplicationAdapter()
    assert adapter.to_canonical(adapter.from_canonical(app)) == app


def test_the_json_example_request_is_valid_and_matches_the_first_mortgage_example():
    example = ROOT / "docs" / "interface" / "examples" / "mortgage-first-request.json"
    from_json = JsonApplicationAdapter().to_canonical(example.read_bytes())
    from_xml = XmlApplicationAdapter().to_canonical(
        etree.fromstring((ROOT / "docs" / "interface" / "examples" / "mortgage-first-request.xml").read_bytes()))
    assert from_json == from_xml


def test_the_output_schema_is_generated_from_the_output_xsd():
    generated = outputs.output_json_schema(str(SCHEMAS / "gateway-output-v1.xsd"))
    published = json.loads((SCHEMAS / "gateway-output-v1.schema.json").read_text(encoding="utf-8"))
    assert published == generated, ("regenerate: python -m gateway.outputs docs/interface/schemas/gateway-output-v1.xsd "
                                    "> docs/interface/schemas/gateway-output-v1.schema.json")


def test_the_repeatable_elements_of_the_json_form_are_the_xsds():
    repeatable = outputs.repeatable_elements(str(SCHEMAS / "gateway-output-v1.xsd"))
    assert outputs.REPEATABLE == repeatable, "update gateway.outputs.REPEATABLE to the XSD's repeatable elements"


def test_the_json_form_of_a_receipt_follows_the_documented_rules():
    from datetime import date, datetime, timezone
    from decimal import Decimal

    from gateway.applications import documents

    facts = documents.ReceiptFacts(
        application_no="64022120261207000001", request_id="REQ-1", mortgagee_code=factories.BANK_CODE,
        request_sha256="0" * 64, received_at=datetime(2026, 12, 7, 1, 30, tzinfo=timezone.utc), status="QUEUED",
        due_date=date(2026, 12, 14), fee=(Decimal("80.00"), "按件收费"),
        findings=(documents.NoticeFinding("F1", "INFO", "说明", "提示"),))
    element = documents.build_receipt(facts, issued_at=datetime(2026, 12, 7, 1, 30, tzinfo=timezone.utc))
    form = outputs.to_json_form(element)
    assert form["document"] == "Receipt" and form["version"] == "1"
    assert form["application_no"] == "64022120261207000001"
    assert form["due_date"] == {"value": "2026-12-14", "provisional": "false"}
    assert form["fee"]["value"] == "80.00" and form["fee"]["currency"] == "CNY"
    assert isinstance(form["findings"]["finding"], list) and form["findings"]["finding"][0]["code"] == "F1"
    import jsonschema_rs

    validator = jsonschema_rs.Draft202012Validator(
        json.loads((SCHEMAS / "gateway-output-v1.schema.json").read_text(encoding="utf-8")))
    assert validator.is_valid(form), [e.message for e in validator.iter_errors(form)]


def test_snake_case_names():
    assert [outputs.snake_case(n) for n in ("ApplicationNo", "RequestSha256", "CertificateNo", "PdfSha256", "IssuedAt")] \
        == ["application_no", "request_sha256", "certificate_no", "pdf_sha256", "issued_at"]

