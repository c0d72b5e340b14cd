"""Each constraint of the v1 schema that matters, refused with the path of the offending element."""
import urllib.request

import pytest
from lxml import etree

from bank_adapters import AdapterError, SchemaInvalid, UnsupportedDocument

NAMESPACE = "urn:pingluo-bdc:mortgage-gateway:v1"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _paths_and_reasons(refused: SchemaInvalid) -> list[tuple[str, str]]:
    return [(violation.path, violation.reason) for violation in refused.violations]


def test_the_example_request_is_valid(adapter, request_root):
    assert adapter.validate(request_root) is None


def test_a_document_without_signature_is_valid_so_the_signature_layer_can_report_it_missing(adapter, request_root):
    assert request_root.find(f"{{{DS}}}Signature") is None
    assert adapter.validate(request_root) is None


def test_a_unit_code_of_the_wrong_shape_is_refused(request_root, refusal, at):
    at(request_root, "m:Property/m:UnitCode").text = "640221001001GB00012F0001000"  # 27 characters

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Property/UnitCode", "does not match the pattern"),
    ]


def test_a_credit_code_with_a_letter_outside_its_alphabet_is_refused(request_root, refusal, at):
    at(request_root, "m:Mortgagee/m:Code").text = "91640221MA76R3PK3I"

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Mortgagee/Code", "does not match the pattern"),
    ]


def test_a_missing_element_is_refused_naming_where_it_was_expected(request_root, refusal, at):
    request_root.remove(at(request_root, "m:Mortgagors"))

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication", "element Debtor is not allowed here; expected Mortgagors"),
    ]


def test_a_missing_last_element_is_refused_as_incomplete_content(request_root, refusal, at):
    request_root.remove(at(request_root, "m:Materials"))

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication", "content is incomplete; expected Materials"),
    ]


def test_an_extra_element_is_refused(request_root, refusal, at):
    etree.SubElement(at(request_root, "m:Property"), f"{{{NAMESPACE}}}Floor").text = "3"

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Property", "element Floor is not allowed here"),
    ]


def test_an_element_outside_our_namespace_is_refused(request_root, refusal, at):
    at(request_root, "m:RequestId").tag = "RequestId"

    refused = refusal(request_root)

    assert refused.violations[0].path == "/MortgageApplication"
    assert refused.violations[0].reason.startswith("element RequestId (no namespace) is not allowed here")


def test_a_negative_amount_is_refused(request_root, refusal, at):
    at(request_root, "m:SecuredClaim").text = "-1200000.00"

    assert ("/MortgageApplication/SecuredClaim", "must be greater than 0") in _paths_and_reasons(refusal(request_root))


def test_a_zero_amount_is_refused(request_root, refusal, at):
    at(request_root, "m:SecuredClaim").text = "0.00"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/SecuredClaim", "must be greater than 0")]


def test_an_amount_with_three_fraction_digits_is_refused(request_root, refusal, at):
    at(request_root, "m:SecuredClaim").text = "1200000.005"

    assert ("/MortgageApplication/SecuredClaim", "has more than 2 digits after the decimal point") in _paths_and_reasons(
        refusal(request_root)
    )


def test_an_amount_written_with_three_fraction_digits_is_refused_even_when_the_last_is_zero(request_root, refusal, at):
    at(request_root, "m:SecuredClaim").text = "1200000.000"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/SecuredClaim", "does not match the pattern")]


def test_an_amount_with_more_than_fifteen_digits_is_refused(request_root, refusal, at):
    at(request_root, "m:SecuredClaim").text = "12345678901234.50"

    assert ("/MortgageApplication/SecuredClaim", "does not match the pattern") in _paths_and_reasons(refusal(request_root))


def test_a_currency_other_than_cny_is_refused(request_root, refusal, at):
    at(request_root, "m:SecuredClaim").set("currency", "USD")

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/SecuredClaim", "attribute currency must be 'CNY'"),
    ]


def test_a_secured_claim_without_currency_is_refused(request_root, refusal, at):
    del at(request_root, "m:SecuredClaim").attrib["currency"]

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/SecuredClaim", "attribute currency is required"),
    ]


def test_a_creation_time_without_timezone_is_refused(request_root, refusal, at):
    at(request_root, "m:CreatedAt").text = "2026-05-09T10:30:00"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/CreatedAt", "does not match the pattern")]


