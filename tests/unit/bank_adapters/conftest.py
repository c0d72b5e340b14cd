"""Fixtures for the inbound XML adapter: the published example, a canonical application, refusals."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from bank_adapters import (
    CanonicalApplication,
    IdType,
    MaterialRef,
    Mortgagee,
    Party,
    RegistrationType,
    SchemaInvalid,
    XmlApplicationAdapter,
)

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
    """What the example request means, written out by hand."""
    wang = Party(name="王建国", id_type=IdType.RESIDENT_ID, id_number="640221198503120011")
    li = Party(name="李秀兰", id_type=IdType.RESIDENT_ID, id_number="640221198708250020")
    return CanonicalApplication(
        request_id="NXSL-PL-20260509-000123",
        created_at=datetime(2026, 5, 9, 10, 30, tzinfo=timezone(timedelta(hours=8))),
        registration_type=RegistrationType.MORTGAGE_FIRST,
        mortgagee=Mortgagee(code="91640221MA76R3PK3Q", name="宁夏示例银行股份有限公司平罗支行"),
        mortgagors=(wang, li),
        debtor=wang,
        unit_code="640221001001GB00012F00010001",
        secured_amount=Decimal("1200000.00"),
        currency="CNY",
        debt_start=date(2026, 5, 15),
        debt_end=date(2046, 5, 14),
        loan_contract_no="平罗支行2026年个贷字第0123号",
        mortgage_contract_no="平罗支行2026年抵字第0123号",
        materials=(
            MaterialRef("LOAN_CONTRACT", "loan-contract.txt", "f570180c661cb741abb030b004392fc69d0f2e3bb92fc20e586e013b82b3d44a"),
            MaterialRef("MORTGAGE_CONTRACT", "mortgage-contract.txt", "908a91f450bebe486b7c0320b4face47445d92fa490f9e25129a978383ad454d"),
            MaterialRef("ID_DOCUMENT", "id-documents.txt", "bac4b2e9cba7863ab7c1f6f5f6452bbfc84359b8ef81b4d99c6be18f1b1a45b6"),
        ),
    )


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
