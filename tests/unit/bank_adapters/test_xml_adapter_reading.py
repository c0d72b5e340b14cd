"""Reading a valid v1 XML application into the canonical model."""
from datetime import timedelta
from decimal import Decimal

from lxml import etree

from bank_adapters import InboundAdapter, SchemaInvalid

NAMESPACE = "urn:pingluo-bdc:mortgage-gateway:v1"


def test_the_example_request_reads_as_the_expected_canonical_application(adapter, request_root, example_application):
    assert adapter.to_canonical(request_root) == example_application


def test_the_creation_time_keeps_its_timezone_offset(adapter, request_root):
    created_at = adapter.to_canonical(request_root).created_at

    assert created_at.utcoffset() == timedelta(hours=8)


def test_the_secured_amount_is_an_exact_decimal(adapter, request_root):
    amount = adapter.to_canonical(request_root).secured_amount

    assert isinstance(amount, Decimal)
    assert amount == Decimal("1200000.00")


def test_repeated_elements_become_tuples_in_document_order(adapter, request_root):
    app = adapter.to_canonical(request_root)

    assert [party.name for party in app.mortgagors] == ["王建国", "李秀兰"]
    assert [material.type_code for material in app.materials] == ["LOAN_CONTRACT", "MORTGAGE_CONTRACT", "ID_DOCUMENT"]
    assert isinstance(app.mortgagors, tuple) and isinstance(app.materials, tuple)


def test_a_document_carrying_a_signature_reads_the_same_as_without(adapter, request_root, template_root):
    assert adapter.to_canonical(template_root) == adapter.to_canonical(request_root)


def test_to_canonical_reads_only_the_element_it_is_given(adapter, request_root, parse_example, at):
    decoy = parse_example("mortgage-first-request.xml")
    at(decoy, "m:RequestId").text = "DECOY-1"
    wrapper = etree.Element("Envelope")
    wrapper.append(decoy)
    wrapper.append(request_root)

    assert adapter.to_canonical(request_root).request_id == "NXSL-PL-20260509-000123"


def test_to_canonical_validates_its_input_again(adapter, request_root, at):
    at(request_root, "m:Property/m:UnitCode").text = "not-a-unit-code"

    try:
        adapter.to_canonical(request_root)
    except SchemaInvalid as refused:
        assert refused.violations[0].path == "/MortgageApplication/Property/UnitCode"
    else:
        raise AssertionError("to_canonical accepted a document that breaks the schema")


def test_the_adapter_implements_the_inbound_adapter_protocol(adapter):
    assert isinstance(adapter, InboundAdapter)
    assert adapter.media_types == ("application/xml", "text/xml")
    assert adapter.root_tag == f"{{{NAMESPACE}}}MortgageApplication"
