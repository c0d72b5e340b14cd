"""Writing a canonical application as an unsigned v1 document, and reading it back, for every type."""
import dataclasses
from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from bank_adapters import ChangeField, ChangeItem, DischargeReason, LinkRef, SchemaInvalid, SpecialCircumstance
from tests.unit.bank_adapters.example_applications import EXAMPLE_REQUESTS

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


@pytest.mark.parametrize("name", EXAMPLE_REQUESTS)
def test_every_registration_type_survives_the_round_trip_through_bytes(adapter, name):
    app = EXAMPLE_REQUESTS[name]
    data = etree.tostring(adapter.from_canonical(app), xml_declaration=True, encoding="UTF-8")

    assert adapter.to_canonical(etree.fromstring(data)) == app


def test_an_application_with_every_optional_field_survives_the_round_trip(adapter, full_application):
    data = etree.tostring(adapter.from_canonical(full_application), encoding="UTF-8")

    assert adapter.to_canonical(etree.fromstring(data)) == full_application


def test_absent_optional_fields_are_left_out_and_read_back_as_none(adapter):
    app = EXAMPLE_REQUESTS["mortgage-discharge-request.xml"]

    root = adapter.from_canonical(app)
    read = adapter.to_canonical(root)

    assert [etree.QName(child).localname for child in root] == [
        "RequestId", "CreatedAt", "RegistrationType", "Mortgagee", "Mortgagors", "Property",
        "ReferencedCertificateNo", "DischargeReason", "Materials",
    ]
    assert (read.debtor, read.secured_amount, read.debt_start, read.debt_end) == (None, None, None, None)
    assert (read.loan_contract_no, read.mortgage_contract_no, read.transferee, read.link) == (None, None, None, None)
    assert (read.changes, read.special_circumstances) == ((), ())


def test_a_document_without_amounts_reads_as_the_formats_one_currency(adapter):
    app = EXAMPLE_REQUESTS["mortgage-transfer-request.xml"]

    assert adapter.to_canonical(adapter.from_canonical(app)).currency == "CNY"


def test_the_maximum_claim_carries_the_currency_like_the_secured_claim(adapter, full_application):
    root = adapter.from_canonical(full_application)

    assert root.find(f"{{{NAMESPACE}}}MaximumClaim").get("currency") == "CNY"
    assert root.find(f"{{{NAMESPACE}}}SecuredClaim").get("currency") == "CNY"


def test_changes_and_circumstances_keep_their_order_and_types(adapter, full_application):
    read = adapter.to_canonical(adapter.from_canonical(full_application))

    assert read.changes == (ChangeItem(ChangeField.SECURED_AMOUNT, "900000.00"), ChangeItem(ChangeField.DEBT_END, "2041-05-14"))
    assert all(isinstance(change.field, ChangeField) for change in read.changes)
    assert read.special_circumstances == (SpecialCircumstance.ANNOUNCEMENT_REQUIRED, SpecialCircumstance.SURVEY_REQUIRED)
    assert read.discharge_reason is DischargeReason.COURT_RULING


def test_the_link_numbers_read_back_as_integers(adapter, full_application):
    link = adapter.to_canonical(adapter.from_canonical(full_application)).link

    assert link == LinkRef(group_id="ZHD-640221-20260509-0001", position=1, size=2)
    assert isinstance(link.position, int) and isinstance(link.size, int)


@pytest.mark.parametrize(
    ("changed", "path"),
    [
        ({"debt_end": None}, "/MortgageApplication/DebtPeriod"),
        ({"claim_period_start": None}, "/MortgageApplication/ClaimPeriod"),
    ],
)
def test_a_period_with_only_one_end_cannot_be_written(adapter, full_application, changed, path):
    with pytest.raises(SchemaInvalid) as raised:
        adapter.from_canonical(dataclasses.replace(full_application, **changed))

    assert [violation.path for violation in raised.value.violations] == [path]


def test_a_currency_other_than_cny_cannot_be_written_even_without_an_amount(adapter):
    app = dataclasses.replace(EXAMPLE_REQUESTS["mortgage-discharge-request.xml"], currency="USD")

    with pytest.raises(SchemaInvalid) as raised:
        adapter.from_canonical(app)

    assert [violation.path for violation in raised.value.violations] == ["/MortgageApplication"]


def test_a_link_position_the_schema_does_not_allow_cannot_be_written(adapter, full_application):
    app = dataclasses.replace(full_application, link=LinkRef(group_id="ZHD-1", position=0, size=2))

    with pytest.raises(SchemaInvalid) as raised:
        adapter.from_canonical(app)

    assert {violation.path for violation in raised.value.violations} == {"/MortgageApplication/Link/Position"}


def test_a_control_character_in_a_new_value_is_refused_with_its_position(adapter, full_application):
    app = dataclasses.replace(full_application, changes=(*full_application.changes, ChangeItem(ChangeField.PRIORITY, "1\x00")))

    with pytest.raises(SchemaInvalid) as raised:
        adapter.from_canonical(app)

    assert raised.value.violations[0].path == "/MortgageApplication/Changes/Change[3]/NewValue"
