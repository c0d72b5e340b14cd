"""Schema errors name the element and the rule, never the value: values hold names and ID numbers."""
import pytest
from lxml import etree


NAMESPACE = "urn:pingluo-bdc:mortgage-gateway:v1"
SECRET = "SECRET7788"  # stands in for an ID number or a name


def _set_text(path, text):
    def mutate(root, at):
        at(root, path).text = text

    return mutate


def _set_attribute(name, value):
    def mutate(root, at):
        at(root, "m:SecuredClaim").set(name, value)

    return mutate


def _add_stray_text(root, at):
    at(root, "m:Debtor").text = SECRET


def _add_foreign_element(root, at):
    etree.SubElement(at(root, "m:Property"), f"{{{NAMESPACE}}}Note").text = SECRET


MUTATIONS = {
    "id number with a forbidden character": _set_text("m:Mortgagors/m:Party[1]/m:IdNumber", SECRET + "*"),
    "name too long": _set_text("m:Mortgagors/m:Party[2]/m:Name", SECRET * 11),
    "name with surrounding space": _set_text("m:Debtor/m:Party/m:Name", f" {SECRET} "),
    "unknown id type": _set_text("m:Debtor/m:Party/m:IdType", SECRET),
    "amount that is no number": _set_text("m:SecuredClaim", SECRET),
    "date that is no date": _set_text("m:DebtPeriod/m:Start", SECRET),
    "date time that is no date time": _set_text("m:CreatedAt", SECRET),
    "wrong fixed attribute value": _set_attribute("currency", SECRET),
    "unknown attribute": _set_attribute("note", SECRET),
    "text between elements": _add_stray_text,
    "text in an element that is not allowed": _add_foreign_element,
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_the_offending_value_never_appears_in_the_error(request_root, refusal, at, mutate):
    mutate(request_root, at)

    refused = refusal(request_root)

    assert refused.violations
    assert SECRET not in str(refused)
    assert all(SECRET not in violation.reason and SECRET not in violation.path for violation in refused.violations)


def test_a_bad_id_number_is_reported_by_path_and_rule_only(request_root, refusal, at):
    at(request_root, "m:Mortgagors/m:Party[1]/m:IdNumber").text = "64022119850312001#"

    refused = refusal(request_root)

    assert str(refused) == (
        "the document does not match the schema: "
        "/MortgageApplication/Mortgagors/Party[1]/IdNumber: does not match the pattern"
    )
    assert "640221" not in repr(refused.violations)


def test_schema_invalid_keeps_no_reference_to_the_document(request_root, refusal, at):
    at(request_root, "m:Mortgagors/m:Party[1]/m:IdNumber").text = SECRET + "*"

    refused = refusal(request_root)

    assert refused.__cause__ is None and refused.__context__ is None
    assert all(isinstance(argument, str) for argument in refused.args)


TYPE_ELEMENT_MUTATIONS = {
    "certificate number with a space": ("m:ReferencedCertificateNo", "宁(2026) " + SECRET),
    "new value too long": ("m:Changes/m:Change[1]/m:NewValue", SECRET * 21),
    "unknown change field": ("m:Changes/m:Change[2]/m:Field", SECRET),
    "transferee name with surrounding space": ("m:Transferee/m:Name", f" {SECRET}"),
    "unknown discharge reason": ("m:DischargeReason", SECRET),
    "permit number too long": ("m:ConstructionPermitNo", SECRET * 7),
    "repeated circumstance": ("m:SpecialCircumstances/m:Circumstance[2]", "ANNOUNCEMENT_REQUIRED"),
    "group id with a space": ("m:Link/m:GroupId", f"{SECRET} 1"),
    "maximum claim that is no number": ("m:MaximumClaim", SECRET),
}


@pytest.mark.parametrize(("path", "text"), TYPE_ELEMENT_MUTATIONS.values(), ids=TYPE_ELEMENT_MUTATIONS.keys())
def test_the_type_specific_elements_never_echo_their_value_either(full_root, refusal, at, path, text):
    at(full_root, path).text = text

    refused = refusal(full_root)

    assert refused.violations
    for value in (SECRET, "ANNOUNCEMENT_REQUIRED"):
        assert all(value not in violation.reason and value not in violation.path for violation in refused.violations)
