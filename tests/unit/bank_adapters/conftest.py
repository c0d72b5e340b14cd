"""Fixtures for the inbound XML adapter: the published examples, canonical applications, refusals."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from bank_adapters import (
    CanonicalApplication,
    ChangeField,
    ChangeItem,
    DischargeReason,
    LinkRef,
    Mortgagee,
    SchemaInvalid,
    SpecialCircumstance,
    XmlApplicationAdapter,
)
from tests.unit.bank_adapters.example_applications import MORTGAGE_FIRST

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = REPO_ROOT / "docs" / "interface" / "examples"
NS = {"m": "urn:pingluo-bdc:mortgage-gateway:v1", "ds": "http://www.w3.org/2000/09/xmldsig#"}

# Tests parse with a locked-down lxml parser; in the gateway, signing.xml_parser.parse_xml does this.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse_example(name: str) -> etree._Element:
    return etree.fromstring((EXAMPLES / name).read_bytes(), _PARSER)


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def parse_example() -> Callable[[str], etree._Element]:
    """Parse a file of docs/interface/examples/ by name."""
    return _parse_example


@pytest.fixture
def adapter() -> XmlApplicationAdapter:
    return XmlApplicationAdapter()


@pytest.fixture
def request_root() -> etree._Element:
    """A fresh copy of docs/interface/examples/mortgage-first-request.xml, free to mutate."""
    return _parse_example("mortgage-first-request.xml")


@pytest.fixture
def template_root() -> etree._Element:
    """The example with its (empty) ds:Signature as the last child."""
    return _parse_example("mortgage-first-template.xml")


@pytest.fixture
def example_application() -> CanonicalApplication:
    """What the first-mortgage example request means, written out by hand."""
    return MORTGAGE_FIRST


@pytest.fixture
def full_application() -> CanonicalApplication:
    """An application with every optional element filled in: no real type uses them all at once."""
    return dataclasses.replace(
        MORTGAGE_FIRST,
        maximum_claim_amount=Decimal("1500000.00"),
        claim_period_start=date(2026, 5, 15),
        claim_period_end=date(2031, 5, 14),
        referenced_certificate_no="宁(2026)平罗县不动产证明第0000001号",
        changes=(
            ChangeItem(ChangeField.SECURED_AMOUNT, "900000.00"),
            ChangeItem(ChangeField.DEBT_END, "2041-05-14"),
        ),
        transferee=Mortgagee(code="91640100MA774K3E6C", name="宁夏示例资产管理股份有限公司"),
        discharge_reason=DischargeReason.COURT_RULING,
        construction_permit_no="建字第640221202600018号",
        special_circumstances=(SpecialCircumstance.ANNOUNCEMENT_REQUIRED, SpecialCircumstance.SURVEY_REQUIRED),
        link=LinkRef(group_id="ZHD-640221-20260509-0001", position=1, size=2),
    )


@pytest.fixture
def full_root(adapter: XmlApplicationAdapter, full_application: CanonicalApplication) -> etree._Element:
    """The unsigned document of `full_application`, free to mutate."""
    return adapter.from_canonical(full_application)


@pytest.fixture
def refusal(adapter: XmlApplicationAdapter) -> Callable[[etree._Element], SchemaInvalid]:
    """Validate a document that must be refused; return the SchemaInvalid raised."""

    def refuse(root: etree._Element) -> SchemaInvalid:
        with pytest.raises(SchemaInvalid) as raised:
            adapter.validate(root)
        return raised.value

    return refuse


@pytest.fixture
def at() -> Callable[[etree._Element, str], etree._Element]:
    """Find the element at a path written with the m: (our namespace) and ds: prefixes."""

    def find(root: etree._Element, path: str) -> etree._Element:
        found = root.find(path, NS)
        assert found is not None, path
        return found

    return find