def test_a_creation_time_with_an_impossible_offset_is_refused(request_root, refusal, at):
    at(request_root, "m:CreatedAt").text = "2026-05-09T10:30:00+15:00"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/CreatedAt", "is not a valid dateTime")]


def test_a_debt_period_date_with_a_timezone_is_refused(request_root, refusal, at):
    at(request_root, "m:DebtPeriod/m:End").text = "2046-05-14+08:00"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/DebtPeriod/End", "does not match the pattern")]


def test_a_date_that_does_not_exist_is_refused(request_root, refusal, at):
    at(request_root, "m:DebtPeriod/m:Start").text = "2026-02-30"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/DebtPeriod/Start", "is not a valid date")]


def test_an_unknown_registration_type_is_refused(request_root, refusal, at):
    at(request_root, "m:RegistrationType").text = "MORTGAGE_DISCHARGE_SOMEDAY"

    assert _paths_and_reasons(refusal(request_root)) == [
        (
            "/MortgageApplication/RegistrationType",
            "is not one of the allowed codes: MORTGAGE_FIRST, MORTGAGE_FIRST_MAXIMUM, MORTGAGE_CHANGE, "
            "MORTGAGE_TRANSFER, MORTGAGE_DISCHARGE, CONSTRUCTION_MORTGAGE, PRE_NOTICE_MORTGAGE, PRE_NOTICE_CONVERSION, "
            "OWNERSHIP_TRANSFER",
        ),
    ]


def test_an_unknown_id_type_is_refused(request_root, refusal, at):
    at(request_root, "m:Debtor/m:Party/m:IdType").text = "DRIVING_LICENCE"

    refused = refusal(request_root)

    assert refused.violations[0].path == "/MortgageApplication/Debtor/Party[1]/IdType"
    assert refused.violations[0].reason.startswith("is not one of the allowed codes: RESIDENT_ID, PASSPORT")


def test_an_upper_case_sha256_is_refused_with_the_position_of_the_material(request_root, refusal, at):
    sha256 = at(request_root, "m:Materials/m:Material[2]/m:Sha256")
    sha256.text = sha256.text.upper()

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Materials/Material[2]/Sha256", "does not match the pattern"),
    ]


def test_a_sha256_of_the_wrong_length_is_refused(request_root, refusal, at):
    at(request_root, "m:Materials/m:Material[1]/m:Sha256").text = "ab" * 31

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Materials/Material[1]/Sha256", "does not match the pattern"),
    ]


def test_a_file_name_with_a_directory_is_refused(request_root, refusal, at):
    at(request_root, "m:Materials/m:Material[1]/m:FileName").text = "../loan-contract.txt"

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Materials/Material[1]/FileName", "does not match the pattern"),
    ]


def test_a_name_longer_than_a_hundred_characters_is_refused(request_root, refusal, at):
    at(request_root, "m:Mortgagee/m:Name").text = "行" * 101

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Mortgagee/Name", "is longer than 100 characters"),
    ]


def test_a_name_with_surrounding_white_space_is_refused(request_root, refusal, at):
    at(request_root, "m:Mortgagors/m:Party[2]/m:Name").text = " 李秀兰"

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Mortgagors/Party[2]/Name", "does not match the pattern"),
    ]


def test_an_empty_contract_number_is_refused(request_root, refusal, at):
    at(request_root, "m:LoanContractNo").text = None

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/LoanContractNo", "does not match the pattern")]


def test_more_than_twenty_mortgagors_are_refused(request_root, refusal, at):
    mortgagors = at(request_root, "m:Mortgagors")
    for _ in range(19):
        mortgagors.append(etree.fromstring(etree.tostring(mortgagors[0])))

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Mortgagors", "element Party is not allowed here"),
    ]


def test_a_comment_inside_a_value_is_refused(request_root, refusal, at):
    # A comment can split a value so that two readers see different text; values must be plain text.
    unit_code = at(request_root, "m:Property/m:UnitCode")
    unit_code.append(etree.Comment("split"))
    unit_code[0].tail = "9"

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Property/UnitCode", "must contain only text (no child elements or comments)"),
    ]


def test_text_between_elements_is_refused(request_root, refusal, at):
    at(request_root, "m:Mortgagee").text = "stray text"

    assert _paths_and_reasons(refusal(request_root)) == [
        ("/MortgageApplication/Mortgagee", "text is not allowed here, only child elements"),
    ]


