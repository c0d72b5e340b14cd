"""Writing a canonical application as an unsigned v1 document, and reading it back."""
import dataclasses
from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from bank_adapters import SchemaInvalid

NAMESPACE = "urn:pingluo-bdc:mortgage-gateway:v1"


def test_from_canonical_then_to_canonical_returns_the_same_application(adapter, example_application):
    root = adapter.from_canonical(example_application)
    adapter.validate(root)

    assert adapter.to_canonical(root) == example_application


def test_the_round_trip_survives_serialising_to_bytes(adapter, example_application):
    data = etree.tostring(adapter.from_canonical(example_application), xml_declaration=True, encoding="UTF-8")

    assert adapter.to_canonical(etree.fromstring(data)) == example_application


def test_the_built_document_matches_the_published_example(adapter, example_application, request_root):
    built = adapter.from_canonical(example_application)

    assert etree.tostring(built, method="c14n") == etree.tostring(_without_layout(request_root), method="c14n")


def test_the_built_document_has_no_signature_and_uses_our_namespace_as_default(adapter, example_application):
    root = adapter.from_canonical(example_application)

    assert root.nsmap == {None: NAMESPACE}
    assert root.get("version") == "1"
    assert root[-1].tag == f"{{{NAMESPACE}}}Materials"


def test_an_amount_with_an_exponent_is_written_in_plain_digits(adapter, example_application):
    app = dataclasses.replace(example_application, secured_amount=Decimal("1.2E+6"))

    root = adapter.from_canonical(app)

    assert root.find(f"{{{NAMESPACE}}}SecuredClaim").text == "1200000"


def test_a_creation_time_without_timezone_cannot_be_written(adapter, example_application):
    app = dataclasses.replace(example_application, created_at=datetime(2026, 5, 9, 10, 30))

    with pytest.raises(SchemaInvalid) as raised:
        adapter.from_canonical(app)

    assert raised.value.violations[0].path == "/MortgageApplication/CreatedAt"


def test_an_application_the_schema_does_not_allow_cannot_be_written(adapter, example_application):
    app = dataclasses.replace(example_application, currency="USD")

    with pytest.raises(SchemaInvalid) as raised:
        adapter.from_canonical(app)

    assert [violation.path for violation in raised.value.violations] == ["/MortgageApplication/SecuredClaim"]


def test_a_control_character_in_a_value_is_refused_as_a_schema_violation(adapter, example_application):
    app = dataclasses.replace(example_application, loan_contract_no="No.\x0712")

    with pytest.raises(SchemaInvalid) as raised:
        adapter.from_canonical(app)

    assert raised.value.violations[0].path == "/MortgageApplication/LoanContractNo"
    assert "\x07" not in str(raised.value)


def _without_layout(root):
    """The example without comments and indentation, to compare with a freshly built tree."""
    copy = etree.fromstring(etree.tostring(root))
    for element in copy.iter():
        if len(element):
            element.text = None
        element.tail = None
    return copy
