"""The published output schema (docs/interface/schemas/gateway-output-v1.xsd) matches what the gateway sends.

Each test produces a real signed document through the API, as a bank would receive it — a receipt,
an approval with its certificate's XML twin, a rejection, a supplement request — and validates it
offline against the XSD banks are given.
"""
from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from sqlalchemy import update

from gateway.persistence.db import transaction
from gateway.register.models import PropertyUnit
from signing.xml_parser import parse_xml
from tests.integration.helpers import NS, approve, claim, submit_new
from tests.support import factories

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "interface" / "schemas" / "gateway-output-v1.xsd"
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


@functools.cache
def output_schema() -> xmlschema.XMLSchema10:
    # Built from text with allow="none": nothing is fetched from a file or the network.
    return xmlschema.XMLSchema10(SCHEMA_PATH.read_text(encoding="utf-8"), allow="none", defuse="always")


def fetch(client, bank_auth, number: str, kind: str) -> etree._Element:
    return download(client, bank_auth, f"/v1/applications/{number}/documents/{kind}")


def download(client, bank_auth, path: str) -> etree._Element:
    response = client.get(path, auth=bank_auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return parse_xml(response.content, max_bytes=1_048_576)


def assert_valid(document: etree._Element) -> None:
    output_schema().validate(document)
    assert document[-1].tag == DS_SIGNATURE, "the gateway's signature must be the last child"


def decide(client, number: str, reviewer, body: dict) -> None:
    claim(client, number, reviewer)
    response = client.post(f"/v1/review/applications/{number}/decision", json=body, headers=reviewer)
    assert response.status_code == 200, response.text


def test_a_receipt_validates_against_the_output_schema(client, pki, bank_auth):
    number = submit_new(client, pki, bank_auth)
    receipt = fetch(client, bank_auth, number, "receipt")
    assert_valid(receipt)
    assert receipt.findtext("g:Status", namespaces=NS) == "QUEUED"


def test_a_receipt_with_findings_validates_against_the_output_schema(client, runtime, pki, bank_auth):
    with transaction(runtime.sessions) as session:
        session.execute(update(PropertyUnit).where(PropertyUnit.unit_code == factories.UNIT_CODE)
                        .values(needs_survey=True))
    number = submit_new(client, pki, bank_auth)
    receipt = fetch(client, bank_auth, number, "receipt")
    assert_valid(receipt)
    assert receipt.findtext("g:Triage", namespaces=NS) == "COMPLEX"
    assert receipt.find("g:Findings/g:Finding/g:Code", namespaces=NS) is not None


def test_an_approval_result_validates_against_the_output_schema(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    result = fetch(client, bank_auth, number, "result")
    assert_valid(result)
    assert result.findtext("g:Decision", namespaces=NS) == "APPROVED"
    assert result.find("g:Registration/g:CertificateNo", namespaces=NS) is not None
    assert result.find("g:Certificate/g:VerificationCode", namespaces=NS) is not None


def test_the_certificates_xml_twin_validates_against_the_output_schema(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    twin = download(client, bank_auth, f"/v1/applications/{number}/certificate.xml")
    assert_valid(twin)
    assert etree.QName(twin).localname == "RegistrationCertificate"


def test_a_rejection_result_validates_against_the_output_schema(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    decide(client, number, reviewer, {"decision": "reject", "reason": "抵押合同未加盖抵押人签章\n请重新申请"})
    result = fetch(client, bank_auth, number, "result")
    assert_valid(result)
    assert result.findtext("g:Decision", namespaces=NS) == "REJECTED"
    assert result.find("g:Registration", namespaces=NS) is None


def test_a_supplement_request_validates_against_the_output_schema(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    missing = [
        {"type_code": "MARRIAGE_CERTIFICATE", "reason": "共有人婚姻关系证明缺失"},
        {"type_code": "ID_DOCUMENT", "reason": "身份证明复印件不清晰"},
    ]
    decide(client, number, reviewer, {"decision": "request_supplement", "missing": missing})
    notice = fetch(client, bank_auth, number, "supplement_request")
    assert_valid(notice)
    assert notice.findtext("g:Decision", namespaces=NS) == "SUPPLEMENT_REQUESTED"
    assert len(notice.findall("g:Supplement/g:Item", namespaces=NS)) == 2


def test_the_output_schema_refuses_a_receipt_whose_elements_are_out_of_order(client, pki, bank_auth):
    number = submit_new(client, pki, bank_auth)
    receipt = copy.deepcopy(fetch(client, bank_auth, number, "receipt"))
    status = receipt.find("g:Status", namespaces=NS)
    receipt.remove(status)
    receipt.insert(0, status)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        output_schema().validate(receipt)


def test_the_output_schema_refuses_a_result_with_an_unknown_decision(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    result = copy.deepcopy(fetch(client, bank_auth, number, "result"))
    result.find("g:Decision", namespaces=NS).text = "MAYBE"
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        output_schema().validate(result)
