"""OWNERSHIP_TRANSFER through every channel: XML, JSON and the stored form read back as the same application."""
from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from bank_adapters import SchemaInvalid, XmlApplicationAdapter
from bank_adapters.json_v1 import JsonApplicationAdapter, JsonSchemaInvalid
from gateway.applications.canonical_json import from_json, to_json
from tests.unit.bank_adapters.example_applications import OWNERSHIP_TRANSFER, PRE_NOTICE_MORTGAGE

NS = {"m": "urn:pingluo-bdc:mortgage-gateway:v1"}


def test_an_ownership_transfer_reads_back_from_its_xml():
    adapter = XmlApplicationAdapter()

    assert adapter.to_canonical(adapter.from_canonical(OWNERSHIP_TRANSFER)) == OWNERSHIP_TRANSFER


def test_the_xml_names_sellers_buyers_contract_and_price_in_their_elements():
    root = XmlApplicationAdapter().from_canonical(OWNERSHIP_TRANSFER)

    assert root.findtext("m:RegistrationType", namespaces=NS) == "OWNERSHIP_TRANSFER"
    assert [e.findtext("m:IdNumber", namespaces=NS) for e in root.iterfind("m:Sellers/m:Seller", NS)] == [
        p.id_number for p in OWNERSHIP_TRANSFER.sellers]
    assert [e.findtext("m:IdNumber", namespaces=NS) for e in root.iterfind("m:Buyers/m:Buyer", NS)] == [
        p.id_number for p in OWNERSHIP_TRANSFER.buyers]
    assert root.findtext("m:SaleContractNo", namespaces=NS) == "PLWQ-2026-000318"
    assert root.find("m:SalePrice", NS).text == "680000.00" and root.find("m:SalePrice", NS).get("currency") == "CNY"


def test_an_ownership_transfer_reads_back_from_its_json():
    adapter = JsonApplicationAdapter()

    document = adapter.from_canonical(OWNERSHIP_TRANSFER)

    assert adapter.to_canonical(document) == OWNERSHIP_TRANSFER
    parsed = json.loads(document)
    assert parsed["sale_price"] == "680000.00" and parsed["sale_contract_no"] == "PLWQ-2026-000318"
    assert [p["id_number"] for p in parsed["buyers"]] == [p.id_number for p in OWNERSHIP_TRANSFER.buyers]


def test_the_stored_form_keeps_the_transfers_fields():
    assert from_json(json.loads(json.dumps(to_json(OWNERSHIP_TRANSFER)))) == OWNERSHIP_TRANSFER


def test_a_stored_application_from_before_the_transfer_fields_reads_them_as_absent():
    stored = to_json(PRE_NOTICE_MORTGAGE)
    for name in ("sellers", "buyers", "sale_contract_no", "sale_price"):
        stored.pop(name)

    assert from_json(stored) == PRE_NOTICE_MORTGAGE


def test_a_pre_notice_may_name_its_sale_contract_in_both_channels():
    app = replace(PRE_NOTICE_MORTGAGE, sale_contract_no="PLWQ-2026-000777")

    assert XmlApplicationAdapter().to_canonical(XmlApplicationAdapter().from_canonical(app)) == app
    assert JsonApplicationAdapter().to_canonical(JsonApplicationAdapter().from_canonical(app)) == app


def test_a_seller_without_an_id_number_is_refused_by_the_xml_schema():
    root = XmlApplicationAdapter().from_canonical(OWNERSHIP_TRANSFER)
    seller = root.find("m:Sellers/m:Seller", NS)
    seller.remove(seller.find("m:IdNumber", NS))

    with pytest.raises(SchemaInvalid) as refused:
        XmlApplicationAdapter().validate(root)

    assert [v.path for v in refused.value.violations] == ["/MortgageApplication/Sellers/Seller[1]"]


def test_a_price_with_three_decimals_is_refused_by_both_schemas():
    app = replace(OWNERSHIP_TRANSFER, sale_price=Decimal("680000.005"))

    with pytest.raises(SchemaInvalid):
        XmlApplicationAdapter().from_canonical(app)
    document = json.loads(JsonApplicationAdapter().from_canonical(OWNERSHIP_TRANSFER))
    document["sale_price"] = "680000.005"
    with pytest.raises(JsonSchemaInvalid) as refused:
        JsonApplicationAdapter().to_canonical(json.dumps(document).encode())
    assert [v.path for v in refused.value.violations] == ["/sale_price"]


def test_an_unknown_member_of_a_buyer_is_refused_by_the_json_schema():
    document = json.loads(JsonApplicationAdapter().from_canonical(OWNERSHIP_TRANSFER))
    document["buyers"][0]["share"] = "1/2"

    with pytest.raises(JsonSchemaInvalid) as refused:
        JsonApplicationAdapter().to_canonical(json.dumps(document, ensure_ascii=False).encode())

    assert [v.path for v in refused.value.violations] == ["/buyers/0"]


def test_more_than_twenty_buyers_are_refused_by_the_xml_schema():
    root = XmlApplicationAdapter().from_canonical(OWNERSHIP_TRANSFER)
    buyers = root.find("m:Buyers", NS)
    for _ in range(19):
        buyers.append(etree.fromstring(etree.tostring(buyers[0])))

    with pytest.raises(SchemaInvalid):
        XmlApplicationAdapter().validate(root)