def test_an_unknown_attribute_is_refused(request_root, refusal):
    request_root.set("lang", "zh")

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication", "attribute lang is not allowed")]


def test_a_format_version_other_than_1_is_refused(request_root, refusal):
    request_root.set("version", "2")

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication", "attribute version must be '1'")]


def test_an_xsi_type_attribute_is_refused(request_root, refusal, at):
    at(request_root, "m:Property").set(f"{{{XSI}}}type", "xs:anyType")

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/Property", "attribute xsi:type is not allowed")]


def test_a_schema_location_hint_is_ignored_and_never_fetched(adapter, request_root, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the validator tried to fetch a resource")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    request_root.set(f"{{{XSI}}}schemaLocation", f"{NAMESPACE} https://example.invalid/evil.xsd")

    assert adapter.validate(request_root) is None


def test_a_second_signature_is_refused(template_root, refusal, at):
    template_root.append(etree.fromstring(etree.tostring(at(template_root, "ds:Signature"))))

    assert _paths_and_reasons(refusal(template_root)) == [
        ("/MortgageApplication", "element ds:Signature is not allowed here"),
    ]


def test_a_signature_before_the_last_element_is_refused(template_root, refusal, at):
    at(template_root, "m:Materials").addprevious(at(template_root, "ds:Signature"))

    refused = refusal(template_root)

    assert refused.violations[0].path == "/MortgageApplication"
    assert refused.violations[0].reason == "element ds:Signature is not allowed here; expected Materials"


def test_every_violation_is_reported_at_once(request_root, refusal, at):
    at(request_root, "m:Property/m:UnitCode").text = "x"
    at(request_root, "m:Materials/m:Material[3]/m:TypeCode").text = "id document"

    assert [violation.path for violation in refusal(request_root).violations] == [
        "/MortgageApplication/Property/UnitCode",
        "/MortgageApplication/Materials/Material[3]/TypeCode",
    ]


def test_schema_invalid_carries_its_stable_code_and_is_a_value_error(request_root, refusal, at):
    at(request_root, "m:RequestId").text = "has spaces"

    refused = refusal(request_root)

    assert refused.code == "xml.schema_invalid"
    assert isinstance(refused, AdapterError) and isinstance(refused, ValueError)


def test_a_different_root_element_is_an_unsupported_document(adapter):
    with pytest.raises(UnsupportedDocument) as raised:
        adapter.validate(etree.fromstring(f'<Invoice xmlns="{NAMESPACE}"/>'))

    assert raised.value.code == "xml.unsupported_document"


def test_the_right_root_name_in_another_namespace_is_an_unsupported_document(adapter, request_root):
    request_root.tag = "{urn:pingluo-bdc:mortgage-gateway:v2}MortgageApplication"

    with pytest.raises(UnsupportedDocument):
        adapter.validate(request_root)


def test_a_root_without_namespace_is_an_unsupported_document(adapter):
    with pytest.raises(UnsupportedDocument):
        adapter.validate(etree.fromstring('<MortgageApplication version="1"/>'))


def test_a_unit_code_with_full_width_digits_is_refused(request_root, refusal, at):
    # In XML Schema \d means any Unicode digit; the schema spells out [0-9] so this stays out.
    at(request_root, "m:Property/m:UnitCode").text = "６４０２２１001001GB00012F00010001"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/Property/UnitCode", "does not match the pattern")]


def test_a_name_starting_with_an_ideographic_space_is_refused(request_root, refusal, at):
    at(request_root, "m:Debtor/m:Party/m:Name").text = "\u3000王建国"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/Debtor/Party[1]/Name", "does not match the pattern")]


def test_a_name_with_an_invisible_zero_width_space_is_refused(request_root, refusal, at):
    at(request_root, "m:Debtor/m:Party/m:Name").text = "王建\u200b国"

    assert _paths_and_reasons(refusal(request_root)) == [("/MortgageApplication/Debtor/Party[1]/Name", "does not match the pattern")]


def test_a_name_with_a_rare_character_outside_the_basic_plane_is_valid(adapter, request_root, at):
    at(request_root, "m:Debtor/m:Party/m:Name").text = "王𠀀"

    assert adapter.validate(request_root) is None
